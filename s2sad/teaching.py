"""Traces for teaching: the SSA trace of a function with the value of every intermediate and
of every adjoint at a point, printed like the lecture's forward and reverse tables.

The values come from running the generated (unoptimized) VJP code itself, instrumented to hand
back its local variables, so the numbers shown are exactly what the derivative code computes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Trace:
    """Forward values and adjoints of one evaluation of a function."""

    name: str
    forward: list = field(default_factory=list)  # (variable, expression, value)
    adjoints: list = field(default_factory=list)  # (variable, value), in reverse order
    inputs: list = field(default_factory=list)  # (parameter, value)

    def value(self, name: str):
        """The forward value of the SSA variable `name`."""
        for var, _, value in self.forward:
            if var == name:
                return value
        for var, value in self.inputs:
            if var == name:
                return value
        raise KeyError(name)

    def adjoint(self, name: str):
        """The adjoint of `name` (``name_bar`` in the generated code)."""
        for var, value in self.adjoints:
            if var == name:
                return value
        raise KeyError(name)

    def __str__(self) -> str:
        lines = [f"Forward evaluation trace of {self.name}"]
        width = max([len(f"{v} = {e}") for v, e, _ in self.forward] + [12])
        for var, value in self.inputs:
            lines.append(f"  {(var + ' (input)').ljust(width)}  = {_fmt(value)}")
        for var, expr, value in self.forward:
            lines.append(f"  {f'{var} = {expr}'.ljust(width)}  = {_fmt(value)}")
        lines.append("Reverse adjoint trace")
        for var, value in self.adjoints:
            lines.append(f"  {(var + '_bar').ljust(width)}  = {_fmt(value)}")
        return "\n".join(lines)


def _fmt(value) -> str:
    if np.ndim(value) == 0:
        return f"{float(value):.6g}" if np.isrealobj(value) else str(value)
    return np.array2string(np.asarray(value), precision=4, suppress_small=True)


def instrumented(source: str) -> str:
    """`source` (a generated function) changed to return its local variables as well."""
    lines = source.rstrip("\n").split("\n")
    last = lines[-1]
    indent = last[: len(last) - len(last.lstrip())]
    expression = last.strip()[len("return "):]
    lines[-1] = f"{indent}return locals(), {expression}"
    return "\n".join(lines) + "\n"


def build_trace(name: str, ssa_lines: list, params: list, args: tuple, local: dict,
                adjoint_names: dict) -> Trace:
    """Assemble a :class:`Trace` from SSA lines, the inputs and the VJP's local variables."""
    trace = Trace(name)
    trace.inputs = [(p, a) for p, a in zip(params, args)]
    for line in ssa_lines:
        var, _, expr = line.strip().partition(" = ")
        if var in local:
            trace.forward.append((var, expr, local[var]))
    ordered = [v for v, _, _ in reversed(trace.forward)] + list(reversed(params))
    for var in ordered:
        bar = adjoint_names.get(var)
        if bar is not None and bar in local:
            trace.adjoints.append((var, local[bar]))
    return trace
