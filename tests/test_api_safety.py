"""No silent wrong derivatives (issue 8): every API call either gives the right numbers or
raises a located s2sad error.

- stale sources: a file edited after import is refused, never differentiated as it now reads;
- containers, bools, None... given a tangent or named in wrt are refused, never dropped;
- API calls never mutate the caller's arrays, and their results never alias them;
- complex arguments are refused; cotangents and tangents must have the shape of what they seed;
- derivatives of derivatives of lambdas and closures work; integers in wrt used as an index
  or a count are reported with their line.

Numbers are checked against central finite differences (tests/fd.py).
"""

import functools
import linecache
import os
import sys

import numpy as np
import pytest
from fd import numeric_grad
from fresh_import import import_file

import s2sad

THIS_FILE = os.path.abspath(__file__)


@pytest.fixture
def no_bytecode(monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)


def assert_located(err, filename=THIS_FILE):
    """An s2sad error with file:line:col, the source line with a caret, and a hint."""
    assert isinstance(err, s2sad.S2sadError)
    assert not isinstance(err, s2sad.InternalError), str(err)
    message = str(err)
    assert err.location is not None and err.location.filename == filename, message
    assert f"{filename}:{err.location.line}:{err.location.col}" in message
    assert err.location.source_line.strip() and err.location.source_line.strip() in message
    assert "^" in message and "hint:" in message, message


# ---------------------------------------------------------------- 7. stale source files
# (name of the case, module before, module after the edit, arguments): every edit keeps the
# names and constants, so only an exact comparison of the code can notice it.
EDITS = [
    ("swapped-subtraction", "def f(x, y):\n    return x - y\n",
     "def f(x, y):\n    return y - x\n", (2.0, 3.0)),
    ("swapped-if-else", "def f(x, y):\n    if x > 0:\n        return x * y\n    else:\n"
     "        return x + y\n", "def f(x, y):\n    if x > 0:\n        return x + y\n    else:\n"
     "        return x * y\n", (2.0, 3.0)),
    ("swapped-division", "def f(x, y):\n    return x / y\n", "def f(x, y):\n    return y / x\n",
     (2.0, 3.0)),
    ("swapped-power", "def f(x, y):\n    return x ** y\n", "def f(x, y):\n    return y ** x\n",
     (2.0, 3.0)),
    ("edited-lambda", "f = lambda x, y: x - y\n", "f = lambda x, y: y - x\n", (2.0, 3.0)),
    ("function-inserted-above", "def f(x, y):\n    return x * y\n",
     "def g(x, y):\n    return x + y\n\n\ndef f(x, y):\n    return x * y\n", (2.0, 3.0)),
    ("edited-closure",
     "def make(a):\n    def f(x, y):\n        return a * x - y\n    return f\n\n\nf = make(2.0)\n",
     "def make(a):\n    def f(x, y):\n        return a * y - x\n    return f\n\n\nf = make(2.0)\n",
     (2.0, 3.0)),
    ("edited-method", "class C:\n    @staticmethod\n    def f(x, y):\n        return x / y\n",
     "class C:\n    @staticmethod\n    def f(x, y):\n        return y / x\n", (2.0, 3.0)),
]


def _function(module):
    return module.C.f if hasattr(module, "C") else module.f


@pytest.mark.parametrize("before, after, args", [e[1:] for e in EDITS],
                         ids=[e[0] for e in EDITS])
def test_a_source_edited_after_import_is_refused(before, after, args, tmp_path, no_bytecode):
    path = tmp_path / "edited.py"
    path.write_text(before)
    f = _function(import_file(path))
    truth = numeric_grad(f, args, 0)
    assert s2sad.grad(f)(*args) == pytest.approx(truth, rel=1e-6)
    path.write_text(after)
    linecache.checkcache()
    # A gradient built before the edit is of the code that runs: still right, or refused.
    try:
        assert s2sad.grad(f)(*args) == pytest.approx(truth, rel=1e-6)
    except s2sad.StaleSourceError:
        pass
    s2sad.clear_cache()
    for call in (lambda: s2sad.grad(f)(*args), lambda: s2sad.jvp(f, args, (1.0, 0.0)),
                 lambda: s2sad.vjp(f, *args), lambda: s2sad.source(f)):
        with pytest.raises(s2sad.StaleSourceError) as info:
            call()
        err = info.value
        assert isinstance(err, s2sad.NoSourceError)
        assert "changed after it was imported" in str(err) and "reload" in str(err)
        assert_located(err, str(path))
    # Importing the file again gives the derivative of the new text.
    g = _function(import_file(path))
    assert s2sad.grad(g)(*args) == pytest.approx(numeric_grad(g, args, 0), rel=1e-6)


def test_an_unedited_module_of_every_kind_of_function_is_accepted(tmp_path, no_bytecode):
    path = tmp_path / "kinds.py"
    path.write_text('''\
from __future__ import annotations

import math

import numpy as np
from numpy import sin as npsin

import s2sad

SCALE = 2.0


class C:
    @staticmethod
    def static(x: float) -> float:
        return np.cos(x) * SCALE

    def mangled(x):
        __y = x * 2.0
        return __y * x


def outer(a):
    class Inner:
        @staticmethod
        def h(x):
            return a * x * x

    return Inner


@s2sad.differentiate
def decorated(x, y=2.0):
    return np.sum(x * y) + math.pi


lam = lambda x: np.exp(x) * SCALE
multi = lambda x: (x *
                   x * 5.0)
nested = lambda: (lambda x: x * 4.0)
if True:
    indented = lambda x: x * 7.0

    def in_if(x):
        return npsin(x)


def make(a):
    b = 2.0

    def f(x):
        def g(z):
            return z * a

        return g(x) * b

    return f


def make_lambda(a):
    return lambda x: a * x ** 3
''')
    m = import_file(path)
    cases = [(m.C.static, -np.sin(0.5) * 2.0), (m.C.mangled, 2.0), (m.outer(2.0).h, 2.0),
             (m.lam, np.exp(0.5) * 2.0), (m.multi, 5.0), (m.nested(), 4.0),
             (m.indented, 7.0), (m.in_if, np.cos(0.5)), (m.make(3.0), 6.0),
             (m.make_lambda(3.0), 2.25)]
    for fn, expected in cases:
        assert s2sad.grad(fn)(0.5) == pytest.approx(expected, rel=1e-12), fn
    np.testing.assert_allclose(m.decorated.grad(np.ones(2)), [2.0, 2.0])


def test_functions_defined_in_a_test_are_accepted():
    a = 3.0

    def f(x):
        return a * x * x

    square = lambda x: a * x * x  # noqa: E731

    class Local:
        @staticmethod
        def g(x):
            return np.sin(x) * a

    assert s2sad.grad(f)(2.0) == pytest.approx(12.0)
    assert s2sad.grad(square)(2.0) == pytest.approx(12.0)
    assert s2sad.grad(Local.g)(0.5) == pytest.approx(3.0 * np.cos(0.5))
    assert s2sad.grad(lambda x: x * a)(2.0) == pytest.approx(3.0)


def _logged(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        return fn(*args) * 2.0

    return wrapper


@_logged
def doubled(x):
    return x * x


def test_a_functools_wraps_wrapper_is_refused_not_differentiated_as_the_wrapped_function():
    with pytest.raises(s2sad.NoSourceError, match="wraps another function"):
        s2sad.grad(doubled)


# ------------------------------------------------- 4. arguments that cannot carry a derivative
def unpack(t):
    a, b, c = t
    return a * b + c


def scaled(x, n):
    return x * n


def test_a_tuple_argument_takes_a_tuple_tangent():
    # A tuple is a container: its tangent is a tuple of the same structure.
    value, tangent = s2sad.jvp(unpack, ((1.0, 2.0, 3.0),), ((1.0, 1.0, 1.0),))
    assert value == 5.0 and tangent == pytest.approx(2.0 + 1.0 + 1.0)
    assert s2sad.jvp(unpack, ((1.0, 2.0, 3.0),), (None,)) == (5.0, 0.0)


@pytest.mark.parametrize("constant", [True, None, "text"], ids=["bool", "None", "str"])
def test_a_nonzero_tangent_for_any_non_differentiable_argument_is_an_error(constant):
    tangent = 1.0
    with pytest.raises(s2sad.NonDifferentiableError, match="'n'") as info:
        s2sad.jvp(lambda x, n: x * 2.0, (1.0, constant), (1.0, tangent))
    assert "hint:" in str(info.value)


def test_an_integer_with_a_nonzero_tangent_is_differentiated_in_both_modes():
    value, tangent = s2sad.jvp(scaled, (2.0, 3), (0.5, 2.0))
    assert value == 6.0 and tangent == pytest.approx(0.5 * 3 + 2.0 * 2.0)
    assert s2sad.grad(scaled, wrt=1)(2.0, 3) == pytest.approx(numeric_grad(scaled, (2.0, 3.0), 1))


CONTAINERS = [(1.0, 2.0, 3.0), [1.0, 2.0, 3.0], {"a": 1.0}]


@pytest.mark.parametrize("container", CONTAINERS, ids=["tuple", "list", "dict"])
@pytest.mark.parametrize("gradient_of_t", [
    lambda c: s2sad.grad(lambda x, t: x * 2.0, wrt=1)(1.0, c),
    lambda c: s2sad.value_and_grad(lambda x, t: x * 2.0, wrt=(0, 1))(1.0, c)[1][1],
    lambda c: s2sad.vjp(lambda x, t: x * 2.0, 1.0, c, wrt=1)[1](1.0),
    lambda c: s2sad.differentiate(lambda x, t: x * 2.0).grad(1.0, c, wrt="t"),
], ids=["grad", "value_and_grad", "vjp", "differentiate"])
def test_the_gradient_of_a_container_argument_is_a_container(gradient_of_t, container):
    gradient = gradient_of_t(container)
    assert type(gradient) is type(container)
    values = gradient.values() if isinstance(gradient, dict) else gradient
    assert list(values) == [0.0] * len(container)  # t does not reach the output


@pytest.mark.parametrize("container", CONTAINERS, ids=["tuple", "list", "dict"])
@pytest.mark.parametrize("call", [
    lambda c: s2sad.jacobian(lambda x, t: x * 2.0, wrt=1, mode="reverse")(1.0, c),
    lambda c: s2sad.jacobian(lambda x, t: x * 2.0, wrt=1, mode="forward")(1.0, c),
    lambda c: s2sad.hessian(lambda x, t: x * 2.0, wrt=1)(1.0, c),
], ids=["jacobian-reverse", "jacobian-forward", "hessian"])
def test_a_matrix_of_derivatives_refuses_a_container_naming_it(call, container):
    with pytest.raises(s2sad.NonDifferentiableError, match=r"respect to 't': it is a ") as info:
        call(container)
    assert_located(info.value)
    assert "s2sad.grad, value_and_grad, vjp and jvp take containers" in str(info.value)


# ------------------------------------------------------------ 6. no mutation, no aliasing
def bump(x):
    x += 1.0
    return np.sum(x * x)


def bump_vector(x):
    x += 1.0
    return x * x


def bump_in_tuple(x, pair):
    a, b = pair
    a += x
    return np.sum(a * b)


def bump_in_dict(x, d):
    y = d["w"]
    y *= 2.0
    return np.sum(x * y)


def _bump_truth(x):
    return 2.0 * (x + 1.0)



@s2sad.differentiate
def bump_decorated(x):
    x += 1.0
    return np.sum(x * x)


X = np.array([1.0, 2.0, 3.0])
V = np.array([0.5, -1.0, 2.0])

# Each call returns the derivative of bump (or bump_vector) at X; the expected value is the
# derivative of the function at the caller's point, not at a point the call moved.
MUTATING_CALLS = {
    "grad": (lambda x: s2sad.grad(bump)(x), lambda: _bump_truth(X)),
    "value_and_grad": (lambda x: s2sad.value_and_grad(bump)(x)[1], lambda: _bump_truth(X)),
    "vjp": (lambda x: s2sad.vjp(bump, x)[1](1.0)[0], lambda: _bump_truth(X)),
    "jvp": (lambda x: s2sad.jvp(bump, (x,), (V,))[1], lambda: _bump_truth(X) @ V),
    "jacobian-reverse": (lambda x: s2sad.jacobian(bump_vector, mode="reverse")(x),
                         lambda: np.diag(_bump_truth(X))),
    "jacobian-forward": (lambda x: s2sad.jacobian(bump_vector, mode="forward")(x),
                         lambda: np.diag(_bump_truth(X))),
    "hessian": (lambda x: s2sad.hessian(bump)(x), lambda: 2.0 * np.eye(3)),
    "hvp": (lambda x: s2sad.hvp(bump, x, V), lambda: 2.0 * V),
    "check_grad": (lambda x: s2sad.check_grad(bump, x) < 1e-5, lambda: True),
    "trace": (lambda x: s2sad.trace(bump, x).value("x"), lambda: X),
    "differentiate.grad": (lambda x: bump_decorated.grad(x), lambda: _bump_truth(X)),
    "differentiate.value_and_grad": (lambda x: bump_decorated.value_and_grad(x)[1],
                                     lambda: _bump_truth(X)),
    "differentiate.vjp": (lambda x: bump_decorated.vjp(x)[1](1.0)[0], lambda: _bump_truth(X)),
    "differentiate.jvp": (lambda x: bump_decorated.jvp((x,), (V,))[1],
                          lambda: _bump_truth(X) @ V),
}


@pytest.mark.parametrize("name", list(MUTATING_CALLS))
def test_no_api_call_mutates_the_callers_array(name):
    call, expected = MUTATING_CALLS[name]
    x = X.copy()
    for _ in range(2):  # the second call must see the same point (and reuse the builds)
        got = call(x)
        np.testing.assert_array_equal(x, X)
        np.testing.assert_allclose(got, expected(), rtol=1e-9)
        if isinstance(got, np.ndarray):
            assert not np.shares_memory(got, x)


def test_the_finite_differences_agree_with_the_expected_derivatives():
    np.testing.assert_allclose(numeric_grad(lambda x: bump(x.copy()), (X,), 0), _bump_truth(X),
                               rtol=1e-6)


def test_arrays_inside_tuples_and_dicts_are_not_mutated_either():
    a, b = np.ones(3), np.arange(3.0)
    w = np.ones(3)
    x = np.array([0.5, 1.5, 2.5])
    for call in (lambda: s2sad.grad(bump_in_tuple)(x, (a, b)),
                 lambda: s2sad.vjp(bump_in_tuple, x, (a, b))[1](1.0)[0],
                 lambda: s2sad.jacobian(bump_in_tuple)(x, (a, b)),
                 lambda: s2sad.trace(bump_in_tuple, x, (a, b)).adjoint("x")):
        np.testing.assert_allclose(call(), b)
        np.testing.assert_array_equal(a, np.ones(3))
    for call in (lambda: s2sad.vjp(bump_in_dict, x, {"w": w})[1](1.0)[0],
                 lambda: s2sad.jacobian(bump_in_dict)(x, {"w": w})):
        np.testing.assert_allclose(call(), 2.0 * np.ones(3))
        np.testing.assert_array_equal(w, np.ones(3))
    assert s2sad.check_grad(bump_in_tuple, x, (a, b), wrt=0) < 1e-5
    np.testing.assert_array_equal(a, np.ones(3))


def identity(x):
    return x


def second(x, c):
    return c + 0.0 * x


def half_square(x):
    return 0.5 * np.sum(x * x)


def test_no_result_aliases_a_callers_array():
    x, v, c = X.copy(), V.copy(), np.array(3.0)
    results = {
        "vjp value": s2sad.vjp(identity, x)[0],
        "vjp_fn": s2sad.vjp(identity, x)[1](v)[0],
        "jvp value": s2sad.jvp(identity, (x,), (v,))[0],
        "jvp tangent": s2sad.jvp(identity, (x,), (v,))[1],
        "jacobian-reverse": s2sad.jacobian(identity, mode="reverse")(x),
        "jacobian-forward": s2sad.jacobian(identity, mode="forward")(x),
        "hessian": s2sad.hessian(half_square)(x),
        "hvp": s2sad.hvp(half_square, x, v),
        "grad of the identity": s2sad.grad(identity)(c),
        "value_and_grad value": s2sad.value_and_grad(second)(1.0, c)[0],
        "value_and_grad of the identity": s2sad.value_and_grad(identity)(c)[0],
        "differentiate.vjp": s2sad.differentiate(identity).vjp(x)[1](v)[0],
        "differentiate.jvp": s2sad.differentiate(identity).jvp((x,), (v,))[1],
        "trace": s2sad.trace(identity, x, cotangent=v).value("x"),
    }
    for name, result in results.items():
        for given in (x, v, c):
            assert not np.shares_memory(result, given), name
    np.testing.assert_allclose(results["hvp"], v)
    np.testing.assert_allclose(results["jacobian-forward"], np.eye(3))
    # One array passed twice: the two gradients are still two arrays.
    gx, gy = s2sad.grad(lambda p, q: np.sum(p * q), wrt=(0, 1))(x, x)
    assert not np.shares_memory(gx, gy) and not np.shares_memory(gx, x)
    np.testing.assert_array_equal(x, X)
    np.testing.assert_array_equal(v, V)


# ----------------------------------------------------------------------- 9. complex inputs
def square(x):
    return np.sum(x * x)


def sine(x):
    return np.sin(x)


COMPLEX_VALUES = [1.0 + 2.0j, np.complex128(1.0 + 2.0j), np.array([1.0 + 2.0j, 0.5 + 0j])]
COMPLEX_IDS = ["complex", "np.complex128", "complex-array"]


@pytest.mark.parametrize("z", COMPLEX_VALUES, ids=COMPLEX_IDS)
@pytest.mark.parametrize("call", [
    lambda z: s2sad.grad(square)(z),
    lambda z: s2sad.value_and_grad(square)(z),
    lambda z: s2sad.vjp(sine, z),
    lambda z: s2sad.vjp(sine, z, wrt=0),
    lambda z: s2sad.jvp(sine, (z,), (np.ones(np.shape(z)) if np.ndim(z) else 1.0,)),
    lambda z: s2sad.jacobian(sine, mode="reverse")(z),
    lambda z: s2sad.jacobian(sine, mode="forward")(z),
    lambda z: s2sad.hessian(square)(z),
    lambda z: s2sad.hvp(square, z, np.ones(np.shape(z)) if np.ndim(z) else 1.0),
    lambda z: s2sad.check_grad(square, z),
    lambda z: s2sad.differentiate(square).grad(z),
], ids=["grad", "value_and_grad", "vjp", "vjp-wrt", "jvp", "jacobian-reverse",
        "jacobian-forward", "hessian", "hvp", "check_grad", "differentiate"])
def test_complex_arguments_are_refused(call, z):
    with pytest.raises(s2sad.NonDifferentiableError, match="it is complex") as info:
        call(z)
    assert_located(info.value)


@pytest.mark.parametrize("call", [
    lambda: s2sad.jvp(sine, (0.5,), (1.0 + 1.0j,)),
    lambda: s2sad.jvp(sine, (np.ones(2),), (np.ones(2, dtype=complex),)),
    lambda: s2sad.hvp(square, np.ones(2), np.ones(2, dtype=complex)),
    lambda: s2sad.vjp(sine, np.ones(2))[1](np.ones(2, dtype=complex)),
], ids=["jvp-scalar-tangent", "jvp-array-tangent", "hvp-direction", "vjp-cotangent"])
def test_complex_tangents_and_cotangents_are_refused(call):
    with pytest.raises(s2sad.S2sadError, match="must be real numbers, but it is complex") as info:
        call()
    assert_located(info.value)


def test_a_complex_argument_held_constant_is_allowed():
    value, tangent = s2sad.jvp(lambda x, c: x * c, (2.0, 1.0 + 1.0j), (1.0, None))
    assert value == 2.0 + 2.0j and tangent == 1.0 + 1.0j


# ------------------------------------------------- 10. cotangents and tangents of the wrong shape
def two_outputs(x):
    return np.sin(x), np.sum(x * x)


@pytest.mark.parametrize("cotangent, given", [
    (np.ones(4), "(4,)"), (np.ones((2, 3)), "(2, 3)"), (1.0, "()"), (np.ones((3, 1)), "(3, 1)"),
])
def test_vjp_fn_refuses_a_cotangent_of_the_wrong_shape_naming_both_shapes(cotangent, given):
    _, vjp_fn = s2sad.vjp(sine, np.ones(3))
    with pytest.raises(s2sad.S2sadError, match="must have shape") as info:
        vjp_fn(cotangent)
    assert f"has shape {given}" in str(info.value) and "(3,)" in str(info.value)
    assert_located(info.value)


@pytest.mark.parametrize("cotangent", [None, True, "1.0", [1.0, "a"]],
                         ids=["None", "bool", "str", "mixed-list"])
def test_vjp_fn_refuses_a_cotangent_that_is_not_real_numbers(cotangent):
    _, vjp_fn = s2sad.vjp(sine, 0.5)
    with pytest.raises(s2sad.S2sadError, match="must be real numbers") as info:
        vjp_fn(cotangent)
    assert_located(info.value)


def test_vjp_fn_checks_the_structure_of_a_tuple_output():
    x = np.array([0.3, -0.4, 1.1])
    _, vjp_fn = s2sad.vjp(two_outputs, x)
    for bad in ((np.ones(3),), (np.ones(3), 1.0, 1.0), np.ones(3), (np.ones(2), 1.0),
                (np.ones(3), np.ones(3))):
        with pytest.raises(s2sad.S2sadError) as info:
            vjp_fn(bad)
        assert not isinstance(info.value, s2sad.InternalError)
        assert_located(info.value)
    (g,) = vjp_fn((np.ones(3), 2.0))
    np.testing.assert_allclose(g, np.cos(x) + 4.0 * x)


def test_integer_and_python_float_cotangents_are_accepted_and_right():
    x = np.array([0.3, -0.4, 1.1])
    truth = numeric_grad(lambda x: np.sum(2 * np.sin(x)), (x,), 0)
    _, vjp_fn = s2sad.vjp(sine, x)
    np.testing.assert_allclose(vjp_fn(np.array([2, 2, 2]))[0], truth, rtol=1e-6)
    np.testing.assert_allclose(vjp_fn([2, 2, 2])[0], truth, rtol=1e-6)
    _, vjp_fn = s2sad.vjp(square, x)  # a 0-d output: a Python number, int or float
    for seed in (2, 2.0, np.float64(2.0), np.array(2.0)):
        np.testing.assert_allclose(vjp_fn(seed)[0], 4.0 * x)
    _, vjp_fn = s2sad.vjp(lambda x: np.array(np.sum(x)), x)  # a 0-d array output
    np.testing.assert_allclose(vjp_fn(1.0)[0], np.ones(3))


def test_jvp_refuses_a_tangent_of_the_wrong_shape_naming_both_shapes():
    with pytest.raises(s2sad.S2sadError, match=r"'x' has shape \(4,\), but it must have "
                                               r"shape \(3,\)") as info:
        s2sad.jvp(sine, (np.ones(3),), (np.ones(4),))
    assert_located(info.value)
    with pytest.raises(s2sad.S2sadError, match=r"shape \(2,\)"):
        s2sad.hvp(square, np.ones(2), np.ones(3))
    with pytest.raises(s2sad.S2sadError, match="must have shape"):
        s2sad.jvp(sine, (0.5,), (np.ones(2),))


def test_integer_tangents_are_converted_and_right():
    x = np.array([0.3, -0.4, 1.1])
    value, tangent = s2sad.jvp(square, (x,), (np.array([1, 0, 2]),))
    assert tangent == pytest.approx(2.0 * x @ np.array([1.0, 0.0, 2.0]))
    value, tangent = s2sad.jvp(lambda s: s * s, (0.5,), (2,))
    assert tangent == pytest.approx(2.0)


# ------------------------------------------------------------------ 12. crashes with no message
def make_cubic(a):
    def cubic(x):
        return a * x ** 3

    return cubic


def test_hessian_of_a_lambda_works():
    h = s2sad.hessian(lambda x: x ** 4)
    expected = numeric_grad(s2sad.grad(lambda x: x ** 4), (0.5,), 0)
    assert h(0.5) == pytest.approx(expected, rel=1e-6)
    assert h(0.5) == pytest.approx(12 * 0.25)


def test_gradient_of_the_gradient_of_a_closure_works():
    d2 = s2sad.grad(s2sad.grad(make_cubic(2.0)))
    import gc

    gc.collect()  # nothing but d2 holds the closure
    expected = numeric_grad(s2sad.grad(make_cubic(2.0)), (0.5,), 0)
    assert d2(0.5) == pytest.approx(expected, rel=1e-6)
    assert d2(0.5) == pytest.approx(6 * 2.0 * 0.5)
    assert s2sad.grad(s2sad.grad(lambda x: x ** 4))(0.5) == pytest.approx(3.0)


def test_a_gradient_function_keeps_its_function_alive_and_only_that():
    import gc
    import weakref

    f = make_cubic(3.0)
    ref = weakref.ref(f)
    g = s2sad.grad(f)
    del f
    gc.collect()
    assert ref() is not None and g(1.0) == pytest.approx(9.0)
    del g
    gc.collect()
    assert ref() is None


def pick(x, n):
    return x[n] * 2.0


def count(x, n):
    s = 0.0
    for i in range(n):  # noqa: B007 - written the way users write it
        s = s + x * x
    return s


def uses_n_as_a_number(x, n):
    return x * n * n


INTEGER_MISUSE = [
    lambda f, x: s2sad.grad(f, wrt=(0, 1))(x, 1),
    lambda f, x: s2sad.value_and_grad(f, wrt=(0, 1))(x, 1),
    lambda f, x: s2sad.vjp(f, x, 1, wrt=(0, 1)),
    lambda f, x: s2sad.jvp(f, (x, 1), (x, 1.0)),
    lambda f, x: s2sad.jacobian(f, wrt=(0, 1), mode="reverse")(x, 1),
    lambda f, x: s2sad.jacobian(f, wrt=(0, 1), mode="forward")(x, 1),
    lambda f, x: s2sad.hessian(f, wrt=(0, 1))(x, 1),
    lambda f, x: s2sad.hvp(f, (x, 1), (x, 1.0)),
    lambda f, x: s2sad.grad(f, wrt="n")(x, 1),
]
INTEGER_MISUSE_IDS = ["grad", "value_and_grad", "vjp", "jvp", "jacobian-reverse",
                      "jacobian-forward", "hessian", "hvp", "grad-wrt-name"]


@pytest.mark.parametrize("call", INTEGER_MISUSE, ids=INTEGER_MISUSE_IDS)
@pytest.mark.parametrize("fn, snippet, x", [(pick, "x[n]", np.array([1.0, 2.0, 3.0])),
                                             (count, "range(n)", 1.5)], ids=["index", "range"])
def test_an_integer_in_wrt_used_as_an_index_or_a_count_is_reported_with_its_line(
        call, fn, snippet, x):
    with pytest.raises(s2sad.NonDifferentiableError, match="'n' is an integer") as info:
        call(fn, x)
    err = info.value
    assert_located(err)
    assert snippet in err.location.source_line
    assert err.location.source_line.index(snippet) == err.location.col
    assert "leave 'n' out of wrt" in str(err)


def test_an_integer_in_wrt_used_as_a_number_is_still_differentiated():
    got = s2sad.grad(uses_n_as_a_number, wrt=(0, 1))(1.5, 2)
    assert got[0] == pytest.approx(numeric_grad(uses_n_as_a_number, (1.5, 2.0), 0))
    assert got[1] == pytest.approx(numeric_grad(uses_n_as_a_number, (1.5, 2.0), 1))
    assert s2sad.grad(pick)(np.ones(3), 1)[1] == 2.0  # n left out of wrt: fine


def positives(x):
    return x[x > 0.0] * 2.0


def test_an_empty_output_has_an_empty_jacobian_in_both_modes():
    x = -np.ones(3)
    for mode in ("reverse", "forward"):
        jac = s2sad.jacobian(positives, mode=mode)(x)
        assert jac.shape == (0, 3)
    assert s2sad.jacobian(positives, mode="reverse")(np.array([1.0, -1.0])).shape == (1, 2)
