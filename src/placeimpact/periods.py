"""Period labels of the real sources, turned into start and end dates.

The sources write periods in many ways; each parser here turns one label into a
:class:`Period` (start and end date inclusive, and a kind). Parsing is done once per
distinct label (labels repeat across thousands of rows), so callers map unique values.

Recognised forms (examples from ``../shared/data``):

=========================  ===============================  =============
label                      meaning                          kind
=========================  ===============================  =============
``2001-01-01/P3Y``         ISO-8601 interval (ONS ELS)      rolling / annual / monthly
``2010-03-15``             a date (snapshot)                point
``2011``                   calendar year                    annual
``2017/18``, ``2013-14``   financial year (April-March)     financial
``201213``                 academic year (DfE)              academic
``2015 - 17``, ``2009-11`` three calendar years pooled      rolling
``2020/21 - 22/23``        pooled financial years           rolling_financial
``Nov 2023``               a month                          monthly
``2021/22 Q1``             a financial quarter              quarterly
=========================  ===============================  =============

Also ``2021/22 Q1 - 2022/23 Q4``: financial quarters cumulated from the first to the last
(kind ``quarter_range``; Fingertips' NHS Health Check uptake).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

__all__ = ["Period", "parse_period", "PeriodParseError", "parse_date"]


class PeriodParseError(ValueError):
    """A label matches none of the known period forms."""


@dataclass(frozen=True, slots=True)
class Period:
    """A reporting period: its first and last day, kind, length and label."""
    start: date
    end: date
    kind: str
    label: str

    @property
    def mid_year(self) -> float:
        """Mid-point of the period as a decimal year (for regressions on time)."""
        s = self.start.toordinal()
        e = self.end.toordinal()
        mid = date.fromordinal((s + e) // 2)
        return mid.year + (mid.timetuple().tm_yday - 1) / 365.25

    @property
    def years(self) -> float:
        return (self.end.toordinal() - self.start.toordinal() + 1) / 365.25


_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}

_ISO_INTERVAL = re.compile(r"^(\d{4})-(\d{2})-(\d{2})/P(\d+)([YMD])$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
_FIN = re.compile(r"^(\d{4})\s*[/-]\s*(\d{2})$")
_ACADEMIC = re.compile(r"^(\d{4})(\d{2})$")
_ROLLING = re.compile(r"^(\d{4})\s*-\s*(\d{2}|\d{4})$")
_ROLLING_FIN = re.compile(r"^(\d{4})/(\d{2})\s*-\s*(\d{2})/(\d{2})$")
_MONTH = re.compile(r"^([A-Za-z]{3})[a-z]*\s+(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})/(\d{2})\s*Q([1-4])$")
_QUARTER_RANGE = re.compile(r"^(\d{4})/(\d{2})\s*Q([1-4])\s*-\s*(\d{4})/(\d{2})\s*Q([1-4])$")


def _add(start: date, n: int, unit: str) -> date:
    """End date (inclusive) of a period of n units starting at start."""
    if unit == "D":
        return start + timedelta(days=n - 1)
    months = n * 12 if unit == "Y" else n
    y, m = divmod(start.month - 1 + months, 12)
    nxt = date(start.year + y, m + 1, 1) if start.day == 1 else _safe_date(start.year + y, m + 1, start.day)
    return nxt - timedelta(days=1)


def _safe_date(y: int, m: int, d: int) -> date:
    while True:
        try:
            return date(y, m, d)
        except ValueError:
            d -= 1


def _century(base: int, yy: int) -> int:
    """Full year for a two-digit year following base (2019, 20 -> 2020; 1999, 00 -> 2000)."""
    full = base - base % 100 + yy
    return full + 100 if full < base else full


@lru_cache(maxsize=65536)
def parse_period(label: str) -> Period:
    """Parse one period label; raises :class:`PeriodParseError` if no form matches."""
    text = str(label).strip()
    if m := _ISO_INTERVAL.match(text):
        y, mo, d, n, unit = int(m[1]), int(m[2]), int(m[3]), int(m[4]), m[5]
        start = date(y, mo, d)
        end = _add(start, n, unit)
        if unit == "Y":
            kind = "annual" if n == 1 else "rolling"
            if n == 1 and mo == 4 and d == 1:
                kind = "financial"
            elif n == 1 and mo in (8, 9) and d == 1:
                kind = "academic"
        elif unit == "M":
            kind = "monthly" if n == 1 else "quarterly" if n == 3 else "monthly"
        else:
            kind = "daily"
        return Period(start, end, kind, text)
    if m := _DATE.match(text):
        d0 = date(int(m[1]), int(m[2]), int(m[3]))
        return Period(d0, d0, "point", text)
    if m := _YEAR.match(text):
        y = int(m[1])
        return Period(date(y, 1, 1), date(y, 12, 31), "annual", text)
    if m := _ROLLING_FIN.match(text):
        y0 = int(m[1])
        y1 = _century(y0, int(m[3]))
        return Period(date(y0, 4, 1), date(y1 + 1, 3, 31), "rolling_financial", text)
    if m := _QUARTER_RANGE.match(text):
        first = parse_period(f"{m[1]}/{m[2]} Q{m[3]}")
        last = parse_period(f"{m[4]}/{m[5]} Q{m[6]}")
        if last.end < first.start:
            raise PeriodParseError(f"unrecognised period {text!r}: last quarter before the first")
        return Period(first.start, last.end, "quarter_range", text)
    if m := _QUARTER.match(text):
        y0, q = int(m[1]), int(m[3])
        start_month = 4 + 3 * (q - 1)
        sy = y0 + (start_month - 1) // 12
        sm = (start_month - 1) % 12 + 1
        start = date(sy, sm, 1)
        return Period(start, _add(start, 3, "M"), "quarterly", text)
    if m := _FIN.match(text):
        y0, yy = int(m[1]), int(m[2])
        if _century(y0, yy) == y0 + 1:
            return Period(date(y0, 4, 1), date(y0 + 1, 3, 31), "financial", text)
        # "2009-11" style: pooled calendar years
        y1 = _century(y0, yy)
        if "/" not in text and y1 > y0 + 1:
            return Period(date(y0, 1, 1), date(y1, 12, 31), "rolling", text)
        raise PeriodParseError(f"unrecognised period {text!r}")
    if m := _ROLLING.match(text):
        y0 = int(m[1])
        y1 = int(m[2]) if len(m[2]) == 4 else _century(y0, int(m[2]))
        if y1 <= y0:
            raise PeriodParseError(f"unrecognised period {text!r}: end year before start year")
        return Period(date(y0, 1, 1), date(y1, 12, 31), "rolling", text)
    if m := _ACADEMIC.match(text):
        y0, yy = int(m[1]), int(m[2])
        if _century(y0, yy) == y0 + 1:
            return Period(date(y0, 9, 1), date(y0 + 1, 8, 31), "academic", text)
    if m := _MONTH.match(text):
        mon = _MONTHS.get(m[1].lower())
        if mon is not None:
            start = date(int(m[2]), mon, 1)
            return Period(start, _add(start, 1, "M"), "monthly", text)
    raise PeriodParseError(
        f"unrecognised period {text!r}; expected forms like 2011, 2017/18, 2015 - 17, "
        "2001-01-01/P3Y, 201213, Nov 2023"
    )


def parse_date(value, field: str = "date", *, end: bool = False):
    """A reform start or cut-off given by a user: a year, a month (2011-04) or an ISO date.

    A year or a month means its first day, or with ``end`` (a cut-off: "data up to 2018")
    its last day. ``None`` and :class:`datetime.date` pass through. Anything else raises
    one :class:`~placeimpact.errors.InputError` naming ``field``, e.g. ``--start``.
    """
    import calendar
    from datetime import date, datetime

    from .errors import InputError

    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    text = str(value).strip()
    if re.fullmatch(r"\d{4}", text) and 1800 <= int(text) <= 2200:
        return date(int(text), 12, 31) if end else date(int(text), 1, 1)
    if re.fullmatch(r"\d{4}-\d{2}", text) and 1 <= int(text[5:]) <= 12:
        y, m = int(text[:4]), int(text[5:])
        return date(y, m, calendar.monthrange(y, m)[1]) if end else date(y, m, 1)
    expected = "a year such as 2011, a month such as 2011-04, or an ISO date such as 2011-04-01"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return date.fromisoformat(text)
        except ValueError as exc:
            raise InputError(f"{field} is not a real date ({exc})", field=field, got=text,
                             expected=expected) from None
    hint = ("Write a financial year as the date it ends, e.g. 2012-03-31 for 2011/12" if end else
            "Write a financial year as the date it starts, e.g. 2011-04-01 for 2011/12")
    raise InputError(f"{field} is not a date", field=field, got=text, expected=expected, hint=hint)
