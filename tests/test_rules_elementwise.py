"""Elementwise rules beyond the rule table: tie conventions, NaN arguments, special points,
dtypes, methods and second derivatives (closure made real, not only syntactic)."""

import math

import numpy as np
import pytest
from fd import numeric_grad

import s2sad
from s2sad.runtime import elementwise as rte


def both_modes(f, args, wrt=0):
    """The adjoint of argument `wrt` for cotangent ones, and the tangent along ones of it."""
    value, vjp_fn = s2sad.vjp(f, *args)
    ones = np.ones_like(value) if np.ndim(value) else 1.0
    adjoint = vjp_fn(ones)[wrt]
    tangents = [np.zeros_like(a) if np.ndim(a) else 0.0 for a in args]
    tangents[wrt] = np.ones_like(args[wrt]) if np.ndim(args[wrt]) else 1.0
    _, tangent = s2sad.jvp(f, tuple(args), tuple(tangents))
    return adjoint, tangent


def hessian_matches_fd_of_grad(f, x):
    hessian = np.asarray(s2sad.hessian(f)(x))
    grad = s2sad.grad(f)
    numeric = np.array([numeric_grad(lambda v, i=i: grad(v)[i], [x], 0) for i in range(x.size)])
    np.testing.assert_allclose(hessian, numeric, rtol=1e-5, atol=1e-6)


# ---- ties: the cotangent is split evenly ----------------------------------------------------
def np_maximum(x, y):
    return np.maximum(x, y)


def np_minimum(x, y):
    return np.minimum(x, y)


def np_fmax(x, y):
    return np.fmax(x, y)


def np_fmin(x, y):
    return np.fmin(x, y)


def builtin_max(x, y):
    return max(x, y)


def builtin_min(x, y):
    return min(x, y)


@pytest.mark.parametrize("f", [np_maximum, np_minimum, np_fmax, np_fmin],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("x", [1.5, np.array([1.5, -2.0])], ids=["float", "vector"])
def test_ties_split_the_cotangent_evenly_in_both_modes(f, x):
    y = x * 1.0
    for wrt in (0, 1):
        adjoint, tangent = both_modes(f, [x, y], wrt)
        np.testing.assert_array_equal(adjoint, np.full(np.shape(x), 0.5))
        np.testing.assert_array_equal(tangent, np.full(np.shape(x), 0.5))


@pytest.mark.parametrize("f", [builtin_max, builtin_min], ids=lambda f: f.__name__)
def test_builtin_max_min_tie_gives_the_whole_cotangent_to_the_first_argument_it_returns(f):
    for wrt, share in ((0, 1.0), (1, 0.0)):
        adjoint, tangent = both_modes(f, [1.5, 1.5], wrt)
        assert adjoint == share and tangent == share


def test_maximum_away_from_ties_selects_one_argument():
    x, y = np.array([1.0, -1.0]), np.array([0.0, 2.0])
    assert np.array_equal(both_modes(np_maximum, [x, y], 0)[0], [1.0, 0.0])
    assert np.array_equal(both_modes(np_maximum, [x, y], 1)[0], [0.0, 1.0])
    assert np.array_equal(both_modes(np_minimum, [x, y], 0)[0], [0.0, 1.0])


@pytest.mark.parametrize("f", [np_fmax, np_fmin], ids=lambda f: f.__name__)
def test_fmax_fmin_pass_the_cotangent_to_the_argument_that_is_not_nan(f):
    x = np.array([np.nan, 2.0, 3.0])
    y = np.array([1.0, np.nan, -1.0])
    x_bar, x_dot = both_modes(f, [x, y], 0)
    y_bar, y_dot = both_modes(f, [x, y], 1)
    selected_x = np.array([0.0, 1.0, 1.0 if f is np_fmax else 0.0])
    np.testing.assert_array_equal(x_bar, selected_x)
    np.testing.assert_array_equal(x_dot, selected_x)
    np.testing.assert_array_equal(y_bar, 1.0 - selected_x)
    np.testing.assert_array_equal(y_dot, 1.0 - selected_x)


# ---- clip ---------------------------------------------------------------------------------
def clip_unit(x):
    return np.clip(x, 0.0, 1.0)


def clip_bounds(x, lo, hi):
    return np.clip(x, lo, hi)


def clip_lower_only(x):
    return x.clip(0.0, None)


def test_clip_passes_the_cotangent_inside_and_splits_it_at_the_bounds():
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    adjoint, tangent = both_modes(clip_unit, [x])
    np.testing.assert_array_equal(adjoint, [0.0, 0.5, 1.0, 0.5, 0.0])
    np.testing.assert_array_equal(tangent, [0.0, 0.5, 1.0, 0.5, 0.0])
    np.testing.assert_array_equal(both_modes(clip_lower_only, [x])[0], [0, 0.5, 1, 1, 1])


def test_clip_bounds_get_the_cotangent_where_they_are_selected():
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    lo, hi = np.zeros(5), np.ones(5)
    lo_bar, lo_dot = both_modes(clip_bounds, [x, lo, hi], 1)
    hi_bar, hi_dot = both_modes(clip_bounds, [x, lo, hi], 2)
    np.testing.assert_array_equal(lo_bar, [1.0, 0.5, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(hi_bar, [0.0, 0.0, 0.0, 0.5, 1.0])
    np.testing.assert_array_equal(lo_dot, lo_bar)
    np.testing.assert_array_equal(hi_dot, hi_bar)
    x_bar = both_modes(clip_bounds, [x, lo, hi], 0)[0]
    np.testing.assert_array_equal(x_bar + lo_bar + hi_bar, np.ones(5))


def test_clip_weight_of_a_scalar_bound_broadcast_against_an_array():
    x = np.array([-2.0, 0.3, 2.0])
    assert rte.clip_weight(x, -1.0, 1.0, "a_min").tolist() == [1.0, 0.0, 0.0]
    assert rte.clip_weight(x, None, 1.0, "x").tolist() == [1.0, 1.0, 0.0]


# ---- sinc ---------------------------------------------------------------------------------
def sinc(x):
    return np.sinc(x)


def test_sinc_has_derivative_zero_at_zero_and_no_nan_near_it():
    x = np.array([0.0, 1e-300, 1e-12, -1e-8, 0.00999, 0.01, 0.5])
    adjoint, tangent = both_modes(sinc, [x])
    assert np.all(np.isfinite(adjoint)) and np.all(np.isfinite(tangent))
    assert adjoint[0] == 0.0 and tangent[0] == 0.0
    far = x[4:]  # the quotient is accurate away from 0, the series' first term close to it
    np.testing.assert_allclose(adjoint[4:], (np.cos(np.pi * far) - np.sinc(far)) / far,
                               rtol=1e-10)
    np.testing.assert_allclose(adjoint[:4], -np.pi**2 / 3 * x[:4], rtol=1e-12, atol=0)


def test_sinc_second_derivative_at_zero_is_minus_pi_squared_over_three():
    assert s2sad.hessian(sinc)(0.0) == pytest.approx(-np.pi**2 / 3, rel=1e-12)
    assert s2sad.hessian(sinc)(np.float64(0.3)) == pytest.approx(
        numeric_grad(s2sad.grad(sinc), [0.3], 0), rel=1e-6)


def sum_sinc(x):
    return np.sum(np.sinc(x))


@pytest.mark.parametrize("x", [np.array([0.0, 0.004, -0.6]), np.array([0.02, 1.3, -2.5])])
def test_sinc_hessian_matches_finite_differences(x):
    hessian_matches_fd_of_grad(sum_sinc, x)


# ---- stable and safe binary functions -----------------------------------------------------
def logaddexp(x, y):
    return np.logaddexp(x, y)


def logaddexp2(x, y):
    return np.logaddexp2(x, y)


@pytest.mark.parametrize("f", [logaddexp, logaddexp2], ids=lambda f: f.__name__)
def test_logaddexp_derivatives_stay_finite_at_large_inputs(f):
    x = np.array([1000.0, 1000.0, -1000.0, 800.0])
    y = np.array([1000.0, -1000.0, -1000.0, 700.0])
    x_bar, x_dot = both_modes(f, [x, y], 0)
    y_bar, y_dot = both_modes(f, [x, y], 1)
    np.testing.assert_allclose(x_bar[:3], [0.5, 1.0, 0.5], rtol=1e-12)
    np.testing.assert_array_equal(x_dot, x_bar)
    np.testing.assert_array_equal(y_dot, y_bar)
    np.testing.assert_allclose(x_bar + y_bar, 1.0, rtol=1e-12)
    assert 0.0 <= y_bar[3] < 1e-30


def arctan2(x, y):
    return np.arctan2(x, y)


def math_atan2(x, y):
    return math.atan2(x, y)


def hypot(x, y):
    return np.hypot(x, y)


def math_hypot(x, y):
    return math.hypot(x, y)


@pytest.mark.parametrize("f", [arctan2, math_atan2, hypot, math_hypot], ids=lambda f: f.__name__)
def test_angle_and_radius_have_derivative_zero_at_the_origin(f):
    for wrt in (0, 1):
        adjoint, tangent = both_modes(f, [0.0, 0.0], wrt)
        assert adjoint == 0.0 and tangent == 0.0


def test_arctan2_derivatives_are_those_of_the_angle():
    y, x = 0.3, -1.2
    r2 = x * x + y * y
    grad = s2sad.grad(math_atan2, wrt=(0, 1))(y, x)
    assert grad[0] == pytest.approx(x / r2, rel=1e-14)
    assert grad[1] == pytest.approx(-y / r2, rel=1e-14)


# ---- NaN and infinities, dtypes -----------------------------------------------------------
def nan_to_num(x):
    return np.nan_to_num(x, posinf=5.0)


def test_nan_to_num_derivative_is_one_where_finite_and_zero_where_replaced():
    x = np.array([1.5, np.nan, np.inf, -np.inf, -2.0])
    adjoint, tangent = both_modes(nan_to_num, [x])
    np.testing.assert_array_equal(adjoint, [1.0, 0.0, 0.0, 0.0, 1.0])
    np.testing.assert_array_equal(tangent, [1.0, 0.0, 0.0, 0.0, 1.0])


def to_float32(x):
    return np.sum(np.float32(x) * 2.0)


def to_float64(x):
    return np.sum(np.float64(x) * 2.0)


def astype_float32(x):
    return np.sum(x.astype("float32") * 2.0)


def astype_np_float32(x):
    return np.sum(x.astype(np.float32) * 2.0)


def astype_int(x):
    return np.sum(x.astype("int64") * x + x.astype(int) * x.astype(bool))


@pytest.mark.parametrize("f", [to_float32, astype_float32, astype_np_float32],
                         ids=lambda f: f.__name__)
def test_a_cast_to_float32_sends_the_cotangent_back_in_the_input_dtype(f):
    x = np.array([0.1, 1.7, -2.3])
    grad = s2sad.grad(f)(x)
    assert grad.dtype == np.float64
    np.testing.assert_array_equal(grad, [2.0, 2.0, 2.0])
    _, tangent = s2sad.jvp(f, (x,), (np.ones(3),))
    assert tangent == 6.0 and np.asarray(tangent).dtype == np.float32


def test_a_cast_of_float32_to_float64_keeps_the_gradient_float32():
    x = np.array([0.1, 1.7, -2.3], dtype=np.float32)
    assert s2sad.vjp(to_float64, x)[1](1.0)[0].dtype == np.float32


def integer_scalars(x):
    return np.sum((np.int64(x) + np.int32(x) + np.bool_(x)) * x)


def test_a_cast_to_an_integer_dtype_has_zero_derivative():
    x = np.array([0.5, 1.7, -2.3])
    adjoint, tangent = both_modes(integer_scalars, [x])
    expected = x.astype(np.int64) + x.astype(np.int32) + x.astype(bool)
    np.testing.assert_array_equal(adjoint, expected)
    assert tangent == np.sum(expected)
    np.testing.assert_array_equal(s2sad.grad(astype_int)(x), x.astype(np.int64))
    _, tangent = s2sad.jvp(astype_int, (x,), (np.ones(3),))
    assert tangent == np.sum(x.astype(np.int64))


def rounded_times_x(x):
    return x * (np.floor(x) + np.ceil(x) + np.rint(x) + np.trunc(x) + np.fix(x) + np.round(x))


def test_rounding_functions_have_zero_derivative():
    x = np.array([0.3, 1.7, -2.4])
    expected = np.floor(x) + np.ceil(x) + np.rint(x) + np.trunc(x) + np.fix(x) + np.round(x)
    adjoint, tangent = both_modes(rounded_times_x, [x])
    np.testing.assert_array_equal(adjoint, expected)
    np.testing.assert_array_equal(tangent, expected)


def math_erf(x):
    return math.erf(x) + 2.0 * math.erfc(x)


def test_math_erf_derivative_is_the_gaussian_density():
    x = 0.7
    expected = -2.0 / math.sqrt(math.pi) * math.exp(-x * x)
    adjoint, tangent = both_modes(math_erf, [x])
    assert adjoint == pytest.approx(expected, rel=1e-15)
    assert tangent == pytest.approx(expected, rel=1e-15)
    assert type(adjoint) is float  # math code stays on floats


# ---- second derivatives: the rules' own rules ----------------------------------------------
def inverse_hyperbolics(x):
    return np.sum(np.arcsinh(x) + np.arccosh(x * x + 1.5) + np.arctanh(x * 0.5))


def powers_and_roots(x):
    return np.sum(np.cbrt(x) * np.exp2(x) + np.square(x) * np.reciprocal(x + 3.0))


def angles(x):
    return np.sum(np.arctan2(x, x[::-1] + 2.0) + np.hypot(x, 1.0 - x) + np.deg2rad(x) * x)


def selections(x):
    return np.sum(np.logaddexp(x, 2.0 * x) * np.clip(x, -0.5, 0.5) + np.maximum(x, 0.1) ** 2)


def float_powers(x):
    return np.sum(np.float_power(x * x + 1.0, x) + np.fmin(x, 0.2) * x)


@pytest.mark.parametrize("f", [inverse_hyperbolics, powers_and_roots, angles, selections,
                               float_powers], ids=lambda f: f.__name__)
def test_hessians_match_finite_differences_of_the_gradient(f):
    x = np.array([0.35, -0.8, 1.1, 0.6])
    hessian_matches_fd_of_grad(f, x)


def asinh_of(x):
    return math.asinh(x)


def test_third_derivative_of_arcsinh():
    x = 0.7
    third = s2sad.grad(s2sad.grad(s2sad.grad(asinh_of)))(x)
    expected = (2 * x * x - 1) / (1 + x * x) ** 2.5
    assert third == pytest.approx(expected, rel=1e-10)


def lgamma_of(x):
    return math.lgamma(x)


def test_math_lgamma_second_derivative_is_trigamma():
    special = pytest.importorskip("scipy.special")
    assert s2sad.grad(lgamma_of)(2.5) == pytest.approx(special.digamma(2.5), rel=1e-14)
    assert s2sad.hessian(lgamma_of)(2.5) == pytest.approx(special.polygamma(1, 2.5), rel=1e-14)
