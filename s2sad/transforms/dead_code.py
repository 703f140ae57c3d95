"""Dead-code elimination by liveness, through branches and loops."""

from __future__ import annotations

from ..ir import (
    Break,
    Comment,
    Copy,
    For,
    Function,
    If,
    Op,
    Pop,
    Return,
    Var,
    While,
    with_blocks,
)
from .usage import replaced


def _reads(stmt) -> set:
    return {a.name for a in stmt.atoms() if type(a) is Var}


def _live_block(stmts: list, live_out: set, exit_live: set, after_pops=None):
    """Liveness through `stmts`, backwards, dropping what nobody reads: operations and copies
    whose result is dead, then branches and ``for`` loops left with nothing inside (their
    tests and bounds are not read then).

    Returns (statements, live-in set); the statements are `stmts` itself when nothing was
    dropped. `exit_live` is what is live where a ``break`` goes. `after_pops`, if given, maps
    each Pop (by id) to the names live right after it.
    """
    live = set(live_out)
    out = []
    changed = False
    for stmt in reversed(stmts):
        new = stmt
        if isinstance(stmt, (Op, Copy)):
            if stmt.target not in live and (isinstance(stmt, Copy) or stmt.prim.pure):
                changed = True
                continue
            live.discard(stmt.target)
            live.update(a.name for a in stmt.atoms() if type(a) is Var)
        elif isinstance(stmt, Pop):
            if after_pops is not None:
                after_pops[id(stmt)] = set(live)
            live.difference_update(stmt.targets)
            live.add(stmt.stack)
        elif isinstance(stmt, Break):
            live = set(exit_live)
        elif isinstance(stmt, If):
            body, live_body = _live_block(stmt.body, live, exit_live, after_pops)
            orelse, live_else = _live_block(stmt.orelse, live, exit_live, after_pops)
            if not body and not orelse:
                changed = True
                continue
            if body is not stmt.body or orelse is not stmt.orelse:
                new = with_blocks(stmt, [body, orelse])
            live = live_body | live_else | _reads(stmt)
        elif isinstance(stmt, (For, While)):
            new, live = _live_loop(stmt, live, exit_live, after_pops)
            if new is None:
                changed = True
                continue
        else:  # Push, Return, Comment
            live |= _reads(stmt)
        changed = changed or new is not stmt
        out.append(new)
    return (out[::-1] if changed else stmts), live


def _live_loop(stmt, live_after: set, exit_live: set, after_pops=None):
    """The loop `stmt` with its blocks pruned (None for a ``for`` loop left empty) and the
    names live at its head, iterated until the body adds none. A ``break`` in the body goes
    to `live_after`; a loop that ends without one runs its ``else`` block first (whose own
    ``break`` leaves the enclosing loop: `exit_live`)."""
    orelse, done = _live_block(stmt.orelse, live_after, exit_live, after_pops)
    head = set(done)
    while True:  # the last round, at the fixed point, records what is live after each pop
        body, body_in = _live_block(stmt.body, head, live_after, after_pops)
        if isinstance(stmt, For):
            if not body and not orelse:
                return None, set(live_after)
            new_head = done | (body_in - {stmt.target}) | _reads(stmt)
        else:  # the test's own statements are kept as they are
            _, test_in = _live_block(stmt.test_body, done | body_in | _reads(stmt), live_after,
                                     after_pops)
            new_head = done | test_in
        if new_head <= head:
            break
        head |= new_head
    if body is stmt.body and orelse is stmt.orelse:
        return stmt, head
    return stmt.replace(body=body, orelse=orelse), head


def eliminate_dead_code(fn: Function, counts=None) -> Function:
    """Drop operations and copies whose result is never read, and empty branches/loops.
    (`counts` is not needed; it is there so that every pass is called alike.)"""
    body, _ = _live_block(fn.body, set(), set())
    # A comment heading an empty section goes too.
    kept = [s for i, s in enumerate(body) if not (
        isinstance(s, Comment) and (i + 1 == len(body) or isinstance(body[i + 1],
                                                                     (Comment, Return))))]
    return replaced(fn, body if len(kept) == len(body) else kept)


def live_after_pops(fn: Function) -> dict:
    """Each Pop of `fn` (by id) mapped to the names live right after it."""
    after: dict = {}
    _live_block(fn.body, set(), set(), after)
    return after
