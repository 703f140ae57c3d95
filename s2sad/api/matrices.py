"""Whole derivative matrices: ``jacobian`` (row by row in reverse mode, column by column in
forward mode) and ``hessian`` (forward mode over the gradient code). NumPy code unless
`backend` names another (``backend="numba"``: functions of floats, compiled with numba)."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import NonDifferentiableError, S2sadError, UnsupportedSyntaxError
from ..loading.loader import add_origin_note
from ..pytree import is_container
from ..values import matched, private_copy, separated
from .aliases import FIRST, chosen_wrt
from .bound import bound_target
from .build import backend_name, build, guarded, unwrap
from .diagnose import call_original, reraise_diagnosed
from .gradients import grad, refuse_containers
from .hints import P, Wrt
from .lazy import refuse_lazy


def jacobian(f: Callable[P, Any], wrt: Wrt = FIRST, mode: str = "auto", *,
             argnums: Wrt | None = None, argnum: Wrt | None = None,
             has_aux: bool = False, backend: str = "numpy") -> Callable[P, Any]:
    """The function computing the Jacobian of `f` with respect to `wrt`.

    The Jacobian of an output of shape ``S`` with respect to an input of shape ``T`` has shape
    ``S + T``. For a tuple `wrt` the result is a tuple over inputs; for a tuple output, a tuple
    over outputs (of tuples over inputs when both are tuples); an output that is a container
    (a dict, a nested tuple) is refused (vjp and jvp take those). ``mode="reverse"`` builds it row
    by row (one forward sweep, then one reverse sweep per output entry, in one generated call
    for loop-free code), ``mode="forward"`` column by column (one JVP per input
    entry), and ``"auto"`` picks whichever needs fewer passes. `wrt` (default 0) may also be
    spelled ``argnums`` or ``argnum``. With ``has_aux=True``, `f` returns ``(value, aux)``
    and the function returns ``(jacobian of value, aux)``. `backend` names the backend the
    passes are written for (default NumPy; ``"numba"`` for functions of floats returning a
    float or a tuple of floats, compiled with numba: the Jacobian's types are the NumPy
    backend's, floats for float inputs and outputs).
    """
    wrt = chosen_wrt("jacobian", wrt=wrt, argnums=argnums, argnum=argnum)
    if mode not in ("auto", "reverse", "forward"):
        raise S2sadError(f"unknown jacobian mode {mode!r}",
                         hint="use mode='reverse', 'forward' or 'auto'")
    backend = backend_name(backend)
    target = bound_target(f)
    if target is not None:
        return target.rebind(jacobian(target.function, target.names(wrt), mode,
                                      has_aux=has_aux, backend=backend))
    single_in = not isinstance(wrt, (tuple, list))
    if has_aux:
        refuse_containers(backend, "has_aux=True")
        return _jacobian_with_aux(f, wrt, mode, single_in)
    builds: dict = {"backend": backend}  # and "vjp" / "jvp": the build, when first needed

    def jac(*args, **kwargs):
        probe = _probe(builds, f, mode, wrt)
        values = guarded(lambda: probe.bind(args, kwargs))
        refuse_lazy(probe, values, "jacobian")
        inputs = [values[p] for p in probe.wrt_positions]
        out = call_original(probe, unwrap(f), probe.bind(args, kwargs, convert=False), values)
        outputs = _array_outputs(probe, out)
        chosen = _chosen(mode, inputs, outputs)
        batch = _batch_vjp(f, wrt) if chosen == "reverse" and not probe.tuple_out and (
            backend == "numpy") else None  # its seeds are an array: NumPy's code only
        if any(o.size == 0 for o in outputs) or any(np.size(x) == 0 for x in inputs):
            # An empty output (x[x > 0] with nothing positive) or input: an empty Jacobian.
            blocks = _zero_blocks(inputs, outputs)
        elif batch is not None:
            blocks = _batched_rows(batch.function, values, inputs, outputs[0])
        elif chosen == "reverse":
            run = _kept(builds, f, "vjp", wrt).function
            blocks = _rows(run, values, inputs, outputs)
        else:
            run = _kept(builds, f, "jvp", wrt).function
            blocks = _columns(run, values, inputs, outputs)
        result = _assembled(blocks, inputs, outputs, single_in, probe.tuple_out)
        return separated(result, args, kwargs, values)

    return jac


def _jacobian_with_aux(f, wrt, mode: str, single_in: bool):
    """jacobian(f, has_aux=True): the tangent (or, for mode="reverse", the VJP) program of
    ``(value, aux)`` whose aux is not differentiated, run per column (row) of value's."""
    def jac(*args, **kwargs):
        kind = "vjp" if mode == "reverse" else "jvp"
        built = build(f, kind, wrt, has_aux=True)
        values = guarded(lambda: built.bind(args, kwargs))
        refuse_lazy(built, values, "jacobian")
        inputs = [values[p] for p in built.wrt_positions]
        n_out = built.n_out
        n_value = n_out - built.loaded.meta.get("aux", 0)
        value, aux = unwrap(f)(*private_copy(values))
        several = isinstance(value, tuple)
        outputs = [np.asarray(o) for o in (value if several else (value,))]
        if len(outputs) != n_value or any(o.dtype == object for o in outputs):
            raise S2sadError("jacobian with has_aux=True needs the value to be an array or a "
                             "flat tuple of arrays", built.location(),
                             "return value, aux with value an array")
        generated = built.function

        def run(*arguments):
            try:
                result = generated(*arguments)
            except Exception as exc:
                add_origin_note(exc)
                raise
            derivatives = result[n_out:n_out + n_value] if kind == "jvp" else result[n_out:]
            return (*result[:n_value], *derivatives)

        blocks = (_rows if kind == "vjp" else _columns)(run, values, inputs, outputs)
        result = _assembled(blocks, inputs, outputs, single_in, several)
        return separated(result, args, kwargs, values), aux

    return jac


def _probe(builds: dict, f, mode: str, wrt):
    """The build a Jacobian call binds its arguments with and learns the outputs from (one
    the function keeps, else the one its mode needs). Another backend than NumPy's refuses a
    function returning containers (the NumPy backend's code flattens them)."""
    backend = builds["backend"]
    probe = builds.get("jvp") or builds.get("vjp") or build(
        f, "jvp" if mode == "forward" else "vjp", wrt, backend=backend)
    if backend != "numpy" and probe.loaded.meta.get("out_tree") is not None:
        refuse_containers(backend, "functions returning containers")
    return probe


def _array_outputs(probe, out) -> list:
    """The outputs of a Jacobian's function as arrays. A container among them (a dict, a
    nested tuple...) is refused: its Jacobian would need the container's structure, which
    the passes, built for arrays, do not keep."""
    outputs = out if probe.tuple_out else (out,)
    if probe.loaded.meta.get("out_tree") is not None or any(
            isinstance(o, (tuple, list, dict)) or is_container(o) for o in outputs):
        raise S2sadError(
            f"s2sad.jacobian of {probe.name} takes functions returning arrays, numbers or a "
            "flat tuple of them; this one returns a container (a dict, a list, a nested "
            "tuple, a dataclass...)", probe.location(),
            "return a tuple of arrays, or take the Jacobian of each output, or use s2sad.vjp "
            "and s2sad.jvp, which take containers")
    return [np.asarray(o) for o in outputs]


def _kept(builds: dict, f, kind: str, wrt):
    """The build of `kind` a Jacobian function keeps, made the first time it is needed."""
    if kind not in builds:
        builds[kind] = build(f, kind, wrt, backend=builds["backend"])
    return builds[kind]


def _chosen(mode: str, inputs, outputs) -> str:
    """The mode `mode` stands for: ``"auto"`` is the one with fewer passes."""
    if mode != "auto":
        return mode
    n_in = sum(np.size(x) for x in inputs)
    n_out = sum(o.size for o in outputs)
    return "forward" if n_in <= n_out else "reverse"


def _float_dtype(value):
    """`value`'s floating dtype, float64 for anything else (ints are differentiated as
    float64)."""
    dtype = getattr(value, "dtype", None)
    return dtype if dtype is not None and dtype.kind == "f" else np.dtype(np.float64)


def _one_hot(like, index):
    e = np.zeros(np.shape(like))
    e[index] = 1.0
    return e if np.ndim(like) else float(e)


def _batched_rows(run, values, inputs, output) -> list:
    """The blocks of a single output's Jacobian from the batched VJP: one forward sweep, the
    reverse sweep once per row (vectorised seeding)."""
    o = output
    seeds = np.eye(o.size, dtype=_float_dtype(o)).reshape((o.size, *o.shape))
    rows = run(*values, seeds)[1:]
    return [[np.asarray(rows[j], dtype=float).reshape(o.shape + np.shape(x))
             for j, x in enumerate(inputs)]]


def _rows(run, values, inputs, outputs) -> list:
    """``blocks[k][j]`` (output k by input j), one VJP per output entry."""
    blocks = []
    for k, o in enumerate(outputs):
        rows = [[] for _ in inputs]
        for index in np.ndindex(o.shape):
            seeds = [_one_hot(p, index) if i == k else np.zeros(p.shape) if p.ndim else 0.0
                     for i, p in enumerate(outputs)]
            grads = run(*values, *seeds)[len(outputs):]
            for j, g in enumerate(grads):
                rows[j].append(np.asarray(g, dtype=float))
        blocks.append([np.stack(rows[j]).reshape(o.shape + np.shape(x))
                       for j, x in enumerate(inputs)])
    return blocks


def _columns(run, values, inputs, outputs) -> list:
    """``blocks[k][j]`` (output k by input j), one JVP per input entry."""
    blocks = [[None] * len(inputs) for _ in outputs]
    for j, x in enumerate(inputs):
        columns = [[] for _ in outputs]
        for index in np.ndindex(np.shape(x)):
            dots = [_one_hot(y, index) if i == j else
                    (np.zeros(np.shape(y)) if np.ndim(y) else 0.0)
                    for i, y in enumerate(inputs)]
            tangents = run(*values, *dots)[len(outputs):]
            for k, t in enumerate(tangents):
                t = np.asarray(t, dtype=float)
                if t.shape != outputs[k].shape:  # a constant output's zero tangent
                    t = np.broadcast_to(t, outputs[k].shape)
                columns[k].append(t)
        for k, o in enumerate(outputs):
            stacked = np.stack(columns[k], axis=-1)
            blocks[k][j] = stacked.reshape(o.shape + np.shape(x))
    return blocks


def _assembled(blocks, inputs, outputs, single_in: bool, tuple_out: bool):
    """The Jacobian from its blocks: each in the wider of its output's and its input's
    floating dtypes, 0-d ones as scalars, nested in tuples as `wrt` and the output are."""
    blocks = [[matched(b, np.empty(0, np.result_type(_float_dtype(o), _float_dtype(x))))
               for b, x in zip(row, inputs)] for row, o in zip(blocks, outputs)]
    blocks = [[(float(b) if b.dtype == np.float64 else b[()]) if b.ndim == 0 else b
               for b in row] for row in blocks]
    per_output = [row[0] if single_in else tuple(row) for row in blocks]
    return per_output[0] if not tuple_out else tuple(per_output)


_unbatchable: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _batch_vjp(f, wrt):
    """The batched VJP of `f` (one forward sweep, many cotangents), or None for code that
    needs loop stacks (those are used up by one reverse sweep)."""
    fn = unwrap(f)
    key = (wrt if not isinstance(wrt, list) else tuple(wrt), getattr(fn, "__code__", None))
    try:
        if key in _unbatchable.get(fn, ()):
            return None
    except TypeError:
        pass
    try:
        return build(f, "vjp_batch", wrt)
    except UnsupportedSyntaxError:
        try:
            _unbatchable.setdefault(fn, set()).add(key)
        except TypeError:
            pass
        return None


def hessian(f: Callable[P, Any], wrt: Wrt = FIRST, *, argnums: Wrt | None = None,
            argnum: Wrt | None = None, backend: str = "numpy") -> Callable[P, Any]:
    """The function computing the Hessian of scalar `f`: forward mode over the gradient code.

    For an input of shape ``T`` the Hessian has shape ``T + T``. `wrt` (default 0) may also
    be spelled ``argnums`` or ``argnum``. `backend` names the backend both programs are
    written for (default NumPy; ``"numba"`` for scalar inputs, compiled with numba).
    """
    wrt = chosen_wrt("hessian", wrt=wrt, argnums=argnums, argnum=argnum)
    backend = backend_name(backend)
    target = bound_target(f)
    if target is not None:
        return target.rebind(hessian(target.function, target.names(wrt), backend=backend))
    gradient = grad(f, wrt, backend=backend)
    # The tangent program of the gradient program, without the gradient: each column of the
    # Hessian is one forward-over-reverse pass, the gradient itself computed once.
    tangents = build(gradient, "tangent", wrt, backend=backend)

    def hess(*args, **kwargs):
        """The Hessian of f at `args` with respect to `wrt`."""
        # Arguments checked against f itself, so errors point at f and not at its gradient.
        built = build(f, "grad", wrt, backend=backend)  # built already by grad(f, wrt)
        values = guarded(lambda: built.bind(args, kwargs))
        refuse_lazy(built, values, "hessian")
        try:
            return _hessian(built, tangents, isinstance(wrt, (tuple, list)), values, args,
                            kwargs)
        except (TypeError, IndexError, NonDifferentiableError) as err:
            reraise_diagnosed(built, unwrap(f), args, kwargs, values, err)
            raise

    return hess


def _zero_blocks(inputs, outputs) -> list:
    """The blocks of an empty Jacobian (an empty output, x[x > 0] with nothing positive, or
    input), each in the wider floating dtype of its output and input."""
    return [[np.zeros(o.shape + np.shape(x), dtype=np.result_type(
        _float_dtype(o), _float_dtype(x))) for x in inputs] for o in outputs]


def _hessian(built, tangents, several: bool, values, args, kwargs):
    """The Hessian's blocks, column by column of the tangent program `tangents` (the
    gradient program `built` gives the shapes of the blocks' rows)."""
    inputs = [values[p] for p in tangents.wrt_positions]
    grads = built.function(*values)  # a tuple for several wrt parameters only
    outputs = [np.asarray(g) for g in (grads if len(inputs) > 1 else (grads,))]
    if any(np.size(x) == 0 for x in inputs):
        blocks = _zero_blocks(inputs, outputs)
    else:
        run = tangents.function
        blocks = _columns(lambda *a: (*outputs, *run(*a)), values, inputs, outputs)
    result = _assembled(blocks, inputs, outputs, not several, several)
    return separated(result, args, kwargs, values)
