"""Benchmarking: the kernels, benchmark_all / benchmark_area on the loaded store, and Wigan's labels
against England checked against the compared-to-England column of the fingertipsR-style files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from placeimpact.errors import InputError, StoreError
from placeimpact.stats import benchmark_all, benchmark_area, compare_with_benchmark, quintile_label, rank_in_group

WIGAN, ENGLAND = "E08000010", "E92000001"


def test_compare_with_benchmark_fingertips_rule():
    value = np.array([10.0, 10.0, 10.0, 10.0, np.nan])
    lo = np.array([8.0, 9.5, 10.5, 6.0, 1.0])
    hi = np.array([9.0, 10.5, 11.0, 7.0, 2.0])
    bench = np.array([9.5, 9.6, 10.0, 9.0, 9.0])
    got = compare_with_benchmark(value, lo, hi, bench, polarity="high_is_good")
    assert got.tolist() == ["worse", "similar", "better", "worse", "not compared"]
    got = compare_with_benchmark(value, lo, hi, bench, polarity="low_is_good")
    assert got.tolist() == ["better", "similar", "worse", "better", "not compared"]
    got = compare_with_benchmark(value, lo, hi, bench, polarity=np.array(["no_judgement"] * 5))
    assert got.tolist() == ["lower", "similar", "higher", "lower", "not compared"]
    # the stricter CI-overlap rule needs the benchmark's own limits
    got = compare_with_benchmark([10.0], [10.5], [11.0], [10.0], polarity="high_is_good", rule="ci_overlap",
                                 benchmark_lower=[9.8], benchmark_upper=[10.6])
    assert got.tolist() == ["similar"]
    with pytest.raises(InputError, match="limits"):
        compare_with_benchmark([1.0], [0.0], [2.0], [1.0], rule="ci_overlap")
    with pytest.raises(InputError, match="rule"):
        compare_with_benchmark([1.0], [0.0], [2.0], [1.0], rule="overlap")  # type: ignore[arg-type]


def test_rank_and_quintile_words():
    rank, size = rank_in_group([5.0, 3.0, 9.0, np.nan, 3.0], ["a", "a", "a", "a", "b"], polarity="low_is_good")
    assert_allclose(rank, [2, 1, 3, np.nan, 1], equal_nan=True)
    assert_allclose(size, [3, 3, 3, 3, 1])
    rank, _ = rank_in_group([5.0, 3.0, 9.0], polarity="high_is_good")
    assert_allclose(rank, [2, 3, 1])
    assert quintile_label([1, 5, np.nan], "high_is_good").tolist() == ["Worst", "Best", ""]
    assert quintile_label([1, 5, 3], "low_is_good").tolist() == ["Best", "Worst", "Middle"]
    assert quintile_label([1, 5, 3], "no_judgement").tolist() == ["Lowest", "Highest", "Middle"]


#: (indicator with CIs, its sex, age, ..., indicator with the published label, period label map)
PAIRS = [
    ("ons-els:adults-that-currently-smoke-cigarettes", None, None, "trafford-themes:adults_smoking", lambda p: p[:4]),
    ("ons-els:adults-that-currently-smoke-cigarettes", None, None, "trafford-dashboard:smoking_adults",
     lambda p: p[:4]),
    *[(f"ons-els:{s.lower()}-healthy-life-expectancy", s, None, tidy, fmt)
      for s in ("Male", "Female")
      for tidy, fmt in (("trafford-themes:healthy_life_expectancy", lambda p: f"{p[:4]} - {int(p[2:4]) + 2:02d}"),
                        ("trafford-themes-55c6d8c5:healthy_life_expectancy",
                         lambda p: f"{p[:4]} - {int(p[2:4]) + 2:02d}"),
                        ("trafford-dashboard:healthy_life_expectancy_at_birth",
                         lambda p: f"{p[:4]}-{int(p[2:4]) + 2:02d}"))],
    ("fingertips:93015", "Persons", "19+ yrs", "trafford-themes:inactive_adults",
     lambda p: f"{p}/{int(p[2:4]) + 1:02d}"),
    ("fingertips:93015", "Persons", "19+ yrs", "trafford-dashboard:physically_inactive",
     lambda p: f"{p}/{int(p[2:4]) + 1:02d}"),
    ("fingertips:93088", "Persons", "18+ yrs", "trafford-themes:overweight_adult",
     lambda p: f"{p}/{int(p[2:4]) + 1:02d}"),
]


def _wigan_pairs(store) -> pd.DataFrame:
    rows = []
    for ci_ind, sex, age, tidy_ind, period_of in PAIRS:
        c = store.observations(ci_ind, areas=[WIGAN, ENGLAND])
        c = c[c["category"].fillna("") == ""]
        if age is not None:
            c = c[c["age"] == age]
        if ci_ind.startswith("fingertips:") and sex is not None:
            c = c[c["sex"] == sex]
        wig = c[c["area_code"] == WIGAN].set_index("period_label")
        eng = c[c["area_code"] == ENGLAND].drop_duplicates("period_label").set_index("period_label")
        t = store.observations(tidy_ind, areas=[WIGAN])
        if sex is not None and not ci_ind.startswith("fingertips:"):
            t = t[t["sex"] == sex]
        t = t.assign(published=t["note"].str.extract(r"compared_to_england=(\w+)", expand=False).str.lower())
        t = t.set_index("period_label")
        polarity = store.indicator(tidy_ind)["polarity"]
        common = [(p, period_of(p)) for p in wig.index if p in eng.index and period_of(p) in t.index]
        for p, q in common:
            ours = compare_with_benchmark([wig.at[p, "value"]], [wig.at[p, "lci95"]], [wig.at[p, "uci95"]],
                                          [eng.at[p, "value"]], polarity=polarity)[0]
            rows.append({"ci_source": ci_ind, "label_source": tidy_ind, "period": q, "ours": ours,
                         "published": t.at[q, "published"],
                         "same_vintage": abs(wig.at[p, "value"] - t.at[q, "value"]) <= 0.051})
    return pd.DataFrame(rows)


def test_wigan_labels_against_england_agree_with_published(loaded_store):
    """Wigan's 95% labels from limits in the store (ONS ELS, FingertipsNext) against the compared-to-England
    column of the Trafford files for the same indicator and period. Where the two publications carry the
    same value (same vintage) the labels must agree; where a later revision changed the value (older HLE
    method, re-weighted APS smoking) agreement is reported, and every disagreement must be such a row."""
    r = _wigan_pairs(loaded_store)
    same = r[r["same_vintage"]]
    agree_same = (same["ours"] == same["published"]).mean()
    agree_all = (r["ours"] == r["published"]).mean()
    print(f"\nWigan vs England: {len(same)} same-vintage pairs, agreement {agree_same:.1%}; "
          f"all {len(r)} pairs, agreement {agree_all:.1%}")
    print(r.groupby(["ci_source", "label_source", "same_vintage"]).apply(
        lambda g: f"{(g.ours == g.published).sum()}/{len(g)}", include_groups=False).to_string())
    assert len(same) >= 30 and same["ci_source"].nunique() >= 3
    assert agree_same >= 0.99
    assert r.loc[r["ours"] != r["published"], "same_vintage"].eq(False).all()


@pytest.fixture(scope="module")
def everything(loaded_store) -> pd.DataFrame:
    return benchmark_all(loaded_store)


def test_benchmark_all_labels_every_area_indicator_period(everything, loaded_store):
    b = everything
    assert len(b) > 100_000
    assert not b["area_code"].eq(ENGLAND).any()
    assert set(b["label95"]) <= {"better", "similar", "worse", "higher", "lower", "not compared"}
    # recompute the label of every row from its own columns (independent of the frame's alignment)
    rows = b.sample(2000, random_state=1)
    eng = loaded_store.frame("SELECT indicator_id, sex, age, coalesce(category, '') AS category, period_label, "
                             "value AS eng FROM observations WHERE area_code = ?", [ENGLAND])
    eng = eng.drop_duplicates(["indicator_id", "sex", "age", "category", "period_label"])
    m = rows.merge(eng, on=["indicator_id", "sex", "age", "category", "period_label"], how="left")
    assert_allclose(m["comparator_value"].to_numpy(dtype=float), m["eng"].to_numpy(dtype=float), equal_nan=True)
    # quintiles split each group of at least five areas evenly
    q = b.dropna(subset=["quintile"])
    share = q["quintile"].value_counts(normalize=True)
    assert_allclose(share.sort_index().to_numpy(), 0.2, atol=0.03)
    assert (b["rank"].dropna() <= b.loc[b["rank"].notna(), "n_ranked"]).all()


def test_benchmark_area_wigan(loaded_store):
    df = benchmark_area(loaded_store, "Wigan", vs="england")
    assert {"indicator_id", "value", "lci95", "uci95", "comparator_value", "label95", "label998", "rank",
            "quintile"} <= set(df.columns)
    assert (df["comparator"] == "England").all() and len(df) >= 20
    compared = df[df["label95"] != "not compared"]
    assert len(compared) >= 10
    again = compare_with_benchmark(compared["value"], compared["lci95"], compared["uci95"],
                                   compared["comparator_value"], polarity=compared["polarity"].to_numpy())
    assert (again == compared["label95"].to_numpy()).all()
    region = benchmark_area(loaded_store, "Wigan", vs="region")
    assert region["comparator"].iloc[0].endswith("(E12000002)")  # North West
    row = region.dropna(subset=["comparator_value"]).iloc[0]
    nw = loaded_store.observations(row["indicator_id"], areas=["E12000002"])
    nw = nw[(nw["sex"] == row["sex"]) & (nw["age"] == row["age"]) & (nw["period_label"] == row["period_label"])
            & (nw["category"].fillna("") == row["category"])]
    assert_allclose(row["comparator_value"], nw["value"].iloc[0], rtol=0)


def test_benchmark_area_neighbours_mean_and_rank(loaded_store):
    groups = loaded_store.groups(focal=WIGAN, group_id="oflog-nn")
    assert not groups.empty, "the real data holds Oflog's neighbour lists for Wigan"
    df = benchmark_area(loaded_store, WIGAN, vs="neighbours", group_id="oflog-nn")
    members = [m for m in groups["member_area"] if m != WIGAN]
    row = df.dropna(subset=["comparator_value"]).iloc[0]
    obs = loaded_store.observations(row["indicator_id"], areas=members)
    obs = obs[(obs["sex"] == row["sex"]) & (obs["age"] == row["age"]) & (obs["category"].fillna("") == row["category"])
              & (obs["period_label"] == row["period_label"])]
    assert_allclose(row["comparator_value"], obs["value"].mean(), rtol=1e-12)
    ranked = df.dropna(subset=["rank"])
    assert ((ranked["rank"] >= 1) & (ranked["rank"] <= ranked["n_ranked"])).all()


def test_benchmark_area_errors_say_what_to_do(loaded_store):
    with pytest.raises(StoreError, match="unknown area"):
        benchmark_area(loaded_store, "Nowhere-on-Sea")
    with pytest.raises(StoreError, match="comparator group"):
        benchmark_area(loaded_store, WIGAN, vs="neighbours", group_id="no-such-group")
    with pytest.raises(InputError, match="vs"):
        benchmark_area(loaded_store, WIGAN, vs="world")  # type: ignore[arg-type]


def test_ties_spanning_quintiles_get_no_band():
    """PHE's formula puts a tie block in the quintile of its lowest rank: with 12 of 20 areas at
    100 (the best possible) that reads 'Worse'; such values get no quintile, others keep theirs."""
    from placeimpact.stats import quantiles, quintile_label, tie_safe_quintiles

    v = np.r_[np.arange(1.0, 9.0), np.full(12, 100.0)]
    assert set(quantiles(v)[8:]) == {3.0}      # the PHE reference behaviour, kept: "Middle" for the best value
    q, spans = tie_safe_quintiles(v)
    assert spans[8:].all() and not spans[:8].any() and np.isnan(q[8:]).all()
    np.testing.assert_array_equal(q[:8], quantiles(v)[:8])
    labels = quintile_label(q, "high_is_good", spans)
    assert set(labels[8:]) == {"tied across quintiles"} and labels[0] == "Worst"


def test_wigan_at_100_percent_is_not_called_worse(loaded_store):
    from placeimpact.stats import benchmark_area

    df = benchmark_area(loaded_store, "Wigan")
    row = df[(df["indicator_id"] == "ascof:1C1B") & (df["period_label"] == "2020/21")].iloc[0]
    assert row["value"] == 100 and row["rank"] == 1
    assert row["quintile_label"] == "tied across quintiles"
