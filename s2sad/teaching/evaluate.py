"""Making a trace: the SSA program, the tangent program and the adjoint program of a function,
each run once instrumented (:mod:`.record`), their reports turned into table rows.

The numbers are those the generated code computes: the primal table comes from the SSA
program, the tangent table from the unoptimized forward-mode program and the adjoint table from
the unoptimized reverse-mode program, so every intermediate the lecture names is there.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..frontend.parse import closure_values
from ..loading import loader
from ..transform import Generated
from ..values import private_copy
from .formulas import formulas
from .record import RECORDER, Recorder, Statement, instrument
from .trace import Row, Table


@dataclass
class Program:
    """A built program (an :class:`s2sad.api.built.Built`) instrumented, ready to run."""

    built: object
    statements: dict
    function: Callable
    recorder: Recorder


def instrumented(built) -> Program:
    """`built`'s generated function, compiled again with the recorder's calls in it."""
    text, statements = instrument(built.loaded.source)
    recorder = Recorder()
    generated = Generated(built.loaded.generated.name, text, built.loaded.meta)
    namespace = {**built.namespace, RECORDER: recorder}
    # The derivatives of recursive callees, linked into the build after it was compiled: the
    # instrumented copy calls the same ones (a recursive call is one row, its value).
    original = built.loaded.function
    links = {name: value for name, value in closure_values(original).items()
             if name not in namespace}
    compiled = loader.compile_generated(generated, namespace, built.live, links=tuple(links))
    for name, value in links.items():
        compiled.link(name, value)
    return Program(built, statements, compiled.function, recorder)


def run(program: Program, args: list, raise_floating: bool = False):
    """Run `program` on `args`: (its result, None) or (None, the error it raised).
    `raise_floating` makes a floating-point division by zero or invalid operation an error
    (NumPy would give inf or NaN with a warning), so the primal table stops where it happens."""
    program.recorder.finals.update(zip(program.built.params, private_copy(args)))
    try:
        if raise_floating:
            with np.errstate(divide="raise", invalid="raise"):
                return program.function(*private_copy(args)), None
        return program.function(*private_copy(args)), None
    except Exception as exc:  # noqa: BLE001 - shown as the row that raised, not a traceback
        return None, exc


def assigned(statements: dict, reverse: bool | None = None) -> set:
    """The names the statements (those of one sweep, if `reverse` is given) write."""
    return {name for s in statements.values() if reverse is None or s.reverse == reverse
            for name in s.targets}


def rows(program: Program, shown: Callable[[Statement], bool],
         is_temporary: Callable[[str], bool], scalars: bool) -> list:
    """The rows of what `program`'s run reported: the statements `shown` picks (temporaries
    written into the statement that uses them), each branch taken, each iteration tagged."""
    printed, hidden = formulas(program.statements, is_temporary, scalars)
    recorder = program.recorder
    out = []
    for event in recorder.events:
        statement = program.statements[event.statement]
        if event.kind == "out" or event.statement in hidden or not shown(statement):
            continue
        iteration, loops = _iteration(program, event.iteration)
        if event.kind == "branch":
            out.append(Row("branch", "", statement.text, event.value, iteration, loop=loops))
            continue
        formula = printed.get(event.statement)
        if formula is None:  # an augmented assignment: printed as it is
            out.append(Row("assign", statement.text, "", event.value, iteration, loop=loops))
        elif formula != ", ".join(statement.targets):  # x_bar = x_bar says nothing
            target = ast.unparse(statement.node.targets[-1])
            out.append(Row("assign", target, formula, event.value, iteration, loop=loops))
    return out


def _iteration(program: Program, raw: tuple) -> tuple[tuple, tuple]:
    """The iteration indices and loop ids of an event. A loop of the reverse sweep undoes the
    forward loop's iterations last first: its indices count down, so that the reverse sweep
    of iteration 2 is tagged 2, as the forward iteration it belongs to."""
    indices = []
    for depth, (loop, index) in enumerate(raw):
        trips = program.recorder.counts.get((raw[:depth], loop))
        if program.statements[loop].reverse and trips is not None:
            index = trips - 1 - index
        indices.append(index)
    return tuple(indices), tuple(loop for loop, _ in raw)


def error_row(program: Program, exc: Exception, scalars: bool) -> Row:
    """The row of the statement that raised `exc`."""
    printed, _ = formulas(program.statements, lambda name: False, scalars)
    current = program.recorder.current
    statement = program.statements.get(current)
    if statement is None:
        text = "(before the first statement)"
    elif current in printed:
        text = f"{ast.unparse(statement.node.targets[-1])} = {printed[current]}"
    else:
        text = statement.text if statement.kind != "return" else f"return {statement.text}"
    iteration, loops = _iteration(program, program.recorder.iteration())
    return Row("error", "", text, f"{type(exc).__name__}: {exc}", iteration, loop=loops)


def output_row(program: Program, label: str, part: slice | None, n_out: int) -> Row | None:
    """The row of the value returned (`part` of it: the tangents of a forward-mode result)."""
    for event in reversed(program.recorder.events):  # the call traced returns last
        if event.kind != "out":
            continue
        statement = program.statements[event.statement]
        text, value = statement.text, event.value
        if part is not None:
            node = ast.parse(text, mode="eval").body
            parts = node.elts[part] if isinstance(node, ast.Tuple) else [node]
            text = ", ".join(ast.unparse(p) for p in parts)
            value = value[part]
            if n_out == 1:
                value = value[0]
        iteration, loops = _iteration(program, event.iteration)
        return Row("output", label, text, value, iteration, note="output", loop=loops)
    return None


def primal_table(program: Program, values: list, scalars: bool) -> tuple[Table, Exception]:
    """The forward primal trace: inputs, every SSA statement run, the output."""
    result, exc = run(program, values, raise_floating=True)
    table = Table("primal", f"Forward primal trace of {program.built.name}")
    table.rows = [Row("input", p, "", v, note="input")
                  for p, v in zip(program.built.params, values)]
    table.rows += rows(program, lambda s: s.kind in ("assign", "branch"), lambda n: False,
                       scalars)
    if exc is not None:
        table.rows.append(error_row(program, exc, scalars))
    else:
        names = assigned(program.statements) | set(program.built.params)
        label = "y" if "y" not in names else "output"
        table.rows.append(output_row(program, label, None, program.built.n_out))
    table.finals = program.recorder.finals
    return table, exc


def tangent_table(program: Program, values: list, dots: list, seed: str, primal: set,
                  scalars: bool) -> tuple[Table, Exception]:
    """The forward tangent trace of the tangent program `program`, seeded with `dots`."""
    _, exc = run(program, values + dots)
    built = program.built
    table = Table("tangent", f"Forward tangent trace of {built.name}, seeded with {seed}_dot")
    names = [built.params[p] for p in built.wrt_positions]
    table.rows = [Row("input", f"{n}_dot", "", d, note="seed" if n == seed else "")
                  for n, d in zip(names, dots)]
    table.rows += rows(
        program,
        lambda s: s.kind == "branch" or (s.kind == "assign" and not set(s.targets) <= primal),
        lambda name: name not in primal and not name.endswith("_dot"), scalars)
    if exc is not None:
        table.rows.append(error_row(program, exc, scalars))
    else:
        label = "y_dot" if "y" not in primal else "output_dot"
        row = output_row(program, label, slice(built.n_out, None), built.n_out)
        table.rows.append(row)
    table.finals = program.recorder.finals
    return table, exc


def adjoint_table(program: Program, values: list, cotangents: list,
                  scalars: bool) -> tuple[Table, Exception]:
    """The reverse adjoint trace: the reverse sweep of the adjoint program, row by row."""
    _, exc = run(program, values + cotangents)
    built = program.built
    table = Table("adjoint", f"Reverse adjoint trace of {built.name}")
    names = inspect_params(program)[len(values):]
    table.rows = [Row("input", n, "", c, note="cotangent") for n, c in zip(names, cotangents)]
    forward = assigned(program.statements, reverse=False) | set(built.params)
    table.rows += rows(
        program, lambda s: s.reverse and s.kind in ("assign", "branch"),
        lambda name: name not in forward and not name.endswith("_bar"), scalars)
    if exc is not None:
        table.rows.append(error_row(program, exc, scalars))
    table.finals = program.recorder.finals
    return table, exc


def inspect_params(program: Program) -> list:
    """The parameter names of the generated function (cotangents follow the inputs)."""
    return list(program.function.__code__.co_varnames[:program.function.__code__.co_argcount])

