"""The one generic traversal of the IR, and the analyses built on it.

Statements declare their fields' roles (``Stmt.SPEC`` in ``nodes``); everything here reads the
roles, so a new statement is walked, renamed and analysed like the others.
"""

from __future__ import annotations

import dataclasses

from .nodes import Break, Const, Copy, For, If, Op, Var, While


def children(stmt) -> list:
    """The nested statement lists of a statement (none for a simple one)."""
    return [getattr(stmt, name) for name in stmt.BLOCKS]


def with_blocks(stmt, blocks):
    """`stmt` with its nested statement lists replaced by `blocks` (in `children` order)."""
    return dataclasses.replace(stmt, **dict(zip(stmt.BLOCKS, blocks)))


def walk(body, enter=None):
    """Every statement in `body`, depth first, in program order; the blocks of a compound
    statement only if ``enter(stmt)`` is true (default: all of them)."""
    stack = [iter(body)]
    while stack:
        for stmt in stack[-1]:
            yield stmt
            if stmt.BLOCKS and (enter is None or enter(stmt)):
                stack.extend(iter(b) for b in reversed(children(stmt)))
            break
        else:
            stack.pop()


def map_block(stmts: list, visit) -> list:
    """`stmts` with every statement replaced by ``visit(stmt)`` (dropped when it gives None),
    nested blocks first. Gives `stmts` itself when nothing changed."""
    out = []
    changed = False
    for stmt in stmts:
        new = stmt
        if stmt.BLOCKS:
            old = children(stmt)
            blocks = [map_block(block, visit) for block in old]
            if any(b is not o for b, o in zip(blocks, old)):
                new = with_blocks(stmt, blocks)
        new = visit(new)
        if new is not stmt:
            changed = True
        if new is not None:
            out.append(new)
    return out if changed else stmts


def rewrite(stmt, atom=None, name=None, ref=None):
    """`stmt` (not its nested blocks) with every atom it reads passed through ``atom(a)``,
    every name it assigns through ``name(n)`` and every ref through ``ref(n)`` (default:
    `name`); `stmt` itself if nothing changes."""
    ref = ref or name
    changes = {}
    for fld, role in stmt.SPEC:
        value = getattr(stmt, fld)
        if atom is not None and role in ("atom", "atoms", "kwatoms"):
            if role == "atom":
                new = value if value is None else atom(value)
            elif role == "atoms":
                new = tuple(atom(a) for a in value)
            else:
                new = tuple((k, atom(a)) for k, a in value)
        elif ref is not None and role == "ref":
            new = ref(value)
        elif name is not None and role == "target":
            new = name(value)
        elif name is not None and role == "targets":
            new = tuple(name(t) for t in value)
        else:
            continue
        if new != value:
            changes[fld] = new
    return dataclasses.replace(stmt, **changes) if changes else stmt


def map_names(stmts, rename) -> list:
    """`stmts` with every variable name, read or assigned, replaced by ``rename(name)`` (new
    statements; nested blocks included; comments kept)."""

    def atom(a):
        return Var(rename(a.name)) if isinstance(a, Var) else a

    return map_block(stmts, lambda stmt: rewrite(stmt, atom, rename))


def substitute(stmts, mapping: dict) -> list:
    """`stmts` with the reads of each name in `mapping` replaced by its atom."""

    def atom(a):
        return mapping.get(a.name, a) if isinstance(a, Var) else a

    return map_block(stmts, lambda stmt: rewrite(stmt, atom))


def targets(stmt) -> tuple:
    """Names a statement assigns directly (not inside nested blocks)."""
    if type(stmt) is Op or type(stmt) is Copy:
        return (stmt.target,)
    names = ()
    for fld, role in stmt.SPEC:
        if role == "target":
            names += (getattr(stmt, fld),)
        elif role == "targets":
            names += tuple(getattr(stmt, fld))
    return names


def assigned(body) -> set:
    """Every name assigned anywhere in `body`, nested blocks included."""
    return {name for stmt in walk(body) for name in targets(stmt)}


def definitely_assigned(block) -> set:
    """Names every path through `block` assigns (not counting what a loop body may)."""
    names = set()
    for stmt in block:
        if isinstance(stmt, If):
            names |= definitely_assigned(stmt.body) & definitely_assigned(stmt.orelse)
        elif not isinstance(stmt, While):
            names.update(targets(stmt))
    return names


def reads(body) -> set:
    """Every name read anywhere in `body`, nested blocks included."""
    return {a.name for stmt in walk(body) for a in stmt.atoms() if isinstance(a, Var)}


def last_breaking_if(block: list):
    """Index of the last ``if`` of `block` with a ``break`` inside (not in a nested loop)."""
    for k in range(len(block) - 1, -1, -1):
        if isinstance(block[k], If) and contains_break(block[k]):
            return k
    return None


def contains_break(stmt) -> bool:
    if isinstance(stmt, Break):
        return True
    if isinstance(stmt, If):
        return any(contains_break(s) for s in stmt.body + stmt.orelse)
    return False


def always_breaks(block: list) -> bool:
    if not block:
        return False
    last = block[-1]
    if isinstance(last, Break):
        return True
    return isinstance(last, If) and always_breaks(last.body) and always_breaks(last.orelse)


def without_loop_else(stmts: list, names) -> list:
    """`stmts` (nested blocks too) with each loop's ``else`` block moved after it, under a
    flag that a ``break`` clears: ``done = True; for ...: (done = False; break); if done:
    <else>``. That is the adjoint rule of ``for``/``while ... else``: the reverse sweep
    replays the ``else`` block when it ran, then the loop, with the rules of ``if`` and
    loops."""
    if not any(isinstance(s, (For, While)) and s.orelse for s in walk(stmts)):
        return stmts
    out = []
    for stmt in stmts:
        if stmt.BLOCKS:
            stmt = with_blocks(stmt, [without_loop_else(b, names) for b in children(stmt)])
        if not (isinstance(stmt, (For, While)) and stmt.orelse):
            out.append(stmt)
            continue
        done = names.derived("_completed")
        body = _before_breaks(stmt.body, Copy(done, Const(False), stmt.loc))
        out += [Copy(done, Const(True), stmt.loc), stmt.replace(body=body, orelse=[]),
                If(Var(done), stmt.orelse, [], stmt.loc)]
    return out


def _before_breaks(block: list, stmt) -> list:
    """`block` with `stmt` placed before each ``break`` of its own loop (and before the
    write-backs that precede the ``break``, which stay last, next to it)."""
    out = []
    for s in block:
        if isinstance(s, Break):
            position = len(out)
            while position > 0 and isinstance(out[position - 1], Copy) and out[
                    position - 1].carry:
                position -= 1
            out.insert(position, stmt)
        elif isinstance(s, If):
            s = s.replace(body=_before_breaks(s.body, stmt),
                          orelse=_before_breaks(s.orelse, stmt))
        out.append(s)
    return out
