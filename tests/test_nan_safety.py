"""Numerically safe derivatives (issue 9, section 3): no NaN where a derivative or a standard
subgradient exists, in reverse and forward mode.

The mechanism (runtime/elementwise.py): singular derivatives divide with ``safe_div`` or
multiply with ``safe_mul``, whose exact zero is a strong zero, so the zero cotangent of an
untaken ``np.where`` branch (or a zero tangent) stays zero where the derivative is inf or NaN.
Division differentiates the same way.
"""

import math
import warnings

import numpy as np
import pytest
from fd import directional_fd, numeric_grad, random_like

import s2sad
from s2sad.ir import NameSource, Op, Var, walk
from s2sad.lowering.templates import lower_template
from s2sad.rules import REGISTRY
from s2sad.runtime import reciprocal
from s2sad.runtime.elementwise import safe_div, safe_mul


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


def where_log(x):
    return np.where(x > 0, np.log(x), 0.0)


def where_log1p(x):
    return np.where(x > -1.0, np.log1p(x), 0.0)


def where_log2(x):
    return np.where(x > 0, np.log2(x), 0.0)


def where_log10(x):
    return np.where(x > 0, np.log10(x), 0.0)


def where_sinc_by_hand(x):
    return np.where(x != 0, np.sin(x) / x, 1.0)


def where_one_over(x):
    return np.where(x != 0, 1.0 / x, 0.0)


def where_helper_reciprocal(x):
    return np.where(x != 0, reciprocal(x), 0.0)


WHERE = [
    (where_sqrt, [0.0, -1.0, 4.0], [0.0, 0.0, 0.25]),
    (where_arcsin, [1.0, -2.0, 0.6], [0.0, 0.0, 1.25]),
    (where_arccos, [-1.0, 2.0, 0.6], [0.0, 0.0, -1.25]),
    (where_arccosh, [1.0, 0.5, 1.25], [0.0, 0.0, 1 / 0.75]),
    (where_arctanh, [1.0, -1.0, 0.5], [0.0, 0.0, 1 / 0.75]),
    (where_cbrt, [0.0, 8.0, -1.0], [0.0, 1 / 12, 1 / 3]),
    (where_reciprocal, [0.0, 2.0, -0.5], [0.0, -0.25, -4.0]),
    (where_log, [0.0, -1.0, 2.0], [0.0, 0.0, 0.5]),
    (where_log1p, [-1.0, -2.0, 1.0], [0.0, 0.0, 0.5]),
    (where_log2, [0.0, -1.0, 2.0], [0.0, 0.0, 0.5 / np.log(2.0)]),
    (where_log10, [0.0, -1.0, 2.0], [0.0, 0.0, 0.5 / np.log(10.0)]),
    (where_sinc_by_hand, [0.0, 1.0], [0.0, np.cos(1.0) - np.sin(1.0)]),
    (where_one_over, [0.0, 2.0, -0.5], [0.0, -0.25, -4.0]),
    (where_helper_reciprocal, [0.0, 2.0, -0.5], [0.0, -0.25, -4.0]),
]


@pytest.mark.parametrize("f, x, expected", WHERE, ids=[w[0].__name__ for w in WHERE])
def test_untaken_where_branch_leaks_no_nan_in_either_mode(f, x, expected):
    adjoint, tangent = both_modes(f, np.array(x))
    np.testing.assert_allclose(adjoint, expected, rtol=1e-14)
    np.testing.assert_allclose(tangent, expected, rtol=1e-14)


def sum_where_sqrt(x):
    return np.sum(np.where(x > 0, np.sqrt(x), 0.0))


def sum_where_log(x):
    return np.sum(np.where(x > 0, np.log(x), 0.0))


def sum_where_sinc_by_hand(x):
    return np.sum(np.where(x != 0, np.sin(x) / x, 1.0))


HESSIANS = [
    (sum_where_sqrt, [0.0, -1.0, 4.0], [0.0, 0.0, -0.25 * 4.0**-1.5]),
    (sum_where_log, [0.0, -1.0, 2.0], [0.0, 0.0, -0.25]),
    # (sin x / x)'' = -sin x / x - 2 cos x / x^2 + 2 sin x / x^3, at 1: sin 1 - 2 cos 1
    (sum_where_sinc_by_hand, [0.0, 1.0], [0.0, np.sin(1.0) - 2.0 * np.cos(1.0)]),
]


@pytest.mark.parametrize("f, x, diagonal", HESSIANS, ids=[h[0].__name__ for h in HESSIANS])
def test_hessian_through_the_untaken_branch_is_finite(f, x, diagonal):
    hessian = s2sad.hessian(f)(np.array(x))
    np.testing.assert_allclose(hessian, np.diag(diagonal), rtol=1e-13)


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


def divide(x, y):
    return x / y


def test_division_by_zero_gives_the_infinite_derivative_with_a_nonzero_cotangent():
    """0 / 0 = 0 is for an exact zero cotangent only: d(x / y)/dx at y = 0 is inf."""
    x, y = np.array([1.0, 0.0]), np.array([0.0, 2.0])
    x_bar, y_bar = s2sad.vjp(divide, x, y)[1](np.ones(2))
    assert x_bar.tolist() == [np.inf, 0.5] and y_bar.tolist() == [-np.inf, 0.0]
    _, tangent = s2sad.jvp(divide, (x, y), (np.ones(2), np.zeros(2)))
    assert tangent.tolist() == [np.inf, 0.5]


def math_log_of(x):
    return math.log(x)


def math_sqrt_of(x):
    return math.sqrt(x)


def test_math_functions_of_floats_give_inf_not_zero_division_at_their_singular_point():
    assert both_modes(math_sqrt_of, 0.0) == (math.inf, math.inf)
    adjoint, tangent = both_modes(math_log_of, 2.0)
    assert adjoint == tangent == 0.5 and type(adjoint) is float and type(tangent) is float


def scalar_loop_quotient(x):
    total = 0.0
    for k in range(3):
        total = total + x / (k + 1.0)
    return total


def test_division_in_a_scalar_loop_stays_on_floats():
    gradient = s2sad.grad(scalar_loop_quotient)(2.0)
    assert gradient == pytest.approx(1.0 + 0.5 + 1.0 / 3.0) and type(gradient) is float


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


# ---- products under a sqrt: strong zeros where an infinite adjoint meets them -------------------
def norm_by_power(x, y):
    return np.sqrt(x ** 2 + y ** 2)


def norm_by_square(x, y):
    return np.sqrt(np.square(x) + np.square(y))


def norm_by_half_power(x, y):
    return (x * x + y * y) ** 0.5


def math_norm_by_hand(x, y):
    return math.sqrt(x * x + y * y)


def distance_by_power(a, b):
    return np.sqrt(np.sum((a - b) ** 2))


def distance_by_product(a, b):
    d = a - b
    return np.sqrt(np.sum(d * d))


def sqrt_one_minus_cos(x, y):
    return np.sqrt(1.0 - np.cos(x)) + y


def sqrt_of_prod(x, y):
    return np.sqrt(np.prod(x)) + np.sum(y)


def sqrt_in_a_loop(x, y):
    s = x
    for _ in range(3):
        r = np.sqrt(s)
        s = r * y  # its cotangent comes from the sqrt of the iteration after
    return s


# f, its arguments at a point where a sqrt's derivative is infinite, and arguments away from it.
UNDER_SQRT = [
    (norm_by_hand, (0.0, 0.0), (0.6, -0.8)),
    (norm_by_power, (0.0, 0.0), (0.6, -0.8)),
    (norm_by_square, (0.0, 0.0), (0.6, -0.8)),
    (norm_by_half_power, (0.0, 0.0), (0.6, -0.8)),
    (math_norm_by_hand, (0.0, 0.0), (0.6, -0.8)),
    (distance_by_power, (np.array([1.0, -2.0, 0.5]),) * 2,
     (np.array([1.0, -2.0, 0.5]), np.array([0.2, 0.3, -0.4]))),
    (distance_by_product, (np.zeros((2, 2)),) * 2,
     (np.array([[1.0, -2.0], [0.5, 0.1]]), np.array([[0.2, 0.3], [-0.4, 0.7]]))),
    (sqrt_one_minus_cos, (0.0, 1.0), (0.7, 1.0)),
    (sqrt_of_prod, (np.array([0.0, 0.0, 2.0]), 1.0), (np.array([0.5, 1.5, 2.0]), 1.0)),
]
IDS = [case[0].__name__ for case in UNDER_SQRT]


def test_products_under_a_sqrt_differentiate_with_strong_zeros_only_there():
    assert "safe_mul(t3_bar, x)" in s2sad.source(norm_by_hand, wrt=(0, 1))
    for ordinary in (log_of_product, product_then_exp):
        assert "safe_mul" not in s2sad.source(ordinary, wrt=(0, 1))


def log_of_product(x, y):
    return np.log(np.sum(x * y))


def product_then_exp(x, y):
    return np.sum(np.exp(x * y) ** 2) / 3.0 + np.prod(x) * np.sqrt(np.dot(y, y))


@pytest.mark.parametrize("f, at_zero, away", UNDER_SQRT, ids=IDS)
def test_sqrt_of_a_sum_of_squares_has_subgradient_zero_at_the_origin(f, at_zero, away):
    wrt = tuple(range(len(at_zero)))
    if f is sqrt_one_minus_cos:
        expected = (0.0, 1.0)
    elif f is sqrt_of_prod:
        expected = (np.zeros(3), 1.0)
    else:
        expected = tuple(np.zeros_like(a) for a in at_zero)
    grads = s2sad.grad(f, wrt=wrt)(*at_zero)
    for grad, want in zip(grads, expected):
        np.testing.assert_array_equal(grad, want)
    # Forward mode: the tangent of x * x at 0 is 0, and safe_div(0, 0) is 0.
    tangents = tuple(np.ones_like(a) if np.ndim(a) else 1.0 for a in at_zero)
    if f in (sqrt_one_minus_cos, sqrt_of_prod):
        tangents = (tangents[0] * 0.0, tangents[1])
    _, tangent = s2sad.jvp(f, at_zero, tangents)
    assert tangent == sum(np.sum(g * t) for g, t in zip(expected, tangents))


@pytest.mark.parametrize("f, at_zero, away", UNDER_SQRT, ids=IDS)
def test_products_under_a_sqrt_away_from_the_origin_match_finite_differences(f, at_zero,
                                                                             away, rng):
    wrt = tuple(range(len(away)))
    grads = s2sad.grad(f, wrt=wrt)(*away)
    for i, grad in enumerate(grads):
        np.testing.assert_allclose(grad, numeric_grad(f, away, i), rtol=1e-6, atol=1e-8)
    tangents = tuple(random_like(rng, a) for a in away)
    _, tangent = s2sad.jvp(f, away, tangents)
    expected = sum(directional_fd(f, away, i, t, 1.0) for i, t in enumerate(tangents))
    assert tangent == pytest.approx(expected, rel=1e-6, abs=1e-8)
    hessian = s2sad.hessian(f, wrt=0)(*away)
    fd = np.array([directional_fd(s2sad.grad(f, wrt=0), away, 0, e, e2)
                   for e in np.eye(np.size(away[0])).reshape((-1, *np.shape(away[0])))
                   for e2 in np.eye(np.size(away[0])).reshape((-1, *np.shape(away[0])))])
    np.testing.assert_allclose(np.reshape(hessian, -1), fd, rtol=1e-5, atol=1e-7)


def test_an_infinite_adjoint_carried_across_loop_iterations_meets_products_as_strong_zeros():
    """s is sqrt(sqrt(sqrt(x) y) y) y, which is 0 for every y at x = 0."""
    assert s2sad.grad(sqrt_in_a_loop, wrt=1)(0.0, 1.0) == 0.0
    assert s2sad.grad(sqrt_in_a_loop, wrt=0)(0.0, 1.0) == math.inf  # sqrt' at 0: honest
    away = (0.3, 1.2)
    for i, grad in enumerate(s2sad.grad(sqrt_in_a_loop, wrt=(0, 1))(*away)):
        assert grad == pytest.approx(numeric_grad(sqrt_in_a_loop, away, i), rel=1e-6)
    _, tangent = s2sad.jvp(sqrt_in_a_loop, (0.0, 1.0), (0.0, 1.0))
    assert tangent == 0.0


def norm_of(x):
    return np.linalg.norm(x)


def fro_norm_of(x):
    return np.linalg.norm(x, "fro")


def row_norms(x):
    return np.linalg.norm(x, axis=1)


def test_norms_have_subgradient_zero_at_the_origin():
    zeros = [(norm_of, np.zeros(3)), (norm_of, np.zeros((2, 2))), (fro_norm_of, np.zeros((2, 2)))]
    for f, x in zeros:
        adjoint, tangent = both_modes(f, x)
        np.testing.assert_array_equal(adjoint, np.zeros_like(x))
        assert tangent == 0.0
    adjoint, tangent = both_modes(row_norms, np.array([[0.0, 0.0], [3.0, 4.0]]))
    np.testing.assert_allclose(adjoint, [[0.0, 0.0], [0.6, 0.8]], rtol=1e-15)
    np.testing.assert_allclose(tangent, [0.0, 1.4], rtol=1e-15)


def test_hypot_of_two_zeros_has_subgradient_zero():
    assert s2sad.grad(hypot_xy, wrt=(0, 1))(0.0, 0.0) == (0.0, 0.0)
    _, tangent = s2sad.jvp(hypot_xy, (np.zeros(2), np.zeros(2)), (np.ones(2), np.ones(2)))
    np.testing.assert_array_equal(tangent, [0.0, 0.0])


def hypot_xy(x, y):
    return np.hypot(x, y)


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


def test_safe_div_zero_numerator_is_strong_for_floats_numpy_scalars_and_arrays():
    assert safe_div(0.0, 0.0) == 0.0 and safe_div(0.0, math.nan) == 0.0
    assert type(safe_div(0.0, 0.0)) is float and type(safe_div(3.0, 2.0)) is float
    assert safe_div(1.0, 0.0) == math.inf and safe_div(1.0, -0.0) == -math.inf
    assert safe_div(-2.0, 0.0) == -math.inf and math.isnan(safe_div(math.nan, 0.0))
    assert safe_div(np.float64(0.0), np.float64(0.0)) == 0.0
    assert safe_div(np.float32(0.0), 0.0) == 0.0
    out = safe_div(np.array([0.0, 2.0, 0.0, 1.0]), np.array([0.0, 4.0, np.nan, 0.0]))
    np.testing.assert_array_equal(out, [0.0, 0.5, 0.0, np.inf])
    np.testing.assert_array_equal(safe_div(0.0, np.array([0.0, 1.0])), [0.0, 0.0])
    assert safe_div(np.zeros(2, np.float32), np.zeros(2, np.float32)).dtype == np.float32


def test_safe_div_keeps_nan_without_a_zero_numerator():
    out = safe_div(np.array([np.nan, 1.0, np.inf]), np.array([1.0, np.nan, np.inf]))
    assert np.isnan(out).all()
    np.testing.assert_array_equal(safe_div(np.array([np.inf, -np.inf]), 2.0), [np.inf, -np.inf])


def test_reciprocal_helper_gives_inf_at_zero_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert reciprocal(0.0) == math.inf and reciprocal(-0.0) == -math.inf
        assert type(reciprocal(0.0)) is float and type(reciprocal(4.0)) is float
        np.testing.assert_array_equal(reciprocal(np.array([0.0, -0.0, 2.0])),
                                      [np.inf, -np.inf, 0.5])


def test_safe_mul_keeps_nan_and_inf_without_a_zero_factor():
    assert math.isnan(safe_mul(math.nan, 2.0)) and safe_mul(2.0, math.inf) == math.inf
    out = safe_mul(np.array([np.nan, 1.0, np.inf]), np.array([1.0, 0.0, -np.inf]))
    assert np.isnan(out[0]) and out[1] == 0.0 and out[2] == -np.inf
    # inf and -inf without a zero factor are kept (the check sums squares: no inf - inf)
    np.testing.assert_array_equal(safe_mul(np.array([np.inf, -np.inf]), 1.0), [np.inf, -np.inf])


def test_strong_rules_are_variants_of_vjp_rules_that_call_registered_primitives():
    strong = [prim for prim in REGISTRY.by_name.values() if prim.vjp_strong]
    assert {"mul", "pow", "float_power", "square", "prod", "cos", "math.cos"} <= {
        prim.name for prim in strong}
    for prim in strong:
        assert set(prim.vjp_strong) <= set(prim.vjp), prim.name
        for argname in prim.vjp_strong:
            env = {name: Var(name) for name in (*prim.signature, "g", "ans")}
            stmts, _ = lower_template(prim.template("vjp_strong", argname), env,
                                      NameSource(env))
            assert all(stmt.prim.name in REGISTRY.by_name
                       for stmt in walk(stmts) if isinstance(stmt, Op))
