"""A loop over a reversed or sliced range that may ``break``, as a loop over positions.

The reverse sweep replays a loop that may break over the first ``trips`` entries of its range,
backwards (``For.limit``). A loop that already walks its range backwards or through a slice
(``for i in reversed(range(n))``, ``for i in range(n)[:k]``) has no such prefix to replay, so
before reversing, it becomes a forward loop over the positions of its range, which reads its
index from the range itself::

    _range = range(n)                 for i in reversed(range(n)):
    _count = len(_range)                  ...
    _last = _count - 1
    for _position in range(_count):
        _from_end = _last - _position
        i = _range[_from_end]
        ...

The index is then a value of the iteration like any other (saved for the reverse sweep when
its reverse reads it), and the loop is replayed by the rule of every breaking range loop.
"""

from __future__ import annotations

from ..ir import Break, Const, For, If, Op, Var, children, walk, with_blocks
from ..rules import REGISTRY
from ..rules.registry import opaque

_RANGE = opaque("range", "opaque", range)


def _breaks(loop) -> bool:
    """Whether `loop` itself (not a loop nested in it) may ``break``."""
    return any(isinstance(s, Break) for s in walk(loop.body, enter=lambda s: isinstance(s, If)))


def indexed_breaking_loops(stmts: list, names) -> list:
    """`stmts` (nested blocks too) with each reversed or sliced range loop that may break
    written as a forward loop over the positions of its range; `stmts` itself if none."""
    if not any(isinstance(s, For) and (s.reverse or s.limit is not None) and _breaks(s)
               for s in walk(stmts)):
        return stmts
    out = []
    for stmt in stmts:
        if stmt.BLOCKS:
            stmt = with_blocks(stmt, [indexed_breaking_loops(b, names) for b in children(stmt)])
        if isinstance(stmt, For) and (stmt.reverse or stmt.limit is not None) and _breaks(stmt):
            out.extend(_indexed(stmt, names))
        else:
            out.append(stmt)
    return out


def _indexed(loop: For, names) -> list:
    """The statements that replace `loop`: its range built once, then the loop over its
    positions (see the module docstring)."""
    loc, by_name = loop.loc, REGISTRY.by_name
    sequence = names.derived("_range")
    before = [Op(sequence, _RANGE, tuple(loop.bounds), (), loc)]
    if loop.limit is not None:
        part = names.derived("_part")
        before.append(Op(part, by_name["slice"], (Const(None), loop.limit, Const(None)), (),
                         loc))
        sliced = names.derived("_range")
        before.append(Op(sliced, by_name["getitem"], (Var(sequence),), (("index", Var(part)),),
                         loc))
        sequence = sliced
    count = names.derived("_count")
    before.append(Op(count, by_name["len"], (Var(sequence),), (), loc))
    position = names.derived("_position")
    index = Var(position)
    head = []
    if loop.reverse:
        last = names.derived("_last")
        before.append(Op(last, by_name["sub"], (Var(count), Const(1)), (), loc))
        from_end = names.derived("_from_end")
        head.append(Op(from_end, by_name["sub"], (Var(last), Var(position)), (), loc))
        index = Var(from_end)
    head.append(Op(loop.target, by_name["getitem"], (Var(sequence),), (("index", index),), loc))
    return [*before, For(position, (Var(count),), head + loop.body, loc, orelse=loop.orelse)]
