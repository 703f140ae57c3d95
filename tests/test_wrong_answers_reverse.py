"""Regression tests for reverse-mode answers that were once silently wrong (issue 8).

Each program is checked in reverse mode (grad, vjp, hessian where it applies) and in forward
mode (jvp) against central finite differences.
"""

import numpy as np
import pytest
from fd import numeric_grad

import s2sad


def check_both_modes(f, args, wrt=0, rtol=1e-6, atol=1e-7):
    """grad and jvp of `f` with respect to args[wrt] against finite differences."""
    expected = np.asarray(numeric_grad(f, list(args), wrt))
    got = s2sad.grad(f, wrt=wrt)(*args)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
    assert np.shape(got) == np.shape(args[wrt])
    value, vjp_fn = s2sad.vjp(f, *args)
    np.testing.assert_allclose(vjp_fn(1.0)[wrt], expected, rtol=rtol, atol=atol)
    # Forward mode, one basis direction at a time.
    x = np.asarray(args[wrt], dtype=float)
    for i in np.ndindex(x.shape):
        tangents = [np.zeros(np.shape(a)) if isinstance(a, np.ndarray) else 0.0 for a in args]
        if x.shape:
            tangents[wrt][i] = 1.0
        else:
            tangents[wrt] = 1.0
        _, dot = s2sad.jvp(f, tuple(args), tuple(tangents))
        np.testing.assert_allclose(dot, expected[i], rtol=rtol, atol=atol)


# ------------------------------------------------------------------ mixed broadcast shapes
def scalar_plus_broadcast_sum(y, A):
    return y * y + np.sum(A + y)


def two_sums_of_a_vector(q, A):
    return np.sum(q) + np.sum(A * q)


def scalar_broadcast_to_two_shapes(z):
    return np.sum(np.ones(3) * z) + np.sum(np.ones((1, 4)) * z)


def logistic_loss_with_scalar_bias(w, b, X, y, lam):
    z = X @ w + b
    p = 1.0 / (1.0 + np.exp(-z))
    data = -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
    return data + lam * (w @ w + b * b)


def test_grad_of_scalar_plus_sum_of_broadcast_counts_the_scalar_once():
    A = np.array([1.0, 2.0, 3.0])
    assert s2sad.grad(scalar_plus_broadcast_sum)(1.5, A) == pytest.approx(6.0)
    check_both_modes(scalar_plus_broadcast_sum, (1.5, A))


def test_grad_of_vector_used_alone_and_broadcast_against_a_matrix_matches_fd():
    q = np.array([0.5, -1.0, 2.0])
    A = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    np.testing.assert_allclose(s2sad.grad(two_sums_of_a_vector)(q, A), [6.0, 8.0, 10.0])
    check_both_modes(two_sums_of_a_vector, (q, A))


def test_hessian_of_cube_plus_broadcast_sum_is_exact():
    def f(y, A):
        return y ** 3 + np.sum(A * y)

    A = np.array([1.0, 2.0, 3.0])
    assert s2sad.hessian(f)(1.5, A) == pytest.approx(9.0)
    check_both_modes(f, (1.5, A))


def test_scalar_broadcast_to_two_different_shapes_sums_each_contribution():
    assert s2sad.grad(scalar_broadcast_to_two_shapes)(2.0) == pytest.approx(7.0)
    check_both_modes(scalar_broadcast_to_two_shapes, (2.0,))


def test_logistic_loss_with_scalar_bias_and_l2_penalty_matches_fd():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 3))
    y = (rng.random(6) > 0.5).astype(float)
    w = rng.normal(size=3)
    args = (w, 0.3, X, y, 0.1)
    check_both_modes(logistic_loss_with_scalar_bias, args, wrt=0, rtol=1e-5)
    check_both_modes(logistic_loss_with_scalar_bias, args, wrt=1, rtol=1e-5)


def test_branches_with_different_broadcast_contributions_match_fd():
    def f(x, A, c):
        if c > 0.0:
            z = A * x
        else:
            z = x * x
        return np.sum(z) + x * 3.0

    A = np.array([[1.0, 2.0], [3.0, 4.0]])
    check_both_modes(f, (0.7, A, 1.0))
    check_both_modes(f, (0.7, A, -1.0))


def test_loop_whose_contribution_shape_changes_between_iterations_matches_fd():
    def f(x, n):
        s = 0.0
        for i in range(n):
            s = s + np.sum(np.ones(i + 1) * x) + x * x
        return s

    check_both_modes(f, (0.8, 3))


def test_loop_carried_value_broadcast_against_a_matrix_matches_fd():
    def f(x, A, n):
        s = x
        for _ in range(n):
            s = np.sum(s * A) * 0.1 + x
        return s

    A = np.array([[1.0, 2.0], [3.0, 4.0]])
    check_both_modes(f, (0.8, A, 3))
    check_both_modes(f, (0.8, A, 3), wrt=1)


# ------------------------------------------------------------------ loops skipped on some paths
def halve_in_branch(a):
    for _ in range(2):
        if a > 10.0:
            while a > 10.0:
                a = a * 0.5
    return a


def halve_after_continue(a, c):
    for i in range(3):
        if i == c:
            continue
        while a > 10.0:
            a = a * 0.5
        a = a * 3.0
    return a


def halve_after_break(a, c):
    for i in range(3):
        if i == c:
            break
        while a > 10.0:
            a = a * 0.5
        a = a * 3.0
    return a


@pytest.mark.parametrize("a", [0.5, 30.0])
def test_while_inside_a_branch_of_a_for_matches_fd(a):
    check_both_modes(halve_in_branch, (a,))


@pytest.mark.parametrize("a, c", [(0.5, 1), (30.0, 0), (30.0, 2), (7.0, 1)])
def test_while_after_a_continue_matches_fd(a, c):
    check_both_modes(halve_after_continue, (a, c))


@pytest.mark.parametrize("a, c", [(0.5, 1), (30.0, 0), (30.0, 2), (7.0, 1)])
def test_while_after_a_break_matches_fd(a, c):
    check_both_modes(halve_after_break, (a, c))


# ------------------------------------------------------------------ carried adjoint shapes
def sum_of_broadcast_carried(x, B, n):
    s = x
    for _ in range(n):
        t = s * B
        s = np.sum(t) * 0.5
    return s


def run_printed_gradient(f, *args):
    """Compile and run the gradient code `s2sad.source` prints (the 'grad' program)."""
    from s2sad import runtime

    namespace = {**vars(runtime), "np": np}
    exec(s2sad.source(f), namespace)
    return namespace[f"{f.__name__}_grad"](*args)


def test_printed_gradient_of_a_loop_whose_carried_adjoint_broadcasts_matches_fd():
    B = np.array([[1.0, 2.0, 3.0], [0.5, 0.1, -1.0]])
    expected = numeric_grad(sum_of_broadcast_carried, [0.3, B, 3], 0)
    assert run_printed_gradient(sum_of_broadcast_carried, 0.3, B, 3) == pytest.approx(expected)
    check_both_modes(sum_of_broadcast_carried, (0.3, B, 3))
    check_both_modes(sum_of_broadcast_carried, (0.3, B, 3), wrt=1)


def test_carried_value_that_changes_shape_in_the_first_iteration_matches_fd():
    def f(x, A, n):
        s = 0.0
        for _ in range(n):
            s = s * x + A
        return np.sum(s * s)

    A = np.array([[0.5, -0.3], [0.2, 0.1]])
    check_both_modes(f, (0.7, A, 3))
    check_both_modes(f, (0.7, A, 3), wrt=1)
    check_both_modes(f, (np.array([0.7, 0.2]), A, 3))


# ------------------------------------------------------------------ forward: broadcast tangents
def where_with_a_constant_branch_of_another_shape(y):
    return np.sum(np.where(np.zeros(3) > 0.0, np.full((2, 1), 0.5), y), axis=0)


def test_tangent_of_where_keeps_the_shape_of_its_inactive_branch():
    y = np.array([[0.1, 0.2, 0.3]])
    _, dot = s2sad.jvp(where_with_a_constant_branch_of_another_shape, (y,), (np.ones((1, 3)),))
    np.testing.assert_allclose(dot, [2.0, 2.0, 2.0])

    def f(y):
        return np.sum(where_with_a_constant_branch_of_another_shape(y) ** 2)

    check_both_modes(f, (y,))


def test_tangent_of_where_broadcast_by_its_constant_branch_has_the_value_shape():
    def f(p):
        return np.where(p > 0.5, np.full((3,), 0.5), p)

    value, dot = s2sad.jvp(f, (np.zeros((2, 1)),), (np.ones((2, 1)),))
    assert np.shape(dot) == np.shape(value) == (2, 3)
    np.testing.assert_allclose(dot, np.ones((2, 3)))


# ------------------------------------------------------------------ tuples held in variables
def element_at_a_tuple_index(x, i, j):
    idx = (i, j)
    return np.sum(x[idx] * 2.0)


def test_a_tuple_index_held_in_a_variable_selects_one_element():
    x = np.arange(9.0).reshape(3, 3)
    expected = np.zeros((3, 3))
    expected[1, 2] = 2.0
    np.testing.assert_allclose(s2sad.grad(element_at_a_tuple_index)(x, 1, 2), expected)
    check_both_modes(element_at_a_tuple_index, (x, 1, 2))


def test_hessian_through_a_slice_and_list_index_matches_fd():
    def f(p):
        return np.sum(p * np.ones((1, 3))[:, [2, 0, 1]] * p)

    H = s2sad.hessian(f)(np.ones((2, 3)))
    np.testing.assert_allclose(H.reshape(6, 6), 2.0 * np.eye(6))


# ------------------------------------------------------------------ unknown shapes never match
def summed_down_in_one_branch_only(p0, p1):
    p0 = p0 * 0.5 + (p1 + np.zeros((3,)))
    if np.sum(-(p0 + np.zeros((2, 3)))) < 0.0:
        items = [np.zeros((3,))]
        for _ in reversed(range(0)):
            unused = p1  # noqa: F841 - reads p1 inside the branch, as the fuzzer's program did
        v = np.sum(np.array(items), axis=0)
        for _ in range(0):
            p0 = p0 * 0.5 + v
    return np.sum(p1 + np.zeros((3,)))


def test_two_adjoints_of_unknown_shape_are_summed_down_before_they_are_added():
    # Found by the random-program tester: f = 3 * p1, the gradient was 9.
    args = (np.zeros((1, 3)), 1.0)
    assert s2sad.grad(summed_down_in_one_branch_only, wrt=1)(*args) == pytest.approx(3.0)
    check_both_modes(summed_down_in_one_branch_only, args, wrt=1)


# ------------------------------------------------------------------ x[index] = v: a part's shape
def scalar_written_into_a_broadcast_row(p):
    v = p + np.zeros((2, 3))
    v[0] = p
    return np.sum(v)


def test_a_scalar_written_into_a_row_gets_the_rows_sum_not_the_arrays():
    # Found by the random-program tester: the truth is 6 (three entries of each row), it was 9.
    assert s2sad.grad(scalar_written_into_a_broadcast_row)(0.0) == pytest.approx(6.0)
    check_both_modes(scalar_written_into_a_broadcast_row, (0.5,))

    def f(p):
        v = p + np.zeros((2,))
        v[0] = p * p
        return v

    value, vjp_fn = s2sad.vjp(f, 0.5)
    assert vjp_fn(np.array([0.25, -1.0]))[0] == pytest.approx(0.25 * 2 * 0.5 - 1.0)
