"""Runtime helpers of the products rules (``rules/products.py``); generated code calls them.

Every product here is bilinear, and its adjoints come from two helpers, the adjoints of a
two-operand ``np.einsum``: ``einsum_adjoint_x(subscripts, g, x, y)`` is the x-cotangent of
``np.einsum(subscripts, x, y)`` given the cotangent `g` (`x` only supplies the shape). np.inner,
np.tensordot and np.kron are einsums whose subscripts depend on the operands' ranks, which the
``*_subscripts`` helpers (constants as far as derivatives go) spell out at run time.

The adjoint of operand x is an einsum of the cotangent with the other operand, over the
distinct labels of x that appear elsewhere, then written into x's shape: onto the diagonal for
a label x repeats (``'ii->i'``), repeated along a label only x has (summed away in the product),
and summed over a dimension NumPy broadcast (a size-1 or missing ``...`` dimension).
"""

from __future__ import annotations

import math
import string
from functools import lru_cache

import numpy as np

from . import arrays

_LETTERS = string.ascii_letters
_BLAS_WORK = 10**6  # above this (size of g times size of the operand), einsum plans


def _shape(x) -> tuple:
    return x.shape if isinstance(x, np.ndarray) else np.shape(x)


def _expand_ellipsis(parts, out, ndims):
    """Labels with every ``...`` replaced by letters, right-aligned as NumPy broadcasts them."""
    used = {c for c in "".join(parts) + (out or "") if c.isalpha()}
    fresh = [c for c in _LETTERS if c not in used]
    spans = []
    for part, ndim in zip(parts, ndims):
        if "..." in part:
            n = ndim - (len(part) - 3)
            if n < 0:
                raise ValueError(f"einsum: operand of rank {ndim} has too many labels in {part!r}")
            spans.append(n)
        elif len(part) != ndim:
            raise ValueError(f"einsum: {part!r} labels {len(part)} axes of an operand of "
                             f"rank {ndim}")
        else:
            spans.append(0)
    batch = max(spans, default=0)
    ellipsis = "".join(fresh[:batch])
    labels = [part.replace("...", ellipsis[batch - n:]) for part, n in zip(parts, spans)]
    if out is None:  # implicit output: '...' first, then the labels seen once, sorted
        counts = {}
        for c in "".join(parts):
            if c.isalpha():
                counts[c] = counts.get(c, 0) + 1
        out = ellipsis + "".join(sorted(c for c, n in counts.items() if n == 1))
    else:
        out = out.replace("...", ellipsis)
    return labels, out


@lru_cache(maxsize=512)
def _parse(subscripts: str, ndims: tuple):
    """Explicit labels (no ``...``, output given) of an einsum of operands of ranks `ndims`."""
    text = subscripts.replace(" ", "")
    inputs, arrow, out = text.partition("->")
    parts = inputs.split(",")
    if len(parts) != len(ndims):
        raise ValueError(f"einsum: {subscripts!r} names {len(parts)} operands, "
                         f"got {len(ndims)}")
    return _expand_ellipsis(parts, out if arrow else None, ndims)


def _unique(labels: str) -> str:
    return "".join(dict.fromkeys(labels))


@lru_cache(maxsize=512)
def _adjoint_plan(subscripts: str, which: int, shape_x: tuple, shape_y: tuple):
    """How to build the adjoint of operand `which` (0: x, 1: y): the einsum of the cotangent
    with the other operand, and whether its result needs placing into the operand's shape."""
    (a, b), out = _parse(subscripts, (len(shape_x), len(shape_y)))
    mine, other = (a, b) if which == 0 else (b, a)
    shape = shape_x if which == 0 else shape_y
    kept = "".join(c for c in _unique(mine) if c in out or c in other)
    spec = f"{out},{other}->{kept}"
    direct = kept == mine  # no repeated label, none summed away: the einsum is the adjoint
    return spec, kept, mine, shape, direct


def _place(v, kept: str, mine: str, shape: tuple):
    """Write `v` (labels `kept`) into an array of `shape` labelled `mine`: summed over
    broadcast dimensions, repeated along labels it lacks, onto the diagonal of repeated ones."""
    sizes = dict(zip(mine, shape))
    v = arrays.as_array(v)  # a dask array stays lazy
    summed = tuple(i for i, c in enumerate(kept) if sizes[c] == 1 and v.shape[i] != 1)
    if summed:
        v = np.sum(v, axis=summed, keepdims=True)
    unique = _unique(mine)
    full = tuple(sizes[c] for c in unique)
    v = np.broadcast_to(v.reshape([v.shape[kept.index(c)] if c in kept else 1
                                   for c in unique]), full)
    if len(unique) == len(mine):
        return v if arrays.foreign(v) else np.array(v)  # a dask array: immutable, no copy
    if arrays.foreign(v):
        raise arrays.NotLazy("the adjoint of an einsum with a repeated label (a diagonal)")
    out = np.zeros(shape, dtype=np.result_type(v, 1.0))
    index = []
    for c in mine:  # the entries whose repeated labels agree: one per entry of v
        position = unique.index(c)
        index.append(np.arange(sizes[c]).reshape(
            [-1 if k == position else 1 for k in range(len(unique))]))
    out[tuple(index)] = v
    return out


def _einsum_adjoint(subscripts, g, x, y, which):
    shape_x, shape_y = _shape(x), _shape(y)
    spec, kept, mine, shape, direct = _adjoint_plan(subscripts, which, shape_x, shape_y)
    other = y if which == 0 else x
    # Large products go through BLAS (np.einsum's optimize); small ones skip its planning.
    work = math.prod(_shape(g)) * math.prod(_shape(other))  # np.size would compute dask
    v = np.einsum(spec, g, other, optimize=work > _BLAS_WORK)
    if direct and np.shape(v) == shape:
        return v
    out = _place(v, kept, mine, shape)
    return out[()] if out.ndim == 0 else out


def einsum_adjoint_x(subscripts, g, x, y):
    """x-cotangent of ``np.einsum(subscripts, x, y)`` given the cotangent `g` of the result."""
    return _einsum_adjoint(subscripts, g, x, y, 0)


def einsum_adjoint_y(subscripts, g, x, y):
    """y-cotangent of ``np.einsum(subscripts, x, y)`` given the cotangent `g` of the result."""
    return _einsum_adjoint(subscripts, g, x, y, 1)


# ---- einsums of one or of three and more operands, as two-operand einsums -------------------


def _implicit_output(parts) -> str:
    counts: dict = {}
    for c in "".join(parts):
        counts[c] = counts.get(c, 0) + 1
    once = "".join(sorted(c for c, n in counts.items() if n == 1 and c != "."))
    return ("." if "." in "".join(parts) else "") + once


def einsum_pairs(subscripts: str, n: int) -> list:
    """A plan that computes ``np.einsum(subscripts, *operands)`` of `n` operands with
    two-operand einsums: a list of ``(subscripts, i, j)``, each step contracting the current
    operands i and j (j None: with the scalar 1.0) into one that takes the place of i.
    Greedy: each step takes the pair whose result keeps the fewest labels (shapes are not known
    when the plan is made, so labels stand for sizes); the last step gives the output.
    """
    text = subscripts.replace(" ", "").replace("...", ".")  # '.': the ellipsis as one label
    inputs, arrow, out = text.partition("->")
    operands = inputs.split(",")
    if len(operands) != n:
        raise ValueError(f"einsum: {subscripts!r} names {len(operands)} operands, got {n}")
    if not arrow:
        out = _implicit_output(operands)

    def spell(labels):
        return labels.replace(".", "...")

    if n == 1:
        return [(f"{spell(operands[0])},->{spell(out)}", 0, None)]
    steps = []
    while len(operands) > 2:
        best = None
        for i in range(len(operands)):
            for j in range(i + 1, len(operands)):
                rest = "".join(o for k, o in enumerate(operands) if k not in (i, j)) + out
                kept = "".join(c for c in _unique(operands[i] + operands[j]) if c in rest)
                kept = "." + kept.replace(".", "") if "." in kept else kept
                if best is None or len(kept) < len(best[0]):
                    best = (kept, i, j)
        kept, i, j = best
        steps.append((f"{spell(operands[i])},{spell(operands[j])}->{spell(kept)}", i, j))
        operands = [kept if k == i else o for k, o in enumerate(operands) if k != j]
    steps.append((f"{spell(operands[0])},{spell(operands[1])}->{spell(out)}", 0, 1))
    return steps


# ---- other products as einsums --------------------------------------------------------------


def _labels(n: int, start: int = 0) -> str:
    return _LETTERS[start:start + n]


@lru_cache(maxsize=256)
def _inner_subscripts(nx: int, ny: int) -> str:
    if nx == 0 or ny == 0:  # np.inner of a scalar is a product
        a, b = _labels(nx), _labels(ny, nx)
        return f"{a},{b}->{a}{b}"
    a, b, summed = _labels(nx - 1), _labels(ny - 1, nx - 1), _LETTERS[nx + ny - 2]
    return f"{a}{summed},{b}{summed}->{a}{b}"


def inner_subscripts(x, y) -> str:
    """The einsum of ``np.inner(x, y)``: a sum over the last axes of both."""
    return _inner_subscripts(np.ndim(x), np.ndim(y))


@lru_cache(maxsize=256)
def _tensordot_subscripts(nx: int, ny: int, axes) -> str:
    if isinstance(axes, int):
        ax_x, ax_y = tuple(range(nx - axes, nx)), tuple(range(axes))
    else:
        ax_x, ax_y = ((a,) if isinstance(a, int) else tuple(a) for a in axes)
    ax_x = tuple(a % nx for a in ax_x)
    ax_y = tuple(a % ny for a in ax_y)
    if len(ax_x) != len(ax_y):
        raise ValueError("tensordot: the two sequences of axes differ in length")
    a = list(_labels(nx))
    b = list(_labels(ny, nx))
    for i, j in zip(ax_x, ax_y):
        b[j] = a[i]
    out = [c for k, c in enumerate(a) if k not in ax_x] + [
        c for k, c in enumerate(b) if k not in ax_y]
    return f"{''.join(a)},{''.join(b)}->{''.join(out)}"


def _axes(a):
    """Axes as ints or tuples of ints (NumPy integers and lists included), to be hashed."""
    return int(a) if np.ndim(a) == 0 else tuple(int(i) for i in np.ravel(a))


def tensordot_subscripts(x, y, axes=2) -> str:
    """The einsum of ``np.tensordot(x, y, axes)``."""
    axes = _axes(axes) if np.ndim(axes) == 0 else tuple(_axes(a) for a in axes)
    return _tensordot_subscripts(np.ndim(x), np.ndim(y), axes)


@lru_cache(maxsize=256)
def _kron_plan(shape_x: tuple, shape_y: tuple):
    """np.kron(x, y) as an einsum whose result, reshaped, is the Kronecker product: the axes
    of x and y interleaved, without the size-1 axes of the operand of lower rank."""
    nx, ny = len(shape_x), len(shape_y)
    n = max(nx, ny)
    a, b = _labels(nx), _labels(ny, nx)
    out, shape = "", []
    for k in range(n):
        i, j = k - (n - nx), k - (n - ny)
        if i >= 0:
            out += a[i]
            shape.append(shape_x[i])
        if j >= 0:
            out += b[j]
            shape.append(shape_y[j])
    return f"{a},{b}->{out}", tuple(shape)


def kron_subscripts(x, y) -> str:
    """The einsum of ``np.kron(x, y)`` before its result is reshaped (see kron_shape)."""
    return _kron_plan(_shape(x), _shape(y))[0]


def kron_shape(x, y) -> tuple:
    """The shape of that einsum's result: the cotangent of np.kron(x, y) reshaped to it."""
    return _kron_plan(_shape(x), _shape(y))[1]


#: Name -> helper, merged into the namespace of generated code (runtime.HELPERS).
HELPERS: dict = {
    "einsum_adjoint_x": einsum_adjoint_x,
    "einsum_adjoint_y": einsum_adjoint_y,
    "inner_subscripts": inner_subscripts,
    "tensordot_subscripts": tensordot_subscripts,
    "kron_subscripts": kron_subscripts,
    "kron_shape": kron_shape,
}
