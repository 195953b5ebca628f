"""Synthesis: Benjamini–Hochberg against statsmodels, verdict rules, scorecard counts, honest language.

The findings frames here are hand-made (not real data): each row is one outcome × method. Caveats are
typed kinds (the ``caveats`` column), never English to be parsed: the rules are in docs/framework-format.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from statsmodels.stats.multitest import multipletests

from placeimpact.evaluation.synthesis import benjamini_hochberg, caveat_flags, synthesize


def test_bh_matches_statsmodels_on_random_p_values(rng):
    for m in (1, 2, 5, 17, 200):
        p = rng.uniform(0, 1, m) ** 3          # plenty of small p-values
        expected = multipletests(p, alpha=0.05, method="fdr_bh")[1]
        assert_allclose(benjamini_hochberg(p), expected, rtol=0, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.floats(0, 1), st.just(float("nan"))), min_size=1, max_size=30))
def test_bh_matches_statsmodels_with_gaps_and_ties(p):
    p = np.array(p)
    q = benjamini_hochberg(p)
    ok = np.isfinite(p)
    assert np.array_equal(np.isnan(q), ~ok)
    if ok.any():
        assert_allclose(q[ok], multipletests(p[ok], method="fdr_bh")[1], rtol=0, atol=1e-12)
        assert np.all(q[ok] >= p[ok] - 1e-15) and np.all(q[ok] <= 1)


def test_bh_closed_form_and_bad_input():
    # p = (0.01, 0.04, 0.03, 0.5): sorted 0.01, 0.03, 0.04, 0.5 -> 0.04, 0.0533.., 0.0533.., 0.5
    assert_allclose(benjamini_hochberg([0.01, 0.04, 0.03, 0.5]), [0.04, 0.16 / 3, 0.16 / 3, 0.5], atol=1e-12)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        benjamini_hochberg([0.2, 1.5])
    with pytest.raises(ValueError, match="one-dimensional"):
        benjamini_hochberg([[0.1, 0.2]])


def _row(outcome, method, *, est=1.0, lo=0.5, hi=1.5, p=0.01, direction="better", evidence="strong", primary=True,
         domain="Health outcomes", warnings=(), context=(), summary="", label=None, kinds=(), context_kinds=None,
         scale="absolute"):
    return {"outcome": outcome, "domain": domain, "indicator_id": f"ind{outcome}",
            "indicator_label": label or f"Outcome {outcome}", "primary": primary, "unit": "years", "method": method,
            "estimand": "effect", "estimate": est, "ci_low": lo, "ci_high": hi, "p_value": p, "direction": direction,
            "evidence": evidence, "warnings": tuple(warnings), "context_warnings": tuple(context), "summary": summary,
            "caveats": tuple(kinds), "scale": scale,
            "context_caveats": tuple(context_kinds) if context_kinds is not None else ("",) * len(context)}


NAN = float("nan")


def _frame(rows):
    return pd.DataFrame(rows)


def test_q_values_are_bh_within_each_method_across_primary_outcomes():
    ps = [0.001, 0.02, 0.04, 0.3]
    rows = [_row(k, "did", p=p) for k, p in enumerate(ps)] + [_row(k, "its", p=p * 2) for k, p in enumerate(ps)]
    rows.append(_row(9, "did", p=0.001, primary=False))
    f = _frame(rows)
    before = f.copy()
    syn = synthesize(f)
    pd.testing.assert_frame_equal(f, before)        # input untouched
    out = syn.findings
    did = out[(out["method"] == "did") & out["primary"]]
    its = out[(out["method"] == "its") & out["primary"]]
    assert_allclose(did["q_value"], multipletests(ps, method="fdr_bh")[1], atol=1e-12)
    assert_allclose(its["q_value"], multipletests(np.array(ps) * 2, method="fdr_bh")[1], atol=1e-12)
    assert out.loc[~out["primary"], "q_value"].isna().all()


def test_scorecard_counts_each_kind_of_verdict():
    rows = [
        _row(0, "did", p=0.001),                                               # improved
        _row(1, "did", est=-1, lo=-1.5, hi=-0.5, p=0.001, direction="worse"),  # worse
        _row(2, "did", est=0.1, lo=-0.5, hi=0.7, p=0.6, direction="no_clear_change", evidence="none"),
        _row(3, "did", est=NAN, lo=NAN, hi=NAN, p=NAN, direction="not_assessed", evidence="insufficient",
             summary="Not assessed for Wigan: only 0 pre-reform period(s) (need 3)."),
        _row(4, "did", p=0.001, direction="higher", primary=False, domain="Other"),   # no polarity
        _row(5, "did", p=0.002, primary=False, domain="Other"),                       # improved
    ]
    syn = synthesize(_frame(rows))
    assert dict(syn.scorecard) == {"improved": 2, "no_clear_change": 1, "worse": 1, "mixed": 0, "changed": 1,
                                   "not_assessed": 1}
    kinds = [v.kind for v in syn.verdicts]
    assert kinds == ["improved", "worse", "no_clear_change", "not_assessed", "changed", "improved"]
    assert [d.name for d in syn.domains] == ["Health outcomes", "Other"]
    assert dict(syn.domains[0].counts) == {"improved": 1, "no_clear_change": 1, "worse": 1, "mixed": 0, "changed": 0,
                                           "not_assessed": 1}
    assert "of 4 outcomes, 1 better than expected, 1 with no clear change, 1 worse than expected" in syn.domains[0].text
    assert "Of 6 outcomes, 2 better than expected" in syn.overall
    assert "Of the 4 primary outcomes, 1 were better and 1 worse" in syn.overall
    v = syn.verdicts
    assert v[0].phrase == "better than expected (strong evidence)"
    assert v[1].phrase == "worse than expected (strong evidence)"
    assert v[2].phrase == "no clear change"
    assert v[3].sentence == "Outcome 3: not assessed. Only 0 pre-reform period(s) (need 3)."
    assert "95% CI 0.50 to 1.5" in v[0].sentence and "years" in v[0].sentence


def test_headline_order_and_disagreement():
    # headline is DiD (first in order) even when listed last; a significant opposite method -> mixed evidence
    rows = [_row(0, "its", est=-1, lo=-2, hi=-0.2, p=0.01, direction="worse", evidence="moderate"),
            _row(0, "did", p=0.001)]
    syn = synthesize(_frame(rows))
    v = syn.verdicts[0]
    assert v.headline_method == "did" and v.kind == "mixed" and v.phrase == "mixed evidence"
    assert "the headline difference-in-differences says better" in v.sentence
    assert "interrupted time series says worse" in v.sentence and "projects the area's own pre-reform trend" in v.sentence
    assert syn.scorecard["mixed"] == 1 and syn.scorecard["no_clear_change"] == 0
    # agreement keeps the evidence; lack of confirmation lowers it one step
    agree = [_row(0, "did", p=0.001), _row(0, "its", p=0.01), _row(0, "synthetic_control", p=0.06,
                                                                   lo=NAN, hi=NAN, direction="no_clear_change")]
    v = synthesize(_frame(agree)).verdicts[0]
    assert (v.kind, v.evidence) == ("improved", "strong") and v.agreement.startswith("2 of 3 methods point the same way")
    alone = [_row(0, "did", p=0.001), _row(0, "its", est=0.1, lo=-1, hi=1, p=0.8, direction="no_clear_change"),
             _row(0, "trend_difference", est=0.1, lo=-1, hi=1, p=0.7, direction="no_clear_change")]
    v = synthesize(_frame(alone)).verdicts[0]
    assert (v.kind, v.evidence) == ("improved", "moderate") and "most other methods do not confirm it" in v.sentence


def test_primary_significant_alone_but_not_after_bh():
    rows = [_row(0, "did", p=0.04), _row(1, "did", p=0.5, direction="no_clear_change", lo=-1),
            _row(2, "did", p=0.6, direction="no_clear_change", lo=-1)]
    v = synthesize(_frame(rows)).verdicts[0]
    assert v.kind == "no_clear_change"
    assert "p = 0.040 alone, but not significant once adjusted for the number of primary outcomes (q = 0.12)" in v.sentence
    # the same p-value on a secondary outcome is judged unadjusted
    rows[0] = _row(0, "did", p=0.04, primary=False)
    assert synthesize(_frame(rows)).verdicts[0].kind == "improved"


def test_honest_language_names_each_caveat():
    rows = [
        _row(0, "did", warnings=("pre-reform trends may not be parallel (joint test p = 0.01)",), kinds=("pre_trend",)),
        _row(1, "synthetic_control", p=0.06, lo=NAN, hi=NAN, direction="no_clear_change", evidence="weak",
             warnings=("poor pre-reform fit: pre-RMSPE 3.1 exceeds the mean 95% CI half-width 1.2",
                       "only 15 donor areas: the smallest attainable placebo p-value is 0.0625"),
             kinds=("poor_pre_fit", "placebo_floor")),
        _row(2, "did", context=("only 4 comparator areas have data",), context_kinds=("few_donors",)),
    ]
    syn = synthesize(_frame(rows), area="Wigan", reform="the Wigan Deal", comparators="its 15 neighbours")
    s0, s1, s2 = (v.sentence for v in syn.verdicts)
    assert "pre-trends" in s0 and "may carry that difference forward" in s0
    assert "poor pre-fit" in s1 and "cannot reach 5% significance" in s1
    assert "few comparator areas had data" in s2
    text = " ".join(syn.attribution)
    assert "association, not causation" in syn.attribution[0] and "Wigan" in syn.attribution[0]
    assert "For Outcome 0: before the reform its trend already differed" in text
    assert "For Outcome 1: the synthetic comparison did not track the area well" in text
    assert "For Outcome 2: few comparator areas had data" in text
    # no caveat invented where there is none
    clean = synthesize(_frame([_row(0, "did")]))
    assert clean.verdicts[0].caveats == () and len(clean.attribution) == 1


def test_caveat_flags_and_bad_calls():
    assert caveat_flags([("pre_trend",), ("overlapping_periods", "pre_trend"), "not_a_kind"]) == (
        "pre_trend", "overlapping_periods")
    with pytest.raises(ValueError, match="alpha"):
        synthesize(_frame([_row(0, "did")]), alpha=1.5)
    with pytest.raises(ValueError, match="lacks columns"):
        synthesize(_frame([_row(0, "did")]).drop(columns=["evidence"]))


def test_caveats_are_read_as_kinds_never_parsed_from_english():
    """English that once matched a regex raises nothing without its kind; a kind alone raises its text."""
    words = _row(0, "did", warnings=("only 3 comparators: the interval rests on very few areas",
                                     "pre-reform trends may not be parallel"))
    assert synthesize(_frame([words])).verdicts[0].caveats == ()
    kind = _row(0, "did", kinds=("few_donors", "implausible_projection"))
    v = synthesize(_frame([kind])).verdicts[0]
    assert v.flags == ("few_donors", "implausible_projection")
    assert "few comparator areas had data" in v.sentence and "beyond the indicator's possible range" in v.sentence
    # a data caveat with a kind reads as the kind's text; one without is quoted as written
    ctx = _row(0, "did", context=("only 4 comparator areas have data", "2 areas changed boundary"),
               context_kinds=("few_donors", ""))
    v = synthesize(_frame([ctx])).verdicts[0]
    assert "few comparator areas had data" in v.sentence and "2 areas changed boundary" in v.sentence
    assert "only 4 comparator areas have data" not in v.sentence


def test_every_caveat_kind_has_words():
    from placeimpact.evaluation.synthesis import CAVEAT_TEXT
    from placeimpact.methods.result import CAVEAT_KINDS

    assert set(CAVEAT_TEXT) == set(CAVEAT_KINDS)


def test_mixed_evidence_rules():
    # the case the issue describes: headline DiD no clear change, ITS and trend difference both clearly worse
    rows = [_row(0, "did", est=-8, lo=-16, hi=0.1, p=0.052, direction="no_clear_change", evidence="weak"),
            _row(0, "its", est=5, lo=2, hi=8, p=0.0004, direction="worse", evidence="weak", kinds=("national_trend",)),
            _row(0, "trend_difference", est=3, lo=1, hi=5, p=0.003, direction="worse", evidence="moderate",
                 kinds=("pre_trend",))]
    v = synthesize(_frame(rows)).verdicts[0]
    assert v.kind == "mixed" and v.evidence == "none"
    assert v.why_mixed.startswith("Why mixed: the headline difference-in-differences says no clear change")
    assert v.why_mixed in v.sentence and v.sentence.index("Why mixed") < v.sentence.index("Caveats")
    assert "trend difference says worse" in v.sentence and "convergence, not the reform" in v.sentence
    assert "shared with England's own trend" in v.sentence
    # a distinguishable result with no evidence left after its caveats does not make it mixed
    rows[1] = _row(0, "its", est=5, lo=2, hi=8, p=0.03, direction="worse", evidence="none")
    rows[2] = _row(0, "trend_difference", est=0.1, lo=-1, hi=1, p=0.8, direction="no_clear_change", evidence="none")
    assert synthesize(_frame(rows)).verdicts[0].kind == "no_clear_change"
    # headline and another method agree while a third points the other way with weak evidence: mixed
    rows = [_row(0, "did", p=0.001), _row(0, "its", p=0.01),
            _row(0, "change_vs_neighbours", est=-1, lo=-2, hi=-0.1, p=0.04, direction="worse", evidence="weak")]
    syn = synthesize(_frame(rows))
    assert syn.verdicts[0].kind == "mixed" and "change ranked against neighbours says worse" in syn.verdicts[0].sentence
    assert "1 with mixed evidence" in syn.overall and "and 1 had mixed evidence" in syn.overall
    # agreement in the same direction is never mixed
    rows[2] = _row(0, "change_vs_neighbours", p=0.04, evidence="weak")
    assert synthesize(_frame(rows)).verdicts[0].kind == "improved"


def test_straddling_baseline_rules():
    # a flagged baseline (more than half before the start) never carries more than weak evidence
    rows = [_row(0, "change_vs_neighbours", p=0.001, evidence="strong", kinds=("straddling_baseline",), primary=False)]
    v = synthesize(_frame(rows)).verdicts[0]
    assert (v.kind, v.evidence) == ("improved", "weak") and "straddles the reform start" in v.sentence
    # no baseline at all (half or less before the start): descriptive only, no verdict
    rows = [_row(0, "change_vs_neighbours", est=NAN, lo=NAN, hi=NAN, p=NAN, direction="not_assessed",
                 evidence="insufficient", kinds=("straddling_baseline",),
                 summary="Not assessed for Wigan: descriptive only: no pre-reform baseline (...)"),
            _row(0, "did", est=NAN, lo=NAN, hi=NAN, p=NAN, direction="not_assessed", evidence="insufficient")]
    syn = synthesize(_frame(rows))
    v = syn.verdicts[0]
    assert v.kind == "not_assessed" and v.phrase == "descriptive only: no pre-reform baseline"
    assert v.sentence.startswith("Outcome 0: descriptive only: no pre-reform baseline.")
    assert syn.scorecard["not_assessed"] == 1


def test_relative_scale_reads_as_percent():
    v = synthesize(_frame([_row(0, "did", est=-10.5, lo=-20, hi=-1, scale="relative")])).verdicts[0]
    assert "-10.5% (relative scale); 95% CI -20.0% to -1.00%" in v.sentence


def test_primary_evidence_is_graded_on_q_not_p():
    # q = 0.012, 0.04, 0.04: p = 0.004 alone is strong evidence, but q = 0.012 only moderate
    rows = [_row(0, "did", p=0.004, evidence="strong"), _row(1, "did", p=0.03, evidence="moderate"),
            _row(2, "did", p=0.04, evidence="moderate")]
    v = synthesize(_frame(rows)).verdicts
    assert (v[0].kind, v[0].evidence) == ("improved", "moderate")
    assert "q = 0.012 after Benjamini–Hochberg" in v[0].sentence and "rest on q" in v[0].sentence
    assert v[1].evidence == "moderate"
    # a level the method's caveats cost is kept: moderate (strong on p, one caveat) -> weak on q
    rows[0] = _row(0, "did", p=0.004, evidence="moderate")
    assert synthesize(_frame(rows)).verdicts[0].evidence == "weak"
    # a secondary outcome keeps the method's own (p-based) grade
    rows[0] = _row(0, "did", p=0.004, evidence="strong", primary=False)
    assert synthesize(_frame(rows)).verdicts[0].evidence == "strong"
