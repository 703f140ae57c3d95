"""The values the public API accepts and returns.

What counts as a floating or an integer argument, and the two promises the API keeps about
the caller's arrays: the user's own function runs on private copies (an in-place update in it
changes nothing of the caller's), and no returned array shares memory with an input or with
another result.
"""

from __future__ import annotations

import copy

import numpy as np


def is_lazy_array(value) -> bool:
    """Whether `value` is a dask array: an array of another library that s2sad differentiates
    through (docs/backends.md). Generated code builds its task graph without computing it;
    the derivative is a dask array too, computed when the caller asks."""
    kind = type(value)
    return kind.__module__.startswith("dask.array") and hasattr(kind, "__dask_graph__") and (
        hasattr(kind, "__array_function__"))


def unsupported_array(value) -> bool:
    """Whether `value` is an array of another library that s2sad does not run: one that NumPy
    dispatches to (``__array_function__``: CuPy, sparse), that has its own array API
    (``__array_namespace__``: JAX), a tensor of a library known to need its own (PyTorch,
    TensorFlow), or a dask collection other than an array (a dask DataFrame). No test covers
    them, so the API refuses them (docs/backends.md)."""
    if isinstance(value, (np.ndarray, np.generic)) or is_lazy_array(value):
        return False
    kind = type(value)
    return hasattr(kind, "__array_function__") or hasattr(kind, "__array_namespace__") or (
        hasattr(kind, "__dask_graph__")) or (
        kind.__module__.partition(".")[0] in _OTHER_ARRAY_LIBRARIES)


_OTHER_ARRAY_LIBRARIES = frozenset(("jax", "jaxlib", "torch", "tensorflow", "cupy"))


def array_api_array(value) -> bool:
    """Whether `value` is an array the array API backend runs (``backend="array_api"``):
    one of another library with its own namespace (``__array_namespace__``: JAX, CuPy,
    array_api_strict), which ``array_api_compat`` finds. PyTorch and TensorFlow tensors are
    not: s2sad is not tested on them."""
    kind = type(value)
    return hasattr(kind, "__array_namespace__") and not isinstance(
        value, (np.ndarray, np.generic)) and kind.__module__.partition(".")[0] not in (
        "torch", "tensorflow")


def array_api_floating(value) -> bool:
    """Whether the array API array `value` has a real floating dtype (what is differentiated;
    array_api_compat is there: the array API backend has been built)."""
    xp = value.__array_namespace__()
    return xp.isdtype(value.dtype, "real floating")


def foreign_array_hint(value) -> str:
    """What to do with an array of another library that the NumPy backend does not run."""
    if array_api_array(value):
        return ('pass backend="array_api" to compute with its own library (pip install '
                '"s2sad[array-api]"; see docs/backends.md),\nor convert it with '
                "np.asarray(...)")
    return ("convert it with np.asarray(...) (s2sad runs NumPy arrays, and dask arrays "
            "lazily; see docs/backends.md)")


def is_complex(value) -> bool:
    """Whether `value` is a complex number or array (not differentiated yet)."""
    if isinstance(value, np.ndarray) or is_lazy_array(value):
        return value.dtype.kind == "c"
    return isinstance(value, (complex, np.complexfloating))


def dtype_of(value) -> str:
    """The words ' of <dtype>' for an array, for error messages; '' for anything else."""
    return f" of {value.dtype}" if isinstance(value, np.ndarray) else ""


def private_copy(value):
    """`value` with its arrays copied, through tuples, lists and dicts: what the user's own
    function is given, so that an in-place update in it cannot change the caller's arrays."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if type(value) in (float, int, bool, str) or value is None:
        return value
    if isinstance(value, tuple):
        items = [private_copy(v) for v in value]
        return type(value)._make(items) if hasattr(type(value), "_make") else (
            tuple(items) if type(value) is tuple else type(value)(items))
    if isinstance(value, list):
        out = copy.copy(value)
        out[:] = [private_copy(v) for v in value]
        return out
    if isinstance(value, dict):
        out = copy.copy(value)
        for k, v in value.items():
            out[k] = private_copy(v)
        return out
    return value


def arrays_in(value) -> list:
    """The arrays in `value`, through tuples, lists and dicts."""
    found, pending = [], [value]
    while pending:
        v = pending.pop()
        kind = type(v)
        if kind is float or kind is int or v is None:
            continue
        if kind is np.ndarray or isinstance(v, np.ndarray):
            found.append(v)
        elif kind is tuple or kind is list or isinstance(v, (tuple, list)):
            pending.extend(v)
        elif isinstance(v, dict):
            pending.extend(v.values())
    return found


def may_share(array, others) -> bool:
    """Whether `array` may share memory with one of `others`. An array that owns its memory
    (a result computed by s2sad) can only do so by being one of them."""
    if array.base is None:
        return any(array is other for other in others)
    return any(np.may_share_memory(array, other) for other in others)


def separated(results, *inputs):
    """`results` (a value or a tuple of them) with copies where an array could share memory
    with an array among `inputs` (the caller's arguments, cotangents, tangents) or with
    another result: writing into a returned array must change nothing else."""
    if isinstance(results, np.ndarray):
        return results.copy() if may_share(results, arrays_in(inputs)) else results
    if type(results) is not tuple:
        return results
    for r in results:
        if isinstance(r, (np.ndarray, tuple)):
            break
    else:
        return results  # numbers only
    seen = arrays_in(inputs)
    out = []
    for r in results:
        if isinstance(r, tuple):
            r = separated(r, *seen)
        elif isinstance(r, np.ndarray) and may_share(r, seen):
            r = r.copy()
        seen.extend(arrays_in(r))
        out.append(r)
    return tuple(out)


def is_float_like(value) -> bool:
    """Whether `value` is a floating number or array: differentiated as it is."""
    kind = type(value)
    if kind is float or kind is np.float64:
        return True
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, np.ndarray) or is_lazy_array(value):
        return value.dtype.kind in "fc"
    return isinstance(value, (float, complex, np.floating, np.complexfloating))


def float_like_for(value, backend) -> bool:
    """:func:`is_float_like`, and for the array API backend a floating array of another
    library too (a JAX array): what a call differentiates, given its backend's name."""
    return is_float_like(value) or backend == "array_api" and array_api_array(
        value) and array_api_floating(value)


def is_integer_like(value) -> bool:
    """Whether `value` is an integer or integer array (not a bool): promoted to float when it
    is differentiated."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, np.ndarray) or is_lazy_array(value):
        return value.dtype.kind in "iu"
    return isinstance(value, (int, np.integer))


def matched(result, like):
    """`result` in the floating dtype of `like` when that is not float64: a float32 argument
    gets a float32 gradient, a float32 output a float32 tangent (NumPy's promotion with a
    float64 constant inside the function would otherwise widen them)."""
    dtype = getattr(like, "dtype", None)
    if dtype is None or getattr(dtype, "type", None) is np.float64:
        return result  # (first: a NumPy array has __array_namespace__, slow to look up)
    if array_api_array(like) or array_api_array(result):
        return result  # an array of another library: the array API backend keeps its dtype
    if dtype.kind != "f":
        return result
    own = getattr(result, "dtype", None)
    if own is None:
        return dtype.type(result) if isinstance(result, float) else result
    if own == dtype or own.kind != "f":
        return result
    if isinstance(result, np.ndarray) or is_lazy_array(result):
        return result.astype(dtype)
    return dtype.type(result)


def matched_all(results, likes) -> tuple:
    """`matched` entry by entry, and real where the value it belongs to is real."""
    return tuple(matched(real_for(r, like), like) for r, like in zip(results, likes))


def real_for(result, like):
    """The real part of a complex `result` that is the derivative of (or for) a real `like`:
    complex values met inside the function (a complex argument held constant, a complex
    constant) must not make a real input's gradient complex."""
    kind = type(result)
    if kind is float or kind is np.float64:
        return result
    if kind is complex or (isinstance(result, (np.ndarray, np.generic)) or is_lazy_array(
            result)) and result.dtype.kind == "c":
        if not is_complex(like):
            return np.real(result) if kind is not complex else result.real
    return result
