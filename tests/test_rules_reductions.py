"""Reductions, cumulative operations, sorting and statistics: conventions, special values and
second derivatives (the rule table checks each rule at random points)."""

import numpy as np
import pytest
from fd import numeric_grad

import s2sad


def hessian_fd(f, x, eps=1e-5):
    """The Hessian of scalar `f` by central differences of the generated gradient."""
    grad = s2sad.grad(f)
    x = np.asarray(x, float)
    columns = []
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        columns.append((grad(x + e) - grad(x - e)) / (2 * eps))
    return np.moveaxis(np.array(columns).reshape(x.shape + x.shape), range(x.ndim), range(
        x.ndim, 2 * x.ndim))


def both_modes(f, x):
    """The gradient of scalar `f` in reverse mode, and the forward-mode Jacobian."""
    return s2sad.grad(f)(x), s2sad.jacobian(f, mode="forward")(x)


# ---- max / min: ties split the cotangent evenly ------------------------------------------
def max_all(x):
    return np.max(x)


def min_method(x):
    return x.min()


def max_rows(x):
    return np.sum(np.max(x, axis=1) * np.array([1.0, 10.0]))


def amax_keepdims(x):
    return np.sum(np.amax(x, axis=0, keepdims=True))


def test_max_splits_the_cotangent_evenly_among_ties():
    for grad in both_modes(max_all, np.array([1.0, 3.0, 3.0])):
        np.testing.assert_array_equal(grad, [0.0, 0.5, 0.5])
    for grad in both_modes(min_method, np.array([2.0, -1.0, -1.0, -1.0])):
        np.testing.assert_allclose(grad, [0.0, 1 / 3, 1 / 3, 1 / 3], rtol=1e-15)


def test_max_ties_per_row_and_column():
    x = np.array([[1.0, 4.0, 4.0], [7.0, 7.0, 7.0]])
    for grad in both_modes(max_rows, x):
        np.testing.assert_allclose(grad, [[0, 0.5, 0.5], [10 / 3, 10 / 3, 10 / 3]], rtol=1e-15)
    for grad in both_modes(amax_keepdims, np.array([[2.0, 5.0], [2.0, 1.0]])):
        np.testing.assert_array_equal(grad, [[0.5, 1.0], [0.5, 0.0]])


def test_all_equal_ptp_has_zero_derivative():
    def ptp(x):
        return np.ptp(x)

    for grad in both_modes(ptp, np.array([2.0, 2.0, 2.0])):
        np.testing.assert_array_equal(grad, 0.0)
    for grad in both_modes(ptp, np.array([1.0, 3.0, 3.0, 1.0])):
        np.testing.assert_array_equal(grad, [-0.5, 0.5, 0.5, -0.5])


def test_nanmax_ignores_nan_entries():
    def f(x):
        return np.sum(np.nanmax(x, axis=1) + np.nanmin(x, axis=1))

    x = np.array([[1.0, np.nan, 3.0], [np.nan, 2.0, 2.0]])
    for grad in both_modes(f, x):
        np.testing.assert_array_equal(grad, [[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])


# ---- prod and cumprod: exact with zeros --------------------------------------------------
def prod_all(x):
    return np.prod(x)


def prod_rows(x):
    return np.sum(np.prod(x, axis=-1) * np.array([1.0, 2.0, 3.0]))


def cumprod_weighted(x):
    return np.sum(np.cumprod(x) * np.cumsum(np.ones_like(x)))  # weights 1, 2, ...


def cumprod_columns(x):
    return np.sum(x.cumprod(axis=0) ** 2)


def products_except(x):
    """The exact gradient of prod: the product of the other entries, by brute force."""
    x = np.asarray(x, float)
    return np.array([np.prod(np.delete(x.ravel(), i)) for i in range(x.size)]).reshape(x.shape)


@pytest.mark.parametrize("x", [[2.0, 0.0, 3.0, 5.0], [2.0, 0.0, 3.0, 0.0], [0.0, 0.0, 0.0],
                               [0.0], [-1.5, 4.0, 0.5]])
def test_prod_gradient_is_exact_with_zeros(x):
    x = np.array(x)
    for grad in both_modes(prod_all, x):
        assert np.all(np.isfinite(grad))
        np.testing.assert_allclose(grad, products_except(x), rtol=1e-15)


def test_prod_along_an_axis_with_zeros_in_some_rows():
    x = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 4.0], [1.0, 2.0, 3.0]])
    expected = np.array([products_except(row) * w for row, w in zip(x, [1.0, 2.0, 3.0])])
    for grad in both_modes(prod_rows, x):
        np.testing.assert_allclose(grad, expected, rtol=1e-15)


def test_prod_of_a_python_float_and_the_method():
    assert s2sad.grad(prod_all)(3.0) == 1.0

    def f(x):
        return x.prod(axis=(0, 1)).sum()

    x = np.array([[[1.0, 0.0], [2.0, 3.0]], [[0.0, 2.0], [5.0, 1.0]]])
    np.testing.assert_allclose(s2sad.grad(f)(x), numeric_grad(f, [x], 0), atol=1e-8)
    assert s2sad.grad(f)(x)[0, 0, 1] == 6.0  # the only zero of its slice


def test_cumprod_gradient_is_exact_with_zeros():
    for x in ([2.0, 0.0, 3.0, 5.0], [0.0, 1.5, 0.0, 2.0], [1.0, 2.0, 3.0, 0.0]):
        x = np.array(x)
        # cumprod[i] depends on x[j] (j <= i) through the product of the other x[k], k <= i.
        expected = sum((i + 1.0) * np.append(products_except(x[: i + 1]), np.zeros(3 - i))
                       for i in range(4))
        for grad in both_modes(cumprod_weighted, x):
            np.testing.assert_allclose(grad, expected, rtol=1e-15)
    x = np.array([[0.0, 2.0], [3.0, 0.0], [0.5, 4.0]])
    for grad in both_modes(cumprod_columns, x):
        np.testing.assert_allclose(grad, numeric_grad(cumprod_columns, [x], 0), atol=1e-8)


def test_cumsum_along_no_axis_flattens():
    def f(x):
        return np.sum(np.cumsum(x) * np.cumsum(np.ones(6)))

    x = np.arange(6.0).reshape(2, 3)
    for grad in both_modes(f, x):
        np.testing.assert_allclose(grad, [[21, 20, 18], [15, 11, 6]])


# ---- var / std -----------------------------------------------------------------------------
def std_all(x):
    return np.std(x)


@pytest.mark.parametrize("x", [[2.0, 2.0, 2.0], [0.1, 0.1, 0.1], [1e300, 1e300], [0.0]])
def test_std_of_a_constant_has_the_zero_subgradient(x):
    x = np.array(x)
    for grad in both_modes(std_all, x):
        np.testing.assert_array_equal(grad, 0.0)


def test_std_of_constant_rows_only_zeroes_those_rows():
    def f(x):
        return np.sum(x.std(axis=1, ddof=1))

    x = np.array([[0.3, 0.3, 0.3], [1.0, 2.0, 4.0]])
    for grad in both_modes(f, x):
        np.testing.assert_array_equal(grad[0], 0.0)
        np.testing.assert_allclose(grad[1], numeric_grad(f, [x], 0)[1], rtol=1e-7)


def test_var_and_std_with_ddof_match_finite_differences(rng):
    def f(x):
        return np.sum(np.var(x, axis=0, ddof=1) * np.std(x, axis=-1, ddof=2, keepdims=True))

    x = rng.standard_normal((4, 3))
    for grad in both_modes(f, x):
        np.testing.assert_allclose(grad, numeric_grad(f, [x], 0), rtol=1e-6, atol=1e-8)


# ---- sort, partition, median ---------------------------------------------------------------
def test_sort_ties_follow_one_permutation():
    def f(x):
        return np.sum(np.sort(x) * np.array([1.0, 2.0, 3.0, 4.0]))

    for grad in both_modes(f, np.array([3.0, 1.0, 3.0, 0.0])):
        np.testing.assert_array_equal(grad, [3.0, 2.0, 4.0, 1.0])  # the first 3 sorts first


def test_sort_along_axes_and_flattened(rng):
    def f(x):
        return np.sum(np.sort(x, axis=0) * np.array([1.0, 2.0])) + np.sum(
            np.sort(x, axis=None) ** 3)

    x = rng.standard_normal((3, 2))
    for grad in both_modes(f, x):
        np.testing.assert_allclose(grad, numeric_grad(f, [x], 0), rtol=1e-7, atol=1e-8)


WEIGHTS = np.array([1.0, 2.0, 3.0, 4.0, 5.0])


def test_partition_sends_each_cotangent_to_the_entry_it_came_from(rng):
    def f(x):
        return np.sum(np.partition(x, 2) * WEIGHTS)

    x = np.array([4.0, -1.0, 3.0, 0.5, 2.0])
    expected = np.zeros(5)
    expected[[list(x).index(v) for v in np.partition(x, 2)]] = WEIGHTS
    for grad in both_modes(f, x):
        np.testing.assert_array_equal(grad, expected)


def test_median_is_the_mean_of_the_middle_entries_with_ties_split():
    def f(x):
        return np.median(x)

    for x, expected in (([5.0, 1.0, 3.0], [0, 0, 1]), ([4.0, 1.0, 3.0, 2.0], [0, 0, 0.5, 0.5]),
                        ([1.0, 2.0, 2.0], [0, 0.5, 0.5]),
                        ([2.0, 2.0, 2.0, 1.0], [1 / 3, 1 / 3, 1 / 3, 0])):
        for grad in both_modes(f, np.array(x)):
            np.testing.assert_allclose(grad, expected, rtol=1e-15)


# ---- nansum / nanmean ----------------------------------------------------------------------
def test_nan_entries_get_zero_derivative_and_no_nan_leaks():
    def f(x):
        return np.nansum(x) * 3.0 + np.sum(np.nanmean(x, axis=0))

    x = np.array([[1.0, np.nan], [3.0, 2.0]])
    for grad in both_modes(f, x):
        np.testing.assert_array_equal(grad, [[3.5, 0.0], [3.5, 4.0]])


# ---- average -------------------------------------------------------------------------------
def test_average_with_weights_along_an_axis_in_both_arguments():
    def f(a, w):
        return np.sum(np.average(a, 0, w) ** 2)

    a, w = np.array([[1.0, 2.0], [3.0, 5.0]]), np.array([1.0, 3.0])
    ga, gw = s2sad.grad(f, wrt=(0, 1))(a, w)
    np.testing.assert_allclose(ga, numeric_grad(f, [a, w], 0), rtol=1e-7)
    np.testing.assert_allclose(gw, numeric_grad(f, [a, w], 1), rtol=1e-7)
    # Scaling every weight leaves the average unchanged: the weights' gradient is normal to w.
    assert float(gw @ w) == pytest.approx(0.0, abs=1e-12)


def test_average_without_weights_is_the_mean():
    def f(a):
        return np.sum(np.average(a, axis=0) ** 2)

    a = np.array([[1.0, 2.0], [3.0, 5.0]])
    np.testing.assert_allclose(s2sad.grad(f)(a), numeric_grad(f, [a], 0), rtol=1e-7)
    assert "np.mean(a, axis=0)" in s2sad.source(f)


def test_float32_tangents_stay_float32():
    def f(x):
        return np.max(x) + np.prod(x) + np.std(x) + np.sum(np.cumprod(x)) + np.median(x) + (
            np.sum(np.sort(x) * np.cumsum(x)))

    x = np.array([1.0, 3.0, 3.0, 0.0], dtype=np.float32)
    _, tangent = s2sad.jvp(f, (x,), (np.ones(4, np.float32),))
    assert tangent.dtype == np.float32


# ---- second derivatives: the helpers' rules are closed and exact ---------------------------
def prod_rows_squared(x):
    return np.sum(np.prod(x, axis=1) ** 2)


def cumprod_sum(x):
    return np.sum(np.cumprod(x, axis=-1) * x)


def std_rows(x):
    return np.sum(np.std(x, axis=1) * np.var(x, axis=1, ddof=1))


def max_softmax(x):
    z = x - np.max(x, axis=-1, keepdims=True)
    return np.sum(np.exp(z) / np.sum(np.exp(z), axis=-1, keepdims=True) * x)


def sorted_weights(x):
    return np.sum(np.sort(x) ** 3 * np.median(x) + np.cumsum(x) ** 2)


def weighted_mean_of_squares(x):
    return np.sum(np.average(x * x, axis=1, weights=np.exp(x)))


@pytest.mark.parametrize("f, x", [
    (prod_all, [2.0, 0.0, 3.0, 5.0]),
    (prod_all, [2.0, 0.0, 3.0, 0.0]),
    (prod_rows_squared, [[1.5, -0.5, 2.0], [0.0, 1.0, 3.0]]),
    (cumprod_sum, [[1.5, 0.0, 2.0, -1.0], [0.5, 1.0, -3.0, 0.0]]),
    (cumprod_weighted, [0.7, 0.0, -1.2, 0.0, 2.0]),
    (std_rows, [[0.3, 1.0, -2.0], [1.5, 0.2, 0.9]]),
    (max_softmax, [[0.3, 1.0, -2.0], [1.5, 0.2, 0.9]]),
    (sorted_weights, [0.3, 1.0, -2.0, 1.5, 0.9]),
    (weighted_mean_of_squares, [[0.3, 1.0, -2.0], [1.5, 0.2, 0.9]]),
])
def test_hessian_matches_differences_of_the_gradient(f, x):
    x = np.array(x)
    np.testing.assert_allclose(s2sad.hessian(f)(x), hessian_fd(f, x), rtol=1e-6, atol=1e-7)


def test_hessian_of_prod_with_one_zero_is_exact():
    # d2 prod / dx_i dx_j is the product of the entries other than i and j.
    h = s2sad.hessian(prod_all)(np.array([2.0, 0.0, 3.0, 5.0]))
    np.testing.assert_array_equal(h, [[0, 15, 0, 0], [15, 0, 10, 6], [0, 10, 0, 0],
                                      [0, 6, 0, 0]])


def test_grad_of_grad_of_cumprod_through_reverse_twice():
    def g(x):
        return np.sum(s2sad.grad(cumprod_weighted)(x) ** 2)

    x = np.array([0.5, 0.0, 2.0, -1.0])
    np.testing.assert_allclose(s2sad.grad(g)(x), numeric_grad(g, [x], 0), rtol=1e-6, atol=1e-7)


def test_third_derivative_of_prod_matches_differences(rng):
    def f(x):
        return np.prod(x)

    x = np.array([1.5, 0.0, -2.0, 0.5])
    v = rng.standard_normal(4)

    def gv(x):
        return np.sum(s2sad.grad(f)(x) * v)

    def hv(x):
        return np.sum(s2sad.grad(gv)(x) * v)

    np.testing.assert_allclose(s2sad.grad(hv)(x), numeric_grad(hv, [x], 0), rtol=1e-6,
                               atol=1e-7)
