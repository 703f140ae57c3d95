"""Reverse mode of a checkpointed loop: ``for i in s2sad.checkpoint(range(n), every=k)``.

A loop's reverse sweep needs, for every trip, the values that trip overwrote: an ordinary
loop pushes them on its tape, O(n) memory. A checkpointed loop saves only its state (the
variables it carries) at the start of every k-th trip, k = √n by default, and the forward
sweep runs the plain loop. The reverse sweep takes the stretches of k trips last first: it
restores a stretch's saved state, runs the stretch forward again with the ordinary tape, and
reverses it. Memory is O(n / k + k), O(√n); the forward work is done twice.

    _every = checkpoint_every(0, n, 1, None)          # forward sweep
    for i in range(n):
        if segment_begins(i, 0, 1, _every):
            _checkpoints.extend((s, ...))
        ...the body, no tape...
    for _segment in reversed(range(segment_count(0, n, 1, _every))):   # reverse sweep
        s, ... = the state popped from _checkpoints
        for i in range(segment_start(...), segment_stop(...)):
            ...the body, pushing its tape...
        for i in reversed(range(segment_start(...), segment_stop(...))):
            ...the reverse body, popping it...
"""

from __future__ import annotations

from ..errors import UnsupportedSyntaxError
from ..ir import Const, For, If, Op, Pop, Push, Var, assigned, map_block, reads
from ..rules import REGISTRY


def _bounds(loop: For) -> tuple:
    """(start, stop, step) atoms of a loop's range."""
    bounds = loop.bounds
    if len(bounds) == 1:
        return Const(0), bounds[0], Const(1)
    if len(bounds) == 2:
        return bounds[0], bounds[1], Const(1)
    return bounds


def _without_pushes(block: list) -> list:
    """`block` without its tape pushes (the plain forward sweep saves no trip's values)."""
    return map_block(block, lambda stmt: None if isinstance(stmt, Push) else stmt)


def refuse_unless_plain(loop: For, needs_trips: bool) -> None:
    """A checkpointed loop must be a plain loop over a range, run to its end."""
    if needs_trips or loop.orelse or loop.reverse or loop.limit is not None:
        raise UnsupportedSyntaxError(
            "s2sad.checkpoint needs a loop over a range that runs every trip (no break, "
            "return or else)", loop.loc,
            "move the early exit out of the loop, or drop s2sad.checkpoint")


def checkpointed(adj, loop: For, taped_body: list, reverse_body: list, carried: list) -> list:
    """The forward sweep of checkpointed `loop` (returned) and its reverse, appended to
    ``adj.out``. `taped_body` is the body that pushes its tape, `reverse_body` the reverse
    body that pops it, `carried` the names each trip reads from the one before."""
    names = adj.names
    start, stop, step = _bounds(loop)
    every, saved = names.derived("_every"), names.derived("_checkpoints")
    interval = Const(loop.checkpoint or None)
    adj.stacks.append(Op(saved, REGISTRY.by_name["new_list"], ()))
    begins = names.temp()
    save = [Op(begins, REGISTRY.by_name["segment_begins"], (Var(loop.target), start, step,
                                                             Var(every))),
            If(Var(begins), [Push(saved, tuple(Var(n) for n in carried))], [])]
    forward = [Op(every, REGISTRY.by_name["checkpoint_every"], (start, stop, step, interval)),
               loop.replace(body=save + _without_pushes(taped_body), checkpoint=None)]
    segment, count = names.derived("_segment"), names.temp()
    first, last = names.derived("_first"), names.derived("_last")
    stretch = (Var(first), Var(last), step)
    replay = [
        Pop(saved, tuple(carried)),
        Op(first, REGISTRY.by_name["segment_start"], (start, step, Var(every), Var(segment))),
        Op(last, REGISTRY.by_name["segment_stop"], (start, stop, step, Var(every),
                                                    Var(segment))),
        loop.replace(bounds=stretch, body=taped_body, checkpoint=None),
        loop.replace(bounds=stretch, body=reverse_body, reverse=True, checkpoint=None),
    ]
    adj.out.append(Op(count, REGISTRY.by_name["segment_count"], (start, stop, step,
                                                                 Var(every))))
    adj.out.append(For(segment, (Var(count),), replay, loop.loc, reverse=True))
    return forward


def carried_state(loop: For, local: set) -> list:
    """The names a trip of `loop` reads that an earlier trip (or the code before) set: the
    state a stretch restarts from."""
    written = assigned(loop.body)
    return sorted((written & reads(loop.body)) - local - {loop.target})
