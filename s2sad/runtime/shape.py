"""Runtime helpers of the shape rules (``rules/shape.py``); generated code calls them.

Most are the adjoints of operations that copy entries around (tile, repeat, pad, take, the
diagonal): they add the cotangent back into zeros shaped like the argument. Each is linear in
its first argument, and its own adjoint is the operation it undoes, so the rule set stays
closed. ``split_like`` and ``join`` convert between one joined array and the adjoint of a list
of arrays (see ``runtime.RaggedAdjoint``).
"""

from __future__ import annotations

import numpy as np

from . import RaggedAdjoint, arrays

# ---------------------------------------------------------------------- joining and splitting
# The functions that join a list of arrays, by name: how each promotes an element's shape
# before concatenating, and along which axis of the promoted shapes.


def _at_least(ndim):
    """The shape np.atleast_<ndim>d gives (1-d becomes a row, 2-d gets a last axis)."""
    def promote(shape):
        if len(shape) >= ndim:
            return shape
        return {0: (1,) * ndim, 1: (1, *shape, 1)[:ndim], 2: (*shape, 1)}[len(shape)]
    return promote


def _column(shape):
    return shape if len(shape) >= 2 else (int(np.prod(shape)), 1)


_PROMOTE = {"hstack": _at_least(1), "vstack": _at_least(2), "dstack": _at_least(3),
            "column_stack": _column}
_JOIN = {"hstack": np.hstack, "vstack": np.vstack, "dstack": np.dstack,
         "column_stack": np.column_stack}


def _join_axis(how, shapes):
    if how == "hstack":
        return 0 if len(shapes[0]) == 1 else 1
    return {"vstack": 0, "dstack": 2, "column_stack": 1}[how]


def _list_adjoint(parts):
    """The adjoint of a list from its elements' adjoints: stacked when their shapes agree."""
    parts = [p[()] if isinstance(p, np.ndarray) and p.ndim == 0 else p for p in parts]
    if len({np.shape(p) for p in parts}) == 1:
        return np.stack(parts)
    return RaggedAdjoint.of(parts)


def split_like(v, like, axis=0):
    """The adjoint of the list `like` from the cotangent `v` of its elements joined along
    `axis`: `v` cut into pieces shaped like the elements, as a list adjoint (stacked array or
    RaggedAdjoint).

    `axis` is an int (np.concatenate, np.append), None (np.concatenate(..., axis=None): the
    elements were raveled) or the name of the function that joined them ('hstack', 'vstack',
    'dstack', 'column_stack'), which first gives each element at least 1, 2 or 3 dimensions.
    """
    if axis == 0 and type(axis) is int and type(v) is np.ndarray:
        stacked = _even_rows(v, like)
        if stacked is not None:
            return stacked
    shapes = [np.shape(item) for item in like]
    if axis is None:
        flat, promoted, along = np.ravel(v), [(int(np.prod(s)),) for s in shapes], 0
    elif isinstance(axis, str):
        flat, promoted = v, [_PROMOTE[axis](s) for s in shapes]
        along = _join_axis(axis, promoted)
    else:
        flat, promoted, along = v, shapes, axis
    ends = np.cumsum([s[along] for s in promoted])[:-1]
    if arrays.foreign(flat):  # dask has no np.split: slices, lazily
        bounds = zip((0, *ends), (*ends, flat.shape[along]))
        pieces = [flat[(slice(None),) * (along % flat.ndim) + (slice(int(a), int(b)),)]
                  for a, b in bounds]
    else:
        pieces = np.split(flat, ends, axis=along)
    return _list_adjoint([np.reshape(p, s) for p, s in zip(pieces, shapes)])


def _even_rows(v, like):
    """The common case of ``split_like`` as one reshape: `like` holds arrays of one shape
    joined along axis 0, so the stacked pieces of `v` are `v` with its first axis cut in
    equal parts (a new array, as np.stack gives). None when that is not the case."""
    first = like[0] if len(like) else None
    if type(first) is not np.ndarray or not first.ndim:
        return None
    shape = first.shape
    for item in like:
        if type(item) is not np.ndarray or item.shape != shape:
            return None
    if v.shape != (len(like) * shape[0], *shape[1:]):
        return None
    return v.reshape((len(like), *shape)).copy()


def join(parts, like, axis=0):
    """The elements of the list adjoint `parts` (of the list `like`) joined as `axis` says
    (see ``split_like``, whose adjoint it is). A scalar entry stands for that value at every
    entry of its element (a zero adjoint written as 0)."""
    parts = [np.broadcast_to(part, np.shape(item)) if np.ndim(part) == 0 else part
             for part, item in zip(parts, like)]
    if isinstance(axis, str):
        return _JOIN[axis](parts)
    return np.concatenate(parts, axis=axis)


# ---------------------------------------------------------------------- diagonals
def diagonal_adjoint(v, like, offset=0, axis1=0, axis2=1):
    """Zeros shaped like `like` with `v` on the diagonal ``np.diagonal(like, offset, axis1,
    axis2)`` reads; `v` broadcasts to that diagonal's shape (np.trace passes one value per
    diagonal)."""
    shape = np.shape(like)
    out = np.zeros(shape, dtype=np.result_type(v, 1.0))
    view = np.moveaxis(out, (axis1, axis2), (-2, -1))
    n_rows, n_cols = view.shape[-2:]
    length = max(0, min(n_rows + min(offset, 0), n_cols - max(offset, 0)))
    steps = np.arange(length)
    view[..., steps + max(-offset, 0), steps + max(offset, 0)] = v
    return out


def diag_adjoint(v, like, k=0):
    """The adjoint of ``np.diag(like, k)``: the k-th diagonal of `v` when `like` is a vector
    (np.diag built a matrix), else `v` put on the k-th diagonal of zeros shaped like `like`."""
    if np.ndim(like) == 1:
        return np.diag(v, k)
    return diagonal_adjoint(v, like, k)


# ---------------------------------------------------------------------- differences
def diff_adjoint(v, n=1, axis=-1):
    """The adjoint of ``np.diff(x, n, axis)``: ``(-1)**n * np.diff(v padded with n zeros on
    both ends of axis, n, axis)``."""
    v = np.asarray(v, dtype=np.result_type(v, 1.0))
    widths = [(0, 0)] * v.ndim
    widths[axis] = (n, n)
    return (-1.0) ** n * np.diff(np.pad(v, widths), n=n, axis=axis)


# ---------------------------------------------------------------------- copies of entries
def tile_adjoint(v, like, reps):
    """The adjoint of ``np.tile(like, reps)``: the tiles of `v` summed into `like`'s shape."""
    v = np.asarray(v)
    shape = np.shape(like)
    full = (1,) * (v.ndim - len(shape)) + shape
    counts = [n // s if s else 0 for n, s in zip(v.shape, full)]
    pairs = tuple(k for r, s in zip(counts, full) for k in (r, s))
    out = np.reshape(v, pairs).sum(axis=tuple(range(0, len(pairs), 2)))
    return np.reshape(out, shape)[()]


def repeat_adjoint(v, like, repeats, axis=None):
    """The adjoint of ``np.repeat(like, repeats, axis)``: each entry's copies summed."""
    shape = np.shape(like)
    v = np.asarray(v)
    if axis is None or not shape:  # a 0-d value repeats as a 1-d one, along any axis
        v, along, length = np.ravel(v), 0, int(np.prod(shape))
    else:
        along = axis % len(shape)
        length = shape[along]
    if np.size(repeats) == 1:  # n copies of each entry, side by side: sum them
        n = int(np.ravel(repeats)[0])
        split = (*v.shape[:along], length, n, *v.shape[along + 1:])
        out = np.reshape(v, split).sum(axis=along + 1)
    else:
        moved = np.moveaxis(v, along, 0)
        out = np.zeros((length, *moved.shape[1:]), dtype=np.result_type(v, 1.0))
        np.add.at(out, np.repeat(np.arange(length), repeats), moved)
        out = np.moveaxis(out, 0, along)
    return np.reshape(out, shape)[()]


def _pad_widths(pad_width, ndim):
    return np.broadcast_to(np.asarray(pad_width, dtype=int), (ndim, 2))


#: np.pad modes whose padding copies entries of x (or is zero): padding is then linear in x
#: and the adjoint adds each copy back. 'maximum', 'median', 'mean' ... are not (or only
#: through their argmax): refused rather than differentiated wrong.
PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


def _check_mode(mode):
    if mode not in PAD_MODES:
        raise ValueError(f"s2sad differentiates np.pad in the modes {', '.join(PAD_MODES)}, "
                         f"not {mode!r}")


def pad_linear(x, pad_width, mode="constant"):
    """``np.pad(x, pad_width, mode)`` with zeros for the constant: the tangent of a padded
    array (constant values do not vary)."""
    _check_mode(mode)
    return np.pad(x, pad_width, mode=mode)


def pad_adjoint(v, like, pad_width, mode="constant"):
    """The adjoint of ``np.pad(like, pad_width, mode)``: the inner block of `v` (constant
    mode), plus, in the other modes, every padded copy added back to its source entry."""
    _check_mode(mode)
    shape = np.shape(like)
    if mode == "constant":
        widths = _pad_widths(pad_width, len(shape))
        inner = tuple(slice(int(b), int(b) + n) for (b, _), n in zip(widths, shape))
        return np.array(v[inner], dtype=np.result_type(v, 1.0))[()]
    source = np.pad(np.arange(int(np.prod(shape))).reshape(shape), pad_width, mode=mode)
    size = int(np.prod(shape))
    out = np.bincount(source.ravel(), weights=np.ravel(v), minlength=size)
    return np.reshape(out.astype(np.result_type(v, 1.0)), shape)[()]


# ---------------------------------------------------------------------- selections
def select_adjoint(v, like, condlist):
    """The adjoint of the choices `like` in ``np.select(condlist, like)``: `v` where a choice was
    selected (the first true condition), zero elsewhere, summed down to each choice's shape;
    a list adjoint."""
    from . import unbroadcast

    taken = np.zeros(np.shape(v), dtype=bool)
    parts = []
    for cond, choice in zip(condlist, like):
        chosen = np.logical_and(cond, np.logical_not(taken))
        parts.append(unbroadcast(np.where(chosen, v, 0.0), choice))
        taken = np.logical_or(taken, cond)
    return _list_adjoint(parts)


def take_adjoint(v, like, indices, axis=None):
    """The adjoint of ``np.take(like, indices, axis)``: `v` added at the taken entries (an
    index taken twice gets both)."""
    shape = np.shape(like)
    out = np.zeros(shape, dtype=np.result_type(v, 1.0))
    if axis is None:
        np.add.at(out.reshape(-1), np.asarray(indices), v)
    else:
        np.add.at(out, (slice(None),) * (axis % len(shape)) + (np.asarray(indices),), v)
    return out[()]


def take_along_axis_adjoint(v, like, indices, axis):
    """The adjoint of ``np.take_along_axis(like, indices, axis)``, accumulating repeats."""
    shape = np.shape(like)
    out = np.zeros(shape, dtype=np.result_type(v, 1.0))
    if axis is None:
        np.add.at(out.reshape(-1), np.asarray(indices), v)
        return out
    v = np.asarray(v)
    along = axis % len(shape)
    index = []
    for d, n in enumerate(shape):
        if d == along:
            index.append(indices)
        else:  # the entries of other axes line up with the result's (or broadcast from 1)
            span = np.arange(v.shape[d]) if n == v.shape[d] else np.zeros(v.shape[d], int)
            index.append(span.reshape([-1 if k == d else 1 for k in range(len(shape))]))
    np.add.at(out, tuple(index), v)
    return out


# ---------------------------------------------------------------------- shape arithmetic
def negated(shift):
    """The opposite of an np.roll shift (an int or a tuple of ints)."""
    if isinstance(shift, (tuple, list)):
        return tuple(-int(s) for s in shift)
    return -shift


def rollaxis_destination(x, axis, start=0):
    """Where ``np.rollaxis(x, axis, start)`` puts `axis`, for ``np.moveaxis``."""
    ndim = np.ndim(x)
    axis = axis % ndim
    start = start + ndim if start < 0 else start
    return start - 1 if axis < start else start


def broadcast_stand_in(a, b, c=None, d=None):
    """A value with the shape and dtype of an elementwise result of `a`, `b` (and `c`, `d`),
    for code that reads that result only for its shape (an adjoint's ``like``): the operands
    themselves when one of them already is so, else a read-only broadcast of one entry."""
    xs = (a, b) if c is None else (a, b, c) if d is None else (a, b, c, d)
    first = xs[0]
    if type(first) is np.ndarray:  # the common case: operands shaped and typed alike
        shape, dtype = first.shape, first.dtype
        for x in xs[1:]:
            if type(x) is not np.ndarray or x.shape != shape or x.dtype != dtype:
                break
        else:
            return first
    # np.shape, not np.asarray: an array of another library (dask) is read, never computed.
    shape = np.broadcast_shapes(*(x.shape if isinstance(x, np.ndarray) else np.shape(x)
                                  for x in xs))
    dtype = np.result_type(*xs)
    for x in xs:
        if type(x) is np.ndarray and x.shape == shape and x.dtype == dtype:
            return x
    for x in xs:  # an array of another library: a lazy stand-in, chunked like it
        if arrays.foreign(x):
            return np.broadcast_to(np.zeros_like(x, dtype=dtype), shape)
    if not shape and all(type(x) in (float, int) for x in xs):
        return dtype.type(0)
    return np.broadcast_to(np.zeros((), dtype=dtype), shape)


#: Name -> helper, merged into the namespace of generated code (runtime.HELPERS).
def linspace_weights(num=50, endpoint=True, like=0.0):
    """The weight t of `stop` in each entry of ``np.linspace(start, stop, num, endpoint)`` =
    start + t * (stop - start), shaped (num, 1, ...) to broadcast against a start/stop
    shaped like `like`."""
    t = np.linspace(0.0, 1.0, int(num), endpoint=bool(endpoint))
    return t.reshape((t.size,) + (1,) * np.ndim(like))


HELPERS: dict = {
    "broadcast_stand_in": broadcast_stand_in,
    "linspace_weights": linspace_weights,
    "split_like": split_like,
    "join": join,
    "diagonal_adjoint": diagonal_adjoint,
    "diag_adjoint": diag_adjoint,
    "diff_adjoint": diff_adjoint,
    "tile_adjoint": tile_adjoint,
    "repeat_adjoint": repeat_adjoint,
    "pad_linear": pad_linear,
    "pad_adjoint": pad_adjoint,
    "select_adjoint": select_adjoint,
    "take_adjoint": take_adjoint,
    "take_along_axis_adjoint": take_along_axis_adjoint,
    "negated": negated,
    "rollaxis_destination": rollaxis_destination,
}
