"""The constants written out (so that importing them does not import SciPy) equal SciPy's values."""

from scipy import stats

from placeimpact.constants import Z95, Z998


def test_normal_quantiles_equal_scipy():
    assert Z95 == stats.norm.ppf(0.975)
    assert Z998 == stats.norm.ppf(0.999)
