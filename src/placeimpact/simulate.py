"""Simulated panels like the real ones, with a known effect injected at the reform.

Each area ``i`` has an annual latent series::

    y_i(c) = level + a_i + (trend + b_i) (c + 0.5 - R) + u_i(c) [+ effect(c) for the focal area]

with ``a_i ~ N(0, level_sd^2)``, ``b_i ~ N(0, trend_sd^2)`` and ``u_i`` stationary AR(1) noise
(``rho``, marginal SD ``sigma``) over calendar years ``c``; ``R`` is the reform year. A
period of ``period_years > 1`` is the mean of the years it covers (three-year rolling
periods overlap, like the published ones). England is the noise-free national line.
The effect is a level shift (``size`` from the reform year on) or a slope change
(``size * (c + 0.5 - R)`` per year after it). CIs are drawn as ``value +- 1.96 se``.

The parameter sets below were estimated from the real series in ``../shared/data`` with
:func:`estimate_params` (see its docstring), and are stored here so tests and benchmarks
need no data. Simulated data are for validating methods only, never presented as real.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np

from .constants import Z95
from .methods._gls import ar1_corr, averaging_matrix, gls_fit, reml_rho
from .panel import Panel, panel_from_arrays

__all__ = ["SeriesParams", "SimulatedPanel", "estimate_params", "simulate_panels", "true_effect", "PARAMS",
           "PREVENTABLE_CVD", "MALE_HLE", "SMOKING", "FACTOR", "simulate_factor_panels", "operating_characteristics"]

EffectKind = Literal["level", "slope"]


@dataclass(frozen=True)
class SeriesParams:
    """What a simulated indicator looks like (all in indicator units, per year)."""

    name: str
    polarity: str
    period_years: int      # 1 (annual) or 3 (three-year rolling means of annual values)
    level: float           # national level at the reform start
    trend: float           # national slope per year
    level_sd: float        # between-area SD of levels
    trend_sd: float        # between-area SD of slopes
    sigma: float           # marginal SD of the annual AR(1) noise
    rho: float             # annual AR(1) coefficient
    se: float              # typical published standard error of one period's value (NaN: no CIs)
    source: str = ""

    @property
    def noise_sd(self) -> float:
        """SD of the noise in one published period (smaller than ``sigma`` for rolling means)."""
        k = self.period_years
        if k == 1:
            return self.sigma
        A = np.full((1, k), 1 / k)
        return self.sigma * math.sqrt(float((A @ ar1_corr(k, np.array([self.rho]))[0] @ A.T)[0, 0]))


# Estimated with estimate_params(build_panel(store, indicator=..., area="E08000010",
# reform_start="2011-04-01")) on the ONS Explore Local Statistics files in ../shared/data
# (every upper-tier English area with a complete series; levels at 2011-04-01).
PREVENTABLE_CVD = SeriesParams(
    name="preventable CVD mortality", polarity="low_is_good", period_years=3,
    level=41.628, trend=-1.42, level_sd=9.298, trend_sd=0.334, sigma=3.757, rho=0.275, se=2.56,
    source="ons-els preventable-cardiovascular-mortality-england, 3-year rolling 2001-03..2022-24, 149 areas",
)
MALE_HLE = SeriesParams(
    name="male healthy life expectancy", polarity="high_is_good", period_years=3,
    level=63.251, trend=-0.162, level_sd=3.301, trend_sd=0.098, sigma=2.237, rho=-0.25, se=1.276,
    source="ons-els male-healthy-life-expectancy, 3-year rolling 2011-13..2022-24, 151 areas",
)
SMOKING = SeriesParams(
    name="adult smoking prevalence", polarity="low_is_good", period_years=1,
    level=20.251, trend=-0.702, level_sd=3.532, trend_sd=0.158, sigma=1.551, rho=0.275, se=1.454,
    source="ons-els adults-that-currently-smoke-cigarettes, annual 2012..2023, 147 areas",
)
PARAMS: dict[str, SeriesParams] = {"cvd": PREVENTABLE_CVD, "hle": MALE_HLE, "smoking": SMOKING}

#: the two-factor design of :func:`simulate_factor_panels` (for labels; noise SD 1, annual periods)
FACTOR = SeriesParams(
    name="two-factor model", polarity="no_judgement", period_years=1, level=10.0, trend=0.3, level_sd=1.0,
    trend_sd=0.0, sigma=1.0, rho=0.0, se=math.nan,
    source="simulated: y_it = mu_i + lambda_i . f_t + 0.3 t + e_it, AR(1) factors (rho 0.5), loadings U(0, 1)",
)


def estimate_params(panel: Panel, *, name: str | None = None, source: str = "") -> SeriesParams:
    """Estimate simulation parameters from a real panel (every area with a complete series).

    National line: OLS of the cross-area mean on time. Area levels and slopes: OLS of each
    area's deviation from the cross-area mean on time; ``trend_sd`` removes the sampling
    variance of the fitted slopes (method of moments). Noise: the residual correlation is
    the annual AR(1) averaged over each period's years (:mod:`placeimpact.methods._gls`),
    ``rho`` by REML pooled over areas, ``sigma`` the median area residual SD. ``se`` is the
    median published SE. Periods are used whole (no reform split): one area's reform is
    negligible among 150.
    """
    Y = panel.values[np.isfinite(panel.values).all(axis=1)]
    if Y.shape[0] < 3 or Y.shape[1] < 4:
        raise ValueError("need at least 3 areas with complete series of at least 4 periods")
    t = panel.t - panel.reform_t
    X = np.column_stack([np.ones_like(t), t])
    mean = Y.mean(axis=0)
    nat = np.linalg.lstsq(X, mean, rcond=None)[0]
    D = Y - mean
    A = averaging_matrix(panel.period_start, panel.period_end)
    rho, _ = reml_rho(D, X, A)
    fits = [gls_fit(d, X, A, rho) for d in D]
    coef = np.array([f.params for f in fits])
    se_b = np.array([f.bse[1] for f in fits])
    sig = np.sqrt(np.array([f.sigma2 for f in fits]))
    trend_sd = math.sqrt(max(0.0, coef[:, 1].var(ddof=1) - float(np.mean(se_b ** 2))))
    k = int(round(panel.period_years))
    return SeriesParams(
        name=name or panel.indicator_name, polarity=panel.polarity, period_years=max(1, k),
        level=round(float(nat[0]), 3), trend=round(float(nat[1]), 3), level_sd=round(float(coef[:, 0].std(ddof=1)), 3),
        trend_sd=round(trend_sd, 3), sigma=round(float(np.median(sig)), 3), rho=float(rho),
        se=round(float(np.nanmedian(panel.se)), 3) if np.isfinite(panel.se).any() else math.nan,
        source=source or f"{panel.indicator_id}, {Y.shape[0]} areas, {panel.n_periods} periods",
    )


@dataclass(frozen=True, eq=False)
class SimulatedPanel:
    """A simulated panel and the noise-free effect of each period on the focal area (n_periods,)."""

    panel: Panel
    effect_path: np.ndarray
    params: SeriesParams
    effect_kind: str
    effect_size: float


def simulate_panels(
    params: SeriesParams,
    n: int,
    *,
    n_pre: int = 10,
    n_post: int = 8,
    n_comparators: int = 15,
    effect: float = 0.0,
    effect_kind: EffectKind = "level",
    reform_year: int = 2011,
    seed: int | np.random.Generator = 0,
) -> list[SimulatedPanel]:
    """Draw ``n`` independent panels (focal area first) with a known effect on the focal area.

    ``n_pre`` / ``n_post`` count published periods wholly before / after the reform; rolling
    panels also hold the ``period_years - 1`` transition periods straddling it. ``effect`` is in
    indicator units (a level shift, or a slope change per year).
    """
    if effect_kind not in ("level", "slope"):
        raise ValueError(f"effect_kind={effect_kind!r}; expected 'level' or 'slope'")
    rng = np.random.default_rng(seed)
    k = params.period_years
    starts = np.arange(reform_year - k - n_pre + 1, reform_year + n_post)      # period start years
    years = np.arange(starts[0], starts[-1] + k)                               # annual cells
    m = n_comparators + 1
    shape = (n, m, years.size)
    u = np.empty(shape)
    u[..., 0] = rng.standard_normal((n, m))
    innov = rng.standard_normal(shape) * math.sqrt(1 - params.rho ** 2)
    for c in range(1, years.size):
        u[..., c] = params.rho * u[..., c - 1] + innov[..., c]
    tc = years + 0.5 - reform_year
    a = rng.standard_normal((n, m, 1)) * params.level_sd
    b = rng.standard_normal((n, m, 1)) * params.trend_sd
    latent = params.level + a + (params.trend + b) * tc + params.sigma * u
    eff_annual = np.where(years >= reform_year, effect * (1.0 if effect_kind == "level" else tc), 0.0)
    latent[:, 0, :] += eff_annual
    W = np.stack([(years >= s) & (years < s + k) for s in starts]).astype(float) / k   # (n_periods, n_years)
    values = latent @ W.T
    england = (params.level + params.trend * tc) @ W.T
    path = W @ eff_annual
    t = starts + k / 2
    out = []
    for r in range(n):
        v = values[r]
        ci = {} if not math.isfinite(params.se) else {"lci": v - Z95 * params.se,
                                                       "uci": v + Z95 * params.se}
        p = panel_from_arrays(v, t, reform_t=float(reform_year), england=england, polarity=params.polarity,
                              period_years=float(k), indicator_id=f"simulated:{params.name}", **ci)
        out.append(SimulatedPanel(panel=p, effect_path=path, params=params, effect_kind=effect_kind,
                                  effect_size=effect))
    return out


def true_effect(sim: SimulatedPanel, method: str, **options) -> float:
    """The value a method's estimand takes on this panel's noise-free effect path."""
    p, path = sim.panel, sim.effect_path
    post, pre = p.post, p.pre
    if method == "trend_difference" or (method == "its" and options.get("effect") == "slope"):
        return sim.effect_size if sim.effect_kind == "slope" else 0.0
    if method == "its" and options.get("effect") == "level":
        return sim.effect_size if sim.effect_kind == "level" else 0.0
    if method == "change_vs_neighbours":
        return float(path[np.flatnonzero(post)[-1]] - path[np.flatnonzero(pre)[-1]])
    return float(path[post].mean() - path[pre].mean())


def simulate_factor_panels(
    n: int,
    *,
    n_pre: int = 10,
    n_post: int = 10,
    n_donors: int = 19,
    effect: float = 0.0,
    sd: float = 1.0,
    inside: bool = False,
    seed: int | np.random.Generator = 0,
) -> list[SimulatedPanel]:
    """Draw ``n`` panels from a two-factor model (focal area first), annual periods.

    ``y_it = mu_i + lambda_i . f_t + 0.3 t + e_it`` with two AR(1) factors (rho 0.5, unit
    innovations), loadings ``lambda_i ~ U(0, 1)``, levels ``mu_i ~ N(10, 1)`` and iid noise
    ``e_it ~ N(0, sd^2)``; the effect is a level shift of ``effect`` in every post-reform
    period. ``inside`` puts the focal area at the centre of the donors (the premise of the
    synthetic control). This is the design of Abadie et al. and Chernozhukov et al.'s
    simulations, with the pre-period length the issue asks about (5, 8, 10, 15).
    """
    rng = np.random.default_rng(seed)
    m, T = n_donors + 1, n_pre + n_post
    e = rng.standard_normal((n, 2, T))
    f = np.empty((n, 2, T))
    f[..., 0] = e[..., 0] / math.sqrt(1 - 0.25)
    for t in range(1, T):
        f[..., t] = 0.5 * f[..., t - 1] + e[..., t]
    lam = rng.uniform(0, 1, (n, m, 2))
    mu = rng.normal(10, 1, (n, m))
    if inside:
        lam[:, 0] = lam[:, 1:].mean(axis=1)
        mu[:, 0] = mu[:, 1:].mean(axis=1)
    y = mu[..., None] + lam @ f + 0.3 * np.arange(T) + rng.normal(0, sd, (n, m, T))
    path = np.where(np.arange(T) >= n_pre, float(effect), 0.0)
    y[:, 0, :] += path
    prm = FACTOR if sd == 1.0 else SeriesParams(**{**asdict(FACTOR), "sigma": float(sd)})
    t = 2000.5 + np.arange(T)
    return [SimulatedPanel(panel=panel_from_arrays(y[r], t, reform_t=2000.0 + n_pre,
                                                   indicator_id="simulated:two-factor model"),
                           effect_path=path, params=prm, effect_kind="level", effect_size=float(effect))
            for r in range(n)]


def operating_characteristics(method: str, null: list[SimulatedPanel], alt: list[SimulatedPanel],
                              **options) -> dict:
    """Size, power and 95% coverage of one method on null and effect panels (simulated).

    Size and power are the shares of graded panels (finite p-value) with p < 0.05 (p <= 0.05 for
    permutation p-values, which sit on a grid); coverage is over all graded panels, null and
    effect. ``n_graded`` / ``n`` says how many panels the method agreed to grade.
    """
    from .methods import get_method

    fn = get_method(method)
    out: dict = {"method": method, "n": len(null)}
    cover, graded = [], 0
    for key, sims in (("size", null), ("power", alt)):
        rej = []
        for s in sims:
            r = fn(s.panel, **options)
            if not math.isfinite(r.p_value):
                continue
            graded += 1
            rej.append(r.p_value <= 0.05 + 1e-12)
            truth = true_effect(s, method)
            cover.append(r.ci_low <= truth <= r.ci_high)
        out[key] = float(np.mean(rej)) if rej else math.nan
    out["coverage"] = float(np.mean(cover)) if cover else math.nan
    out["n_graded"] = graded
    return out


def describe(params: SeriesParams) -> dict:
    """The parameter set as a plain dict (for printing)."""
    return asdict(params) | {"noise_sd": params.noise_sd}


def study(
    params: SeriesParams,
    methods: dict[str, dict],
    *,
    n: int = 400,
    effect_sd: float = 2.0,
    effect_kind: EffectKind = "level",
    seed: int = 0,
    **design,
):
    """Size, power and coverage of each method on ``n`` null and ``n`` effect panels.

    ``methods`` maps a method name (see :data:`placeimpact.methods.METHODS`) to its options.
    The effect is ``effect_sd`` times the per-period noise SD (a level shift, or a slope
    change per year). ``design`` goes to :func:`simulate_panels`. Returns a DataFrame with
    method, n, size, power, coverage_null, coverage_effect, n_insufficient, seconds.
    """
    import time

    import pandas as pd

    from .methods import get_method

    null = simulate_panels(params, n, effect=0.0, effect_kind=effect_kind, seed=seed, **design)
    size = effect_sd * params.noise_sd
    alt = simulate_panels(params, n, effect=size, effect_kind=effect_kind, seed=seed + 1, **design)
    rows = []
    for name, opts in methods.items():
        fn = get_method(name)
        t0 = time.perf_counter()
        stats = {}
        for key, sims in (("null", null), ("effect", alt)):
            res = [fn(s.panel, **opts) for s in sims]
            p = np.array([r.p_value for r in res])
            truth = np.array([true_effect(s, name, **opts) for s in sims])
            lo, hi = np.array([r.ci_low for r in res]), np.array([r.ci_high for r in res])
            ok = np.isfinite(p)
            stats[key] = (np.mean(p[ok] < 0.05) if ok.any() else math.nan,
                          np.mean((lo[ok] <= truth[ok]) & (truth[ok] <= hi[ok])) if ok.any() else math.nan,
                          int((~ok).sum()))
        rows.append({"method": name, "n": n, "size": stats["null"][0], "power": stats["effect"][0],
                     "coverage_null": stats["null"][1], "coverage_effect": stats["effect"][1],
                     "n_insufficient": stats["null"][2] + stats["effect"][2],
                     "seconds": time.perf_counter() - t0})
    return pd.DataFrame(rows)
