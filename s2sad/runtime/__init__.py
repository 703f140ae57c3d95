"""The few helpers generated code calls.

Each helper is a registered primitive with its own VJP and JVP rules (see ``rules/runtime.py``),
so generated code that calls them can be differentiated again. They are small and take a fast
path when there is nothing to do, because they sit on the hot path of every gradient.
"""

from __future__ import annotations

import math
from typing import TypeVar

import numpy as np

from . import arrays

_T = TypeVar("_T")  # stop_gradient returns what it is given
_SCALARS = (float, int, np.float64, np.float32, complex, np.complex128)


def _shape(x) -> tuple:
    return () if type(x) in _SCALARS else np.shape(x)


class RaggedAdjoint(np.ndarray):
    """The adjoint (or tangent) of a list whose elements do not stack into one array: a 1-d
    object array holding each element's adjoint.

    A list of equally shaped values has the stacked array of its elements' adjoints as its
    adjoint; a list of lists of different lengths (the stacks of a loop's derivative, saved
    again when that derivative is differentiated) cannot. Slicing keeps the type; ``+`` adds
    entry by entry, and treats a stacked array of the same length as its rows, never
    broadcasting one representation against the other.
    """

    @classmethod
    def of(cls, entries) -> RaggedAdjoint:
        out = np.empty(len(entries), dtype=object).view(cls)
        for k, entry in enumerate(entries):
            out[k] = entry
        return out

    def _rows(self, other):
        if isinstance(other, np.ndarray) and not isinstance(other, RaggedAdjoint) and other.ndim:
            if len(other) != len(self):
                raise ValueError(f"list adjoints of lengths {len(self)} and {len(other)}")
            return RaggedAdjoint.of(list(other))
        return other

    def __add__(self, other):
        return np.ndarray.__add__(self, self._rows(other))

    def __radd__(self, other):
        return np.ndarray.__radd__(self, self._rows(other))


def _ragged(items) -> bool:
    """Whether the list `items` does not stack into one array."""
    try:
        np.shape(items)
    except ValueError:
        return True
    return False


def unbroadcast(v, like):
    """Sum `v` down to the shape of `like` (undoes NumPy broadcasting in an adjoint)."""
    kind = type(v)
    if kind is np.ndarray:
        # The common cases first: an adjoint already shaped like its primal (no broadcast),
        # or the stacked adjoint of a list of arrays shaped alike.
        if type(like) is np.ndarray:
            if v.shape == like.shape:
                return v
        elif type(like) is list and _stacks_to(like, v.shape):
            return v
    elif kind is float or kind is np.float64 or kind in _SCALARS or kind is RaggedAdjoint:
        return v
    return _unbroadcast(v, like)


def _stacks_to(items: list, shape: tuple) -> bool:
    """Whether the list `items` holds arrays that stack into an array of `shape` (what
    ``np.shape(items)`` says, without building that array)."""
    if not shape or len(items) != shape[0]:
        return False
    element = shape[1:]
    for item in items:
        if type(item) is not np.ndarray or item.shape != element:
            return False
    return True


def _unbroadcast(v, like):
    shape = _shape(like)
    vshape = np.shape(v)
    if vshape == shape:
        return v
    extra = len(vshape) - len(shape)
    if extra > 0:
        v = np.sum(v, axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and v.shape[i] != 1)
    if axes:
        v = np.sum(v, axis=axes, keepdims=True)
    return v.reshape(shape) if shape else v[()] if isinstance(v, np.ndarray) else v


def broadcast_like(v, like):
    """`v` broadcast to the shape of `like`, as a new writable array (or `v` if already so)."""
    if type(v) is RaggedAdjoint:
        return v
    shape = _shape(like)
    if _shape(v) == shape:
        return v
    if not shape and isinstance(v, np.ndarray) and v.size == 0:
        return 0.0  # the adjoint of an empty list, where the scalar zero stands for it
    if arrays.foreign(v):
        return np.broadcast_to(v, shape)  # immutable: nothing writes it, no copy needed
    if arrays.foreign(like):
        return np.broadcast_to(v, shape) + np.zeros_like(like)  # lazy, chunked like `like`
    return np.array(np.broadcast_to(v, shape))


def broadcast_reduced(v, like, axis=None, keepdims=False):
    """Spread `v`, the result of a reduction of `like` over `axis`, back to `like`'s shape."""
    if type(like) is np.ndarray and like.ndim:  # the common cases first
        if type(v) is float or type(v) is np.float64:  # a full reduction's cotangent
            kind = like.dtype.kind
            out = np.empty(like.shape, dtype=like.dtype if kind == "f" else _FLOAT64)
            out.fill(v)
            return out
        if type(v) is np.ndarray and type(axis) is int and v.ndim == like.ndim - (not keepdims):
            if not keepdims:  # one axis reduced away: the same as expand_dims, faster
                at = axis % like.ndim
                v = v.reshape(v.shape[:at] + (1,) + v.shape[at:])
            if v.shape == like.shape:
                return v
            out = np.empty(like.shape, dtype=v.dtype)  # np.broadcast_to would cost ~3 us more
            out[...] = v
            return out
    return _broadcast_reduced(v, like, axis, keepdims)


def _broadcast_reduced(v, like, axis=None, keepdims=False):
    shape = _shape(like)
    if type(v) in _SCALARS:
        if not shape:
            return v
        if arrays.foreign(like):  # lazy, chunked like `like` (np.full would be on the client)
            return arrays.full_like(like, v)
        # The adjoint keeps a float32 primal's dtype (a Python 1.0 seed would make it float64).
        dtype = like.dtype if type(like) is np.ndarray and like.dtype.kind == "f" else None
        return np.full(shape, v, dtype=dtype)
    if not keepdims and axis is not None and shape:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        v = np.expand_dims(v, tuple(a % len(shape) for a in axes))
    if _shape(v) == shape:
        return v
    if arrays.foreign(v):
        return np.broadcast_to(v, shape)  # immutable: nothing writes it, no copy needed
    if arrays.foreign(like):
        return np.broadcast_to(v, shape) + np.zeros_like(like)  # lazy, chunked like `like`
    return np.array(np.broadcast_to(v, shape))


class NonScalarSeed(ValueError):
    """Raised by :func:`scalar_seed`; the API reports it as a NonScalarOutputError."""

    def __init__(self, value):
        super().__init__(f"the output has shape {np.shape(value)}, not a scalar")
        self.shape = np.shape(value)


def scalar_seed(y):
    """The seed 1.0 of a gradient's output `y`, which must be a scalar: the check a gradient
    program makes where its output's shape is not known before it runs."""
    if isinstance(y, tuple) or np.ndim(y) != 0:
        raise NonScalarSeed(y)
    return 1.0


def zeros_like(x):
    """A floating zero of `x`'s shape: ``0.0`` for a scalar, a new array otherwise.

    A list (of equally shaped values) gets a zero array of the stacked shape: that is how the
    adjoint of a list is represented.
    """
    if type(x) is np.ndarray:  # the common case first
        dtype = x.dtype
        return np.zeros(x.shape, dtype=dtype if dtype is _FLOAT64 else _adjoint_dtype(dtype, dtype))
    if type(x) in _SCALARS or x is None or isinstance(x, (bool, np.bool_, slice, str)) or (
            x is Ellipsis):
        return 0.0  # a number, or a value with no derivative (a slice of an index tuple)
    if isinstance(x, (list, tuple)) and not x:
        return 0.0  # an empty list's elements have no known shape: a scalar zero fits any
    if type(x) is RaggedAdjoint or isinstance(x, (list, tuple)) and _ragged(x):
        return RaggedAdjoint.of([zeros_like(item) for item in x])
    if isinstance(x, (list, tuple)):
        return np.zeros(np.shape(x))
    if arrays.foreign(x):
        return arrays.zeros_like(x)  # lazy, chunked like `x`
    return np.zeros(np.shape(x), dtype=np.result_type(x, 1.0))


def _adjoint_dtype(like_dtype, value_dtype):
    """``np.result_type(like_dtype, value_dtype, 1.0)``, remembered: it costs more than the
    zeros or the scatter it serves (the Python float only makes an integer result floating,
    so the pair of dtypes decides)."""
    key = (like_dtype, value_dtype)
    dtype = _ADJOINT_DTYPES.get(key)
    if dtype is None:
        dtype = _ADJOINT_DTYPES[key] = np.result_type(like_dtype, value_dtype, 1.0)
    return dtype


_ADJOINT_DTYPES: dict = {}
_FLOAT64 = np.dtype(np.float64)


def reciprocal(x):
    """``1.0 / x``, with NumPy's values for a Python number too: +-inf at +-0.0, where Python
    raises ZeroDivisionError; a float stays a float. It does not warn at 0: the inf is the
    intended value of a derivative (infinite there, or annihilated by a strong zero, see
    runtime/elementwise.py), and a division by zero in the user's code has warned already."""
    if type(x) is float:
        return 1.0 / x if x != 0.0 else float(np.copysign(np.inf, x))
    with np.errstate(divide="ignore"):
        return np.divide(1.0, x)


def scaled_pow(c, x, p):
    """``c * x ** p``, exactly zero where `c` is zero (even where ``x ** p`` is inf), with
    NumPy's semantics for Python numbers too (``0.0 ** -0.5`` is inf, not an error).

    The derivative of ``x ** y`` is ``scaled_pow(y, x, y - 1.0)``: zero for y = 0 also at
    x = 0, where ``y * x ** (y - 1.0)`` would be ``0 * inf = nan``.
    """
    if type(c) in _SCALARS:
        if c != 0:
            return c * np.power(x, p)
        shape = np.broadcast_shapes(np.shape(x), np.shape(p))
        return np.zeros(shape) if shape else 0.0
    zero = c == 0
    if not zero.any():
        return c * np.power(x, p)
    with np.errstate(divide="ignore", invalid="ignore"):  # 0 * inf where c = 0: replaced
        out = np.where(zero, 0.0, c * np.power(x, p))
    return out[()] if out.ndim == 0 else out


def list_append(items, value):
    """A new list: `items` followed by `value` (the old list stays as it was). A scalar zero
    for `items` is the zero tangent of an empty list."""
    if not isinstance(items, (list, tuple, np.ndarray)):
        return [value]
    return [*items, value]


def scatter_like(v, index, like):
    """A zero array shaped like `like` with `v` added at `index` (adjoint of ``like[index]``)."""
    kind = type(like)
    if kind is np.ndarray and (type(index) is int or type(index) is slice):
        # The common case first: a row or a slice of an array, read once per entry.
        value_dtype = v.dtype if isinstance(v, np.ndarray) else _FLOAT64 if (
            type(v) in _SCALARS or not arrays.foreign(v)) else None  # None: a lazy array
        if value_dtype is None:
            return _lazy_scatter_like(v, index, like)
        dtype = like.dtype
        if dtype is not _FLOAT64 or value_dtype is not _FLOAT64:  # float64 with float64 is
            dtype = _adjoint_dtype(dtype, value_dtype)  # float64: no look-up
        out = np.zeros(like.shape, dtype=dtype)
        out[index] = v
        return out
    if kind is list and type(index) is int and type(v) is np.ndarray and _stacks_to(
            like, (len(like), *v.shape)):  # an entry of a list of arrays shaped alike
        out = np.zeros((len(like), *v.shape), dtype=_adjoint_dtype(v.dtype, v.dtype))
        out[index] = v
        return out
    return _scatter_like(v, index, like)


def scatter_add(acc, v, index, like):
    """``acc + scatter_like(v, index, like)``, without the array of zeros: a copy of `acc` (which
    may be shared, so it is never written) with `v` added at `index`."""
    if type(acc) is np.ndarray and type(like) is np.ndarray and acc.shape == like.shape and (
            type(index) is int or type(index) is slice):
        value_dtype = v.dtype if isinstance(v, np.ndarray) else _FLOAT64 if (
            type(v) in _SCALARS or not arrays.foreign(v)) else None  # None: a lazy array
        if acc.dtype is _FLOAT64 and value_dtype is _FLOAT64 and like.dtype is _FLOAT64:
            out = acc.copy()
            out[index] += v
            return out
    return acc + scatter_like(v, index, like)


def scatter_add_into(acc, v, index, like):
    """:func:`scatter_add` writing into `acc` when it can: generated code calls it only for an
    adjoint that nothing else holds (transforms/in_place.py)."""
    if type(acc) is np.ndarray and type(like) is np.ndarray and acc.shape == like.shape and (
            type(index) is int or type(index) is slice) and acc.flags.writeable:
        value_dtype = v.dtype if isinstance(v, np.ndarray) else _FLOAT64 if (
            type(v) in _SCALARS or not arrays.foreign(v)) else None  # None: a lazy array
        if acc.dtype is _FLOAT64 and value_dtype is _FLOAT64 and like.dtype is _FLOAT64:
            acc[index] += v
            return acc
    return scatter_add(acc, v, index, like)


def _scatter_like(v, index, like):
    if arrays.any_foreign(like, v):
        return _lazy_scatter_like(v, index, like)
    if type(like) is RaggedAdjoint or isinstance(like, (list, tuple)) and (
            _ragged(like) or type(v) is RaggedAdjoint):
        out = zeros_like(like)
        if type(out) is not RaggedAdjoint:
            out = RaggedAdjoint.of(list(out))
        if isinstance(index, slice):
            positions = range(len(like))[index]
            if type(v) is not RaggedAdjoint and np.ndim(v) == 0:
                for k in positions:  # a scalar (the zero adjoint of an empty list) broadcasts
                    out[k] = out[k] + v
            else:
                for k, entry in zip(positions, v):
                    out[k] = entry
        else:
            out[index] = v
        return out
    value_dtype = v.dtype if isinstance(v, np.ndarray) else np.float64
    # A list's adjoint takes its elements' (the value's) dtype: float32 parts stay float32.
    like_dtype = like.dtype if isinstance(like, np.ndarray) else (
        value_dtype if isinstance(like, (list, tuple)) else np.float64)
    if isinstance(like, (list, tuple)):  # a list's adjoint: its elements' adjoints, stacked
        element = np.shape(v)[1:] if isinstance(index, slice) else np.shape(v)
        shape = (len(like), *element)
    else:
        shape = np.shape(like)
    out = np.zeros(shape, dtype=_adjoint_dtype(np.dtype(like_dtype), np.dtype(value_dtype)))
    if _basic_index(index):
        out[index] = v  # ints and slices select each entry once: no accumulation needed
    else:
        np.add.at(out, index, v)  # an index array may repeat entries
    return out


def _lazy_scatter_like(v, index, like):
    """:func:`scatter_like` where `like` or `v` is an array of another library (dask): lazy
    zeros shaped like `like`, written at a basic index (an assignment dask makes lazily). An
    index array may repeat entries, which needs ``np.add.at``: dask has no lazy form of it."""
    if not _basic_index(index) or isinstance(like, (list, tuple)):
        raise arrays.NotLazy("the adjoint of indexing with an index array (np.add.at)"
                             if not _basic_index(index) else "the adjoint of a list's entry")
    template = like if arrays.foreign(like) else v
    dtype = np.result_type(getattr(like, "dtype", like), getattr(v, "dtype", v), 1.0)
    shape = _shape(like)
    out = np.zeros_like(template, dtype=dtype, shape=shape)
    parts = index if type(index) is tuple else (index,)
    if any(p is None for p in parts):  # dask assigns at ints and slices only: drop the new
        # axes (None) from the index, and the matching length-1 axes from `v`
        selected = np.broadcast_to(np.empty((), dtype), shape)[index].shape
        v = np.broadcast_to(v, selected)
        kept = [n for p, n in zip(_result_parts(parts, len(shape)), selected) if p is not None]
        v = v.reshape(tuple(kept))
        index = tuple(p for p in parts if p is not None)
    out[index] = v
    return out


def _result_parts(parts: tuple, ndim: int) -> list:
    """The parts of a basic index that make an axis of the result (slices and None), in the
    result's order, an Ellipsis written out as the slices it stands for."""
    named = sum(1 for p in parts if p is not None and p is not Ellipsis)
    out = []
    for p in parts:
        if p is Ellipsis:
            out.extend([slice(None)] * (ndim - named))
        elif p is None or type(p) is slice:
            out.append(p)
    if Ellipsis not in parts:
        out.extend([slice(None)] * (ndim - named))
    return out


def _basic_index(index) -> bool:
    parts = index if type(index) is tuple else (index,)
    return all(p is None or p is Ellipsis or type(p) in (int, slice) for p in parts)


def gather_last(x, index):
    """``x[index]``, with zeros where a later position of the index names the same entry.

    The adjoint of `v` in ``x[index] = v``: when an index array repeats an entry, NumPy keeps
    the value written last (in the order of the result), so only that position of `v`
    reaches the result. Basic indices and boolean masks name each entry once.
    """
    out = x[index]
    if _basic_index(index) or _boolean_index(index):
        return out
    slots = np.arange(np.size(x)).reshape(np.shape(x))[index].ravel()
    if np.unique(slots).size == slots.size:
        return out
    # The last occurrence of each slot is the first one in the reversed order.
    _, first = np.unique(slots[::-1], return_index=True)
    keep = np.zeros(slots.size, dtype=bool)
    keep[slots.size - 1 - first] = True
    return np.where(keep.reshape(np.shape(out)), out, 0.0)


def _boolean_index(index) -> bool:
    parts = index if type(index) is tuple else (index,)
    return any(np.asarray(p).dtype == bool for p in parts
               if not (p is None or p is Ellipsis or type(p) in (int, slice)))


def setitem(x, index, v):
    """A copy of `x` with ``x[index] = v`` (generated code never writes an existing array)."""
    if type(x) is list:  # items[0] = v on a list: a new list holding the same other items
        out = list(x)
        out[index] = v
        return out
    out = np.array(x, dtype=np.result_type(x, v, 1.0) if np.ndim(x) else None, copy=True)
    out[index] = v
    return out


def stop_gradient(x: _T) -> _T:
    """`x` itself, seen by s2sad as a constant: no derivative flows through it."""
    return x


def transpose_inverse(axes):
    """The axes permutation that undoes ``np.transpose(x, axes)``; None stays None."""
    if axes is None:
        return None
    return tuple(int(i) for i in np.argsort(axes))


# The adjoints of the bilinear products. For a bilinear B(x, y), ``*_adjoint_x(g, x, y)`` is the
# x-cotangent of B given the cotangent g; `x` only supplies the shape. They are linear in (g, y)
# and (g, x), and their own adjoints are B and each other, which closes the rule set.


def _as_matrices(g, x, y):
    """Give 1-D operands and the cotangent the 2-D shapes of the equivalent matrix product."""
    if y.ndim == 1:
        g = np.expand_dims(g, -1)
        y = y[:, None]
    if x.ndim == 1:
        g = np.expand_dims(g, -2)
        x = x[None, :]
    return g, x, y


def _matmul_adjoint_x(g, x, y, product):
    x, y, g = arrays.as_array(x), arrays.as_array(y), arrays.as_array(g)
    if x.ndim == 0 or y.ndim == 0:
        return unbroadcast(g * y, x)
    g2, _, y2 = _as_matrices(g, x, y)
    out = product(g2, np.swapaxes(y2, -1, -2))
    if x.ndim == 1:
        out = out[..., 0, :]
    return unbroadcast(out, x)


def _matmul_adjoint_y(g, x, y, product):
    x, y, g = arrays.as_array(x), arrays.as_array(y), arrays.as_array(g)
    if x.ndim == 0 or y.ndim == 0:
        return unbroadcast(g * x, y)
    g2, x2, _ = _as_matrices(g, x, y)
    out = product(np.swapaxes(x2, -1, -2), g2)
    if y.ndim == 1:
        out = out[..., 0]
    return unbroadcast(out, y)


_FLOATS = (float, np.float64)


def _ndims(g, x, y):
    nd = np.ndim
    return (g.ndim if type(g) is np.ndarray else 0 if type(g) in _FLOATS else nd(g),
            x.ndim if type(x) is np.ndarray else nd(x),
            y.ndim if type(y) is np.ndarray else nd(y))


def _scaled(g, other):
    """``g * other`` for a 0-d cotangent `g` of an inner product, with the dtype the general
    path's (1, 1) @ (1, n) matrix product gives: there `g` is a 0-d array, so a Python float
    makes a float32 operand float64 (NumPy's weak Python scalars would keep float32)."""
    if other.dtype is _FLOAT64 and (type(g) is float or type(g) is np.float64):
        return g * other  # float64 either way
    g = np.asarray(g)
    return np.multiply(g, other, dtype=np.result_type(g.dtype, other.dtype))


def _outer(a, b):
    """``np.outer(a, b)`` of two vectors: the same product, without its ravels and checks."""
    if type(a) is np.ndarray and type(b) is np.ndarray:
        return a[:, None] * b
    return np.outer(a, b)


def _vectors(x, y) -> bool:
    return type(x) is np.ndarray and type(y) is np.ndarray and x.ndim == 1 and y.ndim == 1


def _inner(dims, g, x, y) -> bool:
    """Whether ``x @ y`` is an inner product of two float vectors with a numeric cotangent."""
    return dims == (0, 1, 1) and type(x) is np.ndarray and type(y) is np.ndarray and (
        x.dtype.kind in "fc" and y.dtype.kind in "fc") and (
        type(g) is float or isinstance(g, (np.floating, np.complexfloating, np.ndarray)))


def matmul_adjoint_x(g, x, y):
    """x-cotangent of ``x @ y`` given the cotangent `g` of the product."""
    if type(g) is float and _vectors(x, y) and y.dtype is _FLOAT64:
        return g * y  # an inner product's adjoint: the common case, first
    dims = _ndims(g, x, y)
    if dims == (2, 2, 2):  # the common cases first: one matrix product, no reshaping
        return g @ y.T
    if dims == (1, 2, 1):
        return _outer(g, y)
    if dims == (1, 1, 2):
        return y @ g
    if _inner(dims, g, x, y):
        return _scaled(g, y)
    return _matmul_adjoint_x(g, x, y, np.matmul)


def matmul_adjoint_y(g, x, y):
    """y-cotangent of ``x @ y`` given the cotangent `g` of the product."""
    if type(g) is float and _vectors(x, y) and x.dtype is _FLOAT64:
        return g * x  # an inner product's adjoint: the common case, first
    dims = _ndims(g, x, y)
    if dims == (2, 2, 2):
        return x.T @ g
    if dims == (1, 2, 1):
        return g @ x
    if dims == (1, 1, 2):
        return _outer(x, g)
    if _inner(dims, g, x, y):
        return _scaled(g, x)
    return _matmul_adjoint_y(g, x, y, np.matmul)


def _check_dot(x, y):
    if np.ndim(x) > 2 or np.ndim(y) > 2:
        raise ValueError("s2sad differentiates np.dot on scalars, vectors and matrices; "
                         "use np.matmul / @ or np.tensordot for stacked arrays")


#: The ranks (of g, x, y) where np.dot is np.matmul: matrices, vectors and inner products.
_MATMUL_LIKE = frozenset({(2, 2, 2), (1, 2, 1), (1, 1, 2), (0, 1, 1)})


def dot_adjoint_x(g, x, y):
    """x-cotangent of ``np.dot(x, y)`` given the cotangent `g` of the product."""
    if type(g) is float and _vectors(x, y) and y.dtype is _FLOAT64:
        return g * y  # an inner product's adjoint: the common case, first
    dims = _ndims(g, x, y)
    if _inner(dims, g, x, y):
        return _scaled(g, y)
    if dims in _MATMUL_LIKE:
        return matmul_adjoint_x(g, x, y)
    _check_dot(x, y)
    return _matmul_adjoint_x(g, x, y, np.matmul)


def dot_adjoint_y(g, x, y):
    """y-cotangent of ``np.dot(x, y)`` given the cotangent `g` of the product."""
    if type(g) is float and _vectors(x, y) and x.dtype is _FLOAT64:
        return g * x  # an inner product's adjoint: the common case, first
    dims = _ndims(g, x, y)
    if _inner(dims, g, x, y):
        return _scaled(g, x)
    if dims in _MATMUL_LIKE:
        return matmul_adjoint_y(g, x, y)
    _check_dot(x, y)
    return _matmul_adjoint_y(g, x, y, np.matmul)


def reduced_size(x, axis=None):
    """How many entries of `x` a reduction over `axis` combines into each result entry."""
    if axis is None:
        if type(x) is np.ndarray:
            return x.size
        # math.prod of the shape, not np.size, which computes an array of another library
        n = math.prod(_shape(x))
        if n != n:  # NaN: a dask array of unknown chunk sizes (after a boolean index)
            raise arrays.NotLazy("an array of unknown size (call .compute_chunk_sizes())")
        return n
    shape = _shape(x)
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    return int(np.prod([shape[a] for a in axes]))


#: The names generated code may use, mapped to their objects (the loader's namespace).
HELPERS = {
    "scalar_seed": scalar_seed,
    "unbroadcast": unbroadcast,
    "broadcast_like": broadcast_like,
    "broadcast_reduced": broadcast_reduced,
    "zeros_like": zeros_like,
    "reciprocal": reciprocal,
    "scaled_pow": scaled_pow,
    "scatter_like": scatter_like,
    "scatter_add": scatter_add,
    "scatter_add_into": scatter_add_into,
    "setitem": setitem,
    "gather_last": gather_last,
    "stop_gradient": stop_gradient,
    "list_append": list_append,
    "transpose_inverse": transpose_inverse,
    "reduced_size": reduced_size,
    "matmul_adjoint_x": matmul_adjoint_x,
    "matmul_adjoint_y": matmul_adjoint_y,
    "dot_adjoint_x": dot_adjoint_x,
    "dot_adjoint_y": dot_adjoint_y,
}

# Each family of rules keeps its helpers in a submodule of its own; generated code sees them all.
from . import (  # noqa: E402
    checkpoints,
    elementwise,
    fft,
    linalg,
    products,
    reductions,
    shape,
    special,
)

for _family in (checkpoints, elementwise, fft, linalg, products, reductions, shape, special):
    HELPERS.update(_family.HELPERS)
