"""What an expression can lower to besides an IR atom (`Var`, `Const`).

A lambda or nested def is not a value of the trace but a `LocalFunction`, inlined where it is
called; the tuple returned by an inlined call is a `Multiple` of atoms, so that each part stays
differentiable on its own.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class LocalFunction:
    """A lambda or nested def: not a value of the trace, it is inlined where it is called."""

    node: object
    owner: object  # the FunctionLowerer whose variables it closes over


class Multiple(tuple):
    """The atoms of a tuple value that has no IR variable of its own (``return a, b`` of an
    inlined call), so that ``u, v = g(x)`` keeps each part differentiable."""
