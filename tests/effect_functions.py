"""Functions with ``assert`` statements for test_effects.py, in a module of their own: pytest
rewrites the asserts of test modules, and s2sad refuses a function whose code is not its
source text (a stale source)."""

import numpy as np


def asserting(x, limit):
    y = np.exp(x)
    assert y < limit, "y too large"
    assert np.all(x > -5.0)
    assert y > 0, "y is %s" % y  # noqa: UP031 (a % format, as users write it)
    return y * x


def assert_in_loop(x, n):
    s = x
    for i in range(n):
        s = s * x
        assert s < 100.0, "diverged at step %d" % i  # noqa: UP031
    return s


def assert_f_string(x):
    assert x < 1.0, f"x = {x:.2f} is too large"
    return x * x
