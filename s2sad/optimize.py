"""Optimize: make generated code small and still readable.

Passes, repeated until nothing changes:

- copy coalescing: ``t9 = g * x2; x1_bar = t9`` becomes ``x1_bar = g * x2`` (keeps the
  meaningful name);
- copy propagation: uses of ``a`` after ``a = b`` read ``b`` (when both are assigned once);
- common-subexpression elimination of identical pure operations;
- dead-code elimination: operations whose results nobody reads vanish, which is how adjoints
  nobody asked for disappear.

Every primitive is pure, so an unused result can always be dropped. Only the top-level
straight-line statements are rewritten; compound statements are kept whole.
"""

from __future__ import annotations

import re
from collections import Counter

from .ir import Comment, Const, Copy, Function, Op, Return, Var, children, walk

_TEMP = re.compile(r"t\d+$")


def _assign_counts(fn: Function) -> Counter:
    counts = Counter(fn.params)
    for stmt in walk(fn.body):
        target = getattr(stmt, "target", None)
        if isinstance(target, str):
            counts[target] += 1
    return counts


def _use_counts(body) -> Counter:
    counts = Counter()
    for stmt in walk(body):
        for atom in stmt.atoms():
            if isinstance(atom, Var):
                counts[atom.name] += 1
    return counts


def _rename_uses(stmt, mapping: dict):
    """A copy of `stmt` (top level, not compound) with variables replaced via `mapping`."""

    def sub(atom):
        if isinstance(atom, Var) and atom.name in mapping:
            return mapping[atom.name]
        return atom

    if isinstance(stmt, Op):
        return Op(stmt.target, stmt.prim, tuple(sub(a) for a in stmt.args),
                  tuple((k, sub(v)) for k, v in stmt.kwargs), stmt.loc)
    if isinstance(stmt, Copy):
        return Copy(stmt.target, sub(stmt.value), stmt.loc)
    if isinstance(stmt, Return):
        return Return(tuple(sub(a) for a in stmt.values), stmt.is_tuple, stmt.loc)
    return stmt


def _is_compound(stmt) -> bool:
    return bool(children(stmt))


def coalesce_copies(fn: Function) -> bool:
    """``t = expr; a = t`` -> ``a = expr`` when `t` is a temporary read only there."""
    uses = _use_counts(fn.body)
    assigned = _assign_counts(fn)
    body = fn.body
    changed = False
    for i, stmt in enumerate(body):
        if not (isinstance(stmt, Copy) and isinstance(stmt.value, Var)):
            continue
        t = stmt.value.name
        if uses[t] != 1 or assigned[t] != 1 or t in fn.params:
            continue
        for j in range(i - 1, -1, -1):
            prev = body[j]
            if prev is None:  # a copy coalesced earlier in this pass
                continue
            if _is_compound(prev):
                break
            if getattr(prev, "target", None) == t:
                if isinstance(prev, (Op, Copy)):
                    if isinstance(prev, Op):
                        body[j] = Op(stmt.target, prev.prim, prev.args, prev.kwargs, prev.loc)
                    else:
                        body[j] = Copy(stmt.target, prev.value, prev.loc)
                    body[i] = None
                    changed = True
                break
            # `a` must not be read or written between the definition of t and the copy.
            if getattr(prev, "target", None) == stmt.target or any(
                isinstance(a, Var) and a.name == stmt.target for a in prev.atoms()
            ):
                break
    fn.body = [s for s in body if s is not None]
    return changed


def propagate_copies(fn: Function) -> bool:
    """Replace reads of ``a`` by ``b`` after ``a = b`` when both are single-assignment."""
    assigned = _assign_counts(fn)
    mapping: dict = {}
    kept = []
    changed = False
    for stmt in fn.body:
        stmt = _rename_uses(stmt, mapping)
        if isinstance(stmt, Copy) and assigned[stmt.target] == 1 and stmt.target not in fn.params:
            value = stmt.value
            ok = (isinstance(value, Var) and assigned[value.name] <= 1) or (
                isinstance(value, Const) and _TEMP.match(stmt.target)
            )
            if ok:
                mapping[stmt.target] = value
                changed = True
                continue
        if _is_compound(stmt) and mapping:
            # Names used inside nested blocks are not rewritten: keep the copies they read.
            inner = {a.name for s in walk([stmt]) for a in s.atoms() if isinstance(a, Var)}
            for name in sorted(inner & set(mapping)):
                kept.append(Copy(name, mapping.pop(name)))
        kept.append(stmt)
    fn.body = kept
    return changed


def _key(op: Op):
    return (op.prim.name, op.args, op.kwargs)


def eliminate_common_subexpressions(fn: Function) -> bool:
    """Reuse an earlier identical operation whose inputs and result are never reassigned."""
    assigned = _assign_counts(fn)
    seen: dict = {}
    changed = False
    for i, stmt in enumerate(fn.body):
        if not isinstance(stmt, Op) or assigned[stmt.target] != 1:
            continue
        if any(isinstance(a, Var) and assigned[a.name] > 1 for a in stmt.atoms()):
            continue
        try:
            key = _key(stmt)
            hash(key)
        except TypeError:
            continue
        if key in seen:
            fn.body[i] = Copy(stmt.target, Var(seen[key]), stmt.loc)
            changed = True
        else:
            seen[key] = stmt.target
    return changed


def _reads(stmt) -> set:
    return {a.name for s in walk([stmt]) for a in s.atoms() if isinstance(a, Var)}


def eliminate_dead_code(fn: Function) -> bool:
    """Drop operations and copies whose result is never read."""
    live: set = set()
    kept = []
    changed = False
    for stmt in reversed(fn.body):
        if isinstance(stmt, (Op, Copy)):
            if stmt.target not in live:
                changed = True
                continue
            live.discard(stmt.target)
            live |= _reads(stmt)
        else:
            live |= _reads(stmt)
        kept.append(stmt)
    body = list(reversed(kept))
    # A comment heading an empty section goes too.
    cleaned = [s for i, s in enumerate(body) if not (
        isinstance(s, Comment) and (i + 1 == len(body) or isinstance(body[i + 1], (Comment,
                                                                                   Return))))]
    changed |= len(cleaned) != len(body)
    fn.body = cleaned
    return changed


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
