"""``np.linalg`` (and ``scipy.linalg``): norms, inverses, solves, determinants, factorizations.

Every rule acts on the last two axes, so stacks of matrices ``(..., n, n)`` work where NumPy
allows them. ``mT`` is the transpose of the last two axes; the other helpers (triangles,
diagonals, blocks, the norm's derivative field) are in ``runtime/linalg.py`` and registered at
the end of this file. Factorizations return tuples: in their VJP templates ``g[k]`` is the
cotangent of part k (zeros for an unused part), and their JVP templates build a tuple.
"""

import numpy as np

from ..runtime import linalg as rt
from .registry import TEMPLATE_MODULES, defprim, nondiff

# ---- norms --------------------------------------------------------------------------------
defprim("norm", "np.linalg.norm", objects=(np.linalg.norm,),
        params=(("ord", None), ("axis", None), ("keepdims", False)),
        vjp={"x": "broadcast_reduced(g, x, axis, keepdims) * norm_grad(x, ord, axis)"},
        jvp={"x": "np.sum(x_dot * norm_grad(x, ord, axis), axis=axis, keepdims=keepdims)"},
        note="subgradient 0 at the zero vector (2-norms); ties of inf/-inf/1/-1 norms share "
             "the derivative evenly; matrix 2/-2/nuc norms need distinct singular values "
             "(and have no second derivative here)")

# ---- inverses and solves ------------------------------------------------------------------
defprim("inv", "np.linalg.inv", objects=(np.linalg.inv,),
        vjp={"x": "-mT(ans) @ g @ mT(ans)"},
        jvp={"x": "-ans @ x_dot @ ans"})

# x = solve(a, b) solves a @ x = b. as_rhs/from_rhs give a vector b (NumPy's 1-D b) a column
# axis, so one template serves vectors, matrices and stacks of them.
defprim("solve", "np.linalg.solve", objects=(np.linalg.solve,), argnames=("a", "b"),
        vjp={"a": "-unbroadcast(np.linalg.solve(mT(a), as_rhs(g, b)) @ mT(as_rhs(ans, b)), a)",
             "b": "unbroadcast(from_rhs(np.linalg.solve(mT(a), as_rhs(g, b)), b), b)"},
        jvp={"a": "-from_rhs(np.linalg.solve(a, a_dot @ as_rhs(ans, b)), b)",
             "b": "from_rhs(np.linalg.solve(a, as_rhs(b_dot, b)), b)"})

defprim("pinv", "np.linalg.pinv", objects=(np.linalg.pinv,),
        vjp={"x": "-mT(ans) @ g @ mT(ans) + (mT(g) - x @ ans @ mT(g)) @ ans @ mT(ans)"
                  " + mT(ans) @ ans @ (mT(g) - mT(g) @ ans @ x)"},
        jvp={"x": "-ans @ x_dot @ ans + ans @ mT(ans) @ (mT(x_dot) - mT(x_dot) @ x @ ans)"
                  " + (mT(x_dot) - ans @ x @ mT(x_dot)) @ mT(ans) @ ans"},
        note="matrices of full rank (the pseudo-inverse jumps where the rank changes)")

defprim("matrix_power", "np.linalg.matrix_power", objects=(np.linalg.matrix_power,),
        params=(("n", None),), required_params=1,
        vjp={"x": "upper_right(np.linalg.matrix_power(block_upper(mT(x), g), n))"},
        jvp={"x": "upper_right(np.linalg.matrix_power(block_upper(x, x_dot), n))"},
        note="the derivative is the upper right block of [[x, dx], [0, x]] ** n")

# ---- determinants -------------------------------------------------------------------------
defprim("det", "np.linalg.det", objects=(np.linalg.det,),
        vjp={"x": "per_matrix(g * ans) * mT(np.linalg.inv(x))"},
        jvp={"x": "ans * np.sum(mT(np.linalg.inv(x)) * x_dot, axis=(-2, -1))"},
        note="invertible matrices (the rule uses the inverse)")

defprim("slogdet", "np.linalg.slogdet", objects=(np.linalg.slogdet,),
        vjp={"x": "per_matrix(g[1]) * mT(np.linalg.inv(x))"},
        jvp={"x": "(zeros_like(ans[0]), np.sum(mT(np.linalg.inv(x)) * x_dot, axis=(-2, -1)))"},
        note="returns (sign, logabsdet); sign has zero derivative")

# ---- factorizations -----------------------------------------------------------------------
# cholesky and eigh read only the lower triangle: the derivative with respect to the strict
# upper triangle is zero, and sym_lower(x) is the symmetric matrix they factor.
defprim("cholesky", "np.linalg.cholesky", objects=(np.linalg.cholesky,),
        vjp={"x": "sym_lower_adjoint(mT(np.linalg.inv(ans)) @ tril_half(mT(ans) @ g)"
                  " @ np.linalg.inv(ans))"},
        jvp={"x": "ans @ tril_half(np.linalg.inv(ans) @ sym_lower(x_dot)"
                  " @ mT(np.linalg.inv(ans)))"},
        note="lower factor; reads only the lower triangle of x")

defprim("eigh", "np.linalg.eigh", objects=(np.linalg.eigh,),
        vjp={"x": "sym_lower_adjoint(ans[1] @ (diag_matrix(g[0])"
                  " + inv_gaps(ans[0]) * (mT(ans[1]) @ g[1])) @ mT(ans[1]))"},
        jvp={"x": "(diagonal_of(mT(ans[1]) @ sym_lower(x_dot) @ ans[1]),"
                  " ans[1] @ (inv_gaps(ans[0]) * (mT(ans[1]) @ sym_lower(x_dot) @ ans[1])))"},
        note="returns (w, v); reads only the lower triangle of x; eigenvector derivatives "
             "need distinct eigenvalues, and a function of v should not depend on the "
             "sign of each eigenvector (which NumPy picks)")

defprim("eigvalsh", "np.linalg.eigvalsh", objects=(np.linalg.eigvalsh,),
        vjp={"x": "sym_lower_adjoint(np.linalg.eigh(x)[1] * g[..., None, :]"
                  " @ mT(np.linalg.eigh(x)[1]))"},
        jvp={"x": "diagonal_of(mT(np.linalg.eigh(x)[1]) @ sym_lower(x_dot)"
                  " @ np.linalg.eigh(x)[1])"},
        note="reads only the lower triangle of x")

# A = Q R (reduced) with R square: full column rank. X = Q^T dA R^-1 gives dR = fold_upper(X) R
# and dQ = dA R^-1 - Q fold_upper(X); the VJP is the transpose of that map.
defprim("qr", "np.linalg.qr", objects=(np.linalg.qr,),
        vjp={"x": "(g[0] + ans[0] @ sym_lower(ans[1] @ mT(g[1]) - mT(g[0]) @ ans[0]))"
                  " @ mT(np.linalg.inv(ans[1]))"},
        jvp={"x": "(x_dot @ np.linalg.inv(ans[1]) - ans[0] @ fold_upper(mT(ans[0]) @ x_dot"
                  " @ np.linalg.inv(ans[1])), fold_upper(mT(ans[0]) @ x_dot"
                  " @ np.linalg.inv(ans[1])) @ ans[1])"},
        note="reduced mode, full column rank (m >= n)")

# ---- helpers of the rules above (runtime/linalg.py) ---------------------------------------
# Linear maps: each one's adjoint is another of them (or itself), its tangent itself.
for _name, _adjoint in (
    ("mT", "mT(g)"),
    ("diag_matrix", "diagonal_of(g)"),
    ("diagonal_of", "diag_matrix(g)"),
    ("sym_part", "sym_part(g)"),
    ("sym_lower", "sym_lower_adjoint(g)"),
    ("sym_lower_adjoint", "sym_lower(g)"),
    ("tril_half", "tril_half(g)"),
    ("fold_upper", "sym_lower(mT(g))"),
    ("pairwise_diff", "np.sum(g, axis=-2) - np.sum(g, axis=-1)"),
    ("per_matrix", "per_matrix_adjoint(g)"),
    ("per_matrix_adjoint", "per_matrix(g)"),
    ("upper_right", "block_upper(zeros_like(g), g)"),
    ("diag_blocks_sum", "block_upper(g, zeros_like(g))"),
):
    defprim(_name, _name, objects=(rt.HELPERS[_name],), vjp={"x": _adjoint},
            jvp={"x": f"{_name}(x_dot)"})

defprim("triangle", "triangle", objects=(rt.triangle,), params=(("lower", True),),
        vjp={"x": "triangle(g, lower)"},
        jvp={"x": "triangle(x_dot, lower)"})

# as_rhs / from_rhs: `b` only tells whether the right-hand side is a vector.
defprim("as_rhs", "as_rhs", objects=(rt.as_rhs,), argnames=("x", "b"),
        vjp={"x": "from_rhs(g, b)"},
        jvp={"x": "as_rhs(x_dot, b)"})
defprim("from_rhs", "from_rhs", objects=(rt.from_rhs,), argnames=("x", "b"),
        vjp={"x": "as_rhs(g, b)"},
        jvp={"x": "from_rhs(x_dot, b)"})

defprim("fit_size", "fit_size", objects=(rt.fit_size,), argnames=("x", "like"),
        vjp={"x": "fit_size(g, x)"},
        jvp={"x": "fit_size(x_dot, like)"})

defprim("block_upper", "block_upper", objects=(rt.block_upper,), argnames=("a", "e"),
        vjp={"a": "diag_blocks_sum(g)", "e": "upper_right(g)"},
        jvp={"a": "block_upper(a_dot, zeros_like(a_dot))",
             "e": "block_upper(zeros_like(e_dot), e_dot)"})

# d/dw of 1 / (w_j - w_i) is -ans**2 * (dw_j - dw_i).
defprim("inv_gaps", "inv_gaps", objects=(rt.inv_gaps,),
        vjp={"x": "np.sum(g * ans * ans, axis=-1) - np.sum(g * ans * ans, axis=-2)"},
        jvp={"x": "-ans * ans * pairwise_diff(x_dot)"})

# The norm's derivative field; its derivative is the (symmetric) Hessian.
defprim("norm_grad", "norm_grad", objects=(rt.norm_grad,),
        params=(("ord", None), ("axis", None)),
        vjp={"x": "norm_hvp(x, g, ord, axis)"},
        jvp={"x": "norm_hvp(x, x_dot, ord, axis)"})
defprim("norm_hvp", "norm_hvp", objects=(rt.norm_hvp,), argnames=("x", "v"),
        params=(("ord", None), ("axis", None)),
        vjp={"x": "unsupported('third derivatives of np.linalg.norm')",
             "v": "norm_hvp(x, g, ord, axis)"},
        jvp={"x": "unsupported('third derivatives of np.linalg.norm')",
             "v": "norm_hvp(x, v_dot, ord, axis)"})
nondiff("unsupported", "unsupported", rt.unsupported)

# A = U diag(s) Vh with distinct singular values. P = U^T dA V and F = inv_gaps(s * s) give
# ds = diag(P), dU = U (F o (P S + S P^T)) + (I - U U^T) dA V / S and dVh likewise; the VJP is
# the transpose of that map.
_SVD_VJP = (
    "ans[0] @ (diag_matrix(g[1])"
    " + sym_part(inv_gaps(ans[1] * ans[1]) * (mT(ans[0]) @ g[0])) * ans[1][..., None, :]"
    " + ans[1][..., :, None] * sym_part(inv_gaps(ans[1] * ans[1]) * (ans[2] @ mT(g[2])))"
    " - mT(ans[0]) @ g[0] / ans[1][..., None, :] - g[2] @ mT(ans[2]) / ans[1][..., :, None])"
    " @ ans[2] + g[0] / ans[1][..., None, :] @ ans[2] + ans[0] / ans[1][..., None, :] @ g[2]")
_SVD_JVP = (
    "(ans[0] @ (inv_gaps(ans[1] * ans[1]) * (mT(ans[0]) @ x_dot @ mT(ans[2]) * ans[1][..., None, :]"
    " + ans[1][..., :, None] * mT(mT(ans[0]) @ x_dot @ mT(ans[2]))))"
    " + (x_dot @ mT(ans[2]) - ans[0] @ (mT(ans[0]) @ x_dot @ mT(ans[2]))) / ans[1][..., None, :],"
    " diagonal_of(mT(ans[0]) @ x_dot @ mT(ans[2])),"
    " mT(inv_gaps(ans[1] * ans[1]) * (ans[1][..., :, None] * (mT(ans[0]) @ x_dot @ mT(ans[2]))"
    " + mT(mT(ans[0]) @ x_dot @ mT(ans[2])) * ans[1][..., None, :])) @ ans[2]"
    " + (mT(ans[0]) @ x_dot - (mT(ans[0]) @ x_dot @ mT(ans[2])) @ ans[2]) / ans[1][..., :, None])")
_SVDVALS_VJP = ("np.linalg.svd(x, full_matrices=False)[0] * g[..., None, :]"
                " @ np.linalg.svd(x, full_matrices=False)[2]")
_SVDVALS_JVP = ("diagonal_of(mT(np.linalg.svd(x, full_matrices=False)[0]) @ x_dot"
                " @ mT(np.linalg.svd(x, full_matrices=False)[2]))")
defprim("svd", "np.linalg.svd", objects=(np.linalg.svd,), params=(("full_matrices", True),),
        vjp={"x": _SVD_VJP},
        jvp={"x": _SVD_JVP},
        note="distinct nonzero singular values; full_matrices=False unless x is square "
             "(the extra columns of a full U or Vh have no derivative: refused); for the "
             "singular values alone call np.linalg.svdvals (compute_uv=False is not supported)")

defprim("svdvals", "np.linalg.svdvals", objects=(np.linalg.svdvals,),
        vjp={"x": _SVDVALS_VJP},
        jvp={"x": _SVDVALS_JVP},
        note="distinct singular values")

# lstsq returns (x, residuals, rank, s). With full column rank x = (a^T a)^-1 a^T b, and with
# r = b - a x (orthogonal to a's columns) residuals = sum(r**2, axis=0) has d = 2 r^T (db - da x);
# s are the singular values of a (see svdvals). R, X: r and x as columns (as_rhs).
_R = "as_rhs(b - a @ ans[0], b)"
_X = "as_rhs(ans[0], b)"
_Z = "np.linalg.solve(mT(a) @ a, as_rhs(g[0], b))"
_B_BAR = f"(a @ {_Z} + 2.0 * {_R} * fit_size(g[1], {_R}[0]))"
_LSTSQ_JVP = (
    f"(from_rhs(np.linalg.solve(mT(a) @ a, mT(a_dot) @ {_R} - mT(a) @ (a_dot @ {_X})"
    " + mT(a) @ as_rhs(b_dot, b)), b),"
    f" fit_size(2.0 * np.sum({_R} * (as_rhs(b_dot, b) - a_dot @ {_X}), axis=0), ans[1]),"
    " zeros_like(ans[2]), diagonal_of(mT(np.linalg.svd(a, full_matrices=False)[0]) @ a_dot"
    " @ mT(np.linalg.svd(a, full_matrices=False)[2])))")
lstsq = defprim(
    "lstsq", "np.linalg.lstsq", objects=(np.linalg.lstsq,), argnames=("a", "b"),
    params=(("rcond", None),),
    vjp={"a": f"{_R} @ mT({_Z}) - {_B_BAR} @ mT({_X})"
              " + np.linalg.svd(a, full_matrices=False)[0] * g[3][..., None, :]"
              " @ np.linalg.svd(a, full_matrices=False)[2]",
         "b": f"from_rhs({_B_BAR}, b)"},
    jvp={"a": _LSTSQ_JVP, "b": _LSTSQ_JVP},
    note="full column rank (m >= n); returns (x, residuals, rank, s), all differentiable "
         "but the rank")
lstsq.jvp_all = _LSTSQ_JVP  # one tuple from both tangents (a sum of tuples would concatenate)


# ---- scipy.linalg (registered when SciPy imports) -----------------------------------------
try:
    import scipy
    import scipy.linalg as _sl
except ImportError:  # SciPy is optional at run time
    _sl = None
else:
    TEMPLATE_MODULES.setdefault("scipy", scipy)  # templates and generated code name it

if _sl is not None:
    # x = T^-1 b with T the `lower` (else upper) triangle of a; the other triangle is never read.
    defprim("solve_triangular", "scipy.linalg.solve_triangular",
            objects=(_sl.solve_triangular,), argnames=("a", "b"), params=(("lower", False),),
            vjp={"a": "-triangle(as_rhs(scipy.linalg.solve_triangular(mT(a), g, lower=not lower),"
                      " b) @ mT(as_rhs(ans, b)), lower)",
                 "b": "scipy.linalg.solve_triangular(mT(a), g, lower=not lower)"},
            jvp={"a": "-scipy.linalg.solve_triangular(a, triangle(a_dot, lower) @ ans,"
                      " lower=lower)",
                 "b": "scipy.linalg.solve_triangular(a, b_dot, lower=lower)"},
            note="trans=0 only; reads only the lower (lower=True) or upper triangle of a")

    # x solves a @ x + x @ b = q: a dx + dx b = dq - da x - x db.
    defprim("solve_sylvester", "scipy.linalg.solve_sylvester", objects=(_sl.solve_sylvester,),
            argnames=("a", "b", "q"),
            vjp={"a": "-scipy.linalg.solve_sylvester(mT(a), mT(b), g) @ mT(ans)",
                 "b": "-mT(ans) @ scipy.linalg.solve_sylvester(mT(a), mT(b), g)",
                 "q": "scipy.linalg.solve_sylvester(mT(a), mT(b), g)"},
            jvp={"a": "scipy.linalg.solve_sylvester(a, b, -a_dot @ ans)",
                 "b": "scipy.linalg.solve_sylvester(a, b, -ans @ b_dot)",
                 "q": "scipy.linalg.solve_sylvester(a, b, q_dot)"})

    # s = sqrtm(x): s ds + ds s = dx, a Sylvester equation.
    defprim("sqrtm", "scipy.linalg.sqrtm", objects=(_sl.sqrtm,),
            vjp={"x": "scipy.linalg.solve_sylvester(mT(ans), mT(ans), g)"},
            jvp={"x": "scipy.linalg.solve_sylvester(ans, ans, x_dot)"},
            note="matrices with a real principal square root (no eigenvalue on the closed "
                 "negative real axis)")
