"""Runtime helpers of the linalg rules (``rules/linalg.py``); generated code calls them.

Each helper is registered as a primitive with its own rules, so the rule set stays closed. They
act on the last two axes, so stacked matrices ``(..., n, n)`` work as NumPy's linalg does. Most
are linear maps (transposes, triangles, diagonals, blocks) whose adjoints are each other.
"""

from __future__ import annotations

import numpy as np

from . import arrays
from .fft import refuse_complex


def mT(x):
    """The transpose of the last two axes (of every matrix of a stack)."""
    return np.swapaxes(x, -1, -2)


def diag_matrix(v):
    """The diagonal matrices with the last axis of `v` on their diagonals; a scalar zero (the
    adjoint of an unused part of a tuple) stays a scalar zero."""
    if np.ndim(v) == 0:
        return v
    v = np.asarray(v)
    return v[..., None] * np.eye(v.shape[-1], dtype=np.result_type(v, 1.0))


def diagonal_of(m):
    """The diagonals of the matrices of `m` (a new array)."""
    return np.diagonal(m, axis1=-2, axis2=-1).copy()


def triangle(x, lower=True):
    """The lower (or upper) triangle of each matrix, zeros elsewhere."""
    return np.tril(x) if lower else np.triu(x)


def sym_part(x):
    """``x + x^T`` (of each matrix)."""
    return x + mT(x)


def sym_lower(x):
    """The symmetric matrix whose lower triangle is that of `x`: what np.linalg.eigh and
    cholesky read (they never look at the strict upper triangle)."""
    return np.tril(x) + mT(np.tril(x, -1))


def sym_lower_adjoint(h):
    """The adjoint of `sym_lower`: the lower triangle of ``h + h.T``, diagonal once."""
    return np.tril(h) + np.tril(mT(h), -1)


def tril_half(x):
    """The strict lower triangle plus half the diagonal (the Cholesky derivative's Phi)."""
    return np.tril(x, -1) + 0.5 * diag_matrix(diagonal_of(x))


def fold_upper(x):
    """The upper triangle of `x` plus its strict lower triangle transposed onto the upper."""
    return np.triu(x) + mT(np.tril(x, -1))


def pairwise_diff(w):
    """``d[..., i, j] = w[..., j] - w[..., i]``."""
    w = np.asarray(w)
    return w[..., None, :] - w[..., :, None]


def inv_gaps(w):
    """``1 / (w[j] - w[i])`` off the diagonal, 0 on it: the coupling of eigenvectors (or
    singular vectors) by distinct eigenvalues in their derivatives."""
    d = pairwise_diff(w)
    n = d.shape[-1]
    off = ~np.eye(n, dtype=bool)
    with np.errstate(divide="ignore"):
        return np.where(off, 1.0 / np.where(off, d, 1.0), 0.0)


def per_matrix(v):
    """`v` (one number per matrix of a stack) shaped ``(..., 1, 1)`` to scale each matrix."""
    return np.asarray(v)[..., None, None]


def per_matrix_adjoint(g):
    """The adjoint of `per_matrix`: ``g[..., 0, 0]``, a float when no stack."""
    out = np.asarray(g)[..., 0, 0]
    return out[()] if out.ndim == 0 else out


def as_rhs(v, b):
    """`v` as a stack of columns when `b` (a right-hand side) is a vector, else `v` itself:
    np.linalg.solve reads a 1-D `b` as one vector, anything else as matrices."""
    return np.asarray(v)[..., None] if np.ndim(b) == 1 else v


def from_rhs(v, b):
    """Undo `as_rhs`: drop the column axis again when `b` is a vector."""
    return np.asarray(v)[..., 0] if np.ndim(b) == 1 else v


def fit_size(v, like):
    """`v` where it has `like`'s shape, else zeros shaped like `like` (np.linalg.lstsq's
    residuals are empty unless the system is overdetermined and of full rank)."""
    if np.shape(v) == np.shape(like):
        return v
    return np.zeros(np.shape(like))


def block_upper(a, e):
    """The block matrices ``[[a, e], [0, a]]``: f of it holds the derivative of a matrix
    function f at `a` in the direction `e` in its upper right block."""
    a, e = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(e, dtype=float))
    top = np.concatenate([a, e], axis=-1)
    bottom = np.concatenate([np.zeros_like(a), a], axis=-1)
    return np.concatenate([top, bottom], axis=-2)


def upper_right(m):
    """The upper right block of each ``(2n, 2n)`` matrix."""
    n = np.shape(m)[-1] // 2
    return m[..., :n, n:].copy()


def diag_blocks_sum(m):
    """The sum of the two diagonal blocks of each ``(2n, 2n)`` matrix."""
    n = np.shape(m)[-1] // 2
    return m[..., :n, :n] + m[..., n:, n:]


# ---- norms --------------------------------------------------------------------------------
# np.linalg.norm is a reduction whose derivative is a field shaped like x (norm_grad): the
# adjoint is the cotangent spread over the reduced axes times it, the tangent the sum of
# x_dot times it. Its own derivative is the Hessian, applied to a vector by norm_hvp.


def _norm_kind(x, ord, axis):
    """('vector', axes) or ('matrix', (row_axis, col_axis)), as np.linalg.norm decides."""
    ndim = np.ndim(x)
    if axis is None:
        if ord is None or ndim == 1:
            return "vector", tuple(range(ndim))
        return "matrix", (ndim - 2, ndim - 1)
    if np.ndim(axis) == 0:
        return "vector", (int(axis) % ndim,)
    if len(axis) == 1:
        return "vector", (int(axis[0]) % ndim,)
    return "matrix", tuple(int(a) % ndim for a in axis)


def _safe_inverse(n):
    """1 / n, and 0 where n is 0: the subgradient 0 of a norm at the zero vector."""
    with np.errstate(divide="ignore"):
        return np.where(n == 0, 0.0, 1.0 / np.where(n == 0, 1.0, n))


def _vector_norm_grad(x, ord, axes):
    a = np.abs(x)
    if ord is None or ord == 2:
        return x * _safe_inverse(np.sqrt(np.sum(x * x, axis=axes, keepdims=True)))
    if ord == 1:
        return np.sign(x)
    if ord == 0:
        return np.zeros_like(x, dtype=float)
    if ord in (np.inf, -np.inf):
        pick = np.max if ord == np.inf else np.min
        hit = a == pick(a, axis=axes, keepdims=True)  # ties share the derivative evenly
        return np.sign(x) * hit / np.sum(hit, axis=axes, keepdims=True)
    p = float(ord)
    n = np.sum(a**p, axis=axes, keepdims=True) ** (1.0 / p)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n == 0, 0.0, np.sign(x) * (a / np.where(n == 0, 1.0, n)) ** (p - 1.0))


def _to_end(x, axes):
    return np.moveaxis(x, axes, (-2, -1))


def _from_end(x, axes):
    return np.moveaxis(x, (-2, -1), axes)


def _abs_sum_pick(a, sum_axis, ord):
    """The 1 / inf matrix norms: the max (min) over one axis of sums of |x| over the other."""
    sums = np.sum(a, axis=sum_axis, keepdims=True)
    pick = np.max if ord > 0 else np.min
    hit = sums == pick(sums, axis=(-2, -1), keepdims=True)
    return hit / np.sum(hit, axis=(-2, -1), keepdims=True)


def _matrix_norm_grad(x, ord, axes):
    if ord in (None, "fro", "f"):
        return _vector_norm_grad(x, 2, axes)
    m = _to_end(x, axes)
    if ord in (1, -1):
        out = np.sign(m) * _abs_sum_pick(np.abs(m), -2, ord)
    elif ord in (np.inf, -np.inf):
        out = np.sign(m) * _abs_sum_pick(np.abs(m), -1, ord)
    elif ord in (2, -2, "nuc"):
        u, s, vh = np.linalg.svd(m, full_matrices=False)
        if ord == "nuc":
            out = u @ vh
        else:
            k = 0 if ord == 2 else -1
            out = u[..., :, k, None] * vh[..., k, None, :]
    else:
        raise ValueError(f"invalid norm order {ord!r} for matrices")
    return _from_end(out, axes)


# The norms' derivative fields are written for real x (a complex x needs conj(x) / |x| and the
# real part of the cotangent): complex values are refused, with what to write instead.
_COMPLEX_NORM = ("for a 2-norm write np.sqrt(np.sum(np.abs(z) ** 2)) (np.abs has complex "
                 "derivatives), or take the norm of np.abs(z)")


def norm_grad(x, ord=None, axis=None):
    """The derivative of ``np.linalg.norm(x, ord, axis)`` with respect to x, shaped like x:
    x / |x| for 2-norms (0 at the zero vector), sign(x) for 1-norms, the entries attaining
    the max for inf-norms (ties share evenly), u1 v1^T for the matrix 2-norm, U V^T for the
    nuclear norm."""
    refuse_complex(x, "np.linalg.norm", _COMPLEX_NORM)
    x = arrays.as_floating(x)  # a dask array stays lazy
    kind, axes = _norm_kind(x, ord, axis)
    if kind == "vector":
        return _vector_norm_grad(x, ord, axes)
    return _matrix_norm_grad(x, ord, axes)


def norm_hvp(x, v, ord=None, axis=None):
    """The Hessian of ``np.linalg.norm(x, ord, axis)`` (each slice's) applied to `v`.

    Zero for the piecewise linear norms (1, inf, -inf, 0 and their matrix forms) and at the
    zero vector, where the Hessian does not exist. The matrix 2-norm and the nuclear norm
    need distinct (and, for the nuclear norm, nonzero) singular values.
    """
    refuse_complex(x, "np.linalg.norm", _COMPLEX_NORM)
    x = np.asarray(x, dtype=np.result_type(x, 1.0))
    kind, axes = _norm_kind(x, ord, axis)
    if kind == "matrix" and ord in (2, -2, "nuc"):
        v = np.broadcast_to(v, x.shape)
        return _from_end(_singular_hvp(_to_end(x, axes), _to_end(v, axes), ord), axes)
    if kind == "matrix" and ord not in (None, "fro", "f"):
        return np.zeros(np.broadcast_shapes(x.shape, np.shape(v)))
    if kind == "matrix" or ord is None or ord == 2:  # Frobenius or 2-norm of vectors
        p = 2.0
    elif ord in (0, 1, np.inf, -np.inf):
        return np.zeros(np.broadcast_shapes(x.shape, np.shape(v)))
    else:
        p = float(ord)
    a = np.abs(x)
    n = np.sum(a**p, axis=axes, keepdims=True) ** (1.0 / p)
    d = _vector_norm_grad(x, p, axes)
    inv = _safe_inverse(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = 1.0 if p == 2.0 else (a * inv) ** (p - 2.0)
    out = (p - 1.0) * inv * (w * v - d * np.sum(d * v, axis=axes, keepdims=True))
    return np.where(n == 0, 0.0, out)


def _singular_hvp(a, e, ord):
    """The derivative of u1 v1^T (ord 2), u_k v_k^T (-2) or U V^T ('nuc') at `a` in the
    direction `e`, from the derivative of the reduced SVD (distinct singular values)."""
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    v = mT(vh)
    p = mT(u) @ e @ v
    f = inv_gaps(s * s)
    du = u @ (f * (p * s[..., None, :] + s[..., :, None] * mT(p))) + (
        e @ v - u @ p) / s[..., None, :]
    dv = v @ (f * (s[..., :, None] * p + mT(p) * s[..., None, :])) + (
        mT(e) @ u - v @ mT(p)) / s[..., None, :]
    if ord == "nuc":
        return du @ vh + u @ mT(dv)
    k = 0 if ord == 2 else -1
    return du[..., :, k, None] * vh[..., k, None, :] + u[..., :, k, None] * mT(dv)[..., k, None, :]


def unsupported(message):
    """Raise NotImplementedError(message): a derivative s2sad refuses (never a wrong one)."""
    raise NotImplementedError(f"s2sad: {message}")


#: Name -> helper, merged into the namespace of generated code (runtime.HELPERS).
HELPERS: dict = {
    f.__name__: f
    for f in (mT, diag_matrix, diagonal_of, triangle, sym_part, sym_lower, sym_lower_adjoint,
              tril_half, fold_upper, pairwise_diff, inv_gaps, per_matrix, per_matrix_adjoint,
              as_rhs, from_rhs, fit_size, block_upper, upper_right, diag_blocks_sum, norm_grad,
              norm_hvp, unsupported)
}
