"""Minimum detectable effect: closed forms, and by simulation power at the MDE is about 80%.

Simulated data only (seeded). For each method the median MDE over null panels is injected as
a level shift into fresh panels of the same design; the share detected at 5% should be near
80% (band 0.68-0.92 with N = 100 panels: binomial SE 4%).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from placeimpact.methods import get_method
from placeimpact.methods.mde import mde_from_interval, mde_text, placebo_mde
from placeimpact.methods.result import MethodResult
from placeimpact.simulate import PARAMS, simulate_factor_panels, simulate_panels

SC = dict(in_time_placebo=False, leave_one_out=False)


def test_interval_rule_and_text():
    z = 1.959963984540054
    assert_allclose(mde_from_interval(-z, z), z + 0.841621233572914, rtol=1e-9)   # SE 1: z_0.975 + z_0.80
    assert math.isinf(mde_from_interval(-math.inf, math.inf)) and math.isnan(mde_from_interval(math.nan, 1.0))
    r = MethodResult("did", "x", "A", "gap", 0.5, ci_low=-1.0, ci_high=2.0, p_value=0.4, direction="no_clear_change")
    assert_allclose(r.mde, 1.5 * 2.8016 / 1.96, rtol=1e-3) and "2.80 standard errors" in r.mde_basis
    assert "could have detected a change of about 2.1 or more" in r.summary_text()
    assert r.to_dict()["mde"] == pytest.approx(r.mde)
    none = MethodResult("did", "x", "A", "gap", math.nan)
    assert math.isnan(none.mde) and none.mde_text == ""
    assert "could not have detected" in mde_text(math.inf)


def test_placebo_mde_closed_form():
    """Placebos with no post gap variance: the ADH threshold of placebo j is q pre_j - |g_j| on its own side."""
    g = np.array([0.0, 0.0, 1.0, -1.0, 0.0])
    pre = np.ones(5)
    post = np.abs(g)                                      # s^2 = 0
    stat = post / pre
    # 5 units: k = floor(0.25) = 0 -> no 5% test
    assert math.isinf(placebo_mde(g, post, pre, stat, "adh"))
    n = 40
    g = np.r_[0.0, np.linspace(-1, 1, n - 1)]
    post, pre = np.abs(g), np.ones(n)
    m = placebo_mde(g, post, pre, post / pre, "adh")
    q = np.sort(np.abs(g[1:]))[::-1][1]                   # k = floor(0.05 * 40) = 2
    thr = np.r_[np.maximum(q - g[1:], 0), np.maximum(q + g[1:], 0)]
    assert_allclose(m, np.quantile(thr, 0.8))


@pytest.mark.parametrize("method, design", [
    ("synthetic_control", "factor"),          # placebo distribution, 29 donors
    ("did", "smoking"),                       # the headline method: interval rule
    ("conformal_synthetic_control", "factor"),
])
def test_power_at_the_mde_is_about_80_percent(method, design):
    fn = get_method(method)
    kw = SC if method == "synthetic_control" else {"per_period": False} if "conformal" in method else {}
    if design == "factor":
        def draw(effect, seed):
            return simulate_factor_panels(100, n_pre=15, n_post=10, n_donors=29, effect=effect, seed=seed)
    else:
        prm = PARAMS["smoking"]

        def draw(effect, seed):
            return simulate_panels(prm, 100, n_pre=10, n_post=8, effect=effect, seed=seed)
    mde = np.median([fn(s.panel, **kw).mde for s in draw(0.0, 31)])
    assert math.isfinite(mde) and mde > 0
    power = np.mean([fn(s.panel, **kw).p_value <= 0.05 for s in draw(mde, 32)])
    assert 0.68 <= power <= 0.92, (method, mde, power)
