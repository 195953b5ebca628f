"""Constants shared by every layer: England's code and the normal quantile of a 95% interval.

One definition each, so the statistics, panels, screen and reports cannot drift apart.
"""

from __future__ import annotations

__all__ = ["ENGLAND", "Z95", "Z998"]

#: ONS code of England (the national benchmark row of every indicator)
ENGLAND = "E92000001"

#: two-sided 95% normal quantile, 1.959963984540054 (``scipy.stats.norm.ppf(0.975)``, written out
#: so that importing it does not import SciPy)
Z95 = 1.959963984540054      # tests/test_constants.py checks it against scipy

#: two-sided 99.8% normal quantile, 3.090232306167813 (``scipy.stats.norm.ppf(0.999)``)
Z998 = 3.090232306167813
