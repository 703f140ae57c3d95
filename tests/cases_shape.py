"""Rule-table rows of the shape family (aggregated by rule_table.py; see Case there)."""

import numpy as np
from rule_table import Case, M, S, V

from s2sad.runtime import shape as srt

T3 = (2, 3, 4)

# Constant index arrays and shapes (module globals, read by the generated code).
IDX_REPEATED = np.array([2, 0, 2, 1])
IDX_ALONG = np.array([[0, 2, 2], [1, 0, 1]])
IDX_ALONG_ROW = np.array([[1, 0, 1]])
LIKE_4 = np.zeros(4)
LIKE_3x3 = np.zeros((3, 3))
LIKE_2x3 = np.zeros((2, 3))
MASK = np.array([[True, False, True], [False, True, True]])


# ---- joining --------------------------------------------------------------------------------
def concatenate_axis0(x, y):
    return np.concatenate([x, y * 2.0])


def concatenate_axis1(x, y):
    return np.concatenate((x, y), axis=1)


def concatenate_three_neg_axis(x, y, z):
    return np.concatenate([x, np.sin(y), x * z], axis=-1)


def concatenate_none(x, y):
    return np.concatenate([x, y], axis=None)


def concatenate_repeated(x):
    return np.concatenate([x, x * x, x[:1]])


def hstack_(x, y):
    return np.hstack([x, y * y])


def vstack_(x, y):
    return np.vstack((x, y)) * 2.0


def dstack_(x, y):
    return np.dstack([x, y])


def column_stack_(x, y):
    return np.column_stack([x, y])


def stack_three(x, y):
    return np.stack([x, y, x * y], axis=-1)


def stack_scalars(x, y):
    return np.stack((x, y * y))


def append_flat(x, y):
    return np.append(x, y * 3.0)


def append_axis(x, y):
    return np.append(x, y, axis=0)


# ---- splitting ------------------------------------------------------------------------------
def split_sections(x):
    a, b = np.split(x, 2)
    return a * b[::-1]


def split_indices(x):
    parts = np.split(x, [1, 3], axis=1)
    return parts[0] * np.sum(parts[2], axis=1, keepdims=True) + parts[1]


def split_unused_part(x):
    a, b, c = np.split(x, 3)
    return a * b


def array_split_uneven(x):
    parts = np.array_split(x, 3, axis=-1)
    return np.sum(parts[0] ** 2) * parts[2]


def array_split_uneven_used(x):
    first, second, third = np.array_split(x, 3)
    return np.sum(first) * second + np.sum(third ** 2)


def hsplit_(x):
    left, right = np.hsplit(x, 2)
    return left * right


def vsplit_(x):
    top, bottom = np.vsplit(x, [1])
    return np.sum(top) * bottom


def dsplit_(x):
    front, back = np.dsplit(x, 2)
    return front * back


def split_like_(x):
    return srt.split_like(x, [x[:2], x[2:]], 0)


def split_like_hstack(x):
    return srt.split_like(x, [x[:, :2], x[:, 2:]], "hstack")


def join_(x):
    return srt.join(x, x * 0.0, 1)


def join_vstack(x):
    return srt.join(x, x, "vstack")


# ---- moving axes and entries ----------------------------------------------------------------
def swapaxes_(x):
    return np.swapaxes(x, 0, 1)


def swapaxes_method(x):
    return x.swapaxes(-1, 0)


def rollaxis_(x):
    return np.rollaxis(x, 2)


def rollaxis_start(x):
    return np.rollaxis(x, 0, 3) + np.rollaxis(x, -1, 1).sum()


def moveaxis_(x):
    return np.moveaxis(x, 0, -1)


def moveaxis_tuple(x):
    return np.moveaxis(x, (0, 1), (-1, -2))


def flip_all(x):
    return np.flip(x)


def flip_axis(x):
    return np.flip(x, 0) * np.flip(x, axis=-1)


def flip_axes(x):
    return np.flip(x, axis=(0, -1))


def fliplr_(x):
    return np.fliplr(x)


def flipud_(x):
    return np.flipud(x) * x


def rot90_(x):
    return np.rot90(x)


def rot90_k(x):
    return np.rot90(x, 2) + np.rot90(x, k=-2)


def rot90_axes(x):
    return np.rot90(x, k=3, axes=(1, 2))


def roll_(x):
    return np.roll(x, 1)


def roll_axis(x):
    return np.roll(x, -2, axis=1)


def roll_tuple(x):
    return np.roll(x, (1, 2), axis=(0, 1))


# ---- adding and removing axes of length one ---------------------------------------------------
def ravel_(x):
    return np.ravel(x)


def ravel_method(x):
    return x.ravel() * x.flatten()


def reshape_minus_one(x):
    return np.reshape(x, (-1, 2))


def reshape_method_minus_one(x):
    return x.reshape((3, -1))


def squeeze_(x):
    return np.squeeze(x)


def squeeze_axis(x):
    return np.squeeze(x, axis=0) + x.squeeze(-1)[0]


def expand_dims_(x):
    return np.expand_dims(x, 0)


def expand_dims_neg(x):
    return np.expand_dims(x, -1) * np.expand_dims(x, axis=(0, 2))[0]


def atleast_1d_(x):
    return np.atleast_1d(x)


def atleast_2d_(x):
    return np.atleast_2d(x)


def atleast_3d_(x):
    return np.atleast_3d(x)


# ---- copies of entries ----------------------------------------------------------------------
def broadcast_to_(x):
    return np.broadcast_to(x, (2, 3))


def tile_(x):
    return np.tile(x, 2)


def tile_reps(x):
    return np.tile(x, (2, 1, 2))


def tile_adjoint_(x):
    return srt.tile_adjoint(x, x[..., :2], (1, 2))


def repeat_(x):
    return np.repeat(x, 2)


def repeat_axis(x):
    return np.repeat(x, 2, axis=0) * 2.0


def repeat_method(x):
    return x.repeat(3, axis=-1)


def repeat_array(x):
    return np.repeat(x, [1, 0, 2], axis=1)


def repeat_array_flat(x):
    return np.repeat(x, [2, 1, 3])


def repeat_adjoint_(x):
    return srt.repeat_adjoint(x, x[:3], 2)


def repeat_adjoint_array(x):
    return srt.repeat_adjoint(x, x[:, :3], [1, 0, 3], axis=1)


def pad_(x):
    return np.pad(x, 1)


def pad_widths(x):
    return np.pad(x, ((1, 0), (2, 1)), constant_values=3.0)


def pad_reflect(x):
    return np.pad(x, 2, mode="reflect")


def pad_edge(x):
    return np.pad(x, (1, 3), mode="edge")


def pad_symmetric(x):
    return np.pad(x, ((0, 2), (1, 1)), mode="symmetric")


def pad_wrap(x):
    return np.pad(x, 4, mode="wrap")


def pad_linear_(x):
    return srt.pad_linear(x, 2, mode="symmetric") + srt.pad_linear(x, 2)


def pad_adjoint_(x):
    return srt.pad_adjoint(x, x[1:-1, 1:-1], 1)


def pad_adjoint_wrap(x):
    return srt.pad_adjoint(x, x[1:-1, 1:-1], 1, mode="wrap")


def take_flat(x):
    return np.take(x, [0, 2, 0])


def take_axis(x):
    return np.take(x, IDX_REPEATED[:3], axis=1) + np.take(x, 1, axis=-1)[:, None]


def take_neg_axis(x):
    return np.take(x, [1, 1, 3], axis=-1)


def take_adjoint_(x):
    return srt.take_adjoint(x, LIKE_4, [0, 2, 0])


def take_along_axis_(x):
    return np.take_along_axis(x, IDX_ALONG, axis=1)


def take_along_axis_broadcast(x):
    return np.take_along_axis(x, IDX_ALONG_ROW, axis=0)


def take_along_axis_flat(x):
    return np.take_along_axis(x, IDX_REPEATED, axis=None)


def take_along_axis_adjoint_(x):
    return srt.take_along_axis_adjoint(x, LIKE_2x3, IDX_ALONG, axis=1)


def select_(x):
    return np.select([x > 0.0, x < -0.5], [x**2, np.sin(x)], default=1.0)


def select_broadcast(x, y):
    return np.select([MASK, x > 0.0], [y, x * y])


def select_adjoint_(x):
    return srt.select_adjoint(x, [x, x * x], [x > 0.0, x < -0.5])


# ---- diagonals, triangles, differences ------------------------------------------------------
def diag_vector(x):
    return np.diag(x) + np.diag(x * x, k=1)[:-1, 1:] + np.diag(x, -2)[2:, :-2]


def diag_matrix(x):
    return np.diag(x) * np.diag(x, 1)[0] + np.diag(x, k=-1)[0]


def diag_adjoint_(x):
    return srt.diag_adjoint(x, LIKE_2x3, 1)


def diagonal_(x):
    return np.diagonal(x) + x.diagonal(1)[:1]


def diagonal_axes(x):
    return np.diagonal(x, offset=-1, axis1=1, axis2=2)


def diagonal_adjoint_(x):
    return srt.diagonal_adjoint(x, LIKE_3x3, 1)


def diagonal_adjoint_broadcast(x):
    return srt.diagonal_adjoint(x[:1], LIKE_3x3, offset=-1) + x[0]


def trace_(x):
    return np.trace(x) + x.trace(1) * 2.0


def trace_axes(x):
    return np.trace(x, offset=1, axis1=1, axis2=2)


def triu_(x):
    return np.triu(x)


def triu_k(x):
    return np.triu(x, 1) + np.triu(x, k=-1)


def tril_(x):
    return np.tril(x)


def tril_k(x):
    return np.tril(x, -1) + np.tril(x, k=2)


def diff_(x):
    return np.diff(x)


def diff_n_axis(x):
    return np.diff(x, n=2, axis=0)


def diff_neg_axis(x):
    return np.diff(x, 2, -1)


def diff_adjoint_(x):
    return srt.diff_adjoint(x, 2, axis=0)


# ---- indexing (getitem) ---------------------------------------------------------------------
def getitem_mask(x):
    return x[x > 0.0] * 2.0


def getitem_constant_mask(x):
    return x[MASK]


def getitem_reversed(x):
    return x[::-1]


def getitem_new_axes(x):
    return x[:, None] * x[None]


def getitem_index_array(x):
    return x[IDX_REPEATED] * 1.5


def getitem_list_index(x):
    return x[[0, 2, 0]]


def getitem_ellipsis(x):
    return x[..., 0]


def getitem_slices(x):
    return x[1:, ::2]


def getitem_pairs(x):
    return x[[0, 1], [2, 0]]


CASES = [
    Case("concatenate", concatenate_axis0, [(V, V), (V, (2,)), (M, (1, 3))]),
    Case("concatenate", concatenate_axis1, [(M, M), (M, (2, 1))]),
    Case("concatenate", concatenate_three_neg_axis, [(M, (2, 1), M), (V, V, V)]),
    Case("concatenate", concatenate_none, [(M, V), ((2, 2), (3,))]),
    Case("concatenate", concatenate_repeated, [(V,), ((3, 2),)]),
    Case("hstack", hstack_, [(V, (2,)), (M, (2, 1)), (S, V), (S, S), (M, M)]),
    Case("vstack", vstack_, [(V, V), (M, V), (S, S), (M, (1, 3))]),
    Case("dstack", dstack_, [(M, M), (V, V), ((2, 3, 1), (2, 3, 2)), (S, S)]),
    Case("column_stack", column_stack_, [(V, V), (V, (3, 2)), (M, M)]),
    Case("stack", stack_three, [(S, S), (V, V), (M, M)]),
    Case("stack", stack_scalars, [(S, S)]),
    Case("append", append_flat, [(V, S), (M, V), (S, S), (V, V)]),
    Case("append", append_axis, [(M, (1, 3)), (M, M)]),
    Case("split", split_sections, [((4,),), ((4, 3),)]),
    Case("split", split_indices, [((2, 5),)]),
    Case("split", split_unused_part, [((6,),), ((3, 2),)]),
    Case("array_split", array_split_uneven, [((2, 5),), ((7,),)]),
    Case("array_split", array_split_uneven_used, [((7,),), ((5, 2),)]),
    Case("hsplit", hsplit_, [((2, 4),), ((4,),)]),
    Case("vsplit", vsplit_, [((3, 2),)]),
    Case("dsplit", dsplit_, [((2, 1, 4),)]),
    Case("split_like", split_like_, [((4,),), ((4, 2),)]),
    Case("split_like", split_like_hstack, [((2, 4),)]),
    Case("join", join_, [((2, 3, 2),)]),
    Case("join", join_vstack, [((2, 3),), ((2, 2, 3),)]),
    Case("swapaxes", swapaxes_, [(M,), (T3,)]),
    Case("swapaxes", swapaxes_method, [(T3,)]),
    Case("rollaxis", rollaxis_, [(T3,)]),
    Case("rollaxis", rollaxis_start, [(T3,)]),
    Case("moveaxis", moveaxis_, [(M,), (T3,)]),
    Case("moveaxis", moveaxis_tuple, [(T3,)]),
    Case("flip", flip_all, [(V,), (M,)]),
    Case("flip", flip_axis, [(V,), (M,), (T3,)]),
    Case("flip", flip_axes, [(M,), (T3,)]),
    Case("fliplr", fliplr_, [(M,), (T3,)]),
    Case("flipud", flipud_, [(V,), (M,)]),
    Case("rot90", rot90_, [(M,), (T3,)]),
    Case("rot90", rot90_k, [(M,)]),
    Case("rot90", rot90_axes, [(T3,)]),
    Case("roll", roll_, [(V,), (M,)]),
    Case("roll", roll_axis, [(M,), (T3,)]),
    Case("roll", roll_tuple, [(M,), (T3,)]),
    Case("ravel", ravel_, [(V,), (M,), (T3,)]),
    Case("ravel", ravel_method, [(M,), (T3,)]),
    Case("reshape", reshape_minus_one, [(M,), ((2, 2, 3),)]),
    Case("reshape", reshape_method_minus_one, [(M,), ((6,),)]),
    Case("squeeze", squeeze_, [((1, 3, 1),), ((2, 1),)]),
    Case("squeeze", squeeze_axis, [((1, 3, 1),)]),
    Case("expand_dims", expand_dims_, [(S,), (V,), (M,)]),
    Case("expand_dims", expand_dims_neg, [(V,)]),
    Case("atleast_1d", atleast_1d_, [(S,), (V,)]),
    Case("atleast_2d", atleast_2d_, [(S,), (V,), (M,)]),
    Case("atleast_3d", atleast_3d_, [(S,), (V,), (M,), (T3,)]),
    Case("broadcast_to", broadcast_to_, [(S,), (V,), ((2, 1),), ((1, 3),), (M,)]),
    Case("tile", tile_, [(S,), (V,), (M,)]),
    Case("tile", tile_reps, [(S,), (V,), (M,)]),
    Case("tile_adjoint", tile_adjoint_, [((2, 4),), ((3, 2, 4),)]),
    Case("repeat", repeat_, [(S,), (V,), (M,)]),
    Case("repeat", repeat_axis, [(M,), (T3,)]),
    Case("repeat", repeat_method, [(V,), (T3,)]),
    Case("repeat", repeat_array, [(M,)]),
    Case("repeat", repeat_array_flat, [(V,)]),
    Case("repeat_adjoint", repeat_adjoint_, [((6,),)]),
    Case("repeat_adjoint", repeat_adjoint_array, [((2, 4),)]),
    Case("pad", pad_, [(V,), (M,)]),
    Case("pad", pad_widths, [(M,)]),
    Case("pad", pad_reflect, [(V,), ((3, 4),)]),
    Case("pad", pad_edge, [(V,), (M,)]),
    Case("pad", pad_symmetric, [(M,)]),
    Case("pad", pad_wrap, [(V,), (M,)]),
    Case("pad_linear", pad_linear_, [(V,), (M,)]),
    Case("pad_adjoint", pad_adjoint_, [((4, 5),)]),
    Case("pad_adjoint", pad_adjoint_wrap, [((4, 5),)]),
    Case("take", take_flat, [(V,), (M,)]),
    Case("take", take_axis, [(M,)]),
    Case("take", take_neg_axis, [(T3,)]),
    Case("take_adjoint", take_adjoint_, [(V,)]),
    Case("take_along_axis", take_along_axis_, [(M,)]),
    Case("take_along_axis", take_along_axis_broadcast, [(M,)]),
    Case("take_along_axis", take_along_axis_flat, [(V,), (M,)]),
    Case("take_along_axis_adjoint", take_along_axis_adjoint_, [(M,)]),
    Case("select", select_, [(V,), (M,)]),
    Case("select", select_broadcast, [(M, S), (M, V), (M, M)], "nonzero"),
    Case("select_adjoint", select_adjoint_, [(V,), (M,)], "nonzero"),
    Case("diag", diag_vector, [(V,), ((4,),)]),
    Case("diag", diag_matrix, [(M,), ((3, 3),), ((4, 2),)]),
    Case("diag_adjoint", diag_adjoint_, [((2,),)]),
    Case("diagonal", diagonal_, [(M,), ((3, 3),)]),
    Case("diagonal", diagonal_axes, [(T3,)]),
    Case("diagonal_adjoint", diagonal_adjoint_, [((2,),)]),
    Case("diagonal_adjoint", diagonal_adjoint_broadcast, [((2,),)]),
    Case("trace", trace_, [(M,), ((3, 3),)]),
    Case("trace", trace_axes, [(T3,)]),
    Case("triu", triu_, [(M,), ((3, 3),), (V,)]),
    Case("triu", triu_k, [(M,), ((2, 3, 3),)]),
    Case("tril", tril_, [(M,), ((3, 3),), (V,)]),
    Case("tril", tril_k, [(M,), ((2, 3, 3),)]),
    Case("diff", diff_, [(V,), (M,)]),
    Case("diff", diff_n_axis, [((4, 3),)]),
    Case("diff", diff_neg_axis, [((2, 5),)]),
    Case("diff_adjoint", diff_adjoint_, [((2, 3),)]),
    Case("getitem", getitem_mask, [(V,), (M,)], "nonzero"),
    Case("getitem", getitem_constant_mask, [(M,)]),
    Case("getitem", getitem_reversed, [(V,), (M,)]),
    Case("getitem", getitem_new_axes, [(V,), (M,)]),
    Case("getitem", getitem_index_array, [(V,), ((3, 2),)]),
    Case("getitem", getitem_list_index, [(V,), ((3, 2),)]),
    Case("getitem", getitem_ellipsis, [(M,), (T3,)]),
    Case("getitem", getitem_slices, [((3, 4),), (T3,)]),
    Case("getitem", getitem_pairs, [(M,), (T3,)]),
]


def linspace(a, b):
    return np.linspace(a, b * 2.0, 5) * np.linspace(0.0, a, 4, endpoint=False)[1]


def linspace_arrays(a, b):
    return np.linspace(a, b, num=4) ** 2


def row_stack(x, y):
    return np.row_stack([x, y * 2.0]) * 1.5


CASES += [
    Case("linspace", linspace, [(S, S), (V, S)]),
    Case("linspace", linspace_arrays, [(V, V), (M, V)]),
]
if hasattr(np, "row_stack") and np.row_stack is not np.vstack:
    CASES.append(Case("vstack", row_stack, [(V, V), (M, M)]))
