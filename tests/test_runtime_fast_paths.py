"""The fast paths of the runtime helpers agree exactly with their general paths.

Generated gradients call ``unbroadcast``, ``scatter_like``, ``zeros_like``,
``broadcast_reduced`` and the product adjoints hundreds of times per call, so each takes a
short path for its common cases (a same-shape array, a row of a matrix, a float cotangent, an
inner product). These tests run each fast path and the general one on many shapes and
dtypes, NaN and inf included: same type (a Python float stays a float, a 0-d array a 0-d
array), same dtype, same shape, equal entries, and a new array where the general path gives
a new array.
"""

import itertools

import numpy as np
import pytest

from s2sad import runtime
from s2sad.runtime import (
    broadcast_reduced,
    dot_adjoint_x,
    dot_adjoint_y,
    matmul_adjoint_x,
    matmul_adjoint_y,
    scatter_like,
    unbroadcast,
    zeros_like,
)
from s2sad.runtime.reductions import extremum_weights

# NaN, inf and float16 overflow are among the inputs on purpose: both paths warn alike.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

DTYPES = (np.float64, np.float32, np.float16, np.complex128, np.int64)
SHAPES = ((), (1,), (5,), (3, 4), (1, 4), (2, 3, 4), (4, 1, 2))


def values(shape, dtype, seed=0):
    """Entries of `dtype` with a NaN, an inf and a negative zero among them where they fit."""
    rng = np.random.default_rng(seed)
    out = np.asarray(rng.normal(size=shape) * 3)
    if np.dtype(dtype).kind in "fc" and out.size >= 3:
        flat = out.reshape(-1)
        flat[0], flat[1], flat[2] = np.nan, np.inf, -0.0
    if np.dtype(dtype).kind == "c":
        out = out + 1j * rng.normal(size=shape)
    return np.array(out, dtype=dtype)  # a 0-d array stays an array


def assert_same(fast, general):
    assert type(fast) is type(general)
    assert np.shape(fast) == np.shape(general)
    assert np.result_type(fast) == np.result_type(general)
    assert np.array_equal(fast, general, equal_nan=np.result_type(fast).kind in "fc")


def general_matmul_x(g, x, y):
    return runtime._matmul_adjoint_x(g, x, y, np.matmul)


def general_matmul_y(g, x, y):
    return runtime._matmul_adjoint_y(g, x, y, np.matmul)


# ----------------------------------------------------------------------------- unbroadcast
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_unbroadcast_of_a_same_shape_array_is_the_array(shape, dtype):
    v, like = values(shape, dtype), values(shape, np.float64, seed=1)
    fast, general = unbroadcast(v, like), runtime._unbroadcast(v, like)
    assert fast is v and general is v


@pytest.mark.parametrize("v", [2.5, np.float64(2.5), np.float32(2.5), 3, 1j, np.nan])
@pytest.mark.parametrize("like", [1.0, np.zeros(()), np.zeros(3)])
def test_unbroadcast_of_a_number_is_the_number(v, like):
    assert unbroadcast(v, like) is v


@pytest.mark.parametrize("vshape,shape", [((3, 4), (4,)), ((3, 4), (1, 4)), ((3, 4), ()),
                                          ((2, 3, 4), (3, 1)), ((5,), (1,)), ((), ())])
def test_unbroadcast_of_a_broadcast_array_sums_as_before(vshape, shape):
    v, like = values(vshape, np.float32), values(shape, np.float64)
    assert_same(unbroadcast(v, like), runtime._unbroadcast(v, like))
    assert_same(unbroadcast(v, float(like) if not shape else like),
                runtime._unbroadcast(v, float(like) if not shape else like))


# ----------------------------------------------------------------------------- scatter_like
SCATTER_INDICES = (0, 2, -1, slice(1, 3), slice(None, None, 2), slice(None))


@pytest.mark.parametrize("shape", [(5,), (3, 4), (4, 2, 3)])
@pytest.mark.parametrize("like_dtype", DTYPES)
@pytest.mark.parametrize("index", SCATTER_INDICES, ids=str)
def test_scatter_like_of_an_array_agrees_with_the_general_path(shape, like_dtype, index):
    like = values(shape, like_dtype)
    piece_shape = np.shape(like[index])
    for value_dtype in (np.float64, np.float32, np.complex128):
        for v in (values(piece_shape, value_dtype, seed=2), 1.5, np.float32(1.5),
                  np.float64(np.inf)):
            if np.ndim(v) == 0 and piece_shape and type(v) is not float:
                v = np.full(piece_shape, v)  # a scalar broadcast over a slice, as an array
            if np.result_type(v).kind == "c" and np.dtype(like_dtype).kind != "c":
                continue  # a complex value into a real array: not an adjoint s2sad writes
            assert_same(scatter_like(v, index, like), runtime._scatter_like(v, index, like))


def test_scatter_like_of_a_list_or_an_index_array_takes_the_general_path():
    like = [np.zeros(3), np.ones(3)]
    assert_same(scatter_like(np.ones(3), 1, like), runtime._scatter_like(np.ones(3), 1, like))
    x = values((5,), np.float64)
    index = np.array([1, 1, 3])
    out = scatter_like(np.ones(3), index, x)
    assert np.array_equal(out, [0.0, 2.0, 0.0, 1.0, 0.0])  # repeats accumulate


# ------------------------------------------------------------------------------- zeros_like
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", (*DTYPES, np.int8, np.bool_, np.longdouble))
def test_zeros_like_of_an_array_has_the_general_paths_dtype(shape, dtype):
    x = values(shape, dtype)
    general = np.zeros(np.shape(x), dtype=np.result_type(x, 1.0))  # the general path's zeros
    out = zeros_like(x)
    assert_same(out, general)
    assert not np.shares_memory(out, x)


@pytest.mark.parametrize("x", [1.5, 3, np.float32(2.0), None, [1.0, 2.0], ()], ids=repr)
def test_zeros_like_of_other_values_is_unchanged(x):
    out = zeros_like(x)
    expected = np.zeros(2) if isinstance(x, list) else 0.0
    assert_same(out, expected)


# ------------------------------------------------------------------------ broadcast_reduced
@pytest.mark.parametrize("shape", [s for s in SHAPES if s])
@pytest.mark.parametrize("dtype", DTYPES)
def test_broadcast_reduced_of_a_float_fills_like_the_general_path(shape, dtype):
    like = values(shape, dtype)
    for v in (0.5, -0.0, np.nan, np.inf, 1e300):
        out = broadcast_reduced(v, like)
        assert_same(out, runtime._broadcast_reduced(v, like))
        assert out.flags.writeable and not np.shares_memory(out, like)


@pytest.mark.parametrize("shape", [(5,), (3, 4), (1, 4), (2, 3, 4), (4, 1, 2)])
@pytest.mark.parametrize("dtype", (np.float64, np.float32, np.complex128))
def test_broadcast_reduced_over_one_axis_agrees_with_the_general_path(shape, dtype):
    like = values(shape, np.float64)
    for axis in range(-len(shape), len(shape)):
        reduced = np.sum(values(shape, dtype, seed=3), axis=axis)
        for v in (reduced, np.ones(np.shape(reduced)[:-1] + (1,), dtype=dtype)
                  if np.ndim(reduced) else reduced):
            if type(v) is not np.ndarray:
                continue  # a 0-d sum is a NumPy scalar: not this fast path
            fast = broadcast_reduced(v, like, axis)
            general = runtime._broadcast_reduced(v, like, axis)
            assert_same(fast, general)
            assert np.shares_memory(fast, v) == np.shares_memory(general, v)


@pytest.mark.parametrize("shape", [(5,), (3, 4), (1, 4), (2, 3, 4), (4, 1, 2)])
@pytest.mark.parametrize("dtype", (np.float64, np.float32, np.complex128, np.int64))
def test_broadcast_reduced_with_keepdims_agrees_with_the_general_path(shape, dtype):
    like = values(shape, np.float64)
    for axis in range(-len(shape), len(shape)):
        v = np.sum(values(shape, dtype, seed=4), axis=axis, keepdims=True)
        fast = broadcast_reduced(v, like, axis, keepdims=True)
        general = runtime._broadcast_reduced(v, like, axis, keepdims=True)
        assert_same(fast, general)
        assert np.shares_memory(fast, v) == np.shares_memory(general, v)
        assert fast.flags.writeable


def general_extremum_weights(x, ans, axis=None, keepdims=False):
    """extremum_weights from its definition: 1 / (ties in the slice) where x equals ans."""
    x = np.asarray(x)
    ans = np.asarray(ans)
    if axis is not None and not keepdims:
        ans = np.expand_dims(ans, axis)
    mask = x == ans
    count = np.count_nonzero(mask, axis=axis, keepdims=True)
    return (mask / np.maximum(count, 1)).astype(np.result_type(x, 1.0))


@pytest.mark.parametrize("dtype", (np.float64, np.float32, np.int64))
@pytest.mark.parametrize("keepdims", (False, True))
def test_extremum_weights_agree_with_their_definition_with_ties_nan_and_inf(dtype, keepdims):
    # Row 0 has a tie, row 1 is all NaN (no entry equals it): together they have as many
    # matches as rows, the trap a count-only fast path would fall into; row 2 holds an inf.
    x = np.array([[3.0, 3.0, 1.0], [np.nan, np.nan, np.nan], [np.inf, 2.0, -np.inf],
                  [0.5, -1.0, 0.25]])
    if np.dtype(dtype).kind == "i":
        x = np.array([[3, 3, 1], [7, 2, 7], [5, 2, -4], [0, -1, 0]])
    x = x.astype(dtype)
    for axis in (0, 1, -1):
        ans = np.max(x, axis=axis, keepdims=keepdims)
        got = extremum_weights(x, ans, axis=axis, keepdims=keepdims)
        expected = general_extremum_weights(x, ans, axis=axis, keepdims=keepdims)
        assert got.dtype == expected.dtype
        assert np.array_equal(got, expected)


def test_broadcast_reduced_keeps_a_number_for_a_0d_primal():
    assert broadcast_reduced(0.5, np.zeros(())) == 0.5
    assert type(broadcast_reduced(0.5, np.zeros(()))) is float


# ----------------------------------------------------------------- adjoints of products
COTANGENTS = (1.5, np.float64(-2.0), np.float32(0.5), np.array(2.0), np.array(2.0, np.float32),
              np.complex128(1 - 1j), np.nan, np.inf)
VECTOR_DTYPES = (np.float64, np.float32, np.complex128)


@pytest.mark.parametrize("g", COTANGENTS, ids=repr)
@pytest.mark.parametrize("dtypes", list(itertools.product(VECTOR_DTYPES, repeat=2)), ids=str)
@pytest.mark.parametrize("n", [1, 7])
def test_inner_product_adjoints_agree_with_the_general_path(g, dtypes, n):
    x, y = values((n,), dtypes[0], seed=4), values((n,), dtypes[1], seed=5)
    for fast, general in ((matmul_adjoint_x, general_matmul_x),
                          (matmul_adjoint_y, general_matmul_y),
                          (dot_adjoint_x, general_matmul_x), (dot_adjoint_y, general_matmul_y)):
        out = fast(g, x, y)
        assert_same(out, general(g, x, y))
        assert not np.shares_memory(out, x) and not np.shares_memory(out, y)


@pytest.mark.parametrize("dtypes", list(itertools.product(VECTOR_DTYPES, repeat=3)), ids=str)
@pytest.mark.parametrize("m,n", [(1, 1), (4, 3), (3, 8)])
def test_matrix_vector_adjoints_agree_with_the_general_path(dtypes, m, n):
    A = values((m, n), dtypes[0], seed=6)
    u, v = values((m,), dtypes[1], seed=7), values((n,), dtypes[2], seed=8)
    g_Av, g_uA = values((m,), dtypes[1], seed=9), values((n,), dtypes[2], seed=10)
    for fast, general in ((matmul_adjoint_x, general_matmul_x), (dot_adjoint_x, general_matmul_x)):
        assert_same(fast(g_Av, A, v), general(g_Av, A, v))  # the outer product, A @ v
    for fast, general in ((matmul_adjoint_y, general_matmul_y), (dot_adjoint_y, general_matmul_y)):
        assert_same(fast(g_uA, u, A), general(g_uA, u, A))  # the outer product, u @ A


@pytest.mark.parametrize("m,n", [(1, 1), (4, 3), (3, 8)])
def test_matrix_vector_contractions_agree_with_the_general_path(m, n):
    """The sums (``g @ A``, ``A @ g``) of finite values: one product of a vector with a
    matrix on both paths."""
    A = values((m, n), np.float64, seed=11)
    A[np.isnan(A) | np.isinf(A)] = 1.0
    u, v = np.linspace(-1, 2, m), np.linspace(0.5, -3, n)
    assert_same(matmul_adjoint_y(u, A, v), general_matmul_y(u, A, v))
    assert_same(matmul_adjoint_x(v, u, A), general_matmul_x(v, u, A))


def test_products_of_lists_take_the_general_path():
    out = matmul_adjoint_x([1.0, 2.0], np.ones((2, 3)), np.arange(3.0))
    assert np.array_equal(out, np.outer([1.0, 2.0], np.arange(3.0)))


# ----------------------------------------------------------------------- adjoints of lists
def stacked_lists():
    """Lists of arrays shaped alike (the adjoint is the stacked array), and some that are not
    (ragged, mixed with numbers), which take the general path."""
    return [[values((3,), np.float64, seed=k) for k in range(4)],
            [values((2, 3), np.float32, seed=k) for k in range(2)],
            [values((), np.float64, seed=k) for k in range(3)],
            [values((5,), np.complex128)],
            [np.zeros(3), np.zeros(4)], [np.zeros(3), 1.0], [1.0, 2.0, 3.0]]


@pytest.mark.parametrize("like", stacked_lists(), ids=lambda like: repr([np.shape(x)
                                                                         for x in like]))
def test_unbroadcast_and_scatter_like_of_a_list_agree_with_the_general_path(like):
    if runtime._ragged(like):
        return  # a ragged list's adjoint is a RaggedAdjoint: the general path, tested elsewhere
    stacked = values(np.shape(like), np.result_type(*like), seed=9)
    fast, general = unbroadcast(stacked, like), runtime._unbroadcast(stacked, like)
    assert fast is stacked and general is stacked
    for index in range(-len(like), len(like)):
        v = stacked[index]
        for row in (v, 0.5) if np.ndim(v) else (v,):
            assert_same(scatter_like(row, index, like), runtime._scatter_like(row, index, like))


@pytest.mark.parametrize("shape,n", [((3,), 4), ((2, 3), 2), ((1,), 1), ((5,), 3)])
@pytest.mark.parametrize("dtype", (np.float64, np.float32, np.complex128))
def test_split_like_of_equal_parts_agrees_with_the_general_path(shape, n, dtype):
    from s2sad.runtime import shape as shape_helpers

    like = tuple(values(shape, dtype, seed=k) for k in range(n))
    joined = values((n * shape[0], *shape[1:]), dtype, seed=12)
    fast = shape_helpers.split_like(joined, like, 0)
    expected = np.stack([joined[k * shape[0]:(k + 1) * shape[0]] for k in range(n)])
    assert_same(fast, expected)
    assert not np.shares_memory(fast, joined)
    for axis in (-len(shape), np.int64(0)):  # not the fast path's int 0: the general path
        assert_same(shape_helpers.split_like(joined, like, axis), fast)
    uneven = (*like, values((1, *shape[1:]), dtype))  # pieces of two lengths: general path
    joined = np.concatenate(uneven)
    parts = shape_helpers.split_like(joined, uneven, 0)
    assert len(parts) == len(uneven)
    assert np.array_equal(np.concatenate(list(parts)), joined, equal_nan=True)


@pytest.mark.parametrize("dtype", DTYPES)
def test_broadcast_reduced_of_a_numpy_float_fills_like_the_general_path(dtype):
    like = values((3, 4), dtype)
    for v in (np.float64(0.5), np.float64(np.nan)):
        assert_same(broadcast_reduced(v, like), runtime._broadcast_reduced(v, like))
