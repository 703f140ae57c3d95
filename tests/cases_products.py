"""Rule-table rows of the products family (aggregated by rule_table.py; see Case there)."""

import numpy as np
from rule_table import Case, M, S, V

from s2sad.runtime import products as rtp


# ---- einsum (two operands) ----------------------------------------------------------------
def einsum_matmul(x, y):
    return np.einsum("ij,jk->ik", x, y)


def einsum_implicit(x, y):
    return np.einsum("ij,jk", x, y)


def einsum_dot(x, y):
    return np.einsum("i,i->", x, y)


def einsum_outer_transposed(x, y):
    return np.einsum("i,j->ji", x, y)


def einsum_batched(x, y):
    return np.einsum("bij,bjk->bik", x, y)


def einsum_partial(x, y):
    return np.einsum("ijk,ik->ij", x, y)


def einsum_one_operand_diagonal(x):
    return np.einsum("ii,->i", x, 1.0)


def einsum_one_operand_trace(x):
    return np.einsum("ii,->", x, 1.0) * 2.0


def einsum_one_operand_transpose(x):
    return np.einsum("ij,->ji", x, 1.5)


def einsum_repeated_with_other(x, y):
    return np.einsum("ii,i->i", x, y)


def einsum_summed_alone(x, y):
    return np.einsum("ij,k->ik", x, y)  # j appears in x only: summed away


def einsum_summed_diagonal(x, y):
    return np.einsum("iij,k->k", x, y)  # a repeated label summed away


def einsum_ellipsis(x, y):
    return np.einsum("...ij,...jk->...ik", x, y)


def einsum_ellipsis_implicit(x, y):
    return np.einsum("i...,i", x, y)


def einsum_scalar(x, y):
    return np.einsum(",ij->ji", x, y)


def einsum_uppercase(x, y):
    return np.einsum("aB,Bc->ca", x, y)


def einsum_adjoint_x(g, x, y):
    return rtp.einsum_adjoint_x("ij,jk->ik", g, x, y)


def einsum_adjoint_x_diagonal(g, x, y):
    return rtp.einsum_adjoint_x("iij,jk->ik", g, x, y)


def einsum_adjoint_y(g, x, y):
    return rtp.einsum_adjoint_y("...ij,...jk->...ik", g, x, y)


def einsum_adjoint_y_broadcast(g, x, y):
    return rtp.einsum_adjoint_y("ij,kj->ik", g, x, y)


# ---- tensordot, inner, outer, vdot, kron, cross ---------------------------------------------
def tensordot_default(x, y):
    return np.tensordot(x, y)


def tensordot_int(x, y):
    return np.tensordot(x, y, axes=1)


def tensordot_zero(x, y):
    return np.tensordot(x, y, 0)


def tensordot_pairs(x, y):
    return np.tensordot(x, y, axes=([1, 0], [0, 2]))


def tensordot_negative(x, y):
    return np.tensordot(x, y, axes=(-1, 0))


def inner(x, y):
    return np.inner(x, y)


def outer(x, y):
    return np.outer(x, y)


def vdot(x, y):
    return np.vdot(x, y)


def kron(x, y):
    return np.kron(x, y)


def cross(x, y):
    return np.cross(x, y)


T3 = (2, 3, 4)
CASES = [
    Case("einsum", einsum_matmul, [(M, (3, 4)), ((1, 3), (3, 2))]),
    Case("einsum", einsum_implicit, [(M, (3, 4))]),
    Case("einsum", einsum_dot, [(V, V)]),
    Case("einsum", einsum_outer_transposed, [(V, (4,)), ((1,), V)]),
    Case("einsum", einsum_batched, [(T3, (2, 4, 2)), ((1, 3, 4), (2, 4, 2))]),
    Case("einsum", einsum_partial, [(T3, (2, 4))]),
    Case("einsum", einsum_one_operand_diagonal, [((3, 3),)]),
    Case("einsum", einsum_one_operand_trace, [((3, 3),)]),
    Case("einsum", einsum_one_operand_transpose, [(M,)]),
    Case("einsum", einsum_repeated_with_other, [((3, 3), V)]),
    Case("einsum", einsum_summed_alone, [(M, (4,))]),
    Case("einsum", einsum_summed_diagonal, [((2, 2, 3), (4,))]),
    Case("einsum", einsum_ellipsis, [(T3, (4, 2)), ((3, 2, 3), (2, 1, 3, 2)), (M, (3, 2)),
                                     ((2, 1, 2, 3), (4, 3, 2))]),
    Case("einsum", einsum_ellipsis_implicit, [(M, (2,)), (T3, (2,))]),
    Case("einsum", einsum_scalar, [(S, M)]),
    Case("einsum", einsum_uppercase, [(M, (3, 4))]),
    Case("einsum_adjoint_x", einsum_adjoint_x, [((2, 4), M, (3, 4))]),
    Case("einsum_adjoint_x", einsum_adjoint_x_diagonal, [((2, 4), (2, 2, 3), (3, 4))]),
    Case("einsum_adjoint_y", einsum_adjoint_y, [((5, 2, 4), (5, 2, 3), (3, 4)),
                                                ((1, 2, 4), M, (1, 3, 4))]),
    Case("einsum_adjoint_y", einsum_adjoint_y_broadcast, [((2, 4), M, (4, 1))]),
    Case("tensordot", tensordot_default, [(T3, (3, 4, 2)), (M, M)]),
    Case("tensordot", tensordot_int, [(T3, (4, 2)), (V, V), (M, (3,))]),
    Case("tensordot", tensordot_zero, [(V, M), (S, V)]),
    Case("tensordot", tensordot_pairs, [(T3, (3, 5, 2))]),
    Case("tensordot", tensordot_negative, [(M, (3, 2))]),
    Case("inner", inner, [(V, V), (M, (4, 3)), (T3, (4,)), (S, M), (V, S), (S, S)]),
    Case("outer", outer, [(V, (4,)), (M, V), (S, V), (V, T3)]),
    Case("vdot", vdot, [(V, V), (M, M), (M, (6,)), (S, S)]),
    Case("kron", kron, [(V, (4,)), (M, (2, 2)), (V, M), (M, V), (S, M), ((2, 1, 2), (3, 2))]),
    Case("cross", cross, [(V, V), ((4, 3), (4, 3)), (V, (4, 3)), ((2, 1, 3), (4, 3))]),
]
