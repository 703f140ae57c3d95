"""``trace``: the lecture's tables of a function at a point (forward primal trace, forward
tangent trace, reverse adjoint trace), computed by instrumented generated code."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import S2sadError
from ..values import is_float_like, is_integer_like, private_copy
from .bound import bound_target
from .build import build, guarded, unwrap

if TYPE_CHECKING:  # teaching is imported when a trace is made, not with s2sad
    from ..teaching import Trace

FORMATS = ("text", "markdown", "json", "html")


def trace(f: Callable[..., Any], *args: Any, cotangent: Any = None, seed: str | int | None = None,
          digits: int = 3, max_iterations: int | None = None) -> Trace:
    """The lecture's tables of `f` at `args`: print the result to read them.

    Three tables, each from generated code run once and reporting every statement: the
    forward primal trace (every SSA variable, its operation and value, then the output), the
    forward tangent trace seeded with one input (every ``v_dot``; `seed` names it, by name or
    position; default: the first input differentiated) and the reverse adjoint trace (each
    update of an adjoint ``v_bar`` as a formula with its value, in the order the reverse sweep
    runs them). Rows computed in a loop carry the index of their iteration, a branch shows
    its condition and the arm taken, and an error raised while running (a division by zero,
    including NumPy's) ends the table at the row that raised it, with the message.

    Floats (and integers that are not used as counts or indices) are differentiated; an array
    input is seeded with ones. For a non-scalar output give the `cotangent` to propagate
    (default: ones). ``str()`` gives the text tables with `digits` decimals, each loop showing
    its first `max_iterations` iterations (None: all); ``render("markdown" | "html" | "json")``
    the other formats; in a notebook the trace displays as HTML tables.
    """
    if not isinstance(digits, int) or digits < 0:
        raise S2sadError(f"digits must be a whole number >= 0, got {digits!r}",
                         hint="digits is the number of decimals the tables print (3: 11.652)")
    if max_iterations is not None and (not isinstance(max_iterations, int) or max_iterations < 1):
        raise S2sadError(f"max_iterations must be a whole number >= 1, got {max_iterations!r}",
                         hint="max_iterations=K shows the first K iterations of each loop; "
                         "None shows them all")
    target = bound_target(f)
    if target is not None:
        return trace(target.function, *_bound_values(target, args), cotangent=cotangent,
                     seed=seed, digits=digits, max_iterations=max_iterations)
    return guarded(lambda: _trace(unwrap(f), args, cotangent, seed, digits, max_iterations))


def _trace(fn, args: tuple, cotangent, seed, digits: int, limit: int | None) -> Trace:
    from ..teaching import Trace
    from ..teaching.evaluate import (
        adjoint_table,
        assigned,
        instrumented,
        primal_table,
        tangent_table,
    )

    ssa = build(fn, "ssa", 0)
    values = private_copy(ssa.bind(args, {}, convert=False))  # the tables keep their own
    scalars = all(np.ndim(v) == 0 for v in values)
    result = Trace(ssa.name, list(zip(ssa.params, values)), digits=digits, max_iterations=limit)
    primal = instrumented(ssa)
    table, exc = primal_table(primal, values, scalars)
    result.tables.append(table)
    if exc is not None:
        result.error = f"{table.rows[-1].value} at {table.rows[-1].formula}"
        return result
    wrt = _wrt(ssa, values)
    if not wrt:
        return result
    names = set(assigned(primal.statements)) | set(ssa.params)
    position = _seed_position(ssa, seed, wrt)
    tangent = build(fn, "jvp", wrt, optimize=False)
    inputs = tangent.bind(values, {})
    dots = [_ones(inputs[p]) if p == position else _zeros(inputs[p]) for p in wrt]
    table, exc = tangent_table(instrumented(tangent), inputs, dots, ssa.params[position],
                               names, scalars)
    result.tables.append(table)
    if exc is None:
        output = result.output
        outputs = output if ssa.tuple_out else (output,)
        grad = cotangent is None and not ssa.tuple_out and np.ndim(output) == 0 and \
            is_float_like(output)
        adjoint = build(fn, "grad" if grad else "vjp", wrt, optimize=False)
        seeds = [] if grad else _seeds(adjoint, outputs, cotangent)
        table, exc = adjoint_table(instrumented(adjoint), adjoint.bind(values, {}),
                                   private_copy(seeds), scalars)
        result.tables.append(table)
    if exc is not None:
        result.error = f"{table.rows[-1].value} at {table.rows[-1].formula}"
    return result


def _wrt(ssa, values: list) -> tuple:
    """The positions to differentiate: the floats, and the integers unless one is a count or
    an index (the function fails when it is given as a float)."""
    floats = tuple(i for i, v in enumerate(values) if is_float_like(v))
    numbers = tuple(i for i, v in enumerate(values) if is_float_like(v) or is_integer_like(v))
    if numbers == floats:
        return floats
    converted = [np.asarray(v, dtype=float) if np.ndim(v) else float(v)
                 if i in numbers else v for i, v in enumerate(values)]
    try:
        with np.errstate(all="ignore"):
            ssa.function(*private_copy(converted))
    except (TypeError, IndexError):
        return floats
    return numbers


def _seed_position(ssa, seed, wrt: tuple) -> int:
    """The position of the input the tangent table is seeded with."""
    if seed is None:
        return wrt[0]
    position = ssa.params.index(seed) if seed in ssa.params else seed
    if not isinstance(position, int) or position not in wrt:
        names = ", ".join(ssa.params[p] for p in wrt)
        raise S2sadError(f"trace cannot seed the tangent table with {seed!r}",
                         ssa.location(), f"seed one of the inputs differentiated: {names}")
    return position


def _ones(value):
    return np.ones_like(value, dtype=float) if np.ndim(value) else 1.0


def _zeros(value):
    return np.zeros_like(value, dtype=float) if np.ndim(value) else 0.0


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
