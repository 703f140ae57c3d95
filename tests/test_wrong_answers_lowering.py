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


# ------------------------------------------- 3: np.array([...]) with inactive array elements

ROW = np.array([3.0, 4.0])


def array_of_rows(y):
    M = np.array([np.array([1.0, 2.0]) * y, np.array([3.0, 4.0])])
    return np.sum(M)


def nested_array_of_rows(y):
    M = np.array([[np.array([1.0, 2.0]) * y, ROW], [ROW, ROW * y * y]])
    return np.sum(M * M)


def nested_array_of_scalars(y):
    M = np.array([[y, 2.0], [ROW[0], y * y]])
    return np.sum(M * M)


def array_of_arrays(x):
    M = np.array([x * 2.0, ROW, np.sin(x)])
    return np.sum(M @ np.array([1.0, -2.0]))


ARRAY_CASES = [
    (array_of_rows, 1.5, 3.0),
    (nested_array_of_rows, 1.5, None),
    (nested_array_of_scalars, 1.5, None),
]


@pytest.mark.parametrize("f, y, truth", ARRAY_CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_array_of_inactive_arrays_forward_and_reverse(f, y, truth):
    numeric = numeric_grad(f, [y], 0)
    value, tangent = s2sad.jvp(f, (y,), (1.0,))
    assert value == pytest.approx(f(y))
    assert tangent == pytest.approx(numeric, rel=1e-6)
    assert s2sad.grad(f)(y) == pytest.approx(numeric, rel=1e-6)
    if truth is not None:
        assert tangent == pytest.approx(truth) and s2sad.grad(f)(y) == pytest.approx(truth)


def test_array_of_inactive_arrays_with_an_array_argument():
    x = np.array([0.3, -1.2])
    numeric = numeric_grad(array_of_arrays, [x], 0)
    np.testing.assert_allclose(s2sad.grad(array_of_arrays)(x), numeric, rtol=1e-6)
    direction = np.array([0.7, -0.4])
    _, tangent = s2sad.jvp(array_of_arrays, (x,), (direction,))
    assert tangent == pytest.approx(float(numeric @ direction), rel=1e-6)
