"""Arrays of other libraries in generated code: which values they are, and the calls that keep
them lazy.

Generated code calls ``np.*``, and a library whose arrays implement NumPy's dispatch protocols
(``__array_function__``, ``__array_ufunc__``: dask) runs those calls itself, on its own arrays.
What it cannot run lazily is a conversion: ``np.asarray``, ``np.array``, ``float()``, a truth
test, or a NumPy function it does not implement (``np.size``, ``np.shares_memory``) makes a
dask array compute its whole graph and bring the result to the client. The helpers' NumPy fast
paths never meet such an array (they test ``type(x) is np.ndarray``); their general paths ask
:func:`foreign` first and take the calls below, which dask implements, instead.

The API decides which libraries are accepted (``s2sad/api/foreign.py``); the runtime only
needs the protocols.
"""

from __future__ import annotations

import numpy as np


class NotLazy(Exception):
    """Raised by a helper that has no lazy form for an array of another library (rather than
    computing it); the API reports it with the line of generated code that called it."""


def foreign(x) -> bool:
    """Whether `x` is an array of another library that NumPy's functions dispatch to: not a
    NumPy array or scalar, but a value with ``__array_function__``."""
    return not isinstance(x, (np.ndarray, np.generic)) and hasattr(
        type(x), "__array_function__")


def any_foreign(*xs) -> bool:
    """Whether one of `xs` is :func:`foreign`."""
    for x in xs:
        if foreign(x):
            return True
    return False


def as_array(x):
    """`x` as an array: a foreign array as it is (``np.asarray`` would compute it), anything
    else through ``np.asarray``."""
    return x if foreign(x) else np.asarray(x)


def floating_dtype(x) -> np.dtype:
    """The dtype of `x`'s adjoint: its own if floating (or complex), else float64. Read from
    ``x.dtype`` (``np.result_type(x, 1.0)`` of an array)."""
    return np.result_type(x.dtype, 1.0)


def as_floating(x):
    """`x` as an array of a floating dtype (its own if floating, else float64); a foreign
    array stays one, converted lazily."""
    if foreign(x):
        dtype = floating_dtype(x)
        return x if x.dtype == dtype else x.astype(dtype)
    return np.asarray(x, dtype=np.result_type(x, 1.0))


def full_like(like, v):
    """A lazy array shaped and chunked like the foreign array `like`, every entry `v`, in the
    floating dtype of `like` (the broadcast of a full reduction's cotangent)."""
    return np.full_like(like, v, dtype=floating_dtype(like))


def zeros_like(like):
    """A lazy floating zero array shaped and chunked like the foreign array `like`."""
    return np.zeros_like(like, dtype=floating_dtype(like))


def where_zero(out, zero):
    """`out` with 0 where it is NaN and `zero` holds (a strong zero: runtime/elementwise.py),
    lazily: the NaN test of the NumPy path would compute the whole array."""
    return np.where(np.isnan(out) & zero, 0.0, out)
