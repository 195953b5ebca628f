"""Synthesis: from one row per indicator × method to verdicts a director of public health can read.

* :func:`benjamini_hochberg` — q-values (Benjamini & Hochberg 1995) controlling the false
  discovery rate; applied per method across the framework's **primary** outcomes.
* :func:`synthesize` — for each outcome a verdict (better / worse than expected, no clear
  change, not assessed) from its headline method, checked against the other methods; a
  one-line finding in plain English with the effect, its 95% interval and the strength of
  evidence; a summary per domain; the overall scorecard; and attribution language that stays
  honest (association, not causation; pre-trends, poor pre-fit, few comparators named).

The input is a findings frame with at least the columns of :data:`FINDING_COLUMNS`; the
statistics themselves live in :mod:`placeimpact.methods`. Nothing here mutates its input.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal, Mapping, Sequence

import numpy as np
import pandas as pd

from ..formatting import ATTRIBUTION_STATEMENT as ATTRIBUTION
from ..formatting import number
from ..methods._common import grade
from ..stats.multiple import benjamini_hochberg

__all__ = [
    "benjamini_hochberg", "synthesize", "Synthesis", "Verdict", "DomainSummary", "HEADLINE_ORDER",
    "FINDING_COLUMNS", "verdict_phrase", "caveat_flags", "ATTRIBUTION",
]

#: the method whose estimate headlines an outcome: the first of these that could run
HEADLINE_ORDER: tuple[str, ...] = ("did", "synthetic_control", "its", "trend_difference", "change_vs_neighbours")

METHOD_NAMES: dict[str, str] = {
    "did": "Difference-in-differences",
    "synthetic_control": "Synthetic control",
    "its": "Interrupted time series",
    "trend_difference": "Trend difference",
    "change_vs_neighbours": "Change ranked against neighbours",
    "conformal_synthetic_control": "Synthetic control, conformal interval",
    "augmented_synthetic_control": "Augmented synthetic control (ridge)",
    "demeaned_synthetic_control": "De-meaned synthetic control",
    "wave_change": "Change between survey waves",
}

FINDING_COLUMNS: tuple[str, ...] = (
    "outcome", "domain", "indicator_id", "indicator_label", "primary", "unit", "method", "estimand",
    "estimate", "ci_low", "ci_high", "p_value", "direction", "evidence", "warnings", "context_warnings",
)

VerdictKind = Literal["improved", "worse", "no_clear_change", "changed", "not_assessed"]
EVIDENCE_ORDER = ("none", "weak", "moderate", "strong")


#: caveat families found in method warnings (regular expressions, case-insensitive)
_CAVEATS: dict[str, str] = {
    "pre_trends": r"pre-?\s?(reform )?trend|parallel|diverg|already moving differently",
    "poor_pre_fit": r"pre-?\s?(reform )?fit|rmspe|did not track|poor fit",
    "few_comparators": r"few (comparator|donor|neighbour)s?\b|only \d+ comparator areas have data"
                       r"|only \d+ comparators\b",
    "placebo_floor": r"smallest attainable placebo p",
    "few_periods": r"few (pre|post|period)|only \d+ (pre|post|period)|short series",
    "overlapping": r"overlap|rolling",
    "implausible_projection": r"straight-line projection is implausible",
}

_CAVEAT_TEXT: dict[str, str] = {
    "pre_trends": "before the reform its trend already differed from the comparators' (pre-trends), so the "
                  "comparison may carry that difference forward",
    "poor_pre_fit": "the synthetic comparison did not track the area well before the reform (poor pre-fit)",
    "few_comparators": "few comparator areas had data, so the uncertainty is large",
    "few_periods": "there are few periods before or after the reform",
    "placebo_floor": "the synthetic control's placebo test cannot reach 5% significance with so small a donor pool",
    "overlapping": "periods overlap (rolling averages), so consecutive points are not independent",
    "implausible_projection": "the interrupted time series extends the pre-reform straight line beyond the "
                              "indicator's possible range, so it overstates the departure from it",
}


def caveat_flags(texts: Sequence[str]) -> tuple[str, ...]:
    """Which caveat families (pre_trends, poor_pre_fit, few_comparators, few_periods, overlapping) the texts name."""
    joined = " | ".join(t for t in texts if t)
    return tuple(k for k, rx in _CAVEATS.items() if re.search(rx, joined, flags=re.IGNORECASE))


def verdict_phrase(kind: str, evidence: str, direction: str = "") -> str:
    """Plain words for a verdict: 'better than expected (strong evidence)', 'no clear change', ..."""
    if kind == "improved":
        return f"better than expected ({evidence} evidence)"
    if kind == "worse":
        return f"worse than expected ({evidence} evidence)"
    if kind == "changed":
        word = "higher" if direction == "higher" else "lower"
        return f"{word} than expected ({evidence} evidence; no better/worse judgement for this indicator)"
    if kind == "not_assessed":
        return "not assessed"
    return "no clear change"


@dataclass(frozen=True)
class Verdict:
    """The answer for one outcome."""

    outcome: int
    domain: str
    indicator_id: str
    indicator_label: str
    primary: bool
    kind: VerdictKind
    evidence: str
    headline_method: str | None
    phrase: str
    sentence: str
    caveats: tuple[str, ...]
    agreement: str
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class DomainSummary:
    """The verdicts of one domain of the framework, counted and said in a sentence."""
    name: str
    counts: Mapping[str, int]
    text: str


@dataclass(frozen=True, eq=False)
class Synthesis:
    """Findings with q-values, one verdict per outcome, domain summaries, scorecard and honest text."""

    findings: pd.DataFrame
    verdicts: tuple[Verdict, ...]
    domains: tuple[DomainSummary, ...]
    scorecard: Mapping[str, int]
    overall: str
    attribution: tuple[str, ...]
    alpha: float

    def verdict_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{**v.__dict__, "caveats": "; ".join(v.caveats)} for v in self.verdicts])


_fmt = number


def _pfmt(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.1 else f"p = {p:.2f}"


def _unit_words(unit: str) -> str:
    """Units of a difference: a change in a percentage is in percentage points."""
    return "percentage points" if unit.strip() == "%" else unit


def _effect_text(row: pd.Series) -> str:
    unit = _unit_words(str(row.get("unit") or ""))
    text = (f"Headline estimate ({METHOD_NAMES.get(row['method'], row['method']).lower()}): "
            f"{_fmt(row['estimate'])}{' ' + unit if unit else ''}")
    bits = []
    if math.isfinite(row["ci_low"]) and math.isfinite(row["ci_high"]):
        bits.append(f"95% CI {_fmt(row['ci_low'])} to {_fmt(row['ci_high'])}")
    elif math.isinf(row["ci_low"]) or math.isinf(row["ci_high"]):
        bits.append("95% interval unbounded (too few comparators for a 5% test)")
    if math.isfinite(row["p_value"]):
        bits.append(_pfmt(row["p_value"]))
    if math.isfinite(row.get("q_value", math.nan)):
        bits.append(f"q = {row['q_value']:.3f} after Benjamini–Hochberg across primary outcomes"
                    + (" (the verdict and strength of evidence rest on q)" if _q_graded(row) else ""))
    return text + (f"; {', '.join(bits)}" if bits else "")


def _q_graded(row: pd.Series) -> bool:
    """Whether this row's verdict and evidence rest on its Benjamini–Hochberg q-value (a primary outcome)."""
    return bool(row["primary"]) and math.isfinite(row.get("q_value", math.nan)) and math.isfinite(row["p_value"])


def _evidence_on_q(row: pd.Series, evidence: str) -> str:
    """The method's evidence re-graded on q instead of p, keeping the levels its caveats cost; never raised."""
    if not _q_graded(row) or evidence not in EVIDENCE_ORDER:
        return evidence
    on_p = grade(float(row["p_value"]))
    drops = max(0, EVIDENCE_ORDER.index(on_p) - EVIDENCE_ORDER.index(evidence)) if on_p in EVIDENCE_ORDER else 0
    on_q = grade(float(row["q_value"]), drops)
    return on_q if EVIDENCE_ORDER.index(on_q) < EVIDENCE_ORDER.index(evidence) else evidence


def _is_sig(row: pd.Series, alpha: float) -> bool:
    if row["direction"] not in ("better", "worse", "higher", "lower"):
        return False
    if row["primary"] and math.isfinite(row["q_value"]):
        return bool(row["q_value"] < alpha)
    return not math.isfinite(row["p_value"]) or bool(row["p_value"] < alpha)


_OPPOSITE = {"better": "worse", "worse": "better", "higher": "lower", "lower": "higher"}


def _verdict(rows: pd.DataFrame, alpha: float) -> Verdict:
    first = rows.iloc[0]
    label = first["indicator_label"]
    base = dict(outcome=int(first["outcome"]), domain=first["domain"], indicator_id=first["indicator_id"],
                indicator_label=label, primary=bool(first["primary"]))
    context = [w for ws in rows["context_warnings"] for w in ws]
    valid = rows[(rows["evidence"] != "insufficient") & np.isfinite(rows["estimate"].to_numpy(float))]
    if valid.empty:
        reasons = [re.sub(r"^not assessed( for [^:]+)?:\s*", "", s, flags=re.IGNORECASE)
                   for s in rows.get("summary", pd.Series(dtype=str)).tolist() if s]
        why = reasons[0] if reasons else "no method could run on the data available"
        return Verdict(**base, kind="not_assessed", evidence="insufficient", headline_method=None,
                       phrase="not assessed", sentence=f"{label}: not assessed. {why[:1].upper()}{why[1:].rstrip('.')}.",
                       caveats=tuple(dict.fromkeys(context)), agreement="", flags=caveat_flags(context))
    rank = {m: i for i, m in enumerate(HEADLINE_ORDER)}
    order = valid.assign(_r=valid["method"].map(rank).fillna(len(rank)),
                         _p=~np.isfinite(valid["p_value"].to_numpy(float)))
    head = order.sort_values(["_p", "_r"], kind="mergesort").iloc[0]
    sig = _is_sig(head, alpha)
    dirs = valid["direction"].tolist()
    sig_rows = [r for _, r in valid.iterrows() if _is_sig(r, alpha)]
    n_valid = len(valid)
    caveats: list[str] = []
    if sig:
        same = sum(d == head["direction"] for d in dirs)
        others = [f"{METHOD_NAMES.get(r['method'], r['method']).lower()}: {r['direction'].replace('_', ' ')}"
                  for _, r in valid.iterrows() if r["method"] != head["method"]]
        opposite = [r["method"] for r in sig_rows if r["direction"] == _OPPOSITE.get(head["direction"])]
        agreement = f"{same} of {n_valid} methods point the same way" + (f" ({'; '.join(others)})" if others else "")
        if opposite:
            kind: VerdictKind = "no_clear_change"
            caveats.append("methods disagree: " + ", ".join(METHOD_NAMES.get(m, m) for m in opposite)
                           + " points the other way")
            evidence = "none"
        else:
            kind = {"better": "improved", "worse": "worse"}.get(head["direction"], "changed")  # type: ignore[assignment]
            evidence = head["evidence"] if head["evidence"] in EVIDENCE_ORDER else "weak"
            evidence = _evidence_on_q(head, evidence)    # primary outcomes: graded on q, like the verdict
            confirmed, others = same - 1, n_valid - 1
            if others and confirmed * 2 < others and evidence != "none":   # fewer than half of the others agree
                evidence = EVIDENCE_ORDER[max(1, EVIDENCE_ORDER.index(evidence) - 1)]
                caveats.append("most other methods do not confirm it")
            if evidence == "none":
                evidence = "weak"
    else:
        kind = "no_clear_change"
        evidence = "none"
        clear = [f"{METHOD_NAMES.get(r['method'], r['method']).lower()}: {r['direction']}"
                 for _, r in valid.iterrows() if r["direction"] in _OPPOSITE]
        agreement = f"{len(clear)} of {n_valid} methods show a clear difference" + (f" ({'; '.join(clear)})" if clear else "")
        if head["primary"] and math.isfinite(head["q_value"]) and math.isfinite(head["p_value"]) \
                and head["p_value"] < alpha <= head["q_value"] and head["direction"] in _OPPOSITE:
            caveats.append(f"{_pfmt(head['p_value'])} alone, but not significant once adjusted for the number of "
                           f"primary outcomes (q = {head['q_value']:.2f})")
    flags = caveat_flags([w for ws in valid["warnings"] for w in ws] + context)
    caveats += [_CAVEAT_TEXT[f] for f in flags]
    caveats += [w for w in context if not caveat_flags([w])]
    caveats = list(dict.fromkeys(caveats))
    phrase = verdict_phrase(kind, evidence, head["direction"])
    sentence = f"{label}: {phrase}. {_effect_text(head)}."
    if n_valid > 1:
        sentence += f" {agreement[0].upper()}{agreement[1:]}."
    if caveats:
        sentence += " Caveats: " + "; ".join(caveats) + "."
    return Verdict(**base, kind=kind, evidence=evidence, headline_method=str(head["method"]), phrase=phrase,
                   sentence=sentence, caveats=tuple(caveats), agreement=agreement, flags=flags)


SCORE_KEYS = ("improved", "no_clear_change", "worse", "changed", "not_assessed")


def _counts(verdicts: Sequence[Verdict]) -> dict[str, int]:
    c = dict.fromkeys(SCORE_KEYS, 0)
    for v in verdicts:
        c[v.kind] += 1
    return c


def _count_text(c: Mapping[str, int]) -> str:
    parts = [f"{c['improved']} better than expected", f"{c['no_clear_change']} with no clear change",
             f"{c['worse']} worse than expected"]
    if c["changed"]:
        parts.append(f"{c['changed']} changed with no better/worse judgement")
    if c["not_assessed"]:
        parts.append(f"{c['not_assessed']} not assessed (no usable data before and after the reform)")
    return ", ".join(parts)


def _domain_summary(name: str, vs: Sequence[Verdict]) -> DomainSummary:
    c = _counts(vs)
    n = len(vs)
    text = f"{name}: of {n} outcome{'s' if n != 1 else ''}, {_count_text(c)}."
    for kind, word in (("improved", "Better"), ("worse", "Worse")):
        hits = [f"{v.indicator_label} ({v.evidence} evidence)" for v in vs if v.kind == kind]
        if hits:
            text += f" {word}: {', '.join(hits)}."
    return DomainSummary(name=name, counts=c, text=text)


def synthesize(findings: pd.DataFrame, *, alpha: float = 0.05, area: str = "the area",
               reform: str = "the reform", comparators: str = "its comparators") -> Synthesis:
    """Verdicts, domain summaries, scorecard and honest text from a findings frame.

    Parameters
    ----------
    findings : DataFrame
        One row per outcome × method with :data:`FINDING_COLUMNS` (``warnings`` and
        ``context_warnings`` hold tuples of text). Not modified.
    alpha : float
        False discovery rate for primary outcomes (q < alpha) and the p-value threshold for
        secondary ones.
    area, reform, comparators : str
        Words for the attribution statement.

    Returns
    -------
    Synthesis
        ``findings`` is a copy with ``q_value`` added: Benjamini–Hochberg within each method
        across the primary outcomes (NaN for secondary outcomes and methods without a p-value).
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1); got {alpha}")
    missing = [c for c in FINDING_COLUMNS if c not in findings.columns]
    if missing:
        raise ValueError(f"findings frame lacks columns {missing}")
    f = findings.copy()
    f["q_value"] = np.nan
    prim = f["primary"].astype(bool).to_numpy()
    for method in f.loc[prim, "method"].unique():
        sel = prim & (f["method"] == method).to_numpy()
        f.loc[sel, "q_value"] = benjamini_hochberg(f.loc[sel, "p_value"].to_numpy(float))
    verdicts = tuple(_verdict(g, alpha) for _, g in f.groupby("outcome", sort=True))
    domains = tuple(_domain_summary(name, [v for v in verdicts if v.domain == name])
                    for name in dict.fromkeys(v.domain for v in verdicts))
    score = _counts(verdicts)
    n = len(verdicts)
    prim_v = [v for v in verdicts if v.primary]
    overall = f"Of {n} outcomes, {_count_text(score)}."
    if prim_v:
        pc = _counts(prim_v)
        overall += (f" Of the {len(prim_v)} primary outcomes, {pc['improved']} were better and {pc['worse']} worse "
                    f"than expected after controlling the false discovery rate at {alpha:.0%} (Benjamini–Hochberg).")
    attribution = [ATTRIBUTION.format(area=area, reform=reform, comparators=comparators)]
    flagged: dict[str, list[str]] = {}
    for v in verdicts:
        for flag in v.flags:
            flagged.setdefault(flag, []).append(v.indicator_label)
    for flag, labels in flagged.items():
        attribution.append(f"For {', '.join(labels)}: {_CAVEAT_TEXT[flag]}.")
    if score["not_assessed"]:
        attribution.append(f"{score['not_assessed']} outcome(s) could not be assessed because the open data do not "
                           "cover both sides of the reform; absence of evidence is not evidence of no effect.")
    return Synthesis(findings=f, verdicts=verdicts, domains=domains, scorecard=score, overall=overall,
                     attribution=tuple(attribution), alpha=alpha)
