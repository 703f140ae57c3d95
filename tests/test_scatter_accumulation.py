"""Adjoints of row reads: ``scatter_add`` (fused ``acc + scatter_like``) and, in a finished
program, accumulation in place into an adjoint nothing else holds (transforms/scatter_add.py,
transforms/in_place.py)."""

import numpy as np
import pytest
from fd import numeric_grad

import s2sad
from s2sad.runtime import scatter_add, scatter_add_into, scatter_like

RNG = np.random.default_rng(3)


def row_sum(X, w):
    s = 0.0
    for i in range(X.shape[0]):
        s = s + np.tanh(X[i] @ w)
    return s


def rows_and_whole(X, w):
    s = 0.0
    for i in range(X.shape[0]):
        s = s + np.sin(X[i] @ w)
    return s + np.sum(X * X)


def row_pairs(X):
    s = 0.0
    for i in range(X.shape[0] - 1):
        s = s + np.sum(X[i] * X[i + 1])
    return s


def test_a_loop_over_rows_accumulates_its_adjoint_in_place():
    code = s2sad.source(row_sum)
    assert "X_bar = scatter_add_into(X_bar, " in code and "scatter_like(" not in code
    X, w = RNG.normal(size=(6, 4)), RNG.normal(size=4)
    np.testing.assert_allclose(s2sad.grad(row_sum)(X, w), numeric_grad(row_sum, [X, w], 0),
                               rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("f", [rows_and_whole, row_pairs])
def test_an_adjoint_read_elsewhere_is_never_written_in_place(f):
    X = RNG.normal(size=(5, 3))
    args = [X, RNG.normal(size=3)] if f is rows_and_whole else [X]
    np.testing.assert_allclose(s2sad.grad(f)(*args), numeric_grad(f, args, 0), rtol=1e-6,
                               atol=1e-9)


def test_second_order_derivatives_of_row_loops_agree_with_finite_differences():
    X, w, v = RNG.normal(size=(5, 3)), RNG.normal(size=3), RNG.normal(size=(5, 3))
    grad_X = s2sad.grad(row_sum)
    eps = 1e-6
    expected = (grad_X(X + eps * v, w) - grad_X(X - eps * v, w)) / (2 * eps)
    np.testing.assert_allclose(s2sad.hvp(row_sum, X, v, w), expected, rtol=1e-5, atol=1e-8)
    hessian = s2sad.hessian(row_sum, wrt=1)(X, w)
    grad_w = s2sad.grad(row_sum, wrt=1)
    columns = [(grad_w(X, w + eps * e) - grad_w(X, w - eps * e)) / (2 * eps) for e in np.eye(3)]
    np.testing.assert_allclose(hessian, np.array(columns).T, rtol=1e-5, atol=1e-8)


def gradient_norm(X, w):
    return np.sum(s2sad.grad(row_sum)(X, w) ** 2)


def test_reverse_over_reverse_of_a_row_loop_agrees_with_finite_differences():
    X, w = RNG.normal(size=(4, 3)), RNG.normal(size=3)
    np.testing.assert_allclose(s2sad.grad(gradient_norm)(X, w),
                               numeric_grad(gradient_norm, [X, w], 0), rtol=1e-5, atol=1e-8)


def test_the_caller_arrays_and_the_gradient_are_distinct():
    X, w = RNG.normal(size=(4, 3)), RNG.normal(size=3)
    before = X.copy()
    g1 = s2sad.grad(row_sum)(X, w)
    g2 = s2sad.grad(row_sum)(X, w)
    np.testing.assert_array_equal(X, before)
    assert g1 is not g2 and not np.shares_memory(g1, g2)
    np.testing.assert_array_equal(g1, g2)


@pytest.mark.parametrize("index", [1, slice(1, 3), np.array([0, 0, 2]), (1, 2)])
def test_scatter_add_is_the_sum_it_replaces(index):
    acc, like = RNG.normal(size=(4, 3)), np.zeros((4, 3))
    v = RNG.normal(size=np.zeros((4, 3))[index].shape)
    if isinstance(index, np.ndarray):
        v = RNG.normal(size=(3, 3))
    expected = acc + scatter_like(v, index, like)
    kept = acc.copy()
    np.testing.assert_array_equal(scatter_add(acc, v, index, like), expected)
    np.testing.assert_array_equal(acc, kept)  # scatter_add never writes its accumulator
    np.testing.assert_array_equal(scatter_add_into(acc.copy(), v, index, like), expected)


def test_scatter_add_into_writes_only_a_float64_writable_array_of_the_full_shape():
    like = np.zeros((3, 2))
    owned = np.ones((3, 2))
    assert scatter_add_into(owned, np.ones(2), 1, like) is owned and owned[1, 0] == 2.0
    frozen = np.ones((3, 2))
    frozen.flags.writeable = False
    out = scatter_add_into(frozen, np.ones(2), 1, like)
    assert out is not frozen and frozen[1, 0] == 1.0 and out[1, 0] == 2.0
    small = np.ones((3, 2), dtype=np.float32)
    out = scatter_add_into(small, np.ones(2), 0, like)
    assert out is not small and small[0, 0] == 1.0
    assert scatter_add_into(0.0, np.ones(2), 0, like).shape == (3, 2)
