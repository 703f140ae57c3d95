"""Tape slots nobody reads: a value saved for the reverse sweep that it never uses.

The reverse transformation saves, at the end of each loop iteration, every value its reverse
sweep may need (a Push), and restores them at the start of the reverse iteration (the Pop
that matches it). In a loop nest some of those are dead once restored: the outer loop saves
the inner loop's values as they were after its last iteration, and the inner loop's reverse
sweep restores its own copy of each before reading it. Such a slot costs a tape entry per
iteration for nothing. This pass finds, by liveness (``dead_code.live_after_pops``), the
targets of a Pop that nothing reads before they are assigned again, and removes those slots
from the Pop and from its Push.

Only a stack with exactly one Push and one Pop of the same length, read by nothing else, is
changed, so the two stay paired slot for slot.
"""

from __future__ import annotations

import dataclasses

from ..ir import Function, Pop, Push, Var
from ..ir.traverse import map_block, walk
from .dead_code import live_after_pops


def drop_dead_slots(fn: Function, counts=None) -> Function:
    """`fn` without tape slots whose restored value is dead; `fn` itself when none is.
    (`counts` is not needed; it is there so that every pass is called alike.)"""
    pushes: dict = {}
    pops: dict = {}
    other: set = set()  # stacks read by anything but their Push and Pop
    for stmt in walk(fn.body):
        if isinstance(stmt, Push):
            pushes.setdefault(stmt.stack, []).append(stmt)
        elif isinstance(stmt, Pop):
            pops.setdefault(stmt.stack, []).append(stmt)
        else:
            other.update(a.name for a in stmt.atoms() if type(a) is Var)
    pairs = {stack: (push[0], pops[stack][0]) for stack, push in pushes.items()
             if len(push) == 1 and len(pops.get(stack, ())) == 1 and stack not in other
             and len(push[0].values) == len(pops[stack][0].targets)}
    if not pairs:
        return fn
    live = live_after_pops(fn)
    keep: dict = {}  # stack -> the slots kept
    for stack, (_, pop) in pairs.items():
        slots = [i for i, target in enumerate(pop.targets) if target in live.get(id(pop), ())]
        if len(slots) < len(pop.targets):
            keep[stack] = slots
    if not keep:
        return fn

    def visit(stmt):
        slots = keep.get(getattr(stmt, "stack", None))
        if slots is None or not isinstance(stmt, (Push, Pop)):
            return stmt
        if not slots:
            return None  # nothing left to save: no push, no pop
        if isinstance(stmt, Push):
            return dataclasses.replace(stmt, values=tuple(stmt.values[i] for i in slots))
        return dataclasses.replace(stmt, targets=tuple(stmt.targets[i] for i in slots))

    return fn.replace(body=map_block(fn.body, visit))
