"""hvp, jacobian, jacfwd and jacrev on the numba backend: the gradient program and its tangent
program (hvp), the forward or reverse passes (jacobian) compiled by numba give the NumPy
backend's numbers to 1e-12, in the same types; what the backend cannot compile is refused with
its own S2sadError; an unknown backend is refused before anything is built."""

import functools
import math

import numpy as np
import pytest

import s2sad
from s2sad.errors import S2sadError

pytest.importorskip("numba")

from test_backend_numba import clipped  # noqa: E402  (a loop branching on its carry)


def _close(got, expected):
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float),
                               rtol=1e-12, atol=1e-12)


def _same_structure(got, expected):
    """`got` and `expected` are nested alike (tuples of...) with leaves of the same types."""
    assert type(got) is type(expected), (got, expected)
    if isinstance(expected, tuple):
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            _same_structure(g, e)
    else:
        _close(got, expected)


def two_carries(x, y, n):
    """Two carried values, a branch on one of them, math functions; a tuple of floats out."""
    s = 0.0
    t = 1.0
    for i in range(n):  # noqa: B007
        if s < 2.0:
            s = s + math.sin(x) * y
        else:
            s = s * x - 0.1 * y
        t = t * 0.9 + s * np.exp(-x * y)
    return s, t


def energy(x, y, n):
    s, t = two_carries(x, y, n)
    return s * t + y * y


def summed(x):
    return np.sum(x * x)


def ramp(x):
    return np.where(x > 0.0, x * x, 0.0)


def returns_a_dict(x):
    return {"a": x * 2.0, "b": x * x}


def returns_nested(x):
    return x * 2.0, (x * x, x)


class Model:
    def __init__(self, scale):
        self.scale = scale

    def loss(self, x, n):
        s = 0.0
        for i in range(n):  # noqa: B007
            s = s * x + self.scale
        return s


# ---- hvp
@pytest.mark.parametrize("n", [0, 1, 7, 200])
@pytest.mark.parametrize("x, v", [(0.9, 1.0), (0.5, -0.3), (1.3, 2.5)])
def test_hvp_of_a_loop_branching_on_its_carry_matches_the_numpy_backend(x, v, n):
    got = s2sad.hvp(clipped, x, v, n, backend="numba")
    expected = s2sad.hvp(clipped, x, v, n)
    assert type(got) is type(expected) is float
    _close(got, expected)


def test_hvp_with_several_arguments_and_held_data_matches_the_numpy_backend():
    for x, v in [((0.9, 0.4), (0.3, -0.2)), ((0.2, 1.5), (1.0, 0.0))]:
        got = s2sad.hvp(energy, x, v, 25, backend="numba")
        expected = s2sad.hvp(energy, x, v, 25)
        # a tuple of floats (NumPy's code gives np.float64 here, from np.exp)
        assert type(got) is tuple and len(got) == 2 and all(type(g) is float for g in got)
        _close(got, expected)
    # the Hessian's columns, one product each
    hessian = s2sad.hessian(energy, (0, 1))(0.9, 0.4, 25)
    column = s2sad.hvp(energy, (0.9, 0.4), (1.0, 0.0), 25, backend="numba")
    _close(column, [hessian[0][0], hessian[1][0]])


def test_hvp_of_a_partial_runs_on_the_numba_backend():
    bound = functools.partial(clipped, n=30)
    got = s2sad.hvp(bound, 0.8, 0.5, backend="numba")
    _close(got, s2sad.hvp(clipped, 0.8, 0.5, 30))


def test_hvp_refuses_what_numba_cannot_compile():
    with pytest.raises(S2sadError) as info:
        s2sad.hvp(ramp, 0.5, 1.0, backend="numba")
    assert "the numba backend cannot compile a call of np.where" in info.value.message
    assert "backend='numpy'" in info.value.hint
    assert s2sad.hvp(ramp, 0.5, 1.0) == 2.0
    # a bound method reads an attribute of self: refused, not run by NumPy's code
    with pytest.raises(S2sadError, match="cannot compile the attribute or method 'scale'"):
        s2sad.hvp(Model(1.5).loss, 0.7, 1.0, 5, backend="numba")


def test_hvp_refuses_arrays_at_the_call_with_numbas_error():
    def product(x, y):
        return x * y

    with pytest.raises(S2sadError) as info:
        s2sad.hvp(product, np.ones(3), np.ones(3), 2.0, backend="numba")
    error = info.value
    assert "numba could not compile product_grad_jvp (it was given ndarray)" in error.message
    assert error.__cause__ is None and "numba.core" not in str(error)


# ---- jacobian, jacfwd, jacrev
@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
@pytest.mark.parametrize("wrt", [0, 1, (0, 1), (1, 0)])
def test_jacobian_of_a_loop_matches_the_numpy_backend_in_numbers_and_types(mode, wrt):
    for n in (0, 3, 40):
        got = s2sad.jacobian(two_carries, wrt, mode, backend="numba")(0.9, 0.4, n)
        _same_structure(got, s2sad.jacobian(two_carries, wrt, mode)(0.9, 0.4, n))
        got = s2sad.jacobian(energy, wrt, mode, backend="numba")(0.9, 0.4, n)
        _same_structure(got, s2sad.jacobian(energy, wrt, mode)(0.9, 0.4, n))


def test_jacobian_of_a_float_function_is_a_float():
    got = s2sad.jacobian(clipped, mode="reverse", backend="numba")(0.9, 12)
    assert type(got) is float
    _close(got, s2sad.grad(clipped)(0.9, 12))
    got = s2sad.jacobian(clipped, mode="forward", backend="numba")(2, 12)  # an int x: a float
    assert type(got) is float
    _close(got, s2sad.grad(clipped)(2.0, 12))


def test_jacfwd_and_jacrev_take_the_backend():
    expected = s2sad.jacobian(two_carries, (0, 1))(0.3, 1.2, 9)
    _same_structure(s2sad.jacfwd(two_carries, (0, 1), backend="numba")(0.3, 1.2, 9), expected)
    _same_structure(s2sad.jacrev(two_carries, (0, 1), backend="numba")(0.3, 1.2, 9), expected)
    with pytest.raises(S2sadError, match="cannot compile a call of np.sum"):
        s2sad.jacrev(summed, backend="numba")(np.ones(2))


def test_jacobian_of_a_partial_runs_on_the_numba_backend():
    bound = functools.partial(two_carries, n=15)
    got = s2sad.jacobian(bound, (0, 1), backend="numba")(0.9, 0.4)
    _same_structure(got, s2sad.jacobian(two_carries, (0, 1))(0.9, 0.4, 15))


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_refuses_what_the_numba_backend_cannot_take(mode):
    with pytest.raises(S2sadError, match="cannot compile a call of np.sum"):
        s2sad.jacobian(summed, mode=mode, backend="numba")(np.ones(3))
    with pytest.raises(S2sadError, match="does not take functions returning containers"):
        s2sad.jacobian(returns_a_dict, mode=mode, backend="numba")(1.5)
    with pytest.raises(S2sadError, match="does not take functions returning containers"):
        s2sad.jacobian(returns_nested, mode=mode, backend="numba")(1.5)
    with pytest.raises(S2sadError, match="does not take has_aux=True"):
        s2sad.jacobian(lambda x: (x * x, 1.0), mode=mode, has_aux=True, backend="numba")
    with pytest.raises(S2sadError, match="cannot compile the attribute or method 'scale'"):
        s2sad.jacobian(Model(2.0).loss, mode=mode, backend="numba")(0.5, 3)


# ---- unknown backends
@pytest.mark.parametrize("make", [
    lambda b: s2sad.hvp(clipped, 0.9, 1.0, 3, backend=b),
    lambda b: s2sad.hvp(functools.partial(clipped, n=3), 0.9, 1.0, backend=b),
    lambda b: s2sad.hvp(Model(1.0).loss, 0.9, 1.0, 3, backend=b),
    lambda b: s2sad.jacobian(two_carries, backend=b),
    lambda b: s2sad.jacobian(functools.partial(two_carries, n=3), backend=b),
    lambda b: s2sad.jacobian(Model(1.0).loss, backend=b),
    lambda b: s2sad.jacobian(clipped, has_aux=True, backend=b),
    lambda b: s2sad.jacfwd(two_carries, backend=b),
    lambda b: s2sad.jacrev(two_carries, backend=b),
], ids=["hvp", "hvp-partial", "hvp-method", "jacobian", "jacobian-partial", "jacobian-method",
        "jacobian-aux", "jacfwd", "jacrev"])
def test_an_unknown_backend_is_an_error_listing_the_known_ones(make):
    with pytest.raises(S2sadError) as info:
        make("numbaa")
    error = info.value
    assert error.message == "unknown backend 'numbaa'"
    assert "numba" in error.hint and "numpy" in error.hint


def test_check_grad_checks_the_backend_asked():
    # s2sad.check_grad(..., backend=) compares that backend's derivatives (as s2sad check
    # --backend does), and refuses what the backend cannot compile as the backend does.
    assert s2sad.check_grad(clipped, 0.9, 12, backend="numba") < 1e-6

    def with_array(x):
        return np.sum(x * np.ones(3))

    with pytest.raises(S2sadError, match="numba"):
        s2sad.check_grad(with_array, np.ones(3), backend="numba")
