"""np.linalg and scipy.linalg beyond the rule table: safety at zero, conventions (triangles
read, tuple parts), refusals, and second derivatives (the rules are closed)."""

import numpy as np
import pytest
from fd import numeric_grad

import s2sad

try:
    import scipy.linalg
except ImportError:  # the SciPy tests skip
    scipy = None

I3 = np.eye(3)


def hessian_by_differences(f, x, eps=1e-5):
    """Central differences of s2sad's gradient, one column per entry of x."""
    grad = s2sad.grad(f)
    columns = []
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        columns.append((grad(x + e) - grad(x - e)) / (2 * eps))
    return np.stack(columns, axis=-1).reshape(x.shape + x.shape)


def assert_hessian_matches(f, x):
    np.testing.assert_allclose(s2sad.hessian(f)(x), hessian_by_differences(f, x),
                               rtol=1e-5, atol=1e-6)


# ---- norms: safe at zero ------------------------------------------------------------------
def norm2(x):
    return np.linalg.norm(x)


def row_norms(x):
    return np.sum(np.linalg.norm(x, axis=1))


def fro_norm(x):
    return np.linalg.norm(x, "fro")


def p_norm(x):
    return np.linalg.norm(x, 3)


@pytest.mark.parametrize("f", [norm2, fro_norm, p_norm])
def test_norm_gradient_at_zero_is_the_zero_subgradient_in_both_modes(f):
    x = np.zeros((2, 3)) if f is fro_norm else np.zeros(3)
    assert np.array_equal(s2sad.grad(f)(x), np.zeros_like(x))
    value, tangent = s2sad.jvp(f, (x,), (np.ones_like(x),))
    assert value == 0.0 and tangent == 0.0


def test_norm_with_axis_has_zero_gradient_on_a_zero_row_only():
    x = np.array([[0.0, 0.0, 0.0], [3.0, 0.0, 4.0]])
    grad = s2sad.grad(row_norms)(x)
    np.testing.assert_allclose(grad, [[0.0, 0.0, 0.0], [0.6, 0.0, 0.8]])
    assert not np.isnan(s2sad.hessian(row_norms)(x)).any()


def test_inf_norm_ties_share_the_derivative_evenly():
    def inf_norm(x):
        return np.linalg.norm(x, np.inf)

    grad = s2sad.grad(inf_norm)(np.array([2.0, -2.0, 1.0]))
    np.testing.assert_allclose(grad, [0.5, -0.5, 0.0])


def test_matrix_two_norm_gradient_is_the_top_singular_pair():
    x = np.array([[3.0, 0.0], [0.0, 1.0]])
    np.testing.assert_allclose(s2sad.grad(lambda_free_two_norm)(x), [[1.0, 0.0], [0.0, 0.0]])


def lambda_free_two_norm(x):
    return np.linalg.norm(x, 2)


# ---- conventions --------------------------------------------------------------------------
def chol_sum(a):
    return np.sum(np.linalg.cholesky(a) * np.array([1.0, 2.0, 3.0]))


def test_cholesky_and_eigh_read_only_the_lower_triangle(rng):
    a = rng.standard_normal((3, 3)) * 0.1 + 3.0 * I3

    def eig_weighted(a):
        w, v = np.linalg.eigh(a)
        return np.sum(w * np.array([1.0, 2.0, 3.0]))

    for f in (chol_sum, eig_weighted):
        grad = s2sad.grad(f)(a)
        assert np.all(np.triu(grad, 1) == 0.0)
        np.testing.assert_allclose(grad, numeric_grad(f, [a], 0), rtol=1e-6, atol=1e-8)


def test_eigh_vectors_only_and_values_only_and_both(rng):
    a = rng.standard_normal((3, 3))

    def values(a):
        w, v = np.linalg.eigh(a)
        return np.sum(w * w)

    def vectors(a):
        w, v = np.linalg.eigh(a)
        return np.sum(v[0] * v[0] * np.array([1.0, 2.0, 3.0]))

    def both(a):
        w, v = np.linalg.eigh(a)
        return np.sum(v[1] * v[1] * w)

    for f in (values, vectors, both):
        np.testing.assert_allclose(s2sad.grad(f)(a), numeric_grad(f, [a], 0), rtol=1e-6,
                                   atol=1e-8)
        tangent = rng.standard_normal((3, 3))
        forward = s2sad.jvp(f, (a,), (tangent,))[1]
        assert forward == pytest.approx(np.sum(s2sad.grad(f)(a) * tangent), rel=1e-9)


def test_slogdet_sign_has_zero_derivative_and_logdet_the_inverse_transpose(rng):
    a = rng.standard_normal((3, 3)) - 3.0 * I3  # negative determinant

    def logdet(a):
        sign, value = np.linalg.slogdet(a)
        return value * sign

    assert np.linalg.det(a) < 0
    np.testing.assert_allclose(s2sad.grad(logdet)(a), -np.linalg.inv(a).T, rtol=1e-12)


def test_matrix_power_zero_and_negative(rng):
    a = rng.standard_normal((3, 3)) + 3.0 * I3

    def powers(a):
        return np.sum(np.linalg.matrix_power(a, -3) + np.linalg.matrix_power(a, 0))

    np.testing.assert_allclose(s2sad.grad(powers)(a), numeric_grad(powers, [a], 0), rtol=1e-6)


def test_solve_with_a_stack_of_matrices_and_one_vector(rng):
    a = rng.standard_normal((2, 3, 3)) + 3.0 * I3
    b = rng.standard_normal(3)

    def f(a, b):
        return np.sum(np.linalg.solve(a, b) * np.array([1.0, -2.0, 0.5]))

    grads = s2sad.grad(f, wrt=(0, 1))(a, b)
    np.testing.assert_allclose(grads[0], numeric_grad(f, [a, b], 0), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(grads[1], numeric_grad(f, [a, b], 1), rtol=1e-6, atol=1e-9)


# ---- refusals -----------------------------------------------------------------------------
def full_svd_of_wide(a):
    u, s, vh = np.linalg.svd(a)
    return np.sum(vh * vh[:, :1])


def qr_complete(a):
    q, r = np.linalg.qr(a, mode="complete")
    return np.sum(q)


def cholesky_upper(a):
    return np.sum(np.linalg.cholesky(a, upper=True))


def test_a_full_svd_of_a_non_square_matrix_is_refused_not_wrong(rng):
    with pytest.raises(ValueError):
        s2sad.grad(full_svd_of_wide)(rng.standard_normal((2, 3)))


@pytest.mark.parametrize("f", [qr_complete, cholesky_upper])
def test_unsupported_modes_are_refused_when_transforming(f):
    with pytest.raises(s2sad.S2sadError, match="unsupported keyword"):
        s2sad.grad(f)(np.eye(3))


def test_third_derivatives_of_norm_are_refused():
    def third(x):
        return s2sad.grad(lambda_free_hessian_trace)(x)[0]

    with pytest.raises(NotImplementedError, match="third derivatives"):
        s2sad.grad(third)(np.array([1.0, 2.0, 2.0]))


def lambda_free_hessian_trace(x):
    return np.sum(s2sad.grad(norm2)(x) * x)


# ---- second derivatives -------------------------------------------------------------------
def inv_sum(a):
    return np.sum(np.linalg.inv(a + 3.0 * I3) * np.array([1.0, 2.0, 3.0]))


def solve_sum(a):
    return np.sum(np.linalg.solve(a + 3.0 * I3, a[0]) ** 2)


def det_of(a):
    return np.linalg.det(a + 3.0 * I3)


def logdet(a):
    sign, value = np.linalg.slogdet(a + 3.0 * I3)
    return value


def chol_logdet(a):
    return np.sum(np.log(np.diagonal(np.linalg.cholesky(a @ a.T + 3.0 * I3))) * 2.0)


def chol_weighted(a):
    return np.sum(np.linalg.cholesky(a @ a.T + 3.0 * I3) * np.array([1.0, -2.0, 3.0]))


def norms(x):
    return (np.linalg.norm(x) + np.sum(np.linalg.norm(x, 3, axis=1)) + np.linalg.norm(x, "nuc")
            + np.linalg.norm(x, 2) + np.sum(np.linalg.norm(x, axis=0)))


def eigh_energy(a):
    w, v = np.linalg.eigh(a)
    return np.sum(w * w * np.array([1.0, 2.0, 3.0])) + np.sum(v[0] * v[0] * w)


def svd_energy(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum(s * np.array([1.0, 3.0])) + np.sum(u[0] * u[0] * s) + np.sum(vh[:, 0] ** 2)


def qr_energy(a):
    q, r = np.linalg.qr(a)
    return np.sum(r * r[0]) + np.sum(q[0] * q[0] * np.diagonal(r))


def power_pinv(a):
    return np.sum(np.linalg.matrix_power(a, 3) * np.linalg.pinv(a))


@pytest.mark.parametrize("f, shape", [
    (inv_sum, (3, 3)), (solve_sum, (3, 3)), (det_of, (3, 3)), (logdet, (3, 3)),
    (chol_logdet, (3, 3)), (chol_weighted, (3, 3)), (norms, (2, 3)), (eigh_energy, (3, 3)),
    (svd_energy, (2, 3)), (qr_energy, (4, 3)), (power_pinv, (3, 3)),
])
def test_hessian_matches_differences_of_the_gradient(f, shape, rng):
    assert_hessian_matches(f, rng.standard_normal(shape))


def test_hessian_of_logdet_is_the_known_bilinear_form(rng):
    a = rng.standard_normal((3, 3)) + 3.0 * I3
    inv = np.linalg.inv(a + 3.0 * I3)
    expected = -np.einsum("jk,li->ijkl", inv, inv)  # d/dA_kl of inv(A)^T_ij = -inv_jk inv_li
    np.testing.assert_allclose(s2sad.hessian(logdet)(a), expected, rtol=1e-10, atol=1e-12)


# ---- scipy.linalg -------------------------------------------------------------------------
def test_solve_triangular_reads_one_triangle_and_has_second_derivatives(rng):
    scipy_linalg = pytest.importorskip("scipy.linalg")
    a = rng.standard_normal((3, 3)) + 3.0 * I3
    b = rng.standard_normal(3)

    def f(a):
        return np.sum(scipy_linalg.solve_triangular(a, b, lower=True) ** 2)

    grad = s2sad.grad(f)(a)
    assert np.all(np.triu(grad, 1) == 0.0)
    np.testing.assert_allclose(grad, numeric_grad(f, [a], 0), rtol=1e-6, atol=1e-9)
    assert_hessian_matches(f, a)


def test_sqrtm_derivative_and_hessian(rng):
    pytest.importorskip("scipy.linalg")
    a = rng.standard_normal((3, 3))
    assert_hessian_matches(sqrtm_trace_weighted, a)


def sqrtm_trace_weighted(a):
    return np.sum(scipy.linalg.sqrtm(a @ a.T + 3.0 * I3) * np.array([1.0, 2.0, 3.0]))
