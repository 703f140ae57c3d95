"""Issue 8, "no silent wrong derivatives": the cases that the lowering and the rules got wrong.

Each case is checked in reverse mode (grad / vjp) and forward mode (jvp) where the mode
applies, against central finite differences and against the true value worked out by hand.
"""

import numpy as np
import pytest
from fd import numeric_grad

import s2sad


def fd_tangent(f, args, index, direction, eps=1e-6):
    """d/dh f(args with args[index] + h * direction), by central differences."""
    up, down = list(args), list(args)
    up[index] = args[index] + eps * direction
    down[index] = args[index] - eps * direction
    return (np.asarray(f(*up)) - np.asarray(f(*down))) / (2 * eps)


# ------------------------------------------------------------------ 13: recursion is linear


def rpow(x, n):
    if n == 0:
        return 1.0
    else:
        return x * rpow(x, n - 1)


def test_recursive_call_with_an_integer_argument_reverse_n50():
    x = 1.01
    grad = s2sad.grad(rpow)(x, 50)
    assert grad == pytest.approx(50 * x**49, rel=1e-12)
    assert grad == pytest.approx(numeric_grad(lambda v: rpow(v, 50), [x], 0), rel=1e-6)


def test_recursive_call_with_an_integer_argument_forward_n50():
    x = 1.01
    value, tangent = s2sad.jvp(rpow, (x, 50), (1.0, 0))
    assert value == pytest.approx(x**50, rel=1e-12)
    assert tangent == pytest.approx(50 * x**49, rel=1e-12)
    assert tangent == pytest.approx(fd_tangent(rpow, [x, 50], 0, 1.0), rel=1e-6)


def test_recursive_vjp_calls_the_callee_vjp_once_per_step():
    text = s2sad.source(rpow, mode="vjp", wrt=(0, 1))
    assert text.count("rpow_vjp_all(") == 1
    unoptimized = s2sad.source(rpow, mode="vjp", wrt=(0, 1), optimize=False)
    assert unoptimized.count("rpow_vjp_all(") == 1
