"""One check for the language tests: both modes of a function against central differences."""

import numpy as np
import pytest
from fd import directional_fd, inner, perturb, random_like

import s2sad


def assert_both_modes_match_fd(fn, *point, wrt=(0,)):
    """Reverse mode (a VJP with a random cotangent) and forward mode (a JVP along random
    tangents of the `wrt` arguments, the others held constant) agree with central
    differences of `fn` at `point`, and the value is `fn`'s own."""
    rng = np.random.default_rng(0)
    expected = fn(*point)
    value, vjp_fn = s2sad.vjp(fn, *point, wrt=wrt)
    np.testing.assert_allclose(value, expected, rtol=1e-12, atol=1e-12)
    cotangent = random_like(rng, expected)
    for index, grad in zip(wrt, vjp_fn(cotangent)):
        assert np.shape(grad) == np.shape(point[index])
        direction = random_like(rng, point[index])
        numeric = directional_fd(fn, list(point), index, direction, cotangent)
        assert inner(grad, direction) == pytest.approx(numeric, rel=1e-6, abs=1e-7), "reverse"
    tangents = [random_like(rng, p) if i in wrt else None for i, p in enumerate(point)]
    value, tangent = s2sad.jvp(fn, tuple(point), tuple(tangents))
    np.testing.assert_allclose(value, expected, rtol=1e-12, atol=1e-12)
    eps = 1e-6
    up, down = list(point), list(point)
    for i in wrt:
        up, down = perturb(up, i, tangents[i], eps), perturb(down, i, tangents[i], -eps)
    numeric = (np.asarray(fn(*up)) - np.asarray(fn(*down))) / (2 * eps)
    np.testing.assert_allclose(tangent, numeric, rtol=1e-6, atol=1e-7, err_msg="forward")
