"""Arrays of other libraries at a call: dask arrays are differentiated lazily, the others are
refused.

A derivative called with dask arrays builds the derivative's task graph and returns dask
arrays: nothing is computed until the caller asks (``.compute()``), and then by whichever
scheduler the caller set up (a ``dask.distributed`` cluster included). The runtime helpers keep
the graph lazy (runtime/arrays.py); what cannot stay lazy is a value the code itself needs
now: a branch or a loop on a dask value, ``float()`` of one. Rather than computing the whole
graph on the client without a word (possibly more data than it holds), the call refuses
it: while the generated code runs, the dask scheduler of the calling thread raises
:class:`ComputeRefused`, which :func:`lazily` reports as an S2sadError naming the line.

Arrays of other libraries (CuPy, JAX, PyTorch) are refused: no test here covers them
(docs/backends.md).
"""

from __future__ import annotations

import linecache
import os
import threading

import numpy as np

from ..errors import S2sadError
from ..runtime.arrays import NotLazy
from ..values import array_api_array, foreign_array_hint, is_lazy_array, unsupported_array

#: Types whose values are never arrays of another library: a call holding only these is eager.
EAGER_TYPES = frozenset((float, int, np.float64, np.ndarray, bool, type(None), str))


def foreign_in(values) -> bool:
    """Whether `values` (a call's arguments, leaves) may hold an array of another library:
    a quick look at the types, for the general paths of calls."""
    for v in values:
        if type(v) not in EAGER_TYPES:
            return True
    return False


def lazy_arguments(built, values) -> bool:
    """Whether `values` hold a dask array; an array of a library s2sad does not run is
    refused."""
    lazy = False
    for position, v in enumerate(values):
        if type(v) in EAGER_TYPES:
            continue
        if is_lazy_array(v):
            lazy = True
            if any(n != n for n in v.shape):  # NaN: chunk sizes not known
                name = built.params[position] if position < len(built.params) else "an argument"
                raise S2sadError(
                    f"{built.name}: {name!r} is a dask array of unknown chunk sizes (shape "
                    f"{v.shape})", built.location(),
                    "call .compute_chunk_sizes() on it first (see docs/backends.md)")
        elif unsupported_array(v) and not (built.array_api and array_api_array(v)):
            kind = type(v)
            name = built.params[position] if position < len(built.params) else "an argument"
            raise S2sadError(
                f"{built.name}: {name!r} is an array of type {kind.__module__}."
                f"{kind.__qualname__}, which s2sad does not differentiate through",
                built.location(), foreign_array_hint(v))
    return lazy


def refuse_lazy(built, values, what: str) -> None:
    """Refuse a Jacobian or a Hessian of dask arrays (and arrays of other libraries): they
    are assembled row by row, on the client, from one pass per row."""
    if built.array_api and any(array_api_array(v) for v in values):
        raise S2sadError(
            f"s2sad.{what} of {built.name} with the array_api backend takes NumPy arrays: "
            "it assembles its matrix with NumPy, one derivative pass per row or column",
            built.location(), "use s2sad.grad, vjp or jvp, which return arrays of their "
            "own library, or pass np.asarray(...) of the arrays")
    if foreign_in(values) and lazy_arguments(built, values):
        raise S2sadError(
            f"s2sad.{what} of {built.name} does not take dask arrays: it assembles its "
            "matrix on the client, one derivative pass per row or column", built.location(),
            "compute the arrays first (x.compute()), or use s2sad.vjp, jvp or hvp, which "
            "stay lazy (see docs/backends.md)")


class LazyComputeError(S2sadError):
    """Generated code (or the function, run by vjp) needed the value of a dask array."""


class ComputeRefused(Exception):
    """Raised by the dask scheduler :func:`lazily` installs, when generated code would compute
    a dask array."""


# One guarded call at a time: dask's configuration is global, and two guarded calls on two
# threads must not restore each other's scheduler. A call only builds a task graph (no data
# is touched), so the wait is short.
_GUARD = threading.RLock()  # reentrant: a function may call a derivative itself


def lazily(built, call):
    """``call()``, which runs generated code on dask arrays, with every dask compute from this
    thread refused (other threads' computes go to the scheduler they would have used)."""
    import dask
    import dask.base
    import dask.threaded

    with _GUARD:
        previous = dask.base.get_scheduler()
        thread = threading.get_ident()

        def refuse(*args, **kwargs):
            if threading.get_ident() != thread:
                return (previous or dask.threaded.get)(*args, **kwargs)
            raise ComputeRefused

        try:
            with dask.config.set(scheduler=refuse):
                return call()
        except (ComputeRefused, NotLazy) as exc:
            raise _refused(built, exc) from None
        except (TypeError, ValueError, NotImplementedError) as exc:
            if not _raised_by_dask(exc):
                raise  # the user's error, or the function's: the API explains it as usual
            raise _refused(built, exc) from exc


def _raised_by_dask(exc) -> bool:
    """Whether `exc` was raised inside dask (a NumPy call dask implements differently)."""
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    return last is not None and f"{os.sep}dask{os.sep}" in last.tb_frame.f_code.co_filename


def _refused(built, exc) -> LazyComputeError:
    """The error of generated code (or of the function, run by vjp) that computed a dask
    array, naming the line that did."""
    user = getattr(getattr(built.fn, "__code__", None), "co_filename", None)
    where = ""
    tb = exc.__traceback__
    while tb is not None:  # the innermost frame of generated code or of the user's file
        code = tb.tb_frame.f_code
        if code.co_filename.startswith("<s2sad"):
            lines = built.loaded.source.splitlines()
            at = tb.tb_lineno - code.co_firstlineno  # the def is the source's first line
            if 0 <= at < len(lines):
                where = f" at `{lines[at].strip()}` (line {at + 1} of its derivative's code)"
        elif code.co_filename == user:
            text = linecache.getline(user, tb.tb_lineno).strip()
            where = f" at `{text}` (line {tb.tb_lineno} of {user})"
        tb = tb.tb_next
    if not isinstance(exc, (NotLazy, ComputeRefused)):
        return LazyComputeError(
            f"dask cannot run the derivative of {built.name}{where}: "
            f"{type(exc).__name__}: {exc}", built.location(),
            "compute the dask arrays first (x.compute()) and pass NumPy arrays, or write this\n"
            "step differently (see docs/backends.md)")
    if isinstance(exc, NotLazy):
        return LazyComputeError(
            f"the derivative of {built.name} has no lazy form for dask arrays{where}: {exc}",
            built.location(),
            "compute the dask arrays first (x.compute()) and pass NumPy arrays, or write this\n"
            "step without it (see docs/backends.md)")
    return LazyComputeError(
        f"the derivative of {built.name} would compute a dask array{where}: s2sad "
        "differentiates dask arrays lazily, and this needs their values now",
        built.location(),
        "a branch, a loop or float() on a dask value needs it computed: compute that value\n"
        "first and pass it as a number, or pass NumPy arrays (see docs/backends.md)")
