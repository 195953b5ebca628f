"""Benchmark: the validation study (simulated panels, fixed seeds) — size, power and coverage of every method.

    .venv/bin/python bench/bench_simulation.py [--n 1000] [--synth-n 300] [--sc-n 500] [--quick]

Panels are drawn by ``placeimpact.simulate`` with parameters estimated from real series
(preventable CVD mortality and male healthy life expectancy: three-year rolling periods that
overlap; adult smoking: annual). Each design draws N null panels and N panels with a level
shift of twice the per-period noise SD, 10 pre / 8 post periods. Targets: size 2.5-7.5%,
coverage 93-97%, ITS power >= 80% on long pre-periods.

Peers, measured in the same run on the same panels: statsmodels OLS with Newey-West (HAC)
errors and statsmodels GLSAR with iterated AR(1) errors, both fitted to the focal series with
the same segmented design; the ratio column is seconds per call of ours / the peer's.
A second table gives ITS power against the pre-period length next to the closed-form power
of the GLS t-test with the AR coefficient known.

The synthetic-control table covers every synthetic-control row (ADH placebo test, its
noise-floor option, conformal, ridge-augmented, de-meaned) on the two-factor design
(:func:`placeimpact.simulate.simulate_factor_panels`, 19 donors, 5 / 8 / 10 / 15 pre-periods,
10 post) and on the annual smoking-like design: size, 95% coverage, power at effects of 1 and
2 noise SD, the share of panels graded (a method that cannot hold below a period count says
so and does not grade) and the median minimum detectable effect in noise SD. Simulated data
only; nothing here is real.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from placeimpact.methods import get_method  # noqa: E402
from placeimpact.methods._gls import ar1_corr  # noqa: E402
from placeimpact.methods.its import segmented_design  # noqa: E402
from placeimpact.simulate import (PARAMS, operating_characteristics, simulate_factor_panels,  # noqa: E402
                                  simulate_panels, true_effect)

SYNTH_ROWS: dict[str, tuple[str, dict]] = {
    "synthetic_control (ADH)": ("synthetic_control", {"in_time_placebo": False, "leave_one_out": False}),
    "synthetic_control (noise floor)": ("synthetic_control", {"in_time_placebo": False, "leave_one_out": False,
                                                              "inference": "noise_floor"}),
    "conformal_synthetic_control": ("conformal_synthetic_control", {"per_period": False}),
    "augmented_synthetic_control": ("augmented_synthetic_control", {"per_period": False}),
    "demeaned_synthetic_control": ("demeaned_synthetic_control", {"per_period": False}),
}

MINE = ("change_vs_neighbours", "trend_difference", "its", "did")


def _row(label, design, null_res, alt_res, null, alt, secs, method):
    p0 = np.array([r.p_value for r in null_res])
    p1 = np.array([r.p_value for r in alt_res])
    cov = [r.ci_low <= true_effect(s, method) <= r.ci_high
           for res, sims in ((null_res, null), (alt_res, alt)) for r, s in zip(res, sims)]
    return {"method": label, "design": design, "n": len(null), "size": np.mean(p0 < 0.05),
            "power": np.mean(p1 < 0.05), "coverage": np.mean(cov), "ms_per_call": 1000 * secs}


def _peer(sims, kind):
    """(p-values, CIs, seconds per call) of a statsmodels fit of the focal segmented model."""
    ps, cis = [], []
    t0 = time.perf_counter()
    for s in sims:
        p = s.panel
        use = p.pre | p.post
        X = segmented_design(p.t[use], p.post[use], p.reform_t)
        y = p.focal_values[use]
        c = np.array([0, 0, 1, (p.t[use] - p.reform_t)[p.post[use]].mean()])
        if kind == "hac":
            res = sm.OLS(y, X).fit(cov_type="HAC", cov_kwds={"maxlags": 2, "use_correction": True}, use_t=True)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = sm.GLSAR(y, X, rho=1).iterative_fit(maxiter=10)
        est, se = float(c @ res.params), float(math.sqrt(c @ res.cov_params() @ c))
        q = stats.t.ppf(0.975, res.df_resid)
        ps.append(2 * stats.t.sf(abs(est / se), res.df_resid))
        cis.append((est - q * se, est + q * se))
    return np.array(ps), cis, (time.perf_counter() - t0) / len(sims)


def study_table(n: int, synth_n: int) -> pd.DataFrame:
    rows = []
    for key in ("cvd", "hle", "smoking"):
        prm = PARAMS[key]
        design = f"{key}: {'3-yr rolling' if prm.period_years == 3 else 'annual'}, 10/8, 15 comp"
        null = simulate_panels(prm, n, n_pre=10, n_post=8, seed=1000)
        alt = simulate_panels(prm, n, n_pre=10, n_post=8, effect=2 * prm.noise_sd, seed=2000)
        its_secs = math.nan
        for m in MINE:
            fn = get_method(m)
            t0 = time.perf_counter()
            r0 = [fn(s.panel) for s in null]
            r1 = [fn(s.panel) for s in alt]
            secs = (time.perf_counter() - t0) / (2 * n)
            its_secs = secs if m == "its" else its_secs
            rows.append(_row(m, design, r0, r1, null, alt, secs, m))
        for kind, label in (("hac", "peer: OLS + Newey-West (statsmodels)"),
                            ("glsar", "peer: GLSAR AR(1) (statsmodels)")):
            p0, c0, s0 = _peer(null, kind)
            p1, c1, s1 = _peer(alt, kind)
            cov = [lo <= true_effect(s, "its") <= hi for cis, sims in ((c0, null), (c1, alt))
                   for (lo, hi), s in zip(cis, sims)]
            rows.append({"method": label, "design": design, "n": n, "size": np.mean(p0 < 0.05),
                         "power": np.mean(p1 < 0.05), "coverage": np.mean(cov), "ms_per_call": 500 * (s0 + s1),
                         "ratio": its_secs / (0.5 * (s0 + s1))})
    try:
        fn = get_method("synthetic_control")
    except (ImportError, AttributeError):
        fn = None
    if fn is not None:
        for key in ("cvd", "smoking"):
            prm = PARAMS[key]
            design = f"{key}: 10/8, 49 comp"
            null = simulate_panels(prm, synth_n, n_pre=10, n_post=8, n_comparators=49, seed=3000)
            alt = simulate_panels(prm, synth_n, n_pre=10, n_post=8, n_comparators=49, effect=2 * prm.noise_sd,
                                  seed=4000)
            for m, f in (("synthetic_control", fn), ("did", get_method("did"))):
                t0 = time.perf_counter()
                r0, r1 = [f(s.panel) for s in null], [f(s.panel) for s in alt]
                rows.append(_row(m, design, r0, r1, null, alt, (time.perf_counter() - t0) / (2 * synth_n), m))
    return pd.DataFrame(rows)


def synth_table(n: int) -> pd.DataFrame:
    """Every synthetic-control row: size, coverage, power at 1 and 2 SD, share graded, median MDE (in SD)."""
    designs = {}
    for n_pre in (5, 8, 10, 15):
        draw = (lambda e, s, n_pre=n_pre: simulate_factor_panels(n, n_pre=n_pre, n_post=10, effect=e, seed=s))
        designs[f"factor, {n_pre}/10, 19 donors"] = (draw, 1.0)
    prm = PARAMS["smoking"]
    for n_pre in (10, 15):
        draw = (lambda e, s, n_pre=n_pre: simulate_panels(prm, n, n_pre=n_pre, n_post=10, n_comparators=19,
                                                          effect=e, seed=s))
        designs[f"smoking: annual, {n_pre}/10, 19 comp"] = (draw, prm.noise_sd)
    rows = []
    for d, (draw, sd) in designs.items():
        null, one, two = draw(0.0, 5000), draw(sd, 5001), draw(2 * sd, 5002)
        for label, (m, opts) in SYNTH_ROWS.items():
            t0 = time.perf_counter()
            oc2 = operating_characteristics(m, null, two, **opts)
            oc1 = operating_characteristics(m, null[:0], one, **opts)
            fn = get_method(m)
            mdes = np.array([fn(s.panel, **opts).mde for s in null[: max(20, n // 5)]])
            mde_sd = float(np.median(mdes[np.isfinite(mdes) | np.isinf(mdes)])) / sd if oc2["n_graded"] else math.nan
            rows.append({"method": label, "design": d, "n": n, "graded": oc2["n_graded"] / (2 * n),
                         "size": oc2["size"], "coverage": oc2["coverage"], "power_1sd": oc1["power"],
                         "power_2sd": oc2["power"], "mde_sd": mde_sd,
                         "ms_per_call": 1000 * (time.perf_counter() - t0) / (3 * n + len(mdes))})
    return pd.DataFrame(rows)


def closed_form_power(n_pre: int, n_post: int, rho: float, effect_sd: float = 2.0) -> float:
    """Power of the GLS t-test of the average effect, annual AR(1) with known rho, in SD units."""
    t = np.r_[np.arange(-n_pre, 0), np.arange(0, n_post)] + 0.5
    X = segmented_design(t, t > 0, 0.0)
    S = ar1_corr(t.size, np.array([rho]))[0]
    V = np.linalg.inv(X.T @ np.linalg.solve(S, X))
    c = np.array([0, 0, 1, t[t > 0].mean()])
    nc, df = effect_sd / math.sqrt(c @ V @ c), t.size - 4
    q = stats.t.ppf(0.975, df)
    return float(stats.nct.sf(q, df, nc) + stats.nct.cdf(-q, df, nc))


def power_table(n: int) -> pd.DataFrame:
    prm = PARAMS["smoking"]
    fn = get_method("its")
    rows = []
    for n_pre in (10, 15, 20, 30, 40):
        sims = simulate_panels(prm, n, n_pre=n_pre, n_post=8, n_comparators=15, effect=2 * prm.noise_sd, seed=n_pre)
        res = [fn(s.panel) for s in sims]
        rows.append({"design": f"smoking-like annual, {n_pre} pre / 8 post", "n": n,
                     "its_power": np.mean([r.p_value < 0.05 for r in res]),
                     "closed_form_power": closed_form_power(n_pre, 8, prm.rho)})
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="null and effect panels per design")
    ap.add_argument("--synth-n", type=int, default=300, help="panels per design for synthetic control")
    ap.add_argument("--sc-n", type=int, default=200, help="panels per design for the synthetic-control table")
    ap.add_argument("--quick", action="store_true", help="n = 200, synth-n = 60, sc-n = 100")
    ap.add_argument("--only-synth", action="store_true", help="print only the synthetic-control table")
    args = ap.parse_args()
    n, sn, scn = (200, 60, 100) if args.quick else (args.n, args.synth_n, args.sc_n)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)
    t0 = time.perf_counter()
    sc = synth_table(scn)
    print("Synthetic-control rows: size, 95% coverage, power at 1 and 2 noise SD (level shift), share graded, "
          "median MDE in noise SD")
    print(sc.to_string(index=False, float_format=lambda x: f"{x:.3f}" if abs(x) < 1e3 else f"{x:.2g}"))
    g = sc[sc["graded"] > 0]
    off = g[(g["size"] < 0.025) | (g["size"] > 0.075) | (g["coverage"] < 0.93) | (g["coverage"] > 0.97)]
    print(f"{len(off)} of {len(g)} graded synthetic-control rows outside the size 2.5-7.5% / coverage 93-97% bands"
          + ("" if off.empty else ": " + "; ".join(f"{r.method} on {r.design}" for r in off.itertuples())))
    if args.only_synth:
        return
    tab = study_table(n, sn)
    print("Size (null panels), power (level shift of 2 noise SD) and 95% CI coverage (null + effect panels)")
    print(tab.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    ratios = tab["ratio"].dropna()
    if len(ratios):
        print(f"\nITS seconds per call / peer's: median ratio {statistics.median(ratios):.2f} "
              f"(range {ratios.min():.2f}-{ratios.max():.2f}); ours also fits the England-controlled model")
    print("\nITS power against pre-period length (2-SD level shift, rho estimated vs known)")
    print(power_table(max(200, n // 2)).to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    ours = tab["method"].isin(MINE + ("synthetic_control",))
    out = (tab["size"] < 0.025) | (tab["size"] > 0.075) | (tab["coverage"] < 0.93) | (tab["coverage"] > 0.97)
    bad = tab[ours & out]
    print(f"\n{len(bad)} of our rows outside the size 2.5-7.5% / coverage 93-97% bands; "
          f"total {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
