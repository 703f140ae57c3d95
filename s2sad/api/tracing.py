"""``trace``: the lecture's tables of a function at a point, every forward value and every
adjoint, computed by instrumented derivative code."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import NonDifferentiableError, S2sadError
from ..loading import loader
from ..transform import Generated
from ..values import is_float_like, is_integer_like, private_copy
from .bound import bound_target
from .build import build, guarded, unwrap
from .diagnose import call_original

if TYPE_CHECKING:  # teaching is imported when a trace is made, not with s2sad
    from ..teaching import Trace


def trace(f: Callable[..., Any], *args: Any, cotangent: Any = None) -> Trace:
    """The SSA trace of `f` at `args` with every forward value and every adjoint: print it to
    see the lecture's forward evaluation and reverse adjoint tables.

    For a non-scalar output give the `cotangent` to propagate (default: ones).
    """
    target = bound_target(f)
    if target is not None:
        return trace(target.function, *_bound_values(target, args), cotangent=cotangent)
    fn = unwrap(f)
    floats = tuple(i for i, a in enumerate(args) if is_float_like(a))
    numbers = tuple(i for i, a in enumerate(args) if is_float_like(a) or is_integer_like(a))
    if numbers != floats:  # an integer is differentiated unless it is a count or an index
        try:
            return _trace(fn, args, numbers, cotangent)
        except NonDifferentiableError:
            pass
    return _trace(fn, args, floats, cotangent)


def _trace(fn, args: tuple, wrt: tuple, cotangent) -> Trace:
    """The trace of `fn` at `args`, differentiated with respect to the positions `wrt`."""
    from ..teaching import build_trace, instrumented

    ssa = build(fn, "ssa", 0).loaded
    built = build(fn, "vjp", wrt, optimize=False)
    values = guarded(lambda: built.bind(args, {}))
    value = call_original(built, fn, built.bind(args, {}, convert=False), values)
    outputs = value if built.tuple_out else (value,)
    seeds = _seeds(built, outputs, cotangent)
    text = instrumented(built.loaded.source)
    generated = Generated(built.loaded.generated.name, text, built.loaded.meta)
    compiled = loader.compile_generated(generated, built.namespace, built.live)
    values = private_copy(values)  # the trace's tables must not hold the caller's arrays
    local, _ = compiled.function(*values, *private_copy(seeds))
    body = [line for line in ssa.source.splitlines()[1:] if line.startswith("    ")
            and not line.startswith("     ") and " = " in line]
    names = {v: f"{v}_bar" for v in local}
    return build_trace(built.name, body, built.params, values, local, names)


def _bound_values(target, args) -> list:
    """The function's arguments for a call of the bound callable; a bound argument must be
    numbers, since the tables print it."""
    values = target.positional(args)
    for name, value in zip(target.params, values):
        if name in target.bound and not (is_float_like(value) or is_integer_like(value)):
            raise S2sadError(
                f"trace prints every value of {target.name} as numbers, but the bound "
                f"argument {name!r} is a {type(value).__name__}", target.location(),
                "trace a function of numbers: pass the numbers it reads from "
                f"{name!r} as arguments")
    return values


def _seeds(built, outputs, cotangent) -> list:
    """The cotangents to propagate: `cotangent` checked, ones by default."""
    if cotangent is None:
        return [np.ones_like(o, dtype=float) if np.ndim(o) else 1.0 for o in outputs]
    given = list(cotangent) if built.tuple_out else [cotangent]
    if len(given) != len(outputs):
        raise S2sadError(f"trace expects {len(outputs)} cotangents, got {len(given)}",
                         built.location(), "pass one cotangent per output of the function")
    return [built.seed(g, o, "the cotangent") for g, o in zip(given, outputs)]
