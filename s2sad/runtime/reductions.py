"""Runtime helpers of the reductions rules (``rules/reductions.py``); generated code calls them.

Each helper is registered as a primitive with its own rules, so the rule set stays closed.

The scans (``shifted``, ``linear_scan``, ``exclusive_cumprod``, ``reverse_cumsum``) run along
an *axis group*: an int, a tuple of axes, or None for all of them, walked as one axis in C
order (the order ``np.prod`` over those axes, or ``np.cumsum`` with ``axis=None``, sees). Their
result has the shape of their (last) array argument. They compute products of entries without
ever dividing, so derivatives of products stay exact where entries are zero.
"""

from __future__ import annotations

import numpy as np

from . import arrays

_FLOAT64 = np.dtype(np.float64)


def _axes(ndim: int, axis) -> tuple:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    return tuple(int(a) % ndim for a in axes) if ndim else ()


def _to_last(x, axis):
    """`x` as a float array with the axis group moved to the end and flattened into one axis,
    and the function that puts an array of that layout back into `x`'s shape."""
    x = arrays.as_floating(x)  # a dask array stays lazy
    axes = _axes(x.ndim, axis)
    ends = tuple(range(x.ndim - len(axes), x.ndim))
    moved = np.moveaxis(x, axes, ends)
    lanes = moved.shape[: x.ndim - len(axes)]
    flat = moved.reshape(*lanes, -1)

    def restore(y):
        out = np.moveaxis(y.reshape(moved.shape), ends, axes)
        return out[()] if out.ndim == 0 else out

    return flat, restore


def _first(flat, direction):
    """`flat` in scan order: as it is for direction 1, reversed for direction -1."""
    return flat[..., ::-1] if direction < 0 else flat


def shifted(x, axis=None, direction=1, fill=0.0):
    """Each entry replaced by the one before it in scan order along `axis` (the one after it
    for direction -1), and `fill` at the first position."""
    flat, restore = _to_last(x, axis)
    y = _first(flat, direction)
    out = np.empty_like(y)
    out[..., 1:] = y[..., :-1]
    out[..., :1] = fill
    return restore(_first(out, direction))


def linear_scan(a, b, axis=None, direction=1):
    """The recurrence ``t[i] = a[i] * t[i - 1] + b[i]`` along `axis` with ``t[-1] = 0``, from
    the last entry backwards for direction -1; shaped like `b` (`a` has as many entries).

    Cumulative products and their derivatives are such scans, without any division.
    """
    fa, _ = _to_last(a, axis)
    fb, restore = _to_last(b, axis)
    fa, fb = _first(fa, direction), _first(fb, direction)
    out = np.empty(fb.shape, dtype=np.result_type(fa, fb))
    if out.shape[-1]:
        t = fb[..., 0]
        out[..., 0] = t
        for i in range(1, out.shape[-1]):
            t = fa[..., i] * t + fb[..., i]
            out[..., i] = t
    return restore(_first(out, direction))


def exclusive_cumprod(x, axis=None, direction=1):
    """The product of the entries before each entry along `axis` (after it for direction -1);
    1 at the first. Both ways multiplied: the product of all the others, without x / x."""
    flat, restore = _to_last(x, axis)
    y = _first(flat, direction)
    before = np.ones_like(y)
    before[..., 1:] = y[..., :-1]
    return restore(_first(np.cumprod(before, axis=-1), direction))


def reverse_cumsum(x, axis=None):
    """The sum of each entry and the entries after it along `axis` (adjoint of np.cumsum)."""
    flat, restore = _to_last(x, axis)
    return restore(np.cumsum(flat[..., ::-1], axis=-1)[..., ::-1])


def extremum_weights(x, ans, axis=None, keepdims=False):
    """Where `x` equals its reduction `ans` (a max or a min), 1 / (number of such entries);
    0 elsewhere. The cotangent of a max is split evenly among tied entries."""
    if arrays.any_foreign(x, ans):
        return _lazy_extremum_weights(x, ans, axis, keepdims)
    xs = np.asarray(x)
    reduced = np.asarray(ans)
    if axis is not None and not keepdims and xs.ndim:
        # Compare against a broadcasting view of ans: no copy of ans spread over x's shape.
        shape = list(xs.shape)
        for a in (axis,) if np.ndim(axis) == 0 else axis:
            shape[a] = 1
        reduced = reduced.reshape(shape)
    mask = xs == reduced
    # np.result_type(xs, 1.0), without its ~1 us on the common float64 input
    dtype = xs.dtype if xs.dtype == _FLOAT64 else np.result_type(xs, 1.0)
    if np.count_nonzero(mask) == reduced.size and _has_no_nan(reduced):
        out = mask.astype(dtype)  # one entry per slice: no ties (the usual case)
    else:  # an all-NaN slice (nanmax) has no entry to credit, hence the maximum with 1
        count = np.count_nonzero(mask, axis=axis, keepdims=True) if xs.ndim else mask
        out = (mask / np.maximum(count, 1)).astype(dtype, copy=False)
    return out[()] if out.ndim == 0 else out


def _lazy_extremum_weights(x, ans, axis, keepdims):
    """:func:`extremum_weights` of an array of another library (dask), lazily: the ties are
    always counted, since asking whether there are any would compute the array."""
    if axis is not None and not keepdims:
        ans = np.expand_dims(ans, axis)
    mask = x == ans
    count = np.sum(mask, axis=axis, keepdims=True)
    return (mask / np.maximum(count, 1)).astype(arrays.floating_dtype(x))


def _has_no_nan(values: np.ndarray) -> bool:
    """Whether `values` holds no NaN: its sum of squares is NaN exactly if an entry is (an
    inf squares to inf), and np.vdot is several times faster than np.isnan(...).any()."""
    if values.dtype.kind not in "fc":
        return True
    flat = values.ravel()
    total = np.vdot(flat, flat)
    return bool(total == total)


def median_weights(x, axis=None):
    """d median / dx: the median is the mean of the two middle order statistics (one, twice,
    for an odd count); each one's weight 1/2 is split evenly among the entries equal to it."""
    flat, restore = _to_last(x, axis)
    n = flat.shape[-1]
    ordered = np.sort(flat, axis=-1)
    out = np.zeros_like(flat)
    for k in ((n - 1) // 2, n // 2):
        mask = flat == ordered[..., k : k + 1]
        out += 0.5 * mask / np.maximum(np.sum(mask, axis=-1, keepdims=True), 1)
    return restore(out)


def permutation_index(x, ans, axis=-1):
    """The index with ``x[index] == ans`` for `ans` a permutation of `x` along `axis` (np.sort,
    np.partition; None: of the flattened `x`). Equal entries are matched in order."""
    xs, ys = np.asarray(x), np.asarray(ans)
    if axis is None:
        source = np.empty(ys.size, dtype=np.intp)
        source[np.argsort(ys, kind="stable")] = np.argsort(xs, axis=None, kind="stable")
        return np.unravel_index(source, xs.shape)
    axis = int(axis) % xs.ndim
    source = np.empty(ys.shape, dtype=np.intp)
    np.put_along_axis(source, np.argsort(ys, axis=axis, kind="stable"),
                      np.argsort(xs, axis=axis, kind="stable"), axis)
    index = list(np.indices(xs.shape, sparse=True))
    index[axis] = source
    return tuple(index)


def not_nan(x):
    """True where `x` is a number (the entries np.nansum / np.nanmean count)."""
    return ~np.isnan(x)


def centered(x, axis=None):
    """`x` minus its mean over `axis`: the projection onto entries that sum to zero.

    Centred twice, and exactly zero where a slice is constant: one subtraction of a rounded
    mean leaves a common offset (``[0.1] * 3`` less its mean is ``[-1.4e-17] * 3``), which the
    derivative of np.std would divide by a std of the same size, instead of giving 0.
    """
    xs = arrays.as_array(x)  # a dask array stays lazy
    out = xs - np.mean(xs, axis=axis, keepdims=True)
    out = out - np.mean(out, axis=axis, keepdims=True)
    constant = np.max(xs, axis=axis, keepdims=True) == np.min(xs, axis=axis, keepdims=True)
    out = np.where(constant, 0.0, out)
    return out[()] if out.ndim == 0 else out


def weighted_average(a, weights, axis=None, keepdims=False):
    """``np.average(a, axis, weights, keepdims=keepdims)`` with the weights as the second
    argument (how generated code spells np.average with weights)."""
    return np.average(a, axis=axis, weights=weights, keepdims=keepdims)


def aligned_weights(weights, a, axis=None):
    """The weights of np.average shaped to broadcast against `a`: 1-d weights along `axis`
    get ones for the other axes; weights shaped like `a` stay as they are; no weights are 1."""
    if weights is None:  # np.average without weights: every entry weighs 1
        return 1.0
    w, x = np.asarray(weights), np.asarray(a)
    if w.shape == x.shape or axis is None or np.ndim(axis) != 0:
        return weights
    shape = [1] * x.ndim
    shape[int(axis) % x.ndim] = w.size
    return w.reshape(shape)


def degrees_of_freedom(x, axis=None, ddof=0):
    """The divisor of np.var / np.std: the number of entries reduced into each result, less
    `ddof`. np.var / np.std of complex values are refused (their rules are written for real x):
    the derivative rules call this with x."""
    from . import reduced_size
    from .fft import refuse_complex

    refuse_complex(x, "np.var and np.std", "write np.mean(np.abs(z - np.mean(z)) ** 2) "
                   "(np.abs has complex derivatives)")
    return reduced_size(x, axis) - ddof


#: Name -> helper, merged into the namespace of generated code (runtime.HELPERS).
HELPERS: dict = {
    "shifted": shifted,
    "linear_scan": linear_scan,
    "exclusive_cumprod": exclusive_cumprod,
    "reverse_cumsum": reverse_cumsum,
    "extremum_weights": extremum_weights,
    "median_weights": median_weights,
    "permutation_index": permutation_index,
    "not_nan": not_nan,
    "centered": centered,
    "weighted_average": weighted_average,
    "aligned_weights": aligned_weights,
    "degrees_of_freedom": degrees_of_freedom,
}
