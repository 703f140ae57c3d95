"""Runtime helpers of the special rules (``rules/special.py``, ``rules/stats.py``); generated
code calls them.

Each helper is registered as a primitive with its own rules, so the rule set stays closed.
"""

from __future__ import annotations

import numpy as np

from ..errors import MissingRuleError


def precision(cov):
    """The inverse of a covariance matrix (the derivatives of multivariate_normal use it)."""
    return np.linalg.inv(cov)


def no_derivative(x, what=""):
    """Refuse, when the generated code runs, a derivative that has no closed form (the order of
    a Bessel function, the degrees of freedom of a t cdf): where such an argument depends on
    the differentiated inputs, an answer of zero would be wrong."""
    raise MissingRuleError(f"{what} has no derivative rule",
                           hint="keep that argument independent of the inputs you "
                                "differentiate with respect to (or wrap it in "
                                "s2sad.stop_gradient if a zero derivative is meant)")


def multipolygamma(n, a, d):
    """``sum(polygamma(n, a - j / 2) for j < d)``: the n-th derivative of the digamma terms of
    multigammaln(a, d) (n = 0 is the sum of digammas, its first derivative)."""
    import scipy.special

    a = np.asarray(a, dtype=float)
    total = sum(scipy.special.polygamma(n, a - 0.5 * j) for j in range(int(d)))
    return total[()] if np.ndim(total) == 0 else total


#: Name -> helper, merged into the namespace of generated code (runtime.HELPERS).
HELPERS: dict = {"precision": precision, "no_derivative": no_derivative,
                 "multipolygamma": multipolygamma}
