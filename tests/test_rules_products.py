"""Products of arrays beyond the rule table: einsum's repeated, summed and broadcast labels,
what is refused, second derivatives (the adjoints' own rules), and the generated code."""

import numpy as np
import pytest
from fd import numeric_grad

import s2sad
from s2sad.errors import S2sadError
from s2sad.runtime import products as rtp


def fd_hessian(f, x, eps=1e-5):
    """Central differences of s2sad's gradient, column by column."""
    g = s2sad.grad(f)
    H = np.zeros((x.size, x.size))
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = eps
        H[:, i] = (g(x + e) - g(x - e)) / (2 * eps)
    return H


# ---- einsum: where the adjoint is written ---------------------------------------------------
def test_einsum_adjoint_of_a_diagonal_is_a_diagonal_matrix(rng):
    w = rng.standard_normal(3)

    def f(A):
        return np.sum(w * np.einsum("ii,->i", A, 1.0))

    np.testing.assert_array_equal(s2sad.grad(f)(rng.standard_normal((3, 3))), np.diag(w))


def test_einsum_adjoint_of_a_trace_is_the_identity(rng):
    def f(A):
        return np.einsum("ii,->", A, 1.0) * 3.0

    np.testing.assert_array_equal(s2sad.grad(f)(rng.standard_normal((4, 4))), 3.0 * np.eye(4))


def test_einsum_adjoint_repeats_along_a_label_only_its_operand_has(rng):
    def f(x, y):
        return np.sum(np.einsum("ij,k->ik", x, y) ** 2)

    x, y = rng.standard_normal((2, 3)), rng.standard_normal(4)
    gx = s2sad.grad(f)(x, y)
    row_sums = x.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(gx, np.broadcast_to(2.0 * row_sums * np.sum(y * y), (2, 3)))


def test_einsum_with_different_batch_ranks_matches_matmul(rng):
    def by_einsum(x, y):
        return np.sum(np.sin(np.einsum("...ij,...jk->...ik", x, y)))

    def by_matmul(x, y):
        return np.sum(np.sin(x @ y))

    x, y = rng.standard_normal((3, 1, 2, 4)), rng.standard_normal((5, 4, 2))
    for a, b in zip(s2sad.grad(by_einsum, wrt=(0, 1))(x, y),
                    s2sad.grad(by_matmul, wrt=(0, 1))(x, y)):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("subscripts, shapes", [
    ("Ba,cB", [(2, 3), (4, 2)]),  # implicit output: NumPy sorts upper case first ('Bac' -> 'ac')
    ("iij,jk", [(2, 2, 3), (3, 4)]),
    ("i...,...", [(2, 3, 4), (4,)]),
])
def test_einsum_implicit_output_matches_numpy_and_differences(subscripts, shapes, rng):
    def f(x, y):
        return np.sum(np.cos(np.einsum(subscripts, x, y)))

    x, y = (rng.standard_normal(s) for s in shapes)
    gx, gy = s2sad.grad(f, wrt=(0, 1))(x, y)
    np.testing.assert_allclose(gx, numeric_grad(f, [x, y], 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gy, numeric_grad(f, [x, y], 1), rtol=1e-6, atol=1e-8)


def test_large_einsum_adjoints_take_the_blas_path_and_agree_with_matmul(rng):
    x, y = rng.standard_normal((120, 90)), rng.standard_normal((90, 110))
    g = rng.standard_normal((120, 110))
    np.testing.assert_allclose(rtp.einsum_adjoint_x("ij,jk->ik", g, x, y), g @ y.T)
    np.testing.assert_allclose(rtp.einsum_adjoint_y("ij,jk->ik", g, x, y), x.T @ g)


def test_einsum_adjoints_keep_float32():
    x = np.ones((2, 3), np.float32)
    y = np.ones((3, 3), np.float32)
    g = np.ones((2, 3), np.float32)
    assert rtp.einsum_adjoint_x("ij,jk->ik", g, x, y).dtype == np.float32
    assert rtp.einsum_adjoint_y("ij,jj->ij", g, x, y).dtype == np.float32  # diagonal write


# ---- what is refused, not computed wrong ----------------------------------------------------
def one_operand(A):
    return np.sum(np.einsum("ii->i", A))


def three_operands(A):
    return np.sum(np.einsum("ij,jk,kl->il", A, A, A))


def with_optimize(A):
    return np.sum(np.einsum("ij,jk->ik", A, A, optimize=True))


@pytest.mark.parametrize("fn", [one_operand, three_operands, with_optimize])
def test_einsum_of_any_operand_count_matches_differences(fn, rng):
    A = rng.standard_normal((3, 3))
    np.testing.assert_allclose(s2sad.grad(fn)(A), numeric_grad(fn, [A], 0), rtol=1e-6,
                               atol=1e-8)


def variable_subscripts(A, spec):
    return np.sum(np.einsum(spec, A, A, A))


def test_einsum_with_subscripts_not_written_in_the_call_is_refused_cleanly():
    with pytest.raises(S2sadError):
        s2sad.grad(variable_subscripts)(np.ones((2, 2)), "ij,jk,kl->il")


def test_einsum_with_nested_calls_for_three_operands(rng):
    def chain(A, B, C):
        return np.sum(np.einsum("ik,kl->il", np.einsum("ij,jk->ik", A, B), C) ** 2)

    args = [rng.standard_normal(s) for s in ((2, 3), (3, 4), (4, 2))]
    grads = s2sad.grad(chain, wrt=(0, 1, 2))(*args)
    for k, g in enumerate(grads):
        np.testing.assert_allclose(g, numeric_grad(chain, args, k), rtol=1e-6, atol=1e-8)


# ---- second order: the adjoints' own rules ---------------------------------------------------
def hess_einsum(x):
    A = np.reshape(x, (3, 3))
    return np.sum(np.sin(np.einsum("ij,jk->ik", A, A))) + np.einsum("ii,->", A * A, 1.0)


def hess_einsum_diagonal(x):
    A = np.reshape(x, (2, 2, 2))
    return np.sum(np.einsum("iij,jk->ik", A, A[0]) ** 3)


def hess_einsum_ellipsis(x):
    A = np.reshape(x, (2, 1, 2, 2))
    return np.sum(np.tanh(np.einsum("...ij,...jk->...ik", A, A[0])))


def hess_tensordot(x):
    A = np.reshape(x, (2, 2, 2))
    return np.sum(np.cos(np.tensordot(A, A, axes=([1, 0], [0, 2]))))


def hess_inner(x):
    A = np.reshape(x, (2, 4))
    return np.sum(np.inner(A, A) ** 2)


def hess_outer(x):
    return np.sum(np.sin(np.outer(x, x[:3])))


def hess_vdot(x):
    return np.vdot(x, x * x)


def hess_kron(x):
    A = np.reshape(x, (2, 4))
    return np.sum(np.kron(A, A[0]) ** 3)


def hess_cross(x):
    A = np.reshape(x, (2, 3))
    return np.sum(np.cross(A, A[0] * A[1]) ** 2)


@pytest.mark.parametrize("f, n", [(hess_einsum, 9), (hess_einsum_diagonal, 8),
                                  (hess_einsum_ellipsis, 8), (hess_tensordot, 8),
                                  (hess_inner, 8), (hess_outer, 5), (hess_vdot, 4),
                                  (hess_kron, 8), (hess_cross, 6)])
def test_hessian_matches_differences_of_the_gradient(f, n, rng):
    x = rng.standard_normal(n)
    np.testing.assert_allclose(s2sad.hessian(f)(x), fd_hessian(f, x), rtol=1e-5, atol=1e-6)


def test_gradient_of_a_gradient_through_einsum_adjoints(rng):
    grad_f = s2sad.grad(hess_einsum_diagonal)

    def gradient_norm(x):
        return np.sum(grad_f(x) ** 2)

    x = rng.standard_normal(8)
    np.testing.assert_allclose(s2sad.grad(gradient_norm)(x),
                               numeric_grad(gradient_norm, [x], 0), rtol=1e-5, atol=1e-7)


# ---- the generated code -------------------------------------------------------------------
def test_generated_code_names_the_adjoints_of_einsum():
    def f(A, B):
        return np.sum(np.einsum("ij,jk->ik", A, B))

    source = s2sad.source(f, wrt=(0, 1))
    assert "A_bar = einsum_adjoint_x('ij,jk->ik', " in source
    assert "B_bar = einsum_adjoint_y('ij,jk->ik', " in source
    tangent = s2sad.source(f, mode="jvp")
    assert "np.einsum('ij,jk->ik', A_dot, B)" in tangent


def test_generated_code_of_cross_is_the_triple_product_rule():
    def f(x, y):
        return np.sum(np.cross(x, y))

    assert "np.cross(y, " in s2sad.source(f)


# ---- einsum of one or of three and more operands, once lowering expands calls ---------------
@pytest.mark.parametrize("subscripts, shapes", [
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("ij,jk,k->i", [(2, 3), (3, 4), (4,)]),
    ("ab,bc,cd,de->ae", [(2, 3), (3, 4), (4, 2), (2, 3)]),
    ("...ij,...jk,...kl->...il", [(2, 1, 2, 3), (4, 3, 2), (2, 2)]),
    ("i...,j...,k->...ijk", [(2, 3), (4, 1), (5,)]),
    ("iij,jk,k", [(2, 2, 3), (3, 4), (4,)]),
    ("i,i,i->", [(3,), (3,), (3,)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ij->ji", [(2, 3)]),
])
def test_einsum_pairs_computes_the_einsum_with_two_operand_steps(subscripts, shapes, rng):
    operands = [rng.standard_normal(s) for s in shapes]
    expected = np.einsum(subscripts, *operands)
    for spec, i, j in rtp.einsum_pairs(subscripts, len(operands)):
        step = np.einsum(spec, operands[i], 1.0 if j is None else operands[j])
        operands = [step if k == i else o for k, o in enumerate(operands) if k != j]
    assert len(operands) == 1
    np.testing.assert_allclose(operands[0], expected, rtol=1e-12, atol=1e-12)


def test_einsum_pairs_contracts_the_smallest_result_first():
    # The vector first: the matrix-vector chain, never the matrix product.
    assert rtp.einsum_pairs("ij,jk,k->i", 3) == [("jk,k->j", 1, 2), ("ij,j->i", 0, 1)]


def expanded_einsums(A, B, c):
    chain = np.einsum("ij,jk,k->i", A, B, c, optimize=True)
    return np.sum(np.sin(chain)) + np.einsum("ii", A[:, :2] * B[0, :2])


def test_expanded_einsums_of_one_and_three_operands_match_differences(rng):
    args = [rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4)]
    grads = s2sad.grad(expanded_einsums, wrt=(0, 1, 2))(*args)
    for k, g in enumerate(grads):
        np.testing.assert_allclose(g, numeric_grad(expanded_einsums, args, k), rtol=1e-6,
                                   atol=1e-8)
    tangents = [rng.standard_normal(np.shape(a)) for a in args]
    _, tangent = s2sad.jvp(expanded_einsums, args, tangents)
    assert tangent == pytest.approx(sum(np.sum(g * t) for g, t in zip(grads, tangents)))
    source = s2sad.source(expanded_einsums)
    assert "np.einsum('jk,k->j', B, c)" in source


@pytest.mark.parametrize("shape_y, axes", [((3, 4, 5), 2), ((4, 5), np.int64(1)),
                                            ((3, 4, 5), [[2], [1]]),
                                            ((3, 4, 5), (np.array([1, 2]), [0, 1]))])
def test_tensordot_subscripts_take_numpy_integers_and_lists(shape_y, axes, rng):
    x, y = rng.standard_normal((2, 3, 4)), rng.standard_normal(shape_y)
    subscripts = rtp.tensordot_subscripts(x, y, axes)
    np.testing.assert_allclose(np.einsum(subscripts, x, y), np.tensordot(x, y, axes))
