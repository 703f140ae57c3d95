"""Reverse mode of control flow: the adjoint rules of ``if`` and loops.

A branch is replayed by testing the same condition again. A loop is replayed backwards: each
forward iteration pushes the values its reverse needs onto a stack, the reverse loop pops
them; a loop that may ``break`` (and every ``while``) also counts its trips. The adjoints'
shape witnesses (EXACT, ZERO, UNKNOWN, or a primal's name) are kept consistent from one
reverse iteration to the next. `ControlFlow` is a mixin of ``adjoint._Adjoint``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..ir import (
    Break,
    Const,
    Copy,
    For,
    If,
    Op,
    Pop,
    Push,
    Var,
    While,
    always_breaks,
    assigned,
    children,
    definitely_assigned,
    last_breaking_if,
    reads,
    targets,
    walk,
)
from ..ir.shapes import same_shape
from ..rules import REGISTRY
from .checkpoint import carried_state, checkpointed, refuse_unless_plain


def _assigned_outside(body, compound) -> set:
    """Names assigned in `body` by statements that are not inside `compound`."""
    return {name for stmt in walk(body, enter=lambda s: s is not compound)
            if stmt is not compound for name in targets(stmt)}


@dataclass
class _Scope:
    """A compound statement being reversed: its local names, and adjoint zero-initialisations
    that must be placed just before its reverse."""

    local: set
    inits: list = field(default_factory=list)
    is_branch: bool = False


class _Shape:
    """What is known of an adjoint's shape compared with its primal's (see ``_Adjoint.shape``)."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


EXACT = _Shape("EXACT")  # the primal's shape
ZERO = _Shape("ZERO")  # still the zeros_like(primal) it was initialised with
UNKNOWN = _Shape("UNKNOWN")  # any shape the primal broadcasts to


class ControlFlow:
    """The adjoint rules of compound statements (mixed into ``_Adjoint``)."""

    def compound(self, compound, blocks, prepare=None, carried=()):
        """Reverse each block of a compound statement in its own scope.

        Returns (forward blocks, reverse blocks, its scope: local names and the
        zero-initialisations to place before it)."""
        # An adjoint known to be zero stays so into the branches of an `if` (each branch
        # assigns it, or zeroes it at its end); a loop needs it materialised first.
        pending = {}
        is_branch = isinstance(compound, If)
        if is_branch:
            pending, self.zeroed = dict(self.zeroed), {}
        else:
            self.settle_zeros()
        local = assigned(blocks_of(compound)) - _assigned_outside(self.fn.body, compound)
        scope = _Scope(local, is_branch=is_branch)
        self.scopes.append(scope)
        if prepare is not None:
            prepare()
        if not is_branch:
            self._enter_loop(compound, carried)
        before = dict(self.shape)  # for a loop: the shapes every reverse iteration starts from
        forwards, reverses, ends = [], [], []
        existing = set(self.adjoint)
        for block in blocks:
            saved_out, self.out = self.out, []
            self.zeroed = {name: len(self.scopes) for name in pending}
            # Each branch starts from the state before the `if`; adjoints that an earlier
            # branch created are still their zero initialisation here.
            self.shape = {**{n: self.init_shape[n] for n in self.adjoint if n not in existing},
                          **before}
            forwards.append(self.block(block))
            self.settle_zeros(len(self.scopes) - 1)
            if not is_branch:
                self.loop_end = dict(self.shape)
                self._leave_loop_body(before, local, carried)
            ends.append(self.shape)
            reverses.append(self.out)
            self.out = saved_out
            for name in [n for n in self.adjoint if n in local and n not in existing]:
                del self.adjoint[name]  # adjoints of the compound's locals end with it
        self.scopes.pop()
        self.shape = {name: self._merged([end.get(name, EXACT) for end in ends])
                      for name in self.adjoint}
        if not is_branch:
            for name in carried:
                if name in self.shape:
                    self.shape[name] = UNKNOWN  # this iteration's value, or the one before
        return forwards, reverses, scope

    def _merged(self, shapes) -> object:
        """An adjoint's shape after a compound statement, from its shape at each block end."""
        first = shapes[0]
        if all(shape is first or self._same(shape, first) for shape in shapes):
            return first
        if all(shape in (EXACT, ZERO) for shape in shapes):
            return EXACT
        return UNKNOWN

    def _carried_sources(self, loop, carried) -> dict:
        """Each carried name mapped to the one value written back to it, if that value is
        assigned on every path through the body and provably keeps one shape; else None."""
        sources = {}
        for stmt in _walk_no_loops(loop.body):
            if isinstance(stmt, Copy) and stmt.carry:
                value = stmt.value.name if isinstance(stmt.value, Var) else None
                sources.setdefault(stmt.target, set()).add(value)
        everywhere = definitely_assigned(loop.body)
        promises = {}
        for name in carried:
            (value, *others) = sources[name]
            fixed = (not others and value in everywhere
                     and same_shape(self.static, value, value))
            promises[name] = value if fixed else None
        return promises

    def _kept(self, shape, value) -> bool:
        """Whether a carried adjoint ending an iteration with `shape` has `value`'s shape
        for the next one (EXACT: the shape of the carried value at the iteration's start,
        which is the value written back by the iteration before)."""
        return shape in (EXACT, ZERO) or self._same(shape, value)

    def _snapshot(self):
        return (self.names.state(), dict(self.adjoint), dict(self.shape),
                dict(self.init_shape), dict(self.zeroed), len(self.stacks), len(self.out),
                [(scope, len(scope.inits)) for scope in self.scopes], dict(self.stack_adjoint))

    def _restore(self, snapshot):
        (names, adjoint, shape, init_shape, zeroed, n_stacks, n_out, scopes,
         stack_adjoint) = snapshot
        self.stack_adjoint = dict(stack_adjoint)
        self.names.restore(names)
        self.adjoint, self.shape = dict(adjoint), dict(shape)
        self.init_shape, self.zeroed = dict(init_shape), dict(zeroed)
        del self.stacks[n_stacks:]
        del self.out[n_out:]
        for scope, n_inits in scopes:
            del scope.inits[n_inits:]

    def _enter_loop(self, loop, carried):
        """Make the adjoints' shapes hold at the start of every reverse iteration.

        An adjoint the body adds to is made exact before the loop (and kept exact by the
        body), so no broadcast contribution is summed once per iteration; a carried adjoint is
        reassigned by each iteration: it has the shape its promise names, or an unknown one."""
        touched = reads(loop.body if isinstance(loop, For) else [*loop.test_body, *loop.body])
        for name, value in carried.items():
            if name in self.adjoint:
                before = self.shape.get(name, EXACT)
                kept = value is not None and self._kept(before, value)
                self.shape[name] = value if kept else UNKNOWN
        for name, shape in list(self.shape.items()):
            if name in carried:
                continue
            elif shape is ZERO:
                self.shape[name] = EXACT
            elif name in touched and shape is not EXACT:
                self.exact(name, loop.loc)

    def _leave_loop_body(self, entry, local, carried):
        """At the end of a reverse iteration, restore the shapes the iteration started from."""
        for name, shape in list(self.shape.items()):
            if name in local or name in carried or shape in (EXACT, ZERO):
                continue
            if name in self.adjoint and shape is not entry.get(name, EXACT):
                self.exact(name)

    def branch(self, stmt: If):
        if _inert(stmt, self.active):
            # Nothing in it carries a derivative (a debugging statement, an integer counter):
            # it runs in the forward sweep only, and its test need not be kept for a replay.
            return stmt
        (body, orelse), (body_rev, orelse_rev), scope = self.compound(stmt, [stmt.body,
                                                                           stmt.orelse])
        inits = scope.inits
        self.out.extend(inits)
        if body_rev or orelse_rev:
            self.out.append(If(stmt.test, body_rev, orelse_rev, stmt.loc))
        return If(stmt.test, body, orelse, stmt.loc)

    def loop(self, stmt) -> list:
        """Forward-sweep statements for a loop, and its reverse appended to self.out."""
        body, body_rev, scope = self._reversed_body(stmt)
        inits, local = scope.inits, scope.local
        index = stmt.target if isinstance(stmt, For) else None
        needs_trips = isinstance(stmt, While) or any(
            isinstance(s, Break) for s in _walk_no_loops(stmt.body))
        # (a reversed or sliced range loop that may break is a loop over positions by now:
        # breaking.py; its replay is the first `trips` positions, backwards)
        # Names the instrumented body introduced (a nested loop's trip count) are local too.
        local = local | (assigned(body) - self.scopes[0].local)
        saved = sorted((reads(body_rev) & (assigned(body) | local)) - {index})
        forward_before, trips = [], None
        if needs_trips:
            trips = self.names.derived("_trips")
            forward_before.append(Copy(trips, Const(0)))
            body = [Op(trips, REGISTRY.by_name["add"], (Var(trips), Const(1))), *body]
        stack = self.names.derived("_stack") if saved else None
        if stack:
            body = self._saving(body, stack, saved, local)
        forward_loop = stmt.replace(body=body)
        reverse_body = ([Pop(stack, tuple(saved))] if stack else []) + body_rev
        if isinstance(stmt, For) and stmt.checkpoint is not None:
            refuse_unless_plain(stmt, needs_trips)
            self.out.extend(inits)
            if not body_rev:
                return forward_before + [forward_loop.replace(checkpoint=None)]
            return forward_before + checkpointed(self, stmt, body, reverse_body,
                                                 carried_state(stmt, local))
        if isinstance(stmt, For):
            reverse_loop = stmt.replace(body=reverse_body, reverse=not stmt.reverse,
                                        limit=Var(trips) if trips else stmt.limit)
        else:
            reverse_loop = For(self.names.derived("_"), (Var(trips),), reverse_body, stmt.loc)
        self.out.extend(inits)
        if body_rev:
            self.out.append(reverse_loop)
        return forward_before + [forward_loop]

    def _reversed_body(self, stmt):
        """(forward body, reverse body, scope) of a loop, reversed until the shapes promised
        for its carried adjoints hold (see `_carried_sources`)."""
        carried = [s.target for s in _walk_no_loops(stmt.body) if isinstance(s, Copy) and s.carry]

        def prepare():
            for name in carried:
                if name in self.active:
                    self.ensure(name)  # the back edge carries its adjoint between iterations

        # A carried adjoint's shape at the start of a reverse iteration is that of the value
        # written back (exact while the loop still runs), if that value provably keeps one
        # shape; the assumption is checked at the end of the body, and dropped if it fails.
        promises = self._carried_sources(stmt, carried)
        snapshot = self._snapshot()
        while True:
            self.loop_end = {}
            unbounded = set(self.unbounded)
            (body,), (body_rev,), scope = self.compound(stmt, [stmt.body], prepare, promises)
            broken = {c for c, v in promises.items()
                      if v is not None and not self._kept(self.loop_end.get(c, EXACT), v)}
            # A carried adjoint that became unbounded in this iteration is so in the reverse
            # of the iteration before, whose rules were chosen already: reverse it again.
            if not broken and not any(c in self.unbounded - unbounded for c in carried):
                return body, body_rev, scope
            self._restore(snapshot)
            promises = {c: None if c in broken else v for c, v in promises.items()}

    def _saving(self, body: list, stack: str, saved: list, local: set) -> list:
        """`body` pushing `saved` onto `stack` at each exit of an iteration. One stack per loop
        for the whole call, created up front: a nested loop's iterations of every outer
        iteration are popped in exactly the reverse order."""
        self.stacks.append(Op(stack, REGISTRY.by_name["new_list"], ()))
        # A loop-local value assigned on some paths only starts each iteration as None, so the
        # push saves this iteration's value or None, never a stale one.
        partial = [n for n in saved if n in local and n not in definitely_assigned(body)]
        body = [Copy(n, Const(None)) for n in partial] + body
        return _insert_push(body, stack, saved, local, set(), top=True)


def _inert(stmt: If, active: set) -> bool:
    """Whether the branch `stmt` assigns no active name and holds no ``break`` or stack
    operation: its reverse would be empty."""
    inside = list(walk([stmt]))[1:]
    return not any(isinstance(s, (Break, Push, Pop)) for s in inside) and not (
        assigned(inside) & active)


def blocks_of(stmt) -> list:
    return [s for block in children(stmt) for s in block]


def _walk_no_loops(body):
    """The statements of `body` and of its branches, not of its nested loops."""
    return walk(body, enter=lambda s: isinstance(s, If))


def _insert_push(block, stack, saved, local, defined, top=False) -> list:
    """Put ``stack.append(saved values)`` at every exit of a loop iteration in `block`.

    An exit is a ``break`` or the end of a path that falls through the body (the lowering puts
    the write-backs of carried variables on each such path); the push goes before the
    write-backs, so it saves their values from the start of the iteration. A loop-local value
    not yet assigned on the path to an exit is saved as None (its reverse never reads it).
    """
    defined = set(defined)
    breaking = last_breaking_if(block) if top else None
    out = []
    for k, stmt in enumerate(block):
        if isinstance(stmt, If):
            # The fall-through paths of a body ending in an `if` with a `break` end inside it.
            exits_inside = k == breaking
            stmt = If(stmt.test,
                      _insert_push(stmt.body, stack, saved, local, defined, exits_inside),
                      _insert_push(stmt.orelse, stack, saved, local, defined, exits_inside),
                      stmt.loc)
            defined |= definitely_assigned([stmt])
        elif not isinstance(stmt, (For, While)) and not (isinstance(stmt, Copy) and stmt.carry):
            defined.update(targets(stmt))
        out.append(stmt)
    ends_in_break = bool(out) and isinstance(out[-1], Break)
    falls_through = top and breaking is None and not always_breaks(out)
    if ends_in_break or falls_through:
        position = len(out) - (1 if ends_in_break else 0)
        while position > 0 and isinstance(out[position - 1], Copy) and out[position - 1].carry:
            position -= 1
        values = tuple(Var(n) if n not in local or n in defined else Const(None) for n in saved)
        out.insert(position, Push(stack, values))
    return out
