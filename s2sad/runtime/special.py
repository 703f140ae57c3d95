"""Runtime helpers of the special rules (``rules/special.py``, ``rules/stats.py``); generated
code calls them.

Each helper is registered as a primitive with its own rules, so the rule set stays closed.
"""

from __future__ import annotations

import numpy as np


def precision(cov):
    """The inverse of a covariance matrix (the derivatives of multivariate_normal use it)."""
    return np.linalg.inv(cov)


#: Name -> helper, merged into the namespace of generated code (runtime.HELPERS).
HELPERS: dict = {"precision": precision}
