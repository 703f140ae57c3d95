"""Reverse mode three and four times over loops (issue 8, item 14).

The derivative of loop code saves values on stacks; differentiating that code again saves the
stacks themselves, lists of lists of different lengths, whose adjoints do not stack into one
array (runtime.RaggedAdjoint). Each third derivative is checked against a finite-difference
stencil of the plain function and against forward over reverse over reverse.
"""

import numpy as np
import pytest
from cf_corpus import loop_polynomial as horner

import s2sad
from s2sad.runtime import RaggedAdjoint, scatter_like, unbroadcast, zeros_like


def while_loop(x):
    s = 1.0
    k = 0
    while k < 4:
        s = s * x + np.sin(s)
        k = k + 1
    return s


def loop_with_branch(x, n):
    s = 0.0
    for _i in range(n):
        if s < 2.0:
            s = s * x + 1.0
        else:
            s = s * 0.5 + x * x
    return s


def fills_an_array(x, n):
    y = np.zeros(n)
    for i in range(n):
        y[i] = x ** (i + 1)
    return np.sum(y * y)


def fills_a_list(x, n):
    items = []
    for i in range(n):
        items.append(x * i + x * x)
    return np.sum(np.array(items) ** 2)


def third_derivative_fd(f, x, args, h=1e-3):
    return (f(x + 2 * h, *args) - 2 * f(x + h, *args) + 2 * f(x - h, *args)
            - f(x - 2 * h, *args)) / (2 * h ** 3)


CASES = [(horner, (6,)), (while_loop, ()), (loop_with_branch, (5,)), (fills_an_array, (4,)),
         (fills_a_list, (4,))]


@pytest.mark.parametrize("f, args", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_reverse_three_times_over_a_loop_matches_fd(f, args):
    third = s2sad.grad(s2sad.grad(s2sad.grad(f)))(0.7, *args)
    assert third == pytest.approx(third_derivative_fd(f, 0.7, args), rel=1e-4)
    forward_last = s2sad.hessian(s2sad.grad(f))(0.7, *args)
    assert third == pytest.approx(forward_last, rel=1e-10)


def test_horner_third_derivative_is_the_closed_form():
    # s = 1 + x + ... + x^5, so s''' = 6 + 24 x + 60 x^2.
    assert s2sad.grad(s2sad.grad(s2sad.grad(horner)))(0.7, 6) == pytest.approx(52.2)


def test_reverse_four_times_over_a_loop_is_the_closed_form():
    g = horner
    for _ in range(4):
        g = s2sad.grad(g)
    assert g(0.7, 6) == pytest.approx(24.0 + 120.0 * 0.7)


def test_ragged_list_adjoints_add_entry_by_entry_and_never_broadcast():
    ragged = [[1.0, 2.0], 3.0]
    zero = zeros_like(ragged)
    assert type(zero) is RaggedAdjoint
    np.testing.assert_allclose(zero[0], [0.0, 0.0])
    total = scatter_like(np.array([1.0, 1.0]), 0, ragged) + scatter_like(2.0, 1, ragged)
    np.testing.assert_allclose(total[0], [1.0, 1.0])
    assert total[1] == 2.0
    assert unbroadcast(total, ragged) is total
    rows = np.array([[1.0, 2.0], [3.0, 4.0]])
    mixed = zeros_like([[0.0, 0.0], [0.0]]) + rows
    np.testing.assert_allclose(mixed[1], [3.0, 4.0])
    with pytest.raises(ValueError):
        zero + np.ones((3, 2))


def test_hessian_of_a_loop_that_saves_an_index_tuple_matches_fd():
    # Found by the random-program tester: the saved index (slice, array) had no zero tangent.
    def f(p, q):
        for _ in range(2):
            p = p * 0.5 + p[:, [2, 0, 1]] * q
        return np.sum(p * p)

    p, q = np.array([[0.3, -0.2, 0.5]]), 0.7
    H = s2sad.hessian(f, wrt=1)(p, q)
    grad_q = s2sad.grad(f, wrt=1)
    h = 1e-5
    assert H == pytest.approx((grad_q(p, q + h) - grad_q(p, q - h)) / (2 * h), rel=1e-6)
    Hpp = s2sad.hessian(f, wrt=0)(p, q)
    e = np.zeros_like(p)
    e[0, 1] = 1.0
    column = (s2sad.grad(f)(p + h * e, q) - s2sad.grad(f)(p - h * e, q)) / (2 * h)
    np.testing.assert_allclose(Hpp[..., 0, 1], column, rtol=1e-6, atol=1e-9)
