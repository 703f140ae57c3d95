"""How calls are bound: calls without derivative rules run as written (constants need no rule;
calls on active values are refused, all of them in one error), differentiated values in
parameters are refused, optional differentiable arguments take their defaults, and method calls
take separate sizes."""

import math

import numpy as np
import pytest
from fd import numeric_grad
from numpy import average

import s2sad

C = np.array([1.0, 2.0, 3.0])
# A compiled function of data: no Python source, no rule (like a C extension's or numba's).
compiled_double = np.frompyfunc(lambda v: 2 * v, 1, 1)


def constants_everywhere(x, n):
    grid = np.linspace(0.0, 1.0, n)
    k = np.arange(n)
    eye = np.eye(3)
    clean = np.isnan(C)
    scale = C.sum() + np.float64(2.0) + math.factorial(3) + float(compiled_double(C)[1])
    return np.sum(x * grid * k) + scale * np.sum(eye @ x[:3]) + np.sum(clean)


def test_constant_calls_need_no_rule_in_both_modes(rng):
    x = rng.standard_normal(5)
    expected = numeric_grad(constants_everywhere, [x, 5], 0)
    np.testing.assert_allclose(s2sad.grad(constants_everywhere)(x, 5), expected, rtol=1e-6)
    v = rng.standard_normal(5)
    _, tangent = s2sad.jvp(constants_everywhere, (x, 5), (v, 0))
    assert tangent == pytest.approx(float(expected @ v), rel=1e-6)


def test_constant_calls_are_printed_as_written():
    text = s2sad.source(constants_everywhere, wrt="x")
    for call in ("np.linspace(0.0, 1.0, num=n)", "np.arange(n)", "np.eye(3)", "C.sum()",
                 "np.float64(2.0)", "math.factorial(3)", "compiled_double(C)"):
        assert call in text


def test_scipy_constants_need_no_rule():
    special = pytest.importorskip("scipy.special")

    def f(x):
        return x * special.gamma(3.0) + special.zeta(2.0, 1.0)

    assert s2sad.grad(f)(1.5) == pytest.approx(2.0)
    assert s2sad.jvp(f, (1.5,), (1.0,))[1] == pytest.approx(2.0)


def noisy(x):
    a = np.random.normal(size=3)
    b = np.random.normal(size=3)  # the same call: a new draw, never merged with `a`
    return np.sum(x * a) + np.sum(x * x * b)


def test_random_draws_run_once_each_and_in_order():
    x = np.array([0.5, -1.0, 2.0])
    np.random.seed(1)
    gradient = s2sad.grad(noisy)(x)
    np.random.seed(1)
    a, b = np.random.normal(size=3), np.random.normal(size=3)
    np.testing.assert_allclose(gradient, a + 2 * x * b)
    np.random.seed(1)
    value, tangent = s2sad.jvp(noisy, (x,), (np.ones(3),))
    np.testing.assert_allclose(tangent, np.sum(a + 2 * x * b))


def unused_draw(x):
    _ = np.random.normal()
    return np.random.normal() * x


def test_a_draw_whose_result_is_unused_still_runs():
    np.random.seed(7)
    np.random.normal()
    second = np.random.normal()
    np.random.seed(7)
    assert s2sad.grad(unused_draw)(3.0) == pytest.approx(second)


def two_missing_rules(x):
    a = np.interp(x, C, C)
    b = np.polyval(C, x)
    return np.sum(a) + b


def test_every_missing_rule_is_reported_at_once():
    with pytest.raises(s2sad.MissingRuleError) as info:
        s2sad.grad(two_missing_rules)
    text = str(info.value)
    assert "2 calls have no derivative rule" in text
    assert "a = np.interp(x, C, C)" in text and "b = np.polyval(C, x)" in text
    assert text.count("test_calls.py:") == 2
    assert "stop_gradient" in text
    with pytest.raises(s2sad.MissingRuleError):
        s2sad.jvp(two_missing_rules, (1.0,), (1.0,))


def mask_of_active(x):
    bad = np.logical_and(np.isfinite(x), np.abs(x) < 10.0)
    order = np.argsort(x)
    return np.sum(np.where(bad, x * x, 0.0)) + x[order[0]]


def test_values_read_only_as_masks_and_indices_need_no_rule(rng):
    x = rng.standard_normal(4)
    expected = numeric_grad(mask_of_active, [x], 0)
    np.testing.assert_allclose(s2sad.grad(mask_of_active)(x), expected, rtol=1e-6)


def fills_in_place(x):
    y = x * 2.0
    _ = np.fill_diagonal(y, 0.0)
    return np.sum(y)


def test_a_call_that_may_write_into_an_active_value_is_refused():
    with pytest.raises(s2sad.MissingRuleError, match="np.fill_diagonal"):
        s2sad.grad(fills_in_place)


def sorts_in_place(x):
    y = x * 2.0
    _ = y.sort()
    return np.sum(y)


def test_methods_that_change_their_object_are_refused():
    with pytest.raises(s2sad.UnsupportedSyntaxError, match="in place") as info:
        s2sad.grad(sorts_in_place)
    assert "np.sort" in info.value.hint


def uses_dtypes(x):
    scale = np.ones(3, dtype=np.float32).astype(float)
    return np.sum(x * scale) * float(np.array(2, dtype=int))


def test_types_are_values_for_dtype_arguments():
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(s2sad.grad(uses_dtypes)(x), 2.0 * np.ones(3))
    assert "dtype=np.float32" in s2sad.source(uses_dtypes)


def hessian_with_constants(x):
    k = np.arange(1.0, 4.0)
    return np.sum(np.sin(x) * k) + C.sum() * np.sum(x * x)


def test_constants_survive_higher_order(rng):
    x = rng.standard_normal(3)
    hess = s2sad.hessian(hessian_with_constants)(x)
    expected = np.diag(-np.sin(x) * np.arange(1.0, 4.0) + 2 * C.sum())
    np.testing.assert_allclose(hess, expected, rtol=1e-8, atol=1e-10)


def reshapes_by_sizes(x):
    return np.sum(x.reshape(3, 2).transpose(1, 0) * np.arange(6.0).reshape(2, 3))


def test_reshape_and_transpose_methods_take_separate_sizes(rng):
    x = rng.standard_normal(6)
    expected = numeric_grad(reshapes_by_sizes, [x], 0)
    np.testing.assert_allclose(s2sad.grad(reshapes_by_sizes)(x), expected, rtol=1e-6)
    _, tangent = s2sad.jvp(reshapes_by_sizes, (x,), (np.ones(6),))
    assert tangent == pytest.approx(expected.sum(), rel=1e-6)


def pads_with_a_variable(x, c):
    return np.sum(np.pad(x, 1, constant_values=c) ** 2)


def selects_with_a_variable_default(x, c):
    return np.sum(np.select([x > 0.0], [x], default=c))


def test_a_differentiated_value_in_a_parameter_is_refused():
    for f in (pads_with_a_variable, selects_with_a_variable_default):
        with pytest.raises(s2sad.MissingRuleError, match="no derivative with respect to") as info:
            s2sad.grad(f, wrt=(0, 1))
        assert "stop_gradient" in info.value.hint
        with pytest.raises(s2sad.MissingRuleError, match="no derivative with respect to"):
            s2sad.jvp(f, (np.ones(3), 2.0), (np.ones(3), 1.0))


def test_a_constant_parameter_is_fine(rng):
    x = rng.standard_normal(3)
    gradient = s2sad.grad(pads_with_a_variable)(x, 2.0)  # c is not differentiated
    np.testing.assert_allclose(gradient, 2 * x)


def averaged_by_name(a):
    return average(a * a) + np.average(a, weights=None)


def test_optional_differentiable_arguments_take_their_defaults(rng):
    a = rng.standard_normal(4)
    np.testing.assert_allclose(s2sad.grad(averaged_by_name)(a), numeric_grad(averaged_by_name,
                               [a], 0), rtol=1e-6)
