"""The national screen: placebo equivalence, a simulated effect found, BH, executors agree, real data, CLI.

Simulated panels (said so) come from a seeded factor model; real-data checks use the
session store loaded from ../shared/data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from statsmodels.stats.multitest import multipletests
from typer.testing import CliRunner

from placeimpact.methods.simplex import simplex_least_squares
from placeimpact.panel import panel_from_arrays
from placeimpact.screen import benjamini_hochberg, screen_panel, screen_panels, write_screen

CVD = "ons-els:preventable-cardiovascular-mortality-england"
WIGAN = "E08000010"


def sim_panel(rng, *, n_areas=40, n_pre=10, n_post=8, effect=0.0, treated=3, name="sim", noise=0.3):
    """Simulated all-areas panel: 3 trending factors + noise; ``effect`` added to ``treated`` after the reform."""
    T = n_pre + n_post
    F = rng.normal(size=(T, 3)).cumsum(axis=0)
    L = rng.normal(size=(3, n_areas))
    Y = (50 + 2 * F @ L + noise * rng.normal(size=(T, n_areas))).T
    Y[treated, n_pre:] += effect
    t = 2001.5 + np.arange(T)
    return panel_from_arrays(Y, t, reform_t=2001.0 + n_pre, england=Y.mean(axis=0), indicator_id=name)


def test_screen_equals_explicit_full_in_space_placebo_test(rng):
    """For treated a, re-run ADH's placebo test naively (every b fitted from all but b) and compare p-values."""
    p = sim_panel(rng, n_areas=14, n_pre=8, n_post=5, effect=4.0)
    df, why = screen_panel(p)
    assert why is None
    V, pre, post = p.values, p.pre, p.post
    A = V.shape[0]
    for a in (0, 3, 9):
        ratios = []
        for b in range(A):                       # b = a is the treated unit's own fit
            donors = [j for j in range(A) if j != b]
            fit = simplex_least_squares(V[donors][:, pre].T, V[b, pre])
            gap = V[b] - fit.weights[0] @ V[donors]
            d2 = np.diff(V[b, pre], n=2)
            floor = np.sqrt(np.mean(d2 ** 2) / 6)
            ratios.append(np.sqrt(np.mean(gap[post] ** 2)) / max(np.sqrt(np.mean(gap[pre] ** 2)), floor))
        ratios = np.array(ratios)
        p_naive = np.mean(ratios >= ratios[a])
        row = df[df["area_code"] == p.area_codes[a]].iloc[0]
        assert_allclose(row["rmspe_ratio"], ratios[a], rtol=1e-7)
        assert row["placebo_p"] == pytest.approx(p_naive, abs=1e-12)


def test_simulated_effect_stands_out_and_null_areas_are_uniform(rng):
    p = sim_panel(rng, n_areas=40, effect=6.0, treated=3)
    df, _ = screen_panel(p)
    row = df.set_index("area_code").loc[p.area_codes[3]]
    assert row["placebo_rank"] == 1 and row["placebo_p"] == pytest.approx(1 / 40)
    assert row["gap_mean"] == pytest.approx(6.0, abs=1.5)     # true effect 6, noise 0.3, imperfect fit
    assert row["direction"] == "higher"
    # within an indicator the placebo p-values are the ranks / A (no ties in continuous data)
    assert_allclose(np.sort(df["placebo_p"]), np.arange(1, 41) / 40, atol=1e-12)


def test_its_matches_statsmodels_ols(rng):
    """Linear trends plus a level shift 2 and slope change 0.5 in area 0; ITS on the gap to England."""
    import statsmodels.api as sm

    T, n_pre = 16, 8
    t = 2001.5 + np.arange(T)
    eng = 60 - 0.8 * (t - 2001)
    Y = eng[None, :] + rng.normal(0, 3, size=(12, 1)) + rng.normal(0, 0.1, size=(12, 1)) * (t - 2001) \
        + rng.normal(0, 0.2, size=(12, T))
    post = np.arange(T) >= n_pre
    Y[0] += post * (2.0 + 0.5 * (t - 2009.0))
    p = panel_from_arrays(Y, t, reform_t=2009.0, england=eng)
    df, _ = screen_panel(p)
    X = sm.add_constant(np.column_stack([t - p.reform_t, post, (t - p.reform_t) * post]))
    ols = sm.OLS(Y[0] - eng, X).fit()
    row = df.iloc[0]
    assert_allclose([row["its_level"], row["its_slope"], row["its_slope_se"]],
                    [ols.params[2], ols.params[3], ols.bse[3]], rtol=1e-8)
    assert row["its_slope"] == pytest.approx(0.5, abs=4 * row["its_slope_se"])
    assert row["its_rank_p"] == pytest.approx(1 / 12)


def test_benjamini_hochberg_matches_statsmodels(rng):
    p = rng.uniform(size=50) ** 2
    p[[4, 9]] = np.nan
    q = benjamini_hochberg(p)
    ok = np.isfinite(p)
    assert_allclose(q[ok], multipletests(p[ok], method="fdr_bh")[1], rtol=1e-12)
    assert np.isnan(q[~ok]).all()


def test_too_few_pre_periods_is_skipped_with_reason(rng):
    p = sim_panel(rng, n_pre=2, n_post=4)
    df, why = screen_panel(p)
    assert df.empty and "2 pre-reform periods" in why


@pytest.fixture(scope="module")
def sim_panels():
    rng = np.random.default_rng(7)
    return [sim_panel(rng, name=f"sim-{i}", effect=3.0 * (i % 2), treated=i) for i in range(4)] + \
        [sim_panel(rng, name="short", n_pre=2)]


def test_local_processes_equal_serial(sim_panels):
    a = screen_panels(sim_panels, executor="serial")
    b = screen_panels(sim_panels, executor="local", workers=2)
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)          # bit-identical
    pd.testing.assert_frame_equal(a.skipped, b.skipped)
    assert list(a.skipped["indicator_id"]) == ["short"]


def test_dask_local_cluster_two_workers_equals_local(sim_panels):
    pytest.importorskip("distributed")
    a = screen_panels(sim_panels, executor="serial")
    d = screen_panels(sim_panels, dask_local=2)
    assert d.meta["executor"] == "dask"
    pd.testing.assert_frame_equal(a.table, d.table, check_exact=True)          # bit-identical
    pd.testing.assert_frame_equal(a.skipped, d.skipped)


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """A scheduler and two single-threaded workers as separate OS processes, like a real cluster."""
    pytest.importorskip("distributed")
    import json
    import subprocess
    import sys
    import time

    d = tmp_path_factory.mktemp("dask")
    sfile = d / "scheduler.json"
    dask_cli = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    worker_cli = [sys.executable, "-m", "distributed.cli.dask_worker"]
    procs = [subprocess.Popen(dask_cli + ["--scheduler-file", str(sfile), "--host", "127.0.0.1",
                                          "--port", "0", "--dashboard-address", ":0"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.monotonic() + 60
        while not sfile.exists() or not sfile.read_text().strip():
            assert time.monotonic() < deadline, "dask scheduler did not start"
            time.sleep(0.2)
        time.sleep(0.2)
        address = json.loads(sfile.read_text())["address"]
        procs.append(subprocess.Popen(worker_cli + ["--scheduler-file", str(sfile), "--nworkers", "2",
                                                    "--nthreads", "1", "--no-dashboard",
                                                    "--local-directory", str(d)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from dask.distributed import Client

        with Client(address, timeout=60) as c:
            c.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_dask_scheduler_address_equals_local(sim_panels, dask_cluster):
    a = screen_panels(sim_panels, executor="serial")
    d = screen_panels(sim_panels, scheduler=dask_cluster)
    assert d.meta["executor"] == "dask"
    pd.testing.assert_frame_equal(a.table, d.table, check_exact=True)          # bit-identical
    pd.testing.assert_frame_equal(a.skipped, d.skipped)


def test_cli_screen_on_scheduler_equals_serial(loaded_store, dask_cluster, tmp_path):
    from placeimpact.cli import app

    outs = {}
    for name, extra in (("serial", ["--workers", "1"]), ("dask", ["--scheduler", dask_cluster])):
        out = tmp_path / name
        r = CliRunner().invoke(app, ["screen", "--start", "2011", "--indicators", CVD, *extra,
                                     "--out", str(out), "--store", loaded_store.path])
        assert r.exit_code == 0, r.output
        outs[name] = pd.read_csv(out / "screen.csv")
    assert len(outs["serial"]) > 100
    pd.testing.assert_frame_equal(outs["serial"], outs["dask"], check_exact=False, rtol=1e-12)


def test_real_screen_wigan_cvd(loaded_store, tmp_path):
    from placeimpact.screen import run_screen

    res = run_screen(loaded_store, start=2011, indicators=[CVD], executor="serial")
    t = res.table
    assert t["indicator_id"].unique().tolist() == [CVD]
    n = int(t["n_areas"].iloc[0])
    assert 140 <= n <= 160 and len(t) == n
    assert_allclose(np.sort(t["placebo_p"]), np.arange(1, n + 1) / n, atol=1e-12)
    w = res.area(WIGAN)
    assert len(w) == 1 and w["n_pre"].iloc[0] == 8           # 2001-03 ... 2008-10 end before 2011
    assert "overlapping rolling periods" in w["warnings"].iloc[0]
    # the England-wide series fell after 2011: the synthetic gap is small relative to the level
    assert abs(w["gap_mean"].iloc[0]) < 0.2 * loaded_store.series(WIGAN, CVD)["value"].mean()
    paths = write_screen(res, tmp_path, focal=WIGAN)
    html = paths["html"].read_text()
    assert "Where Wigan" in html and "<script" not in html and "not show that a reform caused" in html
    back = pd.read_csv(paths["csv"])
    assert len(back) == len(t)


def test_cli_screen_area(loaded_store, tmp_path):
    from placeimpact.cli import app

    r = CliRunner().invoke(app, ["screen", "--start", "2011", "--indicators", CVD, "--area", "Wigan",
                                 "--workers", "1", "--format", "csv", "--out", str(tmp_path),
                                 "--store", loaded_store.path])
    assert r.exit_code == 0, r.output
    assert WIGAN in r.output and (tmp_path / "screen.html").exists()
    assert "expected by chance" in r.output and (tmp_path / "screen-chance.csv").exists()
    r = CliRunner().invoke(app, ["screen", "--start", "2011", "--indicators", CVD, "--workers", "1",
                                 "--store", loaded_store.path])
    assert r.exit_code == 0, r.output
    assert "Found 7 of" in r.output and "expected by chance 7" in r.output and "consistent with chance" in r.output


def test_flat_and_duplicate_series_give_nan_not_warnings(rng):
    Y = np.tile(np.linspace(10, 12, 12), (8, 1))         # eight identical straight lines
    Y[5] += 0.5                                          # one parallel shift
    p = panel_from_arrays(Y, 2001.5 + np.arange(12), reform_t=2007.0)
    df, why = screen_panel(p)                            # warnings are errors in this test run
    assert why is None and len(df) == 8
    assert df["rmspe_ratio"].isna().sum() + np.isfinite(df["rmspe_ratio"]).sum() == 8


def test_its_of_a_total_is_against_england_at_each_areas_share(rng):
    """Simulated totals: areas of sizes 0.5-3 on one national path with a 10% step at the reform; England is
    200 times that path. Against England's own total every area's ITS level would be England's step."""
    import dataclasses

    T, n = 16, 30
    t = 2001.5 + np.arange(T)
    tt = t - 2009.0
    g = 100 * np.exp(0.02 * tt) * np.where(tt > 0, 0.9, 1.0)
    size = rng.uniform(0.5, 3.0, n)
    Y = size[:, None] * g[None, :] * (1 + rng.normal(0, 0.001, (n, T)))
    Y[4] += 3.0 * (tt > 0)                                      # one area gains 3 after the reform
    base = panel_from_arrays(Y, t, reform_t=2009.0, england=200 * g)
    total = dataclasses.replace(base, value_type="count", unit="in £ millions")
    naive, _ = screen_panel(base)
    df, why = screen_panel(total)
    assert why is None
    assert (naive["its_level"].abs() > 100).all()               # England's step of about -2,000, less the area's
    lvl = df.set_index("area_code")["its_level"]
    assert lvl.drop(base.area_codes[4]).abs().max() < 0.5
    assert lvl[base.area_codes[4]] == pytest.approx(3.0, abs=0.5)
    assert df["warnings"].str.contains("a total: ITS against England scaled to the area's pre-reform share").all()
    # the fit is the OLS of the area minus England times its pre-reform share
    import statsmodels.api as sm

    pre = base.pre
    share = Y[4, pre].sum() / (200 * g[pre]).sum()
    post = (~pre).astype(float)
    ols = sm.OLS(Y[4] - share * 200 * g, np.column_stack([np.ones(T), tt, post, tt * post])).fit()
    row = df.set_index("area_code").loc[base.area_codes[4]]
    assert_allclose([row["its_level"], row["its_slope"], row["its_slope_se"]],
                    [ols.params[2], ols.params[3], ols.bse[3]], rtol=1e-8)


AIR = "ons-els:air-pollution-regulating"


def test_real_screen_its_for_a_total_is_not_englands_step(loaded_store):
    """Air pollution regulating is a total (GBP m): Wigan's ITS reference is England at Wigan's pre-reform share."""
    import statsmodels.api as sm

    from placeimpact.panel import build_panel
    from placeimpact.screen import run_screen

    t = run_screen(loaded_store, start=2011, indicators=[AIR], executor="serial").table
    assert len(t) > 100
    # against England's own total every area's ITS level was England's step (about -106)
    assert t["its_level"].abs().median() < 2 and t["its_level"].std() > 0.05
    assert t["warnings"].str.contains("a total: ITS against England scaled").all()
    row = t[t["area_code"] == WIGAN].iloc[0]
    p = build_panel(loaded_store, indicator=AIR, area=WIGAN, reform_start="2011")
    use = p.pre | p.post
    share = np.nansum(p.focal_values[p.pre]) / np.nansum(p.england_values[p.pre])
    d = (p.focal_values - share * p.england_values)[use]
    tt = p.t[use] - p.reform_t
    post = p.post[use].astype(float)
    ols = sm.OLS(d, np.column_stack([np.ones_like(tt), tt, post, tt * post])).fit()
    assert_allclose([row["its_level"], row["its_slope"]], ols.params[2:], rtol=1e-6)


# --- screen honesty: counts found beside counts chance gives (simulated panels, seeded) ---

def _panels(rng, *, n_ind=8, n_areas=40, effect=0.0, treated=()):
    out = []
    for i in range(n_ind):
        p = sim_panel(rng, name=f"ind-{i}", n_areas=n_areas, treated=0)
        if treated:
            V = p.values.copy()
            for k, a in enumerate(treated):              # effects of different sizes: distinct ranks
                V[a, p.post] += effect * (1 + 0.3 * k)
            p = panel_from_arrays(V, p.t, reform_t=p.reform_t, england=p.england_values, indicator_id=f"ind-{i}")
        out.append(p)
    return out


def test_null_screen_is_consistent_with_chance(rng):
    res = screen_panels(_panels(rng), executor="serial")
    c = res.chance()
    assert c["pairs"] == 320 and c["found"] == c["expected"] == 8 * 2     # floor(5% of 40) per indicator
    assert c["binomial_p"] > 0.05 and c["areas_p"] > 0.05 and c["consistent_with_chance"]
    assert c["min_q_all"] > 0.5                        # p-values are ranks: BH across all pairs cannot reject
    text = res.summary()
    assert "expected by chance 16" in text and "consistent with chance" in text
    out = res.standouts()
    assert len(out) == 16 and out.attrs["chance"] == c
    assert out["q_area"].is_monotonic_increasing


def test_areas_that_stand_out_everywhere_are_not_chance(rng):
    res = screen_panels(_panels(rng, effect=25.0, treated=(3, 7, 11)), executor="serial")
    c = res.chance()
    assert c["found"] == c["expected"]                 # the pair count is fixed by construction
    assert c["areas_flagged"] >= 2 and c["areas_p"] <= 0.05 and not c["consistent_with_chance"]
    assert c["areas_expected"] < 1
    assert "consistent with chance" not in res.chance_sentence()
    out = res.standouts()
    assert out["q_area"].is_monotonic_increasing
    by = res.by_area()
    assert set(by["area_code"].head(2)) <= {"A003", "A007", "A011"}


def test_q_all_is_bh_over_every_pair_and_area_counts_match_scipy(rng):
    from scipy.stats import binomtest

    res = screen_panels(_panels(rng, n_ind=5, n_areas=30, effect=5.0, treated=(1,)), executor="serial")
    t = res.table
    assert_allclose(t["q_all"], multipletests(t["placebo_p"], method="fdr_bh")[1], atol=1e-12)
    by = res.by_area()
    for k, n, p in zip(by["stand_out"], by["indicators"], by["chance_p"]):
        assert p == pytest.approx(binomtest(int(k), int(n), 0.05, alternative="greater").pvalue, rel=1e-9)
    assert res.chance()["areas_flagged"] == int((by["chance_p"] <= 0.05).sum())


def test_screen_outputs_carry_the_chance_counts(rng, tmp_path):
    res = screen_panels(_panels(rng, n_ind=3), executor="serial")
    paths = write_screen(res, tmp_path)
    html = paths["html"].read_text()
    assert "expected by chance" in html and "Consistent with chance" in html
    ch = pd.read_csv(paths["chance"])
    assert ch.loc[0, "found"] == res.chance()["found"] and bool(ch.loc[0, "consistent_with_chance"])
    back = pd.read_csv(paths["csv"])
    assert "q_all" in back and back["q_area"].is_monotonic_increasing


def test_dask_workers_reading_the_store_equal_serial_bit_for_bit(loaded_store, dask_cluster):
    """On Dask the workers build their own panels from the store file; the rows are bit-identical."""
    from placeimpact.screen import run_screen

    ids = [CVD, AIR, "ons-els:employment-rate", "ons-els:motor-vehicle-flow"]
    a = run_screen(loaded_store, start=2011, indicators=ids, executor="serial")
    d = run_screen(loaded_store, start=2011, indicators=ids, scheduler=dask_cluster)
    assert d.meta["executor"] == "dask" and d.meta["panels_read_by"] == "workers"
    assert a.table["indicator_id"].nunique() == 4
    pd.testing.assert_frame_equal(a.table, d.table, check_exact=True)
    pd.testing.assert_frame_equal(a.skipped, d.skipped)


def test_a_large_indicator_is_split_by_blocks_of_areas_bit_identically():
    """1,200 simulated areas: the leave-one-out fits come in blocks; local workers share them out."""
    from placeimpact.screen.run import plan_batches

    rng = np.random.default_rng(11)
    ps = [sim_panel(rng, name="big", n_areas=1200, n_pre=6, n_post=3), sim_panel(rng, name="small", n_areas=30)]
    plan = plan_batches(ps, 2)
    assert sum(1 for t in plan for i, blocks in t if i == 0 and blocks is not None) >= 2
    a = screen_panels(ps, executor="serial")
    b = screen_panels(ps, executor="local", workers=2)
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
    assert a.table["indicator_id"].value_counts()["big"] == 1200


def _null_one_shuffle_at_a_time(area_idx, ind_idx, p, n_ind, alpha, n_perm, draw):
    """The permutation null as first written: one lexsort per shuffle (the reference for the chunked one)."""
    from placeimpact.screen.run import _areas_beyond_chance

    null = np.empty(n_perm)
    order = np.lexsort((np.arange(p.size), ind_idx))
    perm = np.empty(p.size)
    for b in range(n_perm):
        perm[order] = p[np.lexsort((draw(p.size), ind_idx))]
        null[b] = _areas_beyond_chance(area_idx, perm, n_ind, alpha)
    return null


@pytest.mark.parametrize("coarse", [False, True])
def test_chunked_permutation_null_equals_one_lexsort_per_shuffle(rng, monkeypatch, coarse):
    """ScreenResult.chance's null, drawn in chunks of shuffles, gives the counts of one lexsort per shuffle,
    also where draws tie (``coarse``: draws rounded to 1/8, so ties are everywhere)."""
    from placeimpact.screen import run as screen_run

    n_area, n_ind = 60, 7
    members = [rng.permutation(n_area)[: rng.integers(40, n_area)] for _ in range(n_ind)]
    area_idx = np.concatenate(members)
    ind_idx = np.repeat(np.arange(n_ind), [len(m) for m in members])
    shuffle = rng.permutation(area_idx.size)                 # rows not grouped by indicator
    area_idx, ind_idx = area_idx[shuffle], ind_idx[shuffle]
    p = rng.uniform(size=area_idx.size) * 0.2
    n_by_area = np.bincount(area_idx, minlength=n_area)
    real = np.random.default_rng

    class Coarse:
        def __init__(self, seed):
            self.g = real(seed)

        def random(self, size):
            return np.floor(self.g.random(size) * 8) / 8

    if coarse:
        monkeypatch.setattr(screen_run.np.random, "default_rng", Coarse)
    got = screen_run._permutation_null(area_idx, ind_idx, p, n_by_area, 0.05, 120, chunk=50)
    ref_rng = (Coarse if coarse else real)(20110401)
    want = _null_one_shuffle_at_a_time(area_idx, ind_idx, p, n_by_area, 0.05, 120, ref_rng.random)
    assert np.array_equal(got, want) and want.std() > 0


def test_cli_screen_fast_path_equals_the_typer_command(loaded_store, tmp_path, capsys, monkeypatch):
    """``placeimpact screen`` runs without Typer's parsing (cli._fast.try_screen) and prints what the Typer
    command prints; Dask options, --help and arguments a check refuses are left to Typer."""
    from placeimpact.cli import app, main
    from placeimpact.cli._fast import try_screen

    args = ["--start", "2011", "--indicators", CVD, "--area", "Wigan", "--workers", "1", "--format", "csv",
            "--store", str(loaded_store.path)]
    monkeypatch.setattr("sys.argv", ["placeimpact", "screen", *args])
    main()
    fast = capsys.readouterr()
    r = CliRunner().invoke(app, ["screen", *args])
    assert r.exit_code == 0 and WIGAN in fast.out and r.stdout == fast.out
    for refused in (["--help"], ["--start", "2011", "--dask-local", "2"], ["--start", "2011", "--scheduler", "x:1"],
                    ["--start", "2011", "--workers", "0"], ["--start", "2011", "--alpha", "1.5"],
                    ["--start", "2016-02-30"], ["--start", "2011", "--store", str(tmp_path)],
                    ["--start", "2011", "--format", "CSV"], ["--start", "2011", "--bogus"], []):
        assert not try_screen(refused), refused


def test_bulk_panels_left_out_are_the_kernels_skips_by_periods(loaded_store):
    """``bulk_panels(left_out=...)`` builds no panel for an indicator the screen leaves out for its periods
    alone, and gives the reason the kernel gives; the other panels are the same."""
    from placeimpact.screen import bulk_panels
    from placeimpact.screen.kernel import skip_reason

    every = {p.indicator_id: p for p in bulk_panels(loaded_store, reform_start="2018", area_type="upper")}
    left_out: dict[str, str] = {}
    built = bulk_panels(loaded_store, reform_start="2018", area_type="upper", left_out=left_out)
    assert left_out and built and set(left_out).isdisjoint(p.indicator_id for p in built)
    assert set(left_out) | {p.indicator_id for p in built} == set(every)
    assert all(skip_reason(every[i]) == why for i, why in left_out.items())
    for p in built:
        q = every[p.indicator_id]
        assert p.area_codes == q.area_codes and np.array_equal(p.values, q.values, equal_nan=True)
