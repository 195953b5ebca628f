"""Which areas a focal area is compared with: the one resolver every face uses.

``evaluate`` (a framework's ``comparators:``), ``evaluate_indicator`` (``group=``), the web
app's form and the screen all turn a comparator choice into areas here, with one policy:

* a list of area codes or names: those areas (the focal area left out); an unknown one is an error;
* ``all``: every other area of the focal area's tier (upper tier) or type;
* ``computed``: a saved computed group for the area, else its nearest neighbours computed now
  from features measured in the year before the reform starts (nothing is saved);
* ``imported``: the imported Oflog nearest-neighbour group (:data:`IMPORTED_GROUP`);
* anything else: a comparator group id stored for the area.

**A group that has no members for the area is an error, never a silent substitute**: a
:class:`ComparatorError` (a :class:`~placeimpact.errors.StoreError`) names the group, the
groups stored for the area and the other choices; each face says how to pick one. The same
holds when neighbours cannot be computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Sequence

from ..errors import StoreError
from ..panel import same_tier_codes

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["Comparators", "ComparatorError", "resolve_comparators", "resolve_group", "same_tier_codes", "tier_areas",
           "IMPORTED_GROUP", "CHOICES", "AREA_TYPES"]

#: the imported neighbour group meant by ``imported`` (Oflog nearest neighbours)
IMPORTED_GROUP = "oflog-nn"

#: the comparator choices that are not a group id or a list of areas
CHOICES = ("imported", "computed", "all")

#: area types the screen (and ``tier_areas``) accepts
AREA_TYPES = ("upper", "lower", "unitary", "metropolitan_district", "london_borough", "county", "district")


class ComparatorError(StoreError):
    """The comparators asked for do not exist for this area.

    ``field`` names the part of the choice at fault (``comparators`` or ``comparators[2]``),
    ``got`` the value, ``stored`` the group ids the store holds for the area; faces word the
    advice (a CLI option, a web form field, a framework key) from these.
    """

    option = "comparators"

    def __init__(self, message: str, *, field: str = "comparators", got: object = None,
                 stored: Sequence[str] = (), hint: str = "") -> None:
        self.field, self.got, self.stored, self.hint = field, got, tuple(stored), hint
        super().__init__(message)


@dataclass(frozen=True)
class Comparators:
    """A resolved comparator choice.

    ``panel_arg`` is what :func:`placeimpact.panel.build_panel` takes (a group id, a list of
    codes, or None for every area of the tier); ``codes`` the member codes in rank order;
    ``text`` words for reports (``its 15 comparator areas (oflog-nn, from ...)``).
    """

    panel_arg: str | list[str] | None
    codes: tuple[str, ...]
    text: str

    @property
    def group_id(self) -> str | None:
        """The stored group id, when the comparators are one."""
        return self.panel_arg if isinstance(self.panel_arg, str) else None


def tier_areas(store: Store, area_type: str = "upper") -> list[str]:
    """Codes of every area of a type: ``upper`` / ``lower`` tier or an ``area_type`` name, sorted."""
    if area_type not in AREA_TYPES:
        from ..errors import InputError

        raise InputError("unknown area type", field="area_type", expected=" | ".join(AREA_TYPES), got=area_type)
    if area_type == "upper":
        a = store.areas(upper_tier=True)
    elif area_type == "lower":
        a = store.lower_tier_areas()
    else:
        a = store.areas(area_type=area_type)
    return sorted(a["code"].tolist())


def _missing_group(store: Store, focal: str, gid: str) -> ComparatorError:
    have = sorted(store.groups(focal=focal)["group_id"].unique().tolist())
    change = store.area_change_note(focal)
    hint = (f"{change}; evaluate a current area, or list comparator areas yourself" if change else
            "choose one of the groups stored for it, computed neighbours, every area of the tier, or list areas"
            if have else "load the neighbour lists, or choose computed neighbours, every area of the tier, or "
            "list areas")
    return ComparatorError(f"comparator group {gid!r} has no members for {focal}; stored groups for it: "
                           f"{', '.join(have) or 'none'}", got=gid, stored=have, hint=hint)


def resolve_comparators(store: Store, focal: str, choice: str | Sequence[str] | None, *,
                        reform_start: date) -> Comparators:
    """Resolve ``choice`` for the focal area (a code) under the module's policy.

    ``choice`` is a list of area codes or names, ``all`` (or None), ``computed``,
    ``imported`` or a group id. Raises :class:`ComparatorError` for a group with no members
    for the area, an unknown area in a list, or neighbours that cannot be computed.
    """
    if choice is not None and not isinstance(choice, str):
        codes: list[str] = []
        for j, x in enumerate(choice):
            try:
                codes.append(store.resolve_area(x))
            except StoreError as exc:
                raise ComparatorError(f"unknown comparator area {x!r}", field=f"comparators[{j}]", got=x,
                                      hint=str(exc)) from None
        codes = [x for x in dict.fromkeys(codes) if x != focal]
        return Comparators(codes, tuple(codes), f"{len(codes)} named comparator areas")
    if choice is None or choice == "all":
        codes = same_tier_codes(store, focal)
        return Comparators(None, tuple(codes), f"every area of the same tier ({len(codes)} areas)")
    gid = IMPORTED_GROUP if choice == "imported" else choice
    if choice == "computed":
        saved = store.groups(focal=focal)
        saved = saved[saved["group_id"].astype(str).str.startswith("computed")]
        if saved.empty:   # compute them now from features measured before the reform (nothing is saved)
            from ..comparators import compute_neighbours
            from ..errors import MethodError

            year = reform_start.year - 1
            try:
                nn = compute_neighbours(store, focal, year=year, compare_with=None)
            except (StoreError, MethodError, ValueError) as exc:
                raise ComparatorError(f"could not compute neighbours for {focal} from {year} features: {exc}",
                                      got=choice) from None
            codes = [x for x in nn.codes if x != focal]
            return Comparators(codes, tuple(codes), f"its {len(codes)} nearest neighbours computed from {year} "
                                                    "features")
        gid = str(saved["group_id"].iloc[0])
    g = store.groups(focal=focal, group_id=gid)
    if g.empty:
        raise _missing_group(store, focal, gid)
    codes = [x for x in g.sort_values("rank")["member_area"].tolist() if x != focal]
    src = str(g["source"].dropna().iloc[0]) if g["source"].notna().any() else gid
    return Comparators(gid, tuple(codes), f"its {len(codes)} comparator areas ({gid}, from {src})")


def resolve_group(store: Store, focal: str, group: str, *, start: date) -> tuple[str | list[str] | None, str, list[str]]:
    """:func:`resolve_comparators` as older code called it: (panel argument, words, warnings)."""
    c = resolve_comparators(store, focal, group, reform_start=start)
    return c.panel_arg, c.text, []
