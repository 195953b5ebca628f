"""Synthesis: Benjamini–Hochberg against statsmodels, verdict rules, scorecard counts, honest language.

The findings frames here are hand-made (not real data): each row is one outcome × method.
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
         domain="Health outcomes", warnings=(), context=(), summary="", label=None):
    return {"outcome": outcome, "domain": domain, "indicator_id": f"ind{outcome}",
            "indicator_label": label or f"Outcome {outcome}", "primary": primary, "unit": "years", "method": method,
            "estimand": "effect", "estimate": est, "ci_low": lo, "ci_high": hi, "p_value": p, "direction": direction,
            "evidence": evidence, "warnings": tuple(warnings), "context_warnings": tuple(context), "summary": summary}


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
    assert dict(syn.scorecard) == {"improved": 2, "no_clear_change": 1, "worse": 1, "changed": 1, "not_assessed": 1}
    kinds = [v.kind for v in syn.verdicts]
    assert kinds == ["improved", "worse", "no_clear_change", "not_assessed", "changed", "improved"]
    assert [d.name for d in syn.domains] == ["Health outcomes", "Other"]
    assert dict(syn.domains[0].counts) == {"improved": 1, "no_clear_change": 1, "worse": 1, "changed": 0,
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
    # headline is DiD (first in order) even when listed last; a significant opposite method -> no clear change
    rows = [_row(0, "its", est=-1, lo=-2, hi=-0.2, p=0.01, direction="worse"), _row(0, "did", p=0.001)]
    v = synthesize(_frame(rows)).verdicts[0]
    assert v.headline_method == "did" and v.kind == "no_clear_change"
    assert "methods disagree: Interrupted time series points the other way" in v.sentence
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
        _row(0, "did", warnings=("pre-reform trends may not be parallel (joint test p = 0.01)",)),
        _row(1, "synthetic_control", p=0.06, lo=NAN, hi=NAN, direction="no_clear_change", evidence="weak",
             warnings=("poor pre-reform fit: pre-RMSPE 3.1 exceeds the mean 95% CI half-width 1.2",
                       "only 15 donor areas: the smallest attainable placebo p-value is 0.0625")),
        _row(2, "did", context=("only 4 comparator areas have data",)),
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
    assert caveat_flags(["pre-reform trends may not be parallel", "periods overlap (rolling 3-year averages)"]) == (
        "pre_trends", "overlapping")
    assert caveat_flags(["2 comparator areas have no data for this indicator"]) == ()
    with pytest.raises(ValueError, match="alpha"):
        synthesize(_frame([_row(0, "did")]), alpha=1.5)
    with pytest.raises(ValueError, match="lacks columns"):
        synthesize(_frame([_row(0, "did")]).drop(columns=["evidence"]))


def test_caveat_flags_recognise_the_methods_own_warnings():
    """The wording the methods actually emit must raise the caveat it describes."""
    # change_vs_neighbours and did with fewer than 5 comparators
    assert "few_comparators" in caveat_flags(["only 3 comparators: the interval rests on very few areas"])
    # trend_difference when the pre-reform slopes already differed
    assert "pre_trends" in caveat_flags([
        "before the reform the area was already moving differently from England (-1.85 per 100,000 a year): "
        "a change in that gap may be convergence, not the reform"])
    # the donor-pool warning is about the placebo floor, not about few comparators
    assert caveat_flags(["only 15 donor areas: the smallest attainable placebo p-value is 0.0625"]) == (
        "placebo_floor",)
    syn = synthesize(_frame([_row(0, "did", warnings=["only 3 comparators: the interval rests on very few areas"])]))
    assert "few comparator areas had data" in syn.verdicts[0].sentence
    # ITS whose counterfactual line leaves the possible range; the window note alone raises nothing
    assert caveat_flags([
        "the straight line fitted before the reform, extended, falls below zero by 2018-20: a straight-line "
        "projection is implausible this far ahead, so the ITS estimate overstates the departure from it"]) == (
        "implausible_projection",)
    assert caveat_flags(["the post-reform window (14 years) is longer than the pre-reform window (10 years): "
                         "the projection runs far beyond the data it was fitted to"]) == ()


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
