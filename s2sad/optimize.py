"""Optimize: make generated code small and still readable.

Passes, repeated until nothing changes:

- copy coalescing: ``t9 = g * x2; x1_bar = t9`` becomes ``x1_bar = g * x2`` (keeps the
  meaningful name);
- copy propagation: reads of ``a`` after ``a = b`` read ``b`` (when both are assigned once);
- common-subexpression elimination of identical operations within a block;
- dead-code elimination by liveness, through branches and loops: operations whose results
  nobody reads vanish, which is how adjoints nobody asked for disappear.

Every primitive is pure, so an unused result can always be dropped; stack pushes and pops are
kept (the two sweeps must stay paired).
"""

from __future__ import annotations

import functools
import re
from collections import Counter

from .ir import (
    Break,
    Comment,
    Const,
    Copy,
    For,
    Function,
    If,
    Op,
    Pop,
    Push,
    Return,
    Var,
    While,
    children,
    targets,
    walk,
)

_TEMP = re.compile(r"t\d+$")


def _statements(body, out=None) -> list:
    """Every statement in `body`, depth first, in program order: ``list(walk(body))``
    without a generator per statement (the passes read every statement of long code on
    each of their rounds)."""
    out = [] if out is None else out
    for stmt in body:
        out.append(stmt)
        if isinstance(stmt, (If, For, While)):
            for block in children(stmt):
                _statements(block, out)
    return out


def _assign_counts(fn: Function) -> Counter:
    counts = Counter(fn.params)
    for stmt in _statements(fn.body):
        for name in targets(stmt):
            counts[name] += 1
    return counts


def _use_counts(body) -> Counter:
    counts = Counter()
    for stmt in _statements(body):
        for atom in stmt.atoms():
            if isinstance(atom, Var):
                counts[atom.name] += 1
    return counts


def _blocks(body):
    """Every statement list in `body`, the body itself first."""
    yield body
    for stmt in body:
        for block in children(stmt):
            yield from _blocks(block)


def _substitute(stmt, mapping: dict):
    """`stmt` with variables replaced via `mapping`, nested blocks included."""

    def sub(atom):
        if isinstance(atom, Var) and atom.name in mapping:
            return mapping[atom.name]
        return atom

    def block(stmts):
        return [_substitute(s, mapping) for s in stmts]

    if isinstance(stmt, Op):
        return Op(stmt.target, stmt.prim, tuple(sub(a) for a in stmt.args),
                  tuple((k, sub(v)) for k, v in stmt.kwargs), stmt.loc)
    if isinstance(stmt, Copy):
        return Copy(stmt.target, sub(stmt.value), stmt.loc, stmt.carry)
    if isinstance(stmt, Return):
        return Return(tuple(sub(a) for a in stmt.values), stmt.is_tuple, stmt.loc)
    if isinstance(stmt, Push):
        return Push(stmt.stack, tuple(sub(v) for v in stmt.values))
    if isinstance(stmt, If):
        return If(sub(stmt.test), block(stmt.body), block(stmt.orelse), stmt.loc)
    if isinstance(stmt, For):
        limit = sub(stmt.limit) if stmt.limit is not None else None
        return For(stmt.target, tuple(sub(b) for b in stmt.bounds), block(stmt.body),
                   stmt.loc, stmt.reverse, limit)
    if isinstance(stmt, While):
        return While(block(stmt.test_body), sub(stmt.test), block(stmt.body), stmt.loc)
    return stmt


@functools.lru_cache(maxsize=1 << 16)  # asked again for the same names on every pass
def _rank(name: str) -> tuple:
    """How good a name is to keep: user names before versioned ones (x_1), temporaries last;
    adjoints and tangents rank as their primal."""
    base, version = name, 0
    while True:
        suffix = re.search(r"_(\d+)$", base)
        if suffix:
            version = max(version, int(suffix.group(1)))
            base = base[: suffix.start()]
        elif base.endswith(("_bar", "_dot")):
            base = base[:-4]
        else:
            break
    return (bool(_TEMP.match(name)), bool(_TEMP.match(base)), version, len(name))


def _rename(stmts, old: str, new: str) -> list:
    """`stmts` with every occurrence of the variable `old` (reads and writes) named `new`."""
    mapping = {old: Var(new)}
    out = []
    for stmt in stmts:
        stmt = _substitute(stmt, mapping)
        if isinstance(stmt, (Op, Copy)) and stmt.target == old:
            stmt.target = new
        elif isinstance(stmt, Pop):
            stmt.targets = tuple(new if t == old else t for t in stmt.targets)
        elif isinstance(stmt, Push) and stmt.stack == old:
            stmt.stack = new
        elif isinstance(stmt, For) and stmt.target == old:
            stmt.target = new
        for block in children(stmt):
            block[:] = _rename(block, old, new)
        if isinstance(stmt, Copy) and isinstance(stmt.value, Var) and (
            stmt.value.name == stmt.target
        ):
            continue  # x = x
        out.append(stmt)
    return out


def coalesce_copies(fn: Function) -> bool:
    """``b = expr; a = b`` with `b` read only there: one name instead of two.

    The better name is kept (see `_rank`): ``t9 = g * x2; x1_bar = t9`` becomes
    ``x1_bar = g * x2``, and ``s = 0.0; s_1 = s`` (before a loop) makes the loop use ``s``.
    """
    uses = _use_counts(fn.body)
    assigned = _assign_counts(fn)
    for body in _blocks(fn.body):
        for i, stmt in enumerate(body):
            if not (isinstance(stmt, Copy) and isinstance(stmt.value, Var)):
                continue
            a, b = stmt.target, stmt.value.name
            if a == b or uses[b] != 1 or a in fn.params:
                continue
            if b in fn.params:
                if assigned[b] != 1 or body is not fn.body or any(
                    a in _names_in(s) for s in body[:i]
                ):
                    continue
                if _rank(b) <= _rank(a):
                    fn.body = _rename(fn.body, a, b)
                    return True
                continue
            if assigned[b] != 1:
                continue
            for j in range(i - 1, -1, -1):
                prev = body[j]
                if getattr(prev, "target", None) == b and isinstance(prev, (Op, Copy)):
                    if _rank(b) <= _rank(a):
                        fn.body = _rename(fn.body, a, b)
                    elif isinstance(prev, Op):
                        body[j] = Op(a, prev.prim, prev.args, prev.kwargs, prev.loc)
                        del body[i]
                    else:
                        body[j] = Copy(a, prev.value, prev.loc, prev.carry)
                        del body[i]
                    return True
                if children(prev) or isinstance(prev, (Pop, Push, Break)) or (
                    a in _names_in(prev)
                ):
                    break
    return False


def _names_in(stmt) -> set:
    names = {a.name for s in walk([stmt]) for a in s.atoms() if isinstance(a, Var)}
    for s in walk([stmt]):
        names.update(targets(s))
    return names


def propagate_copies(fn: Function) -> bool:
    """Replace reads of ``a`` by ``b`` after ``a = b`` when both are single-assignment."""
    assigned = _assign_counts(fn)
    uses = _use_counts(fn.body)
    mapping: dict = {}
    for stmt in _statements(fn.body):
        if isinstance(stmt, Copy) and not stmt.carry and assigned[stmt.target] == 1 and (
            stmt.target not in fn.params
        ):
            value = stmt.value
            # A copy whose source is read only here is left to coalescing, which keeps the
            # better of the two names.
            if (isinstance(value, Var) and assigned[value.name] <= 1 and (
                    uses[value.name] > 1 or _rank(value.name) <= _rank(stmt.target))) or (
                isinstance(value, Const) and _TEMP.match(stmt.target)
            ):
                mapping[stmt.target] = value
    if not mapping:
        return False
    # Resolve chains a -> b -> c.
    for name in list(mapping):
        seen = {name}
        value = mapping[name]
        while isinstance(value, Var) and value.name in mapping and value.name not in seen:
            seen.add(value.name)
            value = mapping[value.name]
        mapping[name] = value

    def strip(stmts):
        out = []
        for stmt in stmts:
            if isinstance(stmt, Copy) and stmt.target in mapping and not stmt.carry:
                continue
            stmt = _substitute(stmt, mapping)
            for block in children(stmt):
                block[:] = strip(block)
            out.append(stmt)
        return out

    fn.body = strip(fn.body)
    return True


def _key(op: Op):
    return (op.prim.name, op.args, op.kwargs)


def eliminate_common_subexpressions(fn: Function) -> bool:
    """Reuse an earlier identical operation of the same block whose inputs are never
    reassigned."""
    assigned = _assign_counts(fn)
    changed = False
    for body in _blocks(fn.body):
        seen: dict = {}
        for i, stmt in enumerate(body):
            if not isinstance(stmt, Op) or assigned[stmt.target] != 1:
                continue
            if stmt.prim.name == "new_list" or not stmt.prim.pure:
                continue  # each call makes a distinct list, or may draw a new random number
            if any(isinstance(a, Var) and assigned[a.name] > 1 for a in stmt.atoms()):
                continue
            try:
                key = _key(stmt)
                hash(key)
            except TypeError:
                continue
            if key in seen:
                body[i] = Copy(stmt.target, Var(seen[key]), stmt.loc)
                changed = True
            else:
                seen[key] = stmt.target
    return changed


def _reads(stmt) -> set:
    return {a.name for a in stmt.atoms() if isinstance(a, Var)}


def _live_block(stmts, live_out: set, exit_live: set, prune: bool):
    """Liveness through `stmts`, backwards; drops dead assignments when `prune`.

    Returns (statements, live-in set). `exit_live` is what is live where a ``break`` goes.
    """
    live = set(live_out)
    out = []
    for stmt in reversed(stmts):
        if isinstance(stmt, (Op, Copy)):
            if stmt.target not in live and (isinstance(stmt, Copy) or stmt.prim.pure):
                if prune:
                    continue
            else:
                live.discard(stmt.target)
                live |= _reads(stmt)
        elif isinstance(stmt, Pop):
            live -= set(stmt.targets)
            live.add(stmt.stack)
        elif isinstance(stmt, Break):
            live = set(exit_live)
        elif isinstance(stmt, If):
            body, live_body = _live_block(stmt.body, live, exit_live, prune)
            orelse, live_else = _live_block(stmt.orelse, live, exit_live, prune)
            if prune:
                stmt = If(stmt.test, body, orelse, stmt.loc)
            live = live_body | live_else | _reads(stmt)
        elif isinstance(stmt, (For, While)):
            stmt, live = _live_loop(stmt, live, prune)
        else:  # Push, Return, Comment
            live |= _reads(stmt)
        out.append(stmt)
    return list(reversed(out)), live


def _live_loop(stmt, live_after: set, prune: bool):
    head = set(live_after)
    while True:
        if isinstance(stmt, For):
            _, body_in = _live_block(stmt.body, head, live_after, False)
            new_head = live_after | (body_in - {stmt.target}) | _reads(stmt)
        else:
            _, body_in = _live_block(stmt.body, head, live_after, False)
            _, test_in = _live_block(stmt.test_body, live_after | body_in | _reads(stmt),
                                     live_after, False)
            new_head = live_after | test_in
        if new_head <= head:
            break
        head |= new_head
    if prune:
        body, _ = _live_block(stmt.body, head, live_after, True)
        if isinstance(stmt, For):
            stmt = For(stmt.target, stmt.bounds, body, stmt.loc, stmt.reverse, stmt.limit)
        else:
            stmt = While(stmt.test_body, stmt.test, body, stmt.loc)
    return stmt, head


def eliminate_dead_code(fn: Function) -> bool:
    """Drop operations and copies whose result is never read, and empty branches/loops."""
    before = sum(1 for _ in walk(fn.body))
    body, _ = _live_block(fn.body, set(), set(), True)
    body = _drop_empty(body)
    # A comment heading an empty section goes too.
    body = [s for i, s in enumerate(body) if not (
        isinstance(s, Comment) and (i + 1 == len(body) or isinstance(body[i + 1],
                                                                     (Comment, Return))))]
    fn.body = body
    return sum(1 for _ in walk(fn.body)) != before


def _drop_empty(stmts) -> list:
    out = []
    for stmt in stmts:
        if isinstance(stmt, If):
            stmt = If(stmt.test, _drop_empty(stmt.body), _drop_empty(stmt.orelse), stmt.loc)
            if not stmt.body and not stmt.orelse:
                continue
        elif isinstance(stmt, For):
            stmt = For(stmt.target, stmt.bounds, _drop_empty(stmt.body), stmt.loc,
                       stmt.reverse, stmt.limit)
            if not stmt.body:
                continue
        elif isinstance(stmt, While):
            stmt = While(stmt.test_body, stmt.test, _drop_empty(stmt.body), stmt.loc)
        out.append(stmt)
    return out


def optimize(fn: Function) -> Function:
    """Run the passes to a fixed point; returns `fn`, rewritten in place."""
    for _ in range(20):
        changed = coalesce_copies(fn)
        changed |= propagate_copies(fn)
        changed |= eliminate_common_subexpressions(fn)
        changed |= eliminate_dead_code(fn)
        if not changed:
            break
    return fn
