"""Runtime helpers of the array API backend (``s2sad/backends/array_api.py``).

They do what the NumPy helpers of the same names do (``unbroadcast``, ``broadcast_reduced``,
``safe_div``...), written against the array API standard: each finds the namespace of its
arguments (``array_api_compat.array_namespace``) and calls only standard functions, so JAX
arrays stay JAX arrays, CuPy arrays stay on their device, and ``array_api_strict`` (the
standard and nothing more) runs them. Two rules hold throughout:

- **no mutation**: JAX arrays are immutable, so every result is a new array built by
  arithmetic, ``xp.where``, ``xp.concat`` or ``xp.reshape``, never by assignment into one;
- **no truth test on an array**: the strong zeros of ``safe_mul``/``safe_div`` are an
  ``xp.where`` on the whole result, not a NaN check first (which would need the values on the
  host, and is not defined for arrays that are traced or on a device).

Python numbers (the cotangent seed ``1.0``, scalar loops, ``np.sin(0.5)`` in the user's code)
stay Python numbers: the NumPy runtime's own paths compute them, and the result is made a Python
number again (a NumPy scalar or 0-d array would meet the arguments' arrays, which another
library does not take). Where a helper must make an array from numbers only, it makes it in the
namespace of the code that calls it (the last ``array_namespace`` of the arguments).

``array_api_compat`` is imported when a helper first needs a namespace, so importing s2sad
never needs it (it is the optional extra ``s2sad[array-api]``).
"""

from __future__ import annotations

import contextvars
import importlib
import math

import numpy as np

from . import NonScalarSeed
from . import elementwise as _np_elementwise
from . import reciprocal as _np_reciprocal
from . import scaled_pow as _np_scaled_pow

_NUMBERS = (bool, int, float)


def compat():
    """The ``array_api_compat`` module (ImportError when it is not installed)."""
    return importlib.import_module("array_api_compat")


def _is_array(x) -> bool:
    return not isinstance(x, _NUMBERS) and x is not None and compat().is_array_api_obj(x)


# The namespace of the arguments of the generated code running now (set by its first line):
# where a helper makes an array from numbers only, it makes it there.
_CURRENT = contextvars.ContextVar("s2sad_array_namespace", default=None)


def _namespace_of(values):
    """The array namespace of the arrays among `values` (numbers, None, lists and strings are
    skipped); the calling code's when there are none (``array_api_compat.numpy`` outside
    generated code)."""
    arrays = [v for v in values if _is_array(v)]
    if arrays:
        return compat().array_namespace(*arrays)
    current = _CURRENT.get()
    return current if current is not None else _numpy_namespace()


def _numpy_namespace():
    return compat().array_namespace(np.zeros(()))


def array_namespace(*values):
    """The namespace generated code calls, ``xp = array_namespace(w, X, y)`` (its first line):
    the array namespace of the arrays among its arguments (``array_api_compat.numpy`` when
    there are none), whose functions also take Python numbers (:class:`Namespace`)."""
    arrays = [v for v in values if _is_array(v)]
    xp = compat().array_namespace(*arrays) if arrays else _numpy_namespace()
    _CURRENT.set(xp)
    return Namespace(xp)


def _xp(*values):
    return _namespace_of(values)


def _number(value):
    """A NumPy scalar or 0-d array as the Python number it holds; anything else as it is."""
    if isinstance(value, (np.generic, np.ndarray)) and np.ndim(value) == 0:
        return value.item()
    return value


# The functions of a namespace that take a shape, not arrays.
_SHAPED = frozenset(("zeros", "ones", "full", "empty", "asarray"))


class Namespace:
    """An array namespace (`xp`) whose array functions also take Python numbers, as NumPy's
    do (the standard's take arrays): ``xp.sin(0.5)`` is the Python number NumPy computes, and
    ``xp.maximum(x, 0.3)`` makes 0.3 an array of `x`'s dtype on `x`'s device first."""

    def __init__(self, xp):
        self.xp = xp

    def __getattr__(self, name):
        if name.startswith("__") or name == "xp":  # (copy, pickle: before __init__ ran)
            raise AttributeError(name)
        function = getattr(self.xp, name)
        if name in _SHAPED or not callable(function):
            return function
        xp = self.xp

        def call(*args, **kwargs):
            arrays = [a for a in args if _is_array(a)]
            if not arrays:  # numbers only: NumPy's number, as the NumPy backend computes it
                return _number(getattr(_numpy_namespace(), name)(*args, **kwargs))
            like = arrays[0]
            args = [_as_array(xp, a, like) if isinstance(a, _NUMBERS) else a for a in args]
            return function(*args, **kwargs)

        call.__name__ = name
        self.__dict__[name] = call  # found there next time, without __getattr__
        return call

    def __repr__(self) -> str:
        return f"Namespace({self.xp.__name__})"


def _as_array(xp, number, like):
    """`number` as a 0-d array next to the array `like`: a bool next to a boolean array in
    its dtype, any other number in `like`'s floating dtype (the default float when `like` is
    not floating)."""
    device = compat().device(like)
    if isinstance(number, bool):
        dtype = like.dtype if xp.isdtype(like.dtype, "bool") else None
    else:
        dtype = _float_dtype(xp, like)
    return xp.asarray(number, dtype=dtype, device=device)


def _shape(x) -> tuple:
    return () if isinstance(x, _NUMBERS) else tuple(x.shape)


def _float_dtype(xp, x):
    """`x`'s dtype when it is a real floating one, else the namespace's default float."""
    if _is_array(x) and xp.isdtype(x.dtype, "real floating"):
        return x.dtype
    return xp.empty(()).dtype


def _filled(xp, shape, value, like):
    """A new array of `shape`, in `like`'s floating dtype and on its device, equal to `value`
    (broadcast): the one way the helpers make an array of a given shape."""
    device = compat().device(like) if _is_array(like) else None
    zeros = xp.zeros(shape, dtype=_float_dtype(xp, like), device=device)
    return zeros + value


def scalar_seed(y):
    """The seed 1.0 of a gradient's output `y`, which must be a scalar (0-d)."""
    if isinstance(y, tuple) or len(_shape(y)) != 0:
        raise NonScalarSeed(y)
    return 1.0


def zeros_like(x):
    """A floating zero of `x`'s shape: ``0.0`` for a number (or a value without derivative)."""
    if not _is_array(x):
        if isinstance(x, (list, tuple)) and x:
            raise TypeError("the array_api backend has no adjoint of a list of values")
        return 0.0
    xp = _xp(x)
    return _filled(xp, x.shape, 0.0, x)


def unbroadcast(v, like):
    """Sum `v` down to the shape of `like` (undoes broadcasting in an adjoint)."""
    if not _is_array(v):
        return v
    shape = _shape(like)
    if tuple(v.shape) == shape:
        return v
    xp = _xp(v)
    extra = v.ndim - len(shape)
    if extra > 0:
        v = xp.sum(v, axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and v.shape[i] != 1)
    if axes:
        v = xp.sum(v, axis=axes, keepdims=True)
    return xp.reshape(v, shape)


def broadcast_like(v, like):
    """`v` broadcast to the shape of `like`, as a new array (or `v` if already so)."""
    shape = _shape(like)
    if _shape(v) == shape:
        return v
    xp = _xp(v, like)
    return _filled(xp, shape, v, v if _is_array(v) else like)


def broadcast_reduced(v, like, axis=None, keepdims=False):
    """Spread `v`, the result of a reduction of `like` over `axis`, back to `like`'s shape."""
    shape = _shape(like)
    if not shape:
        return v
    xp = _xp(v, like)
    if _is_array(v) and not keepdims and axis is not None:
        axes = (axis,) if isinstance(axis, int) else tuple(axis)
        for a in sorted(a % len(shape) for a in axes):
            v = xp.expand_dims(v, axis=a)
    return _filled(xp, shape, v, v if _is_array(v) else like)


def broadcast_stand_in(a, b, c=None, d=None):
    """A value with the shape of an elementwise result of `a`, `b` (and `c`, `d`), for code
    that reads it for its shape (an adjoint's ``like``): an operand of that shape when there
    is one, else a new array of zeros."""
    xs = [x for x in (a, b, c, d) if x is not None]
    shapes = [_shape(x) for x in xs]
    ndim = max(len(s) for s in shapes)
    shape = tuple(max((s[len(s) - ndim + k] if len(s) - ndim + k >= 0 else 1) for s in shapes)
                  for k in range(ndim))
    arrays = [x for x in xs if _is_array(x)]
    for x in arrays:
        if tuple(x.shape) == shape:
            return x
    if not shape:
        return 0.0
    xp = _xp(*arrays)
    return _filled(xp, shape, 0.0, arrays[0])


def reduced_size(x, axis=None):
    """How many entries of `x` a reduction over `axis` combines into each result entry."""
    shape = _shape(x)
    if axis is None:
        return math.prod(shape)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return math.prod(shape[a] for a in axes)


def length(x) -> int:
    """``len(x)``: the length of an array's first axis (the standard's arrays have no
    ``len``), of a tuple or list."""
    if _is_array(x):
        if x.ndim == 0:
            raise TypeError("len() of unsized object")
        return int(x.shape[0])
    return len(x)


def shape(x) -> tuple:
    """``np.shape(x)``: the shape of an array, ``()`` of a number."""
    return _shape(x)


def where(condition, x, y):
    """``np.where(condition, x, y)``: a Python number when none of them is an array (as
    NumPy computes it); else the numbers among them made arrays of the branches' floating
    dtype, which the standard asks of its arguments (``where(c, g, 0.0)`` of a scalar
    cotangent)."""
    if not (_is_array(condition) or _is_array(x) or _is_array(y)):  # numbers: a number
        return _number(np.where(condition, x, y))
    xp = _xp(condition, x, y)
    if not _is_array(condition):
        condition = xp.asarray(condition)
    like = next((v for v in (x, y) if _is_array(v)), None)
    dtype = _float_dtype(xp, like)
    device = compat().device(condition)
    x, y = (xp.asarray(v, dtype=dtype, device=device) if isinstance(v, _NUMBERS) else v
            for v in (x, y))
    return xp.where(condition, x, y)


def as_float(mask, like):
    """The boolean `mask` (a comparison) as 0.0 / 1.0 in `like`'s floating dtype: NumPy adds
    booleans to floats, the standard does not (``(x > y) + 0.5 * (x == y)``)."""
    if not _is_array(mask):
        return float(mask)
    xp = _xp(mask)
    return xp.astype(mask, _float_dtype(xp, like))


def transpose(x, axes=None):
    """``np.transpose(x, axes)`` and ``x.T``: the axes reversed when `axes` is None (the
    standard's ``.T`` is for matrices only)."""
    if not _is_array(x):
        return x
    xp = _xp(x)
    return xp.permute_dims(x, tuple(range(x.ndim))[::-1] if axes is None else tuple(axes))


def reshape(x, shape):
    """``np.reshape(x, shape)`` (a number stays a number when the shape is ``()``)."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if not _is_array(x):
        if shape == ():
            return x
        xp = _xp()  # a number: an array of the calling code's namespace
        x = xp.asarray(x, dtype=_float_dtype(xp, None) if isinstance(x, float) else None)
    return _xp(x).reshape(x, shape)


def _real_only(x, name: str) -> None:
    if isinstance(x, complex) or _is_array(x) and _xp(x).isdtype(x.dtype, "complex floating"):
        raise TypeError(f"{name} of a complex value: the array_api backend differentiates "
                        "real values only")


def real(x):
    """``np.real(x)`` of a real value: `x` itself (the rules of ``abs`` call it for complex
    inputs, which this backend does not take)."""
    _real_only(x, "real")
    return x


def conj(x):
    """``np.conj(x)`` of a real value: `x` itself."""
    _real_only(x, "conj")
    return x


def conj_sign(x):
    """``conj(x) / |x|`` of a real value: its sign (0 at 0), the derivative of ``abs``."""
    _real_only(x, "conj_sign")
    if not _is_array(x):
        return float(np.sign(x))
    return _xp(x).sign(x)


def real_like(v, like):
    """`v` as the derivative for the real `like`: `v` itself (real values only here)."""
    _real_only(v, "real_like")
    return v


def reciprocal_abs(x):
    """``1 / |x|``, 0 at 0 (where it only multiplies zeros in conj_sign's derivative)."""
    _real_only(x, "reciprocal_abs")
    if not _is_array(x):
        return 1.0 / abs(x) if x != 0 else 0.0
    xp = _xp(x)
    a = xp.abs(x)
    return xp.where(a == 0, 0.0, 1.0 / xp.where(a == 0, 1.0, a))


def safe_mul(x, y):
    """``x * y``, exactly zero wherever `x` or `y` is zero (even where the other is inf or
    NaN): the NumPy runtime's strong zero, as one ``xp.where``."""
    if not _is_array(x) and not _is_array(y):
        return _number(_np_elementwise.safe_mul(x, y))
    out = x * y
    xp = _xp(out)
    return xp.where(xp.isnan(out) & ((x == 0) | (y == 0)), 0.0, out)


def safe_div(x, y):
    """``x / y``, exactly zero wherever `x` is zero (even where `y` is 0 or NaN)."""
    if not _is_array(x) and not _is_array(y):
        return _number(_np_elementwise.safe_div(x, y))
    out = x / y
    xp = _xp(out)
    return xp.where(xp.isnan(out) & (x == 0), 0.0, out)


def reciprocal(x):
    """``1.0 / x``, +-inf at +-0.0 for a number too."""
    if not _is_array(x):
        return _number(_np_reciprocal(x))
    return 1.0 / x


def scaled_pow(c, x, p):
    """``c * x ** p``, exactly zero where `c` is zero (even where ``x ** p`` is inf)."""
    if not (_is_array(c) or _is_array(x) or _is_array(p)):
        return _number(_np_scaled_pow(c, x, p))
    out = c * x ** p
    xp = _xp(out)
    if not _is_array(c):  # a number: zero or not, known now (no array is tested)
        return out if c != 0 else xp.zeros_like(out)
    return xp.where(c == 0, 0.0, out)


# ------------------------------------------------------------------------- matrix products
def _matrix_t(xp, a):
    return xp.matrix_transpose(a)


def matmul_adjoint_x(g, x, y):
    """x-cotangent of ``x @ y`` given the cotangent `g` of the product (``x``, ``y`` of one
    or more dimensions, as the standard's matmul takes)."""
    if x.ndim == 1 and y.ndim == 1:  # an inner product: g is a number or 0-d
        return g * y
    xp = _xp(g, x, y)
    if y.ndim == 1:  # (..., n, k) @ (k,): g of shape (..., n)
        return unbroadcast(xp.expand_dims(g, axis=-1) * y, x)
    if x.ndim == 1:  # (k,) @ (..., k, m): g of shape (..., m)
        out = xp.matmul(xp.expand_dims(g, axis=-2), _matrix_t(xp, y))
        return unbroadcast(out[..., 0, :], x)
    return unbroadcast(xp.matmul(g, _matrix_t(xp, y)), x)


def matmul_adjoint_y(g, x, y):
    """y-cotangent of ``x @ y`` given the cotangent `g` of the product."""
    if x.ndim == 1 and y.ndim == 1:
        return g * x
    xp = _xp(g, x, y)
    if y.ndim == 1:  # (..., n, k) @ (k,): g of shape (..., n)
        out = xp.matmul(_matrix_t(xp, x), xp.expand_dims(g, axis=-1))
        return unbroadcast(out[..., 0], y)
    if x.ndim == 1:  # (k,) @ (..., k, m): g of shape (..., m)
        return unbroadcast(xp.expand_dims(x, axis=-1) * xp.expand_dims(g, axis=-2), y)
    return unbroadcast(xp.matmul(_matrix_t(xp, x), g), y)


# ------------------------------------------------------------------------- basic indexing
class IndexNotSupported(TypeError):
    """An index the array API backend cannot differentiate (an array, a slice with a step)."""


def _expanded(index, ndim: int) -> list:
    """`index` as one entry per axis of the array read (``None`` entries kept, ``...``
    expanded to full slices); refuses what is not basic indexing with unit steps."""
    items = list(index) if isinstance(index, tuple) else [index]
    for item in items:
        ok = item is None or item is Ellipsis or isinstance(item, int) and not isinstance(
            item, bool) or isinstance(item, slice) and item.step in (None, 1)
        if not ok:
            raise IndexNotSupported(
                f"the array_api backend differentiates indexing with integers, slices of "
                f"step 1, None and ... only, not {item!r}")
    used = sum(1 for item in items if item is not None and item is not Ellipsis)
    if Ellipsis in items:
        at = items.index(Ellipsis)
        items[at:at + 1] = [slice(None)] * (ndim - used)
        return items
    return items + [slice(None)] * (ndim - used)


def getitem(x, index):
    """``x[index]`` of an array: basic indexing only, with the axes the index leaves out
    taken whole (``x[i]`` of a matrix is ``x[i, :]``: the standard asks for an index of every
    axis), and slices clipped to their axis (``x[:2]`` of one entry is that entry, as in
    NumPy). A tuple (a shape) is indexed as it is."""
    if not _is_array(x):  # a tuple (a shape)
        return x[index]
    items = index if isinstance(index, tuple) else (index,)
    shape = _shape(x)
    expanded = _expanded(items, len(shape))  # refuses what is not basic indexing
    # Slices clipped to their axis, as NumPy does (the standard leaves bounds past the axis
    # undefined): `expanded` has one entry per axis, None for a new one.
    out, axis = [], 0
    for item in expanded:
        if isinstance(item, slice):
            item = slice(*item.indices(shape[axis])[:2])
        out.append(item)
        axis += item is not None
    return x[tuple(out)]


def scatter_like(v, index, like):
    """The adjoint of ``like[index]``: `v` (shaped like the read) placed in zeros shaped like
    `like`, built without writing into an array: the read's axes are given back (an integer
    index is an axis of length 1; a new axis is dropped), then each axis is padded with zeros
    before and after by ``xp.concat``."""
    shape = _shape(like)
    items = _expanded(index, len(shape))
    xp = _xp(v, like)
    kept, spans, axis = [], [], 0
    for item in items:
        if item is None:
            continue
        n = shape[axis]
        if isinstance(item, int):
            start = item + n if item < 0 else item
            if not 0 <= start < n:
                raise IndexError(f"index {item} is out of bounds for axis {axis} of size {n}")
            spans.append((start, start + 1))
        else:
            start, stop, _ = item.indices(n)
            spans.append((start, max(start, stop)))
        kept.append(spans[-1][1] - spans[-1][0])
        axis += 1
    if _is_array(v):  # the read's shape, with its new axes dropped and integer axes kept
        v = xp.reshape(v, tuple(kept))
    out = _filled(xp, tuple(kept), v, like)  # a new array (a number broadcast)
    for axis, (start, stop) in enumerate(spans):
        out = _pad(xp, out, axis, start, shape[axis] - stop)
    return out


def scatter_add(acc, v, index, like):
    """``acc + scatter_like(v, index, like)``: a new array (`acc` is never written)."""
    return acc + scatter_like(v, index, like)


def _pad(xp, a, axis: int, before: int, after: int):
    """`a` with `before` and `after` zeros along `axis`."""
    if not before and not after:
        return a
    parts = []
    for count in (before, after):
        size = list(a.shape)
        size[axis] = count
        parts.append(xp.zeros(tuple(size), dtype=a.dtype, device=compat().device(a)))
    return xp.concat([parts[0], a, parts[1]], axis=axis)


#: The helpers of the array API backend's code, by the names the rules call them.
HELPERS: dict = {
    "array_namespace": array_namespace,
    "scalar_seed": scalar_seed,
    "zeros_like": zeros_like,
    "unbroadcast": unbroadcast,
    "broadcast_like": broadcast_like,
    "broadcast_reduced": broadcast_reduced,
    "broadcast_stand_in": broadcast_stand_in,
    "reduced_size": reduced_size,
    "shape": shape,
    "length": length,
    "where": where,
    "as_float": as_float,
    "transpose": transpose,
    "reshape": reshape,
    "real": real,
    "conj_sign": conj_sign,
    "conj": conj,
    "real_like": real_like,
    "reciprocal_abs": reciprocal_abs,
    "safe_mul": safe_mul,
    "safe_div": safe_div,
    "reciprocal": reciprocal,
    "scaled_pow": scaled_pow,
    "matmul_adjoint_x": matmul_adjoint_x,
    "matmul_adjoint_y": matmul_adjoint_y,
    "getitem": getitem,
    "scatter_like": scatter_like,
    "scatter_add": scatter_add,
    "scatter_add_into": scatter_add,  # "into" is the NumPy runtime's in-place shortcut
}
