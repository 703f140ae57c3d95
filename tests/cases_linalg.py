"""Rule-table rows of the linalg family (aggregated by rule_table.py; see Case there).

Each row builds a well-conditioned matrix from its raw random argument (``a @ a.T + 3 I`` is
symmetric positive definite, ``a + 3 I`` invertible), so that finite differences are
well defined. Eigen- and singular vectors enter only through sign-invariant functions.
"""

import numpy as np
from rule_table import Case, M, S, V

from s2sad.runtime import linalg as rt

try:
    import scipy.linalg
except ImportError:  # SciPy is optional: its rows are left out
    scipy = None

I3, I2 = np.eye(3), np.eye(2)
W3 = np.array([0.5, -1.0, 2.0])  # weights that tell the parts of a result apart
K = (2, 3, 3)  # a stack of two 3x3 matrices
SQ = (3, 3)
TALL = (4, 3)


def spd(a):
    return a @ np.transpose(a, (0, 2, 1)) + 3.0 * I3 if a.ndim == 3 else a @ a.T + 3.0 * I3


# ---- norms --------------------------------------------------------------------------------
def norm_default(x):
    return np.linalg.norm(x)


def norm_vector_ords(x):
    return (np.linalg.norm(x, 1) + 2.0 * np.linalg.norm(x, ord=2) + np.linalg.norm(x, np.inf)
            - np.linalg.norm(x, -np.inf) + np.linalg.norm(x, 3) + np.linalg.norm(x, 0.5)
            + np.linalg.norm(x, -1.5))


def norm_axis(x):
    return np.linalg.norm(x, axis=1)[:, None] * np.linalg.norm(x, 3, axis=-2, keepdims=True)


def norm_axis_keepdims(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def norm_matrix_ords(x):
    return (np.linalg.norm(x, "fro") + np.linalg.norm(x, 1) + np.linalg.norm(x, -1)
            + np.linalg.norm(x, np.inf) + np.linalg.norm(x, -np.inf)
            + np.linalg.norm(x, 2) + np.linalg.norm(x, -2) + np.linalg.norm(x, "nuc"))


def norm_matrix_axes(x):
    return (np.linalg.norm(x, "nuc", axis=(1, 2)) * np.linalg.norm(x, 1, axis=(2, 1))
            + np.linalg.norm(x, axis=(0, 2), keepdims=True).sum()
            + np.linalg.norm(x, 2, axis=(-1, -2), keepdims=True)[:, 0, 0])


# ---- inverses, solves, determinants -------------------------------------------------------
def inv(a):
    return np.linalg.inv(a + 3.0 * I3)


def solve(a, b):
    return np.linalg.solve(a + 3.0 * I3, b)


def det(a):
    return np.linalg.det(a + 3.0 * I3)


def slogdet(a):
    sign, logdet = np.linalg.slogdet(a + 3.0 * I3)
    return sign * logdet


def slogdet_sign_only(a):
    sign, logdet = np.linalg.slogdet(a + 3.0 * I3)
    return sign * a


def pinv(a):
    return np.linalg.pinv(a)


def matrix_power(a):
    b = a + 3.0 * I3
    return (np.linalg.matrix_power(a, 3) + np.linalg.matrix_power(b, -2)
            + np.linalg.matrix_power(a, 0) + np.linalg.matrix_power(a, 1))


# ---- factorizations -----------------------------------------------------------------------
def cholesky(a):
    return np.linalg.cholesky(spd(a))


def cholesky_raw(a):  # NumPy reads only the lower triangle
    return np.linalg.cholesky(a * 0.1 + 3.0 * I3)


def eigh_values(a):
    w, v = np.linalg.eigh(a + a.T)
    return w


def eigh_vectors(a):
    w, v = np.linalg.eigh(a)  # only the lower triangle is read
    return v * v


def eigh_both(a):
    w, v = np.linalg.eigh(a)
    return np.abs(v) * w


def eigh_reconstruct(a):
    w, v = np.linalg.eigh(a)
    return v @ (w[..., :, None] * np.transpose(v, (0, 2, 1)))


def eigvalsh(a):
    return np.linalg.eigvalsh(a) * W3


def qr_both(a):
    q, r = np.linalg.qr(a)
    return np.sum(q * q[:1] * 2.0) + np.sum(r * r[:1]) + np.sum(q[:3] * r)


def qr_q(a):
    q, r = np.linalg.qr(a)
    return q * q[:1]


def qr_r(a):
    q, r = np.linalg.qr(a)
    return r


def svd_all(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum(u * u[:1] * 2.0) + np.sum(vh * vh[:, :1]) + np.sum(s * s) + 2.0 * s[0]


def svd_u(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return u * u[..., :1, :]


def svd_s(a):
    u, s, vh = np.linalg.svd(a)
    return s


def svd_vh(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return vh * vh[..., :, :1]


def svdvals(a):
    return np.linalg.svdvals(a)


def svd_reconstruct(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return (u * s[..., None, :]) @ vh


def lstsq_x(a, b):
    x, residuals, rank, s = np.linalg.lstsq(a, b)
    return x


def lstsq_all(a, b):
    x, residuals, rank, s = np.linalg.lstsq(a, b)
    return np.sum(x * x) + np.sum(residuals) * 2.0 + np.sum(s * s[0])


def lstsq_residuals(a, b):
    x, residuals, rank, s = np.linalg.lstsq(a, b, rcond=None)
    return residuals


# ---- scipy.linalg -------------------------------------------------------------------------
def solve_triangular_lower(a, b):
    return scipy.linalg.solve_triangular(a + 3.0 * I3, b, lower=True)


def solve_triangular_upper(a, b):
    return scipy.linalg.solve_triangular(a + 3.0 * I3, b)


def solve_sylvester(a, b, q):
    return scipy.linalg.solve_sylvester(a + 3.0 * I3, b * 0.5 + 2.0 * I3, q)


def solve_sylvester_rect(a, b, q):
    return scipy.linalg.solve_sylvester(a + 3.0 * I3, b * 0.5 + 2.0 * I2, q)


def sqrtm(a):
    return scipy.linalg.sqrtm(spd(a))


# ---- helpers of the rules -----------------------------------------------------------------
def helpers_linear(x):
    return (rt.mT(x) + rt.sym_part(x) + rt.sym_lower(x) + rt.sym_lower_adjoint(x) + rt.tril_half(x)
            + rt.fold_upper(x) + rt.triangle(x, False) + rt.triangle(x)
            + rt.diag_matrix(rt.diagonal_of(x)))


def helpers_vectors(x):
    return rt.pairwise_diff(x) * rt.inv_gaps(x * W3)


def helpers_per_matrix(x, v):
    return rt.per_matrix(v + rt.per_matrix_adjoint(x[..., :1, :1] * 2.0)) * x


def helpers_rhs(x, b):
    return rt.from_rhs(rt.as_rhs(x, b) * 2.0, b)


def helpers_blocks(a, e):
    return rt.upper_right(rt.block_upper(a, e)) * rt.diag_blocks_sum(rt.block_upper(e, a))


X0 = np.array([[0.3, -1.2, 0.8], [1.1, 0.4, -0.5]])


def helpers_norm_grad(x):
    return rt.norm_grad(x) + rt.norm_grad(x, 3, 1) + rt.norm_grad(x, "nuc")


def helpers_norm_hvp(v):
    return (rt.norm_hvp(X0, v) + rt.norm_hvp(X0, v, 3, 1) + rt.norm_hvp(X0, v, 1, -1)
            + rt.norm_hvp(X0, v, 2) + rt.norm_hvp(X0, v, -2) + rt.norm_hvp(X0, v, "nuc"))


CASES = [
    Case("norm", norm_default, [(V,), (M,), ((2, 3, 2),)]),
    Case("norm", norm_vector_ords, [(V,), ((5,),)], "nonzero"),
    Case("norm", norm_axis, [(M,)], "nonzero"),
    Case("norm", norm_axis_keepdims, [(M,), ((2, 2, 3),)]),
    Case("norm", norm_matrix_ords, [(M,), (SQ,)], "nonzero"),
    Case("norm", norm_matrix_axes, [((2, 3, 4),)], "nonzero"),
    Case("inv", inv, [(SQ,), (K,)]),
    Case("solve", solve, [(SQ, V), (SQ, M[::-1]), (K, V), (K, K), (SQ, (2, 3, 4)), (K, SQ)]),
    Case("det", det, [(SQ,), (K,)]),
    Case("slogdet", slogdet, [(SQ,), (K,)]),
    Case("slogdet", slogdet_sign_only, [(SQ,)]),
    Case("pinv", pinv, [(M,), (TALL,), (SQ,), (K,)]),
    Case("matrix_power", matrix_power, [(SQ,), (K,)]),
    Case("cholesky", cholesky, [(SQ,), (K,)]),
    Case("cholesky", cholesky_raw, [(SQ,)]),
    Case("eigh", eigh_values, [(SQ,)]),
    Case("eigh", eigh_vectors, [(SQ,), (K,)]),
    Case("eigh", eigh_both, [(SQ,)]),
    Case("eigh", eigh_reconstruct, [(K,)]),
    Case("eigvalsh", eigvalsh, [(SQ,), (K,)]),
    Case("qr", qr_both, [(SQ,), (TALL,)]),
    Case("qr", qr_q, [(SQ,), (TALL,)]),
    Case("qr", qr_r, [(TALL,), ((2, 4, 3),)]),
    Case("svd", svd_all, [(TALL,), (M,)]),
    Case("svd", svd_u, [(TALL,), (M,), ((2, 4, 3),)]),
    Case("svd", svd_s, [(SQ,), (K,)]),
    Case("svd", svd_vh, [(TALL,), (M,)]),
    Case("svdvals", svdvals, [(TALL,), (M,), ((2, 4, 3),)]),
    Case("svd", svd_reconstruct, [(TALL,), (K,)]),
    Case("lstsq", lstsq_x, [(TALL, (4,)), (TALL, (4, 2)), (SQ, V)]),
    Case("lstsq", lstsq_all, [(TALL, (4,)), (TALL, (4, 2)), (SQ, M[::-1])]),
    Case("lstsq", lstsq_residuals, [(TALL, (4,)), (TALL, (4, 2))]),
    Case("fit_size", lstsq_all, [(TALL, (4,))]),
    Case("mT", helpers_linear, [(SQ,), (K,)]),
    Case("sym_lower", helpers_linear, [(SQ,)]),
    Case("sym_part", helpers_linear, [(SQ,)]),
    Case("sym_lower_adjoint", helpers_linear, [(SQ,)]),
    Case("tril_half", helpers_linear, [(SQ,)]),
    Case("fold_upper", helpers_linear, [(SQ,)]),
    Case("triangle", helpers_linear, [(SQ,)]),
    Case("diag_matrix", helpers_linear, [(SQ,)]),
    Case("diagonal_of", helpers_linear, [(SQ,)]),
    Case("pairwise_diff", helpers_vectors, [(V,), (M,)]),
    Case("inv_gaps", helpers_vectors, [(V,), (M,)]),
    Case("per_matrix", helpers_per_matrix, [(SQ, S), (K, (2,))]),
    Case("per_matrix_adjoint", helpers_per_matrix, [(SQ, S), (K, (2,))]),
    Case("as_rhs", helpers_rhs, [(V, V), (M, M)]),
    Case("from_rhs", helpers_rhs, [(V, V), (M, M)]),
    Case("block_upper", helpers_blocks, [(SQ, SQ), (K, K)]),
    Case("upper_right", helpers_blocks, [(SQ, SQ)]),
    Case("diag_blocks_sum", helpers_blocks, [(SQ, SQ)]),
    Case("norm_grad", helpers_norm_grad, [(M,)], "nonzero"),
    Case("norm_hvp", helpers_norm_hvp, [(M,)]),
]

if scipy is not None:
    CASES += [
        Case("solve_triangular", solve_triangular_lower, [(SQ, V), (SQ, (3, 2))]),
        Case("solve_triangular", solve_triangular_upper, [(SQ, V), (SQ, (3, 2))]),
        Case("solve_sylvester", solve_sylvester, [(SQ, SQ, SQ)]),
        Case("solve_sylvester", solve_sylvester_rect, [(SQ, (2, 2), (3, 2))]),
        Case("sqrtm", sqrtm, [(SQ,)]),
    ]
