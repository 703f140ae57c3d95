"""Optimize: make generated code small and still readable.

Passes, repeated until nothing changes (no cap on rounds: every pass that reports a change
removes a statement or a tape slot, turns an operation into a copy, or turns an elementwise
operation into a shape stand-in, which no pass turns back, so the rounds end):

- copy coalescing: ``t9 = g * x2; x1_bar = t9`` becomes ``x1_bar = g * x2`` (keeps the
  meaningful name);
- copy propagation: reads of ``a`` after ``a = b`` read ``b`` (when both are assigned once);
- common-subexpression elimination of identical operations within a block;
- shape stand-ins: an elementwise result read only for its shape (an adjoint's ``like``)
  is replaced by the operands it came from (``transforms/shape_standins.py``);
- scatter-add fusion: ``t = scatter_like(g, i, x); x_bar = x_bar + t`` becomes one
  ``scatter_add`` (``transforms/scatter_add.py``): no array of zeros per row read;
- dead-code elimination by liveness, through branches and loops: operations whose results
  nobody reads vanish, which is how adjoints nobody asked for disappear;
- dead tape slots: a value a loop saves that its reverse sweep never reads once restored
  (a loop nest's outer tape holding the inner loop's values) is not saved
  (``transforms/tape_slots.py``).

Each pass rewrites the whole function in one sweep (coalescing keeps its use and assignment
counts up to date as it goes and renames once at the end; liveness runs once per round, and
once more in a program whose loops keep a tape, for its slots), so the number of rounds does
not grow with the length of the code. Passes build new statements
and lists; they never change a node of the IR they are given.

Pure primitives only are dropped or merged: an impure one (``prim.pure`` false: it may draw a
random number) stays, and so does ``new_list`` (each call makes a distinct list); stack pushes
and pops are kept (the two sweeps must stay paired).
"""

from __future__ import annotations

from ..ir import Function
from .copies import coalesce_copies, propagate_copies
from .cse import eliminate_common_subexpressions
from .dead_code import eliminate_dead_code
from .scatter_add import fuse_scatter_adds
from .shape_standins import stand_in_shapes
from .tape_slots import drop_dead_slots
from .usage import Counts

PASSES = (eliminate_common_subexpressions, stand_in_shapes, coalesce_copies, propagate_copies,
          fuse_scatter_adds, eliminate_dead_code, drop_dead_slots)


def optimize(fn: Function) -> Function:
    """`fn` with the passes run until none changes anything: a new function, or `fn` itself
    when there is nothing to do. `fn` and its statements are left as they are."""
    counts = Counts()
    while True:
        start = fn
        for run in PASSES:
            fn = run(fn, counts)
        if fn is start:
            return fn


__all__ = ["PASSES", "coalesce_copies", "eliminate_common_subexpressions", "eliminate_dead_code",
           "optimize", "propagate_copies"]
