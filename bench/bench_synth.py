"""Benchmark: the whole synthetic control (fit + in-space placebos + in-time placebo + leave-one-out)
on a real panel, against pysyncon fitting the same in-space placebos one at a time.

Run: ``.venv/bin/python bench/bench_synth.py [--repeats 5] [--peer-sample 6]``

Panel: preventable cardiovascular mortality (ONS Explore Local Statistics, 3-year rolling
periods 2001-03 .. 2022-24), Wigan (E08000010) against every upper-tier area with data,
reform start 2011-04-01 (8 pre-periods). Ours: median wall time of ``synthetic_control``
over ``--repeats`` runs. Peer: pysyncon ``Synth.fit(custom_V=row SD^2)`` (V = identity,
the same objective) for a seeded sample of placebo units, median time per fit times the
number of fits our run makes for the placebo test (one per area); its objectives are
compared with ours on that sample (positive relative difference: ours worse).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from placeimpact import build_panel, open_store
from placeimpact.methods.synth import synthetic_control
from placeimpact.sources import ons_els

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "ons-els" / "preventable-cardiovascular-mortality-england"


def wigan_panel(tmp: Path):
    store = open_store(tmp / "bench-synth.duckdb")
    store.import_batches([ons_els.read_file(DATA / f"{DATA.name}.csv", DATA / f"{DATA.name}.json")])
    panel = build_panel(store, indicator=f"ons-els:{DATA.name}", area="E08000010", reform_start="2011-04-01")
    store.close()
    return panel


def pysyncon_fit(X0: np.ndarray, x1: np.ndarray) -> tuple[np.ndarray, float]:
    from pysyncon import Synth

    cols = [f"d{i}" for i in range(X0.shape[1])]
    Z0, Z1 = pd.DataFrame(X0, columns=cols), pd.Series(x1, name="treated")
    sd = pd.concat([Z0, Z1], axis=1).std(axis=1).to_numpy()
    s = Synth()
    t0 = time.perf_counter()
    s.fit(X0=Z0, X1=Z1, Z0=Z0, Z1=Z1, custom_V=sd**2)
    return np.asarray(s.W, float), time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--peer-sample", type=int, default=6)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        panel = wigan_panel(Path(tmp))
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        r = synthetic_control(panel, donors="all")
        times.append(time.perf_counter() - t0)
    ours = float(np.median(times))
    d = r.diagnostics
    print(f"panel: {panel.n_areas} areas x {panel.n_periods} periods, {d['n_pre']} pre, {d['n_post']} post")
    ex5 = d["exclusions"]["pre_mspe_over_5x"]
    print(f"Wigan: estimate {r.estimate:.3f} (95% CI {r.ci_low:.3f} to {r.ci_high:.3f}), ADH test: {r.label}, "
          f"p {r.p_value:.3f} (without placebos over 5x pre-MSPE: p {ex5['p_value']:.3f}, rank {ex5['rank']} of "
          f"{ex5['n_placebos'] + 1}; mean-gap statistic p {d['p_value_mean_gap']:.3f}), MDE {r.mde:.3f}, "
          f"pre-RMSPE {d['pre_rmspe']:.3f}, in-time placebo {d['placebo_time_estimate']:.3f}, "
          f"leave-one-out {d['loo_low']:.3f} .. {d['loo_high']:.3f}; evidence {r.evidence}")
    print(f"ours: whole method median {ours * 1e3:.1f} ms over {args.repeats} runs")

    pre = panel.pre
    vals = panel.values
    gaps = np.asarray(r.series["placebo_gaps"])
    codes = list(r.series["placebo_codes"])
    rng = np.random.default_rng(1)
    peer_t, rel = [], []
    for j in rng.choice(len(codes), args.peer_sample, replace=False):
        row = panel.area_codes.index(codes[j])
        pool = [i for i in range(1, panel.n_areas) if i != row]
        w, dt = pysyncon_fit(vals[pool][:, pre].T, vals[row, pre])
        peer_t.append(dt)
        theirs = float(np.sum((vals[row, pre] - w @ vals[pool][:, pre]) ** 2))
        mine = float(np.sum(gaps[j, pre] ** 2))
        rel.append((mine - theirs) / max(theirs, 1e-12))
    n_fits = d["n_placebos"] + 1
    peer = float(np.median(peer_t)) * n_fits
    print(f"pysyncon: median {np.median(peer_t) * 1e3:.0f} ms per fit x {n_fits} fits = {peer:.1f} s "
          f"(in-space placebos only)")
    print(f"ratio pysyncon / ours: {peer / ours:,.0f}x")
    print(f"objective (ours - pysyncon) / pysyncon on {len(rel)} placebos: max {max(rel):.2e}, "
          f"median {np.median(rel):.2e}")


if __name__ == "__main__":
    main()
