"""Synthesis: from one row per indicator × method to verdicts a director of public health can read.

* :func:`benjamini_hochberg` — q-values (Benjamini & Hochberg 1995) controlling the false
  discovery rate; applied per method across the framework's **primary** outcomes.
* :func:`synthesize` — for each outcome a verdict (better / worse than expected, no clear
  change, mixed evidence, not assessed) from its headline method, checked against the other
  methods (the rules are written down in docs/framework-format.md, "Verdict rules"); a
  one-line finding in plain English with the effect, its 95% interval and the strength of
  evidence; a summary per domain; the overall scorecard; and attribution language that stays
  honest (association, not causation; pre-trends, poor pre-fit, few comparators named).

The input is a findings frame with at least the columns of :data:`FINDING_COLUMNS` and, optionally,
``caveats`` (each method's typed caveat kinds, :data:`placeimpact.methods.result.CAVEAT_KINDS`),
``context_caveats`` (the kinds of the data caveats, aligned with ``context_warnings``) and ``scale``.
Caveats are read as kinds, never by parsing English. The statistics themselves live in
:mod:`placeimpact.methods`. Nothing here mutates its input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, Mapping, Sequence

import numpy as np
import pandas as pd

from ..formatting import ATTRIBUTION_STATEMENT as ATTRIBUTION
from ..formatting import number
from ..methods._common import grade
from ..stats.multiple import benjamini_hochberg

__all__ = [
    "benjamini_hochberg", "synthesize", "Synthesis", "Verdict", "DomainSummary", "HEADLINE_ORDER",
    "FINDING_COLUMNS", "verdict_phrase", "caveat_flags", "ATTRIBUTION", "CAVEAT_TEXT", "SCORE_KEYS",
    "DESCRIPTIVE_ONLY", "method_name",
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

def method_name(method: str, *, lower: bool = False) -> str:
    """A method's name in words; ``lower`` for inside a sentence, where only the first letter is lowered
    (proper names stay: "staggered difference-in-differences (Callaway & Sant'Anna)")."""
    name = METHOD_NAMES.get(method, method.replace("_", " "))
    if lower and name[:1].isupper() and not name[1:2].isupper():
        name = name[0].lower() + name[1:]
    return name


FINDING_COLUMNS: tuple[str, ...] = (
    "outcome", "domain", "indicator_id", "indicator_label", "primary", "unit", "method", "estimand",
    "estimate", "ci_low", "ci_high", "p_value", "direction", "evidence", "warnings", "context_warnings",
)

VerdictKind = Literal["improved", "worse", "no_clear_change", "mixed", "changed", "not_assessed"]
EVIDENCE_ORDER = ("none", "weak", "moderate", "strong")


#: plain words for each typed caveat kind (placeimpact.methods.result.CAVEAT_KINDS)
CAVEAT_TEXT: dict[str, str] = {
    "pre_trend": "before the reform its trend already differed from the comparators' (pre-trends), so the "
                 "comparison may carry that difference forward",
    "poor_pre_fit": "the synthetic comparison did not track the area well before the reform (poor pre-fit)",
    "outside_hull": "before the reform the area was at the edge of its comparators' range, so no weighted mix of "
                    "them can match it",
    "few_donors": "few comparator areas had data, so the uncertainty is large",
    "few_periods": "there are few periods before or after the reform",
    "placebo_floor": "the synthetic control's placebo test cannot reach 5% significance with so small a donor pool",
    "overlapping_periods": "periods overlap (rolling averages), so consecutive points are not independent",
    "implausible_projection": "the interrupted time series extends the pre-reform straight line beyond the "
                              "indicator's possible range, so it overstates the departure from it",
    "straddling_baseline": "the only baseline period straddles the reform start, so early effects are inside it "
                           "(evidence capped at weak)",
    "pandemic_window": "the post-reform periods include the COVID-19 pandemic (2020-21), which hit areas unequally",
    "national_trend": "part or all of the departure from trend is shared with England's own trend",
}
_CAVEAT_TEXT = CAVEAT_TEXT   # the former private name

#: why a method of a given kind can disagree with the others (for "mixed evidence")
_METHOD_BASIS: dict[str, str] = {
    "its": "projects the area's own pre-reform trend forward",
    "trend_difference": "compares the change in the area's trend with England's",
    "did": "compares the area's change with its comparators' average change",
    "change_vs_neighbours": "compares the area's change with its comparators' changes",
    "synthetic_control": "compares the area with a weighted mix of comparators",
}

#: the verdict sentence of an outcome whose only baseline lies mostly after the reform start
DESCRIPTIVE_ONLY = "descriptive only: no pre-reform baseline"


def caveat_flags(kinds) -> tuple[str, ...]:
    """The known caveat kinds among ``kinds`` (an iterable of kinds, or of tuples of kinds), in the order of
    :data:`CAVEAT_TEXT`, each once. Unknown values are ignored; English text is never parsed."""
    seen: set[str] = set()
    for k in kinds:
        if isinstance(k, str):
            seen.add(k)
        elif isinstance(k, (tuple, list, np.ndarray)):
            seen.update(str(x) for x in k)
    return tuple(k for k in CAVEAT_TEXT if k in seen)


def _kinds(row: Mapping[str, Any], col: str = "caveats") -> tuple[str, ...]:
    v = row.get(col)
    return tuple(x for x in v if x) if isinstance(v, (tuple, list, np.ndarray)) else ()


def verdict_phrase(kind: str, evidence: str, direction: str = "", method: str = "") -> str:
    """Plain words for a verdict: 'better than expected (strong evidence)', 'no clear change', ...

    A verdict headlined by the change between survey waves (no comparison group, so nothing was
    "expected") says what happened since the last wave before the reform instead.
    """
    if method == "wave_change" and kind in ("improved", "worse", "changed"):
        word = {"improved": "better", "worse": "worse"}.get(kind, "higher" if direction == "higher" else "lower")
        return f"{word} than the last survey wave before the reform ({evidence} evidence; no comparison group)"
    if kind == "improved":
        return f"better than expected ({evidence} evidence)"
    if kind == "worse":
        return f"worse than expected ({evidence} evidence)"
    if kind == "changed":
        word = "higher" if direction == "higher" else "lower"
        return f"{word} than expected ({evidence} evidence; no better/worse judgement for this indicator)"
    if kind == "mixed":
        return "mixed evidence"
    if kind == "not_assessed":
        return DESCRIPTIVE_ONLY if direction == "descriptive" else "not assessed"
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
    #: for a mixed verdict: which methods disagree with the headline, and why they can (else "")
    why_mixed: str = ""


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
    relative = str(row.get("scale") or "") == "relative"
    unit = "% (relative scale)" if relative else _unit_words(str(row.get("unit") or ""))
    text = (f"Headline estimate ({method_name(row['method'], lower=True)}): "
            f"{_fmt(row['estimate'])}{'' if relative else ' '}{unit}" if unit else
            f"Headline estimate ({method_name(row['method'], lower=True)}): {_fmt(row['estimate'])}")
    bits = []
    if math.isfinite(row["ci_low"]) and math.isfinite(row["ci_high"]):
        bits.append(f"95% CI {_fmt(row['ci_low'])}{'%' if relative else ''} to {_fmt(row['ci_high'])}"
                    f"{'%' if relative else ''}")
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


def _is_sig(row: Mapping[str, Any], alpha: float) -> bool:
    if row["direction"] not in ("better", "worse", "higher", "lower"):
        return False
    if row["primary"] and math.isfinite(row["q_value"]):
        return bool(row["q_value"] < alpha)
    return not math.isfinite(row["p_value"]) or bool(row["p_value"] < alpha)


_OPPOSITE = {"better": "worse", "worse": "better", "higher": "lower", "lower": "higher"}


def _context_texts(rows: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(kinds, texts without a kind) of the outcome's data caveats (``context_caveats`` aligned with the texts)."""
    first = rows.iloc[0]
    texts = list(first["context_warnings"] or ())
    kinds = list(_kinds(first, "context_caveats")) if "context_caveats" in rows.columns else []
    aligned = "context_caveats" in rows.columns and isinstance(first["context_caveats"], (tuple, list)) \
        and len(first["context_caveats"]) == len(texts)
    if aligned:
        plain = [t for t, k in zip(texts, first["context_caveats"]) if not k or k not in CAVEAT_TEXT]
        kinds = [k for k in first["context_caveats"] if k]
    else:
        plain = texts
    return kinds, plain


def _why(row: Mapping[str, Any]) -> str:
    """Why a method can read differently from the others: its basis and its own typed caveats."""
    bits = [_METHOD_BASIS.get(row["method"], "")]
    kinds = _kinds(row)
    if "pre_trend" in kinds:
        bits.append("the pre-reform trends already differed, so a change may be convergence, not the reform")
    if "national_trend" in kinds:
        bits.append("part of it is shared with England's own trend")
    if "implausible_projection" in kinds:
        bits.append("its projection leaves the possible range")
    if "straddling_baseline" in kinds:
        bits.append("its baseline straddles the reform start")
    return ", and ".join(b for b in bits if b)


def _sig_text(row: Mapping[str, Any]) -> str:
    if row["primary"] and math.isfinite(row.get("q_value", math.nan)):
        return f"q = {row['q_value']:.3f}"
    return _pfmt(row["p_value"]) if math.isfinite(row["p_value"]) else "no p-value"


def _verdict(rows: pd.DataFrame, alpha: float) -> Verdict:
    first = rows.iloc[0]
    label = first["indicator_label"]
    base = dict(outcome=int(first["outcome"]), domain=first["domain"], indicator_id=first["indicator_id"],
                indicator_label=label, primary=bool(first["primary"]))
    ctx_kinds, ctx_plain = _context_texts(rows)
    all_kinds = [k for r in rows.to_dict("records") for k in _kinds(r)]
    valid = rows[(rows["evidence"] != "insufficient") & np.isfinite(rows["estimate"].to_numpy(float))]
    if valid.empty:
        if "straddling_baseline" in all_kinds:
            why = ("the earliest period lies mostly after the reform start, so there is no pre-reform baseline; "
                   "the latest values are benchmarked against England and the neighbours only")
            phrase = DESCRIPTIVE_ONLY
        else:
            reasons = [str(x) for x in rows.get("summary", pd.Series(dtype=str)).tolist() if x]
            reasons = [x.split(": ", 1)[1] if x.lower().startswith("not assessed") and ": " in x else x
                       for x in reasons]
            why = reasons[0] if reasons else "no method could run on the data available"
            phrase = "not assessed"
        flags = caveat_flags([ctx_kinds, all_kinds])
        return Verdict(**base, kind="not_assessed", evidence="insufficient", headline_method=None,
                       phrase=phrase, sentence=f"{label}: {phrase}. {why[:1].upper()}{why[1:].rstrip('.')}.",
                       caveats=tuple(dict.fromkeys([CAVEAT_TEXT[f] for f in flags] + ctx_plain)), agreement="",
                       flags=flags)
    rank = {m: i for i, m in enumerate(HEADLINE_ORDER)}
    order = valid.assign(_r=valid["method"].map(rank).fillna(len(rank)),
                         _p=~np.isfinite(valid["p_value"].to_numpy(float)))
    head = order.sort_values(["_p", "_r"], kind="mergesort").iloc[0]
    sig = _is_sig(head, alpha)
    dirs = valid["direction"].tolist()
    n_valid = len(valid)
    caveats: list[str] = []
    mixed_why = ""
    # distinguishable results backed by at least weak evidence (the headline's own included)
    valid_rows = valid.to_dict("records")     # plain dicts: the loops below read a handful of fields per method
    backed = [r for r in valid_rows
              if _is_sig(r, alpha) and r["evidence"] in ("weak", "moderate", "strong")]
    others_backed = [r for r in backed if r["method"] != head["method"]]
    head_name = method_name(head["method"], lower=True)
    if sig:
        same = sum(d == head["direction"] for d in dirs)
        others = [f"{method_name(r['method'], lower=True)}: {r['direction'].replace('_', ' ')}"
                  for r in valid_rows if r["method"] != head["method"]]
        contra = [r for r in others_backed if r["direction"] == _OPPOSITE.get(head["direction"])]
        agreement = f"{same} of {n_valid} methods point the same way" + (f" ({'; '.join(others)})" if others else "")
    else:
        clear = [f"{method_name(r['method'], lower=True)}: {r['direction']}"
                 for r in valid_rows if r["direction"] in _OPPOSITE]
        agreement = f"{len(clear)} of {n_valid} methods show a clear difference" + (f" ({'; '.join(clear)})" if clear else "")
        contra = others_backed
    if contra:
        kind: VerdictKind = "mixed"
        evidence = "none"
        head_says = head["direction"].replace("_", " ")
        parts = [f"{method_name(r['method'], lower=True)} says {r['direction']} "
                 f"({_sig_text(r)}, {r['evidence']} evidence; it {_why(r)})" for r in contra]
        mixed_why = (f"Why mixed: the headline {head_name} says {head_says} ({_sig_text(head)}; it {_why(head)}), "
                     "but " + ", and ".join(parts) + ".")
    elif sig:
        kind = {"better": "improved", "worse": "worse"}.get(head["direction"], "changed")  # type: ignore[assignment]
        evidence = head["evidence"] if head["evidence"] in EVIDENCE_ORDER else "weak"
        evidence = _evidence_on_q(head, evidence)    # primary outcomes: graded on q, like the verdict
        confirmed, n_others = sum(d == head["direction"] for d in dirs) - 1, n_valid - 1
        if n_others and confirmed * 2 < n_others and evidence != "none":   # fewer than half of the others agree
            evidence = EVIDENCE_ORDER[max(1, EVIDENCE_ORDER.index(evidence) - 1)]
            caveats.append("most other methods do not confirm it")
        if evidence == "none":
            evidence = "weak"
        if "straddling_baseline" in _kinds(head) and evidence in ("moderate", "strong"):
            evidence = "weak"          # a flagged baseline never carries more than weak evidence
    else:
        kind = "no_clear_change"
        evidence = "none"
        if head["primary"] and math.isfinite(head["q_value"]) and math.isfinite(head["p_value"]) \
                and head["p_value"] < alpha <= head["q_value"] and head["direction"] in _OPPOSITE:
            caveats.append(f"{_pfmt(head['p_value'])} alone, but not significant once adjusted for the number of "
                           f"primary outcomes (q = {head['q_value']:.2f})")
    flags = caveat_flags([_kinds(r) for r in valid_rows] + [ctx_kinds])
    caveats += [CAVEAT_TEXT[f] for f in flags]
    caveats += ctx_plain
    caveats = list(dict.fromkeys(caveats))
    phrase = verdict_phrase(kind, evidence, head["direction"], str(head["method"]))
    sentence = f"{label}: {phrase}. {_effect_text(head)}."
    if n_valid > 1:
        sentence += f" {agreement[0].upper()}{agreement[1:]}."
    if mixed_why:
        sentence += f" {mixed_why}"
    if caveats:
        sentence += " Caveats: " + "; ".join(caveats) + "."
    return Verdict(**base, kind=kind, evidence=evidence, headline_method=str(head["method"]), phrase=phrase,
                   sentence=sentence, caveats=tuple(caveats), agreement=agreement, flags=flags, why_mixed=mixed_why)


SCORE_KEYS = ("improved", "no_clear_change", "worse", "mixed", "changed", "not_assessed")


def _counts(verdicts: Sequence[Verdict]) -> dict[str, int]:
    c = dict.fromkeys(SCORE_KEYS, 0)
    for v in verdicts:
        c[v.kind] += 1
    return c


def _count_text(c: Mapping[str, int]) -> str:
    parts = [f"{c['improved']} better than expected", f"{c['no_clear_change']} with no clear change",
             f"{c['worse']} worse than expected"]
    if c.get("mixed"):
        parts.append(f"{c['mixed']} with mixed evidence (methods disagree)")
    if c["changed"]:
        parts.append(f"{c['changed']} changed with no better/worse judgement")
    if c["not_assessed"]:
        parts.append(f"{c['not_assessed']} not assessed (no usable data before and after the reform)")
    return ", ".join(parts)


def _domain_summary(name: str, vs: Sequence[Verdict]) -> DomainSummary:
    c = _counts(vs)
    n = len(vs)
    text = f"{name}: of {n} outcome{'s' if n != 1 else ''}, {_count_text(c)}."
    for kind, word in (("improved", "Better"), ("worse", "Worse"), ("mixed", "Mixed evidence")):
        hits = [v.indicator_label if kind == "mixed" else f"{v.indicator_label} ({v.evidence} evidence)"
                for v in vs if v.kind == kind]
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
                    f"than expected after controlling the false discovery rate at {alpha:.0%} (Benjamini–Hochberg)"
                    + (f", and {pc['mixed']} had mixed evidence." if pc["mixed"] else "."))
    attribution = [ATTRIBUTION.format(area=area, reform=reform, comparators=comparators)]
    flagged: dict[str, list[str]] = {}
    for v in verdicts:
        for flag in v.flags:
            flagged.setdefault(flag, []).append(v.indicator_label)
    for flag, labels in flagged.items():
        attribution.append(f"For {', '.join(labels)}: {CAVEAT_TEXT[flag]}.")
    if score["not_assessed"]:
        attribution.append(f"{score['not_assessed']} outcome(s) could not be assessed because the open data do not "
                           "cover both sides of the reform; absence of evidence is not evidence of no effect.")
    return Synthesis(findings=f, verdicts=verdicts, domains=domains, scorecard=score, overall=overall,
                     attribution=tuple(attribution), alpha=alpha)
