"""Numerically safe derivatives (issue 9, section 3): no NaN where a derivative or a standard
subgradient exists, in reverse and forward mode.

The mechanism (runtime/elementwise.py): singular derivatives multiply with ``safe_mul``, a
product whose exact zero is a strong zero, so the zero cotangent of an untaken ``np.where``
branch (or a zero tangent) stays zero where the derivative is inf or NaN.
"""

import math
import warnings

import numpy as np
import pytest

import s2sad
from s2sad.runtime.elementwise import safe_mul


@pytest.fixture(autouse=True)
def _quiet():
    """The forward sweeps evaluate the untaken branches, which warns, as NumPy does."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def both_modes(f, x):
    """Reverse-mode gradient of sum(f(x)) and forward-mode tangent of f along ones."""
    value, vjp_fn = s2sad.vjp(f, x)
    adjoint = vjp_fn(np.ones_like(value) if np.ndim(value) else 1.0)[0]
    _, tangent = s2sad.jvp(f, (x,), (np.ones_like(x) if np.ndim(x) else 1.0,))
    return adjoint, tangent


# ---- the untaken branch of np.where --------------------------------------------------------
def where_sqrt(x):
    return np.where(x > 0, np.sqrt(x), 0.0)


def where_arcsin(x):
    return np.where(np.abs(x) < 1.0, np.arcsin(x), 0.0)


def where_arccos(x):
    return np.where(np.abs(x) < 1.0, np.arccos(x), 0.0)


def where_arccosh(x):
    return np.where(x > 1.0, np.arccosh(x), 0.0)


def where_arctanh(x):
    return np.where(np.abs(x) < 1.0, np.arctanh(x), 0.0)


def where_cbrt(x):
    return np.where(x != 0.0, np.cbrt(x), 0.0)


def where_reciprocal(x):
    return np.where(x != 0.0, np.reciprocal(x), 0.0)


WHERE = [
    (where_sqrt, [0.0, -1.0, 4.0], [0.0, 0.0, 0.25]),
    (where_arcsin, [1.0, -2.0, 0.6], [0.0, 0.0, 1.25]),
    (where_arccos, [-1.0, 2.0, 0.6], [0.0, 0.0, -1.25]),
    (where_arccosh, [1.0, 0.5, 1.25], [0.0, 0.0, 1 / 0.75]),
    (where_arctanh, [1.0, -1.0, 0.5], [0.0, 0.0, 1 / 0.75]),
    (where_cbrt, [0.0, 8.0, -1.0], [0.0, 1 / 12, 1 / 3]),
    (where_reciprocal, [0.0, 2.0, -0.5], [0.0, -0.25, -4.0]),
]


@pytest.mark.parametrize("f, x, expected", WHERE, ids=[w[0].__name__ for w in WHERE])
def test_untaken_where_branch_leaks_no_nan_in_either_mode(f, x, expected):
    adjoint, tangent = both_modes(f, np.array(x))
    np.testing.assert_allclose(adjoint, expected, rtol=1e-14)
    np.testing.assert_allclose(tangent, expected, rtol=1e-14)


def sum_where_sqrt(x):
    return np.sum(np.where(x > 0, np.sqrt(x), 0.0))


def test_hessian_through_the_untaken_branch_is_finite():
    x = np.array([0.0, -1.0, 4.0])
    hessian = s2sad.hessian(sum_where_sqrt)(x)
    np.testing.assert_allclose(hessian, np.diag([0.0, 0.0, -0.25 * 4.0**-1.5]), rtol=1e-14)


def sqrt_of(x):
    return np.sqrt(x)


def test_a_zero_tangent_stays_zero_at_a_singular_point():
    """A Jacobian column: the tangent is 0 at x = 0, where sqrt' is infinite."""
    x = np.array([0.0, 4.0])
    _, tangent = s2sad.jvp(sqrt_of, (x,), (np.array([0.0, 1.0]),))
    np.testing.assert_array_equal(tangent, [0.0, 0.25])
    jacobian = s2sad.jacobian(sqrt_of, mode="forward")(x)
    np.testing.assert_array_equal(jacobian[1], [0.0, 0.25])
    assert jacobian[0, 1] == 0.0


def test_infinite_derivative_with_a_nonzero_cotangent_stays_infinite():
    adjoint, tangent = both_modes(sqrt_of, np.array([0.0, 1.0]))
    assert adjoint[0] == np.inf and tangent[0] == np.inf


def where_sinc_by_hand(x):
    return np.where(x != 0, np.sin(x) / x, 1.0)


def where_log(x):
    return np.where(x > 0, np.log(x), 0.0)


@pytest.mark.xfail(strict=True, reason="division's rule (x / y) is not a strong-zero product "
                   "yet: its text is in the golden files and the README (see the report)")
def test_untaken_branch_of_a_division_leaks_no_nan():
    adjoint, tangent = both_modes(where_sinc_by_hand, np.array([0.0, 1.0]))
    assert not np.isnan(adjoint).any() and not np.isnan(tangent).any()


@pytest.mark.xfail(strict=True, reason="log's rule is not a strong-zero product yet: its "
                   "text is in the golden files and the README (see the report)")
def test_untaken_branch_of_a_log_leaks_no_nan():
    adjoint, tangent = both_modes(where_log, np.array([0.0, 1.0]))
    assert not np.isnan(adjoint).any() and not np.isnan(tangent).any()


# ---- kinks: standard subgradients -------------------------------------------------------------
def abs_of(x):
    return np.abs(x)


def fabs_of(x):
    return np.fabs(x)


def math_fabs_of(x):
    return math.fabs(x)


def hypot_of(x):
    return np.hypot(x, 0.0 * x)


def norm_by_hand(x, y):
    return np.sqrt(x * x + y * y)


@pytest.mark.parametrize("f", [abs_of, fabs_of, hypot_of], ids=lambda f: f.__name__)
def test_kinks_at_zero_have_subgradient_zero(f):
    adjoint, tangent = both_modes(f, np.array([0.0, -2.0]))
    np.testing.assert_array_equal(adjoint, [0.0, -1.0])
    np.testing.assert_array_equal(tangent, [0.0, -1.0])


def test_math_fabs_at_zero_has_subgradient_zero():
    assert both_modes(math_fabs_of, 0.0) == (0.0, 0.0)


@pytest.mark.xfail(strict=True, reason="sqrt' is inf at 0 and the product rule multiplies it "
                   "by x = 0: needs strong-zero products in mul's rule (see the report)")
def test_norm_written_by_hand_has_subgradient_zero_at_the_origin():
    grads = s2sad.grad(norm_by_hand, wrt=(0, 1))(0.0, 0.0)
    assert grads == (0.0, 0.0)


def maximum_of(x):
    return np.maximum(x, 1.0 - x)


def test_maximum_tie_splits_the_cotangent():
    adjoint, tangent = both_modes(maximum_of, np.array([0.5, 2.0]))
    np.testing.assert_array_equal(adjoint, [0.0, 1.0])  # 0.5 * 1 + 0.5 * (-1) at the tie
    np.testing.assert_array_equal(tangent, [0.0, 1.0])


def sinc_of(x):
    return np.sinc(x)


def test_sinc_at_zero():
    adjoint, tangent = both_modes(sinc_of, np.array([0.0, 1e-20, -1e-9]))
    assert np.all(np.isfinite(adjoint)) and adjoint[0] == 0.0 and tangent[0] == 0.0


# ---- powers at zero (existing behaviour, kept) ---------------------------------------------
def pow_zero(x):
    return x**0


def pow_xy(x, y):
    return x**y


def test_x_to_the_zero_has_derivative_zero_at_zero():
    assert both_modes(pow_zero, np.array([0.0, 2.0]))[0].tolist() == [0.0, 0.0]
    assert both_modes(pow_zero, 0.0) == (0.0, 0.0)


def test_derivative_in_the_exponent_at_zero_base_is_zero():
    x, y = np.array([0.0, 0.0]), np.array([2.0, 0.5])
    assert s2sad.vjp(pow_xy, x, y)[1](np.ones(2))[1].tolist() == [0.0, 0.0]
    _, tangent = s2sad.jvp(pow_xy, (x, y), (np.zeros(2), np.ones(2)))
    assert tangent.tolist() == [0.0, 0.0]


def where_pow(x, y):
    return np.where(x > 0, x**y, 0.0)


def test_untaken_branch_of_a_power_leaks_no_nan_into_the_exponent():
    x, y = np.array([-1.0, 0.0, 2.0]), np.array([0.5, 0.5, 3.0])
    y_bar = s2sad.vjp(where_pow, x, y)[1](np.ones(3))[1]
    _, tangent = s2sad.jvp(where_pow, (x, y), (np.zeros(3), np.ones(3)))
    expected = [0.0, 0.0, 8.0 * np.log(2.0)]
    np.testing.assert_allclose(y_bar, expected, rtol=1e-14)
    np.testing.assert_allclose(tangent, expected, rtol=1e-14)


# ---- inverse trigonometry close to its domain's edge ----------------------------------------
def arcsin_of(x):
    return np.arcsin(x)


def arccos_of(x):
    return np.arccos(x)


def math_asin_of(x):
    return math.asin(x)


@pytest.mark.parametrize("f", [arcsin_of, arccos_of], ids=lambda f: f.__name__)
def test_arcsin_arccos_are_never_nan_strictly_inside_their_domain(f):
    below_one = np.nextafter(1.0, 0.0)
    x = np.array([below_one, -below_one, 1.0 - 1e-15, 0.999999, 0.0])
    adjoint, tangent = both_modes(f, x)
    assert np.all(np.isfinite(adjoint)) and np.all(np.isfinite(tangent))
    sign = 1.0 if f is arcsin_of else -1.0
    np.testing.assert_allclose(adjoint[2:], sign / np.sqrt((1 - x[2:]) * (1 + x[2:])),
                               rtol=1e-12)
    assert both_modes(math_asin_of, float(below_one))[0] == pytest.approx(adjoint[0] * sign)


# ---- the helper itself --------------------------------------------------------------------
def test_safe_mul_zero_is_strong_for_floats_numpy_scalars_and_arrays():
    assert safe_mul(0.0, math.inf) == 0.0 and safe_mul(math.nan, 0.0) == 0.0
    assert type(safe_mul(0.0, math.inf)) is float
    assert safe_mul(np.float64(0.0), np.float64(np.inf)) == 0.0
    out = safe_mul(np.array([0.0, 2.0, 0.0]), np.array([np.inf, 3.0, np.nan]))
    np.testing.assert_array_equal(out, [0.0, 6.0, 0.0])
    np.testing.assert_array_equal(safe_mul(0.0, np.array([np.inf, 1.0])), [0.0, 0.0])


def test_safe_mul_keeps_nan_and_inf_without_a_zero_factor():
    assert math.isnan(safe_mul(math.nan, 2.0)) and safe_mul(2.0, math.inf) == math.inf
    out = safe_mul(np.array([np.nan, 1.0, np.inf]), np.array([1.0, 0.0, -np.inf]))
    assert np.isnan(out[0]) and out[1] == 0.0 and out[2] == -np.inf
    # inf - inf in the check's sum is a false alarm only: the product is kept
    np.testing.assert_array_equal(safe_mul(np.array([np.inf, -np.inf]), 1.0), [np.inf, -np.inf])
