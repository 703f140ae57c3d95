"""One call of a gradient function: checking the arguments it was given, running its
program, explaining a failure the user can act on, and handing back results in the
arguments' dtypes that share no memory with them.

gradients.py makes the gradient functions; the functions here are what they run, on the
fast path (floats in: :func:`from_floats`) and on the general one (:func:`run`,
:func:`results`).
"""

from __future__ import annotations

import numpy as np

from ..loading.loader import add_origin_note
from ..runtime import NonScalarSeed
from ..values import array_api_array, is_integer_like, matched_all, separated
from .built import floats_only, leaves_only
from .diagnose import call_original, explain_failure
from .lazy import LazyComputeError, foreign_in, lazily, lazy_arguments

SCALAR_TYPES = (float, np.float64)
_F64 = np.dtype(np.float64)


def float_positions(built, with_value: bool) -> tuple | None:
    """The arguments that decide whether a call may skip the checks: the wrt ones (else
    they are converted) and, for a gradient program, those whose shapes make the output's
    (else it is checked to be a scalar). None: no fast path (a tuple output)."""
    if built.tuple_out or built.n_out != 1:
        return None
    shaping = () if with_value else built.scalar_positions or ()
    return tuple(sorted(set(built.wrt_positions) | set(shaping)))


def from_floats(built, result, args, single: bool, with_value: bool):
    """What the gradient function returns for `result`, what the program gave for `args`
    whose wrt and shape-making arguments are floats: as run and results make it, with
    nothing to convert or copy when the results are floats too."""
    if type(result) is tuple and (with_value or len(built.wrt_positions) > 1) and (
            floats_only(result)):  # (value, gradient), or the gradients: returned as they are
        return (result[0], result[1:]) if with_value and not single else result
    if not with_value:
        value, grads = None, result if len(built.wrt_positions) > 1 else (result,)
    else:
        value, grads = result[0], result[1:]
        if type(value) not in SCALAR_TYPES:
            built.check_scalar(value)  # a 0-d array passes
    if floats_only(grads) and (value is None or type(value) in SCALAR_TYPES):
        grads = grads[0] if single else grads
        return (value, grads) if with_value else grads
    return results(value, grads, args, args, built.wrt_positions, single, with_value)


def ready(args, positions) -> bool:
    """Whether a call given positionally needs no binding: every wrt argument floating."""
    for p in positions:
        a = args[p]
        kind = type(a)
        if kind is not float and kind is not np.float64 and not (
            kind is np.ndarray and a.dtype.kind == "f"
        ):
            return False
    return True


def integers_as_floats(built, fn, args, given, kwargs) -> None:
    """An integer given for a wrt parameter is differentiated as a float. The gradient
    program may not run the code that would fail on a float (an index, a range count):
    the function itself runs once to find such a use, so it is reported, not given a
    zero derivative."""
    raw = built.bind(given, kwargs, convert=False)
    if any(is_integer_like(raw[p]) for p in built.wrt_positions):
        call_original(built, fn, raw, args)


def _scalars(args, checks) -> bool:
    for p in checks:
        kind = type(args[p])
        if kind is not float and kind is not np.float64 and np.ndim(args[p]) != 0:
            return False
    return True


def run(built, fn, args, given, kwargs, with_value: bool):
    """The output's value (with_value; else None) and the gradients, as a tuple."""
    generated = built.function
    checks = built.scalar_positions
    if not with_value and (built.tuple_out or checks and not _scalars(args, checks)):
        built.check_scalar_arguments(args)
    try:
        if foreign_in(args) and lazy_arguments(built, args):  # dask arrays: a task graph
            result = lazily(built, lambda: generated(*args, 1.0) if with_value else generated(
                *args))
        else:
            result = generated(*args, 1.0) if with_value else generated(*args)
    except LazyComputeError:
        raise
    except Exception as exc:
        failed(built, fn, exc, args, given, kwargs, with_value)
        raise
    if not with_value:
        return None, result if len(built.wrt_positions) > 1 else (result,)
    n_out = built.n_out
    value = result[0]
    if built.tuple_out or n_out != 1 or (
            type(value) not in SCALAR_TYPES and np.ndim(value) != 0):
        built.check_scalar(result[:n_out] if built.tuple_out else value)
    return value, result[n_out:]


def failed(built, fn, exc, args, given, kwargs, with_value: bool) -> None:
    """Raise the error the user can act on for `exc`, raised by the generated code (if
    there is one; else the caller re-raises `exc`)."""
    if isinstance(exc, NonScalarSeed):
        built.not_scalar(exc.shape)
    explain_failure(built, fn, built.function, given, kwargs, args, exc, with_value)
    add_origin_note(exc)


def _narrow(args, positions) -> bool:
    """Whether a wrt argument is a floating array narrower than float64 (float32)."""
    for p in positions:
        a = args[p]
        if type(a) is not float and getattr(a, "dtype", _F64) is not _F64 and (
                not array_api_array(a)) and (  # another library's: the array API backend's
                getattr(a, "dtype", np.float64) != np.float64):  # `is`: the common case, fast
            return True
    return False


def _complex_in(grads) -> bool:
    for g in grads:
        kind = type(g)
        if kind is float or kind is np.ndarray and g.dtype is _F64 or array_api_array(g):
            continue  # (an array of another library is real: the array API backend's)
        if kind is complex or getattr(g, "dtype", None) is not None and g.dtype.kind == "c":
            return True
    return False


def results(value, grads, args, given, positions, single: bool, with_value: bool):
    """What the gradient function returns: the gradients (with the value), in the
    arguments' dtypes, sharing no memory with the arguments."""
    if _narrow(args, positions) or _complex_in(grads):
        grads = matched_all(grads, [args[p] for p in positions])
    inputs = args if args is given else (args, given)
    if single:
        grads = grads[0]
        if isinstance(grads, np.ndarray):  # it must not be (a view of) an argument
            grads = _unshared(grads, inputs) if args is given else separated(grads, inputs)
    else:
        grads = separated(grads, inputs)
    if with_value:
        if isinstance(value, np.ndarray):
            value = separated(value, inputs, grads)
        return value, grads
    return grads


def _unshared(array, args):
    """`array`, or a copy when it may share memory with an array among `args`: values.separated
    for one array, without its walk through containers when `args` holds none."""
    if not leaves_only(args):
        return separated(array, args)
    owns = array.base is None  # then it shares memory only by being an argument
    for a in args:
        if type(a) is np.ndarray and (
                a is array if owns else np.may_share_memory(array, a)):
            return array.copy()
    return array
