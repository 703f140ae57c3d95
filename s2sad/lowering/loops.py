"""Lower loops: ``for`` and ``while`` (with ``break`` and ``else``) and their carried variables.

A name assigned in a loop and defined before it or read after it is *carried*: it gets one IR
name, copied in before the loop and written back at the end of every iteration that does not
break, so the IR loop stays a loop (no unrolling) that the reverse sweep can replay.
`LoopLowering` is a part of `FunctionLowerer` (function.py), whose SSA naming it uses.
"""

from __future__ import annotations

import gast

from ..errors import UnsupportedSyntaxError
from ..frontend.parse import MISSING
from ..ir import (
    Break,
    Const,
    Copy,
    For,
    Op,
    Var,
    While,
    always_breaks,
    last_breaking_if,
)
from ..pytree import leaf_names
from ..rules import REGISTRY
from ..runtime import checkpoints
from .atoms import LocalFunction, Multiple, Record
from .iterables import LoopHeader


def _append_on_fallthrough(block: list, stmts: list) -> None:
    """Append `stmts` to every path through `block` that does not end in ``break``: a loop's
    write-backs belong to the iterations that reach the end of the body, so that the reverse
    sweep replays them on exactly those paths. The merge copies that follow an ``if``
    containing a ``break`` move into its branches with them."""
    if block and isinstance(block[-1], Break):
        return
    k = last_breaking_if(block)
    if k is None:
        block.extend(stmts)
        return
    tail = block[k + 1:]
    del block[k + 1:]
    for branch in (block[k].body, block[k].orelse):
        if not always_breaks(branch):
            _append_on_fallthrough(branch, [_copy_stmt(s) for s in tail + stmts])


def _copy_stmt(stmt):
    if isinstance(stmt, Copy):
        return Copy(stmt.target, stmt.value, stmt.loc, stmt.carry)
    if isinstance(stmt, Op):
        return Op(stmt.target, stmt.prim, stmt.args, stmt.kwargs, stmt.loc)
    raise TypeError(f"cannot move {stmt!r} into a branch")


class LoopLowering:
    """The loops of `FunctionLowerer`: carried variables, bodies, ``else`` blocks, ranges."""

    def _assigned_in(self, stmts) -> list:
        """Names (re)bound in `stmts`: assigned, assigned into (y[i] = v), or appended to."""
        names = []
        for stmt in stmts:
            for node in gast.walk(stmt):
                name = None
                if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                    name = node.id
                elif isinstance(node, gast.Subscript) and isinstance(node.ctx, gast.Store) and (
                    isinstance(node.value, gast.Name)
                ):
                    name = node.value.id
                elif isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and (
                    node.func.attr in ("append", "pop")
                    and isinstance(node.func.value, gast.Name)
                    and self.static_object(node.func.value) is MISSING  # not np.append(...)
                ):
                    name = node.func.value.id
                if name is not None and name not in names:
                    names.append(name)
        return names

    def _read_outside(self, loop) -> set:
        """Names read outside the repeated part of `loop` (its ``else`` runs once, after)."""
        inside = {id(n) for n in gast.walk(loop)} - {id(n) for s in loop.orelse
                                                     for n in gast.walk(s)}
        return {n.id for n in gast.walk(self.parsed.node) if isinstance(n, gast.Name)
                and isinstance(n.ctx, gast.Load) and id(n) not in inside}

    def _carried(self, loop, extra_targets=()) -> dict:
        """Loop-carried variables: assigned in the loop (or its ``else``) and defined before
        or read after it."""
        assigned = self._assigned_in(loop.body + loop.orelse) + list(extra_targets)
        outside = self._read_outside(loop)
        carried = {}
        for name in sorted(set(assigned)):
            before = self.env.get(name)
            if isinstance(before, (LocalFunction, Multiple)):
                raise self.error(UnsupportedSyntaxError, loop,
                                 f"{name!r} is a function or tuple reassigned in a loop")
            if isinstance(before, Record):  # a container: each item is carried
                leaves = [self.version(n) for n in leaf_names(name, before.tree())]
                for leaf, value in zip(leaves, before.leaves()):
                    self.out.append(Copy(leaf, value, self.parsed.location(loop)))
                carried[name] = before.rebuilt(Var(leaf) for leaf in leaves)
            elif before is not None or name in outside:
                carried[name] = self.version(name)
                # Defined before the loop, or None (the loop may run zero times).
                self.out.append(Copy(carried[name], before if before is not None else Const(None),
                                     self.parsed.location(loop)))
        return carried

    @staticmethod
    def carried_value(carried_name):
        """What a carried name holds at the start of an iteration."""
        return carried_name if isinstance(carried_name, Record) else Var(carried_name)

    def write_back(self, node):
        """Copy the current values of the innermost loop's carried variables into place."""
        carried = self.loops[-1]
        for name, carried_name in carried.items():
            atom = self.env.get(name)
            if isinstance(carried_name, Record):
                if not (isinstance(atom, Record) and carried_name.same_structure(atom)):
                    raise self.error(UnsupportedSyntaxError, node, f"{name!r} is a container "
                                     "whose keys change in the loop",
                                     "give it all its keys before the loop")
                pairs = zip(carried_name.leaves(), atom.leaves())
            elif isinstance(atom, Record):
                raise self.error(UnsupportedSyntaxError, node, f"{name!r} is a container "
                                 "made in the loop and read after it",
                                 "create it before the loop, with all its keys")
            else:
                pairs = [(Var(carried_name), atom)]
            for slot, value in pairs:
                if value is not None and value != slot:
                    self.out.append(Copy(slot.name, value, self.parsed.location(node),
                                         carry=True))

    def stmt_Break(self, stmt):
        self.write_back(stmt)
        self.out.append(Break(self.parsed.location(stmt)))

    def loop_body(self, loop, carried, prologue):
        def start():
            for name, carried_name in carried.items():
                self.env[name] = self.carried_value(carried_name)
            prologue()

        self.loops.append(carried)
        try:
            saved_out, saved_env = self.out, self.env
            self.out, self.env = [], dict(saved_env)
            start()
            self.statements(loop.body)
            body, self.out = self.out, []
            self.write_back(loop)
            _append_on_fallthrough(body, self.out)
            self.out, self.env = saved_out, saved_env
        finally:
            self.loops.pop()
        for name, carried_name in carried.items():
            self.env[name] = self.carried_value(carried_name)
        return body

    def stmt_For(self, stmt):
        stmt, checkpoint = self.checkpointed(stmt)
        bounds, reverse, limit, elements = self.loop_range(stmt)
        target = stmt.target
        names = [target.id] if isinstance(target, gast.Name) else [e.id for e in target.elts]
        carried = self._carried(stmt, names)
        index_user = names[0] if elements is None else None
        index = self.version(index_user) if index_user else self.names.derived("i")

        def prologue():
            if elements is None:
                self.env[index_user] = Var(index)
                return
            if len(names) != len(elements):
                raise self.error(UnsupportedSyntaxError, target,
                                 f"cannot unpack {len(elements)} values into {len(names)} names")
            for name, make in zip(names, elements):
                self.env[name] = make(Var(index), self.version(name))

        body = self.loop_body(stmt, carried, prologue)
        orelse = self.loop_else(stmt, carried)
        self.out.append(For(index, bounds, body, self.parsed.location(stmt), reverse, limit,
                            orelse, checkpoint))

    def checkpointed(self, stmt):
        """``for i in s2sad.checkpoint(range(n), every=k)``: the loop over the range, and its
        checkpoint interval (0: about √n; None for a loop without the marker)."""
        call = stmt.iter
        if not (isinstance(call, gast.Call) and self._called(call) is checkpoints.checkpoint):
            return stmt, None
        hint = "write: for i in s2sad.checkpoint(range(n)) or s2sad.checkpoint(range(n), every=k)"
        every = call.args[1:] + [kw.value for kw in call.keywords if kw.arg == "every"]
        if len(call.args) < 1 or len(every) > 1 or any(kw.arg != "every" for kw in
                                                       call.keywords):
            raise self.error(UnsupportedSyntaxError, call, "bad arguments for s2sad.checkpoint",
                             hint)
        interval = 0
        if every:
            value = self.expr(every[0])
            if not (isinstance(value, Const) and (value.value is None or isinstance(
                    value.value, int) and not isinstance(value.value, bool)
                    and value.value > 0)):
                raise self.error(UnsupportedSyntaxError, every[0], "the interval of "
                                 "s2sad.checkpoint must be a positive int written in the code",
                                 hint)
            interval = value.value or 0
        inner = call.args[0]
        if self._called(inner) is not range or not isinstance(stmt.target, gast.Name):
            raise self.error(UnsupportedSyntaxError, inner, "s2sad.checkpoint takes a range "
                             "(the loop's trips are counted to place the saved states)", hint)
        return gast.copy_location(gast.For(target=stmt.target, iter=inner, body=stmt.body,
                                           orelse=stmt.orelse, type_comment=None),
                                  stmt), interval

    def loop_else(self, loop, carried) -> list:
        """The ``else`` block of `loop`, run when it ends without ``break``: it starts from
        the carried values and writes its own back into them, as an iteration does (so after
        the loop they hold the value of whichever path ran)."""
        if not loop.orelse:
            return []
        # Its write-backs reassign carried names outside the loop: not the SSA form that
        # reverse mode reads (ssa.normalize makes it so).
        self.flags["ssa"] = False
        self.loops.append(carried)
        saved_out, self.out = self.out, []
        try:
            self.statements(loop.orelse)
            self.write_back(loop)
        finally:
            orelse, self.out = self.out, saved_out
            self.loops.pop()
        for name, carried_name in carried.items():
            self.env[name] = self.carried_value(carried_name)
        return orelse

    def loop_range(self, stmt):
        """(bounds, reverse, limit, element makers) of a for loop's iterable: a ``range``
        (reversed or sliced ``[:k]``) is looped over as it is; any other iterable as
        ``range(n)``, with makers for the target's values (see iterables.py)."""
        node = stmt.iter
        reverse, limit = False, None
        header = LoopHeader(self, stmt)
        if self._called(node) is reversed and len(node.args) == 1 and not node.keywords:
            inner = node.args[0]
            if self._called(inner) not in (range, zip, enumerate) and not self._range_slice(
                    inner) and not any(isinstance(n, gast.Break) for s in stmt.body
                                       for n in gast.walk(s)):
                # reversed(xs): the loop runs backwards over xs's indices (a break needs the
                # forward loop over xs[n - 1 - i] that LoopHeader makes)
                items = self.expr(inner)
                n = self.emit(REGISTRY.by_name["len"], (items,), (), inner)
                return (n,), True, None, header.makers(stmt.target, lambda index, target: (
                    self.emit(REGISTRY.by_name["getitem"], (items,), (("index", index),),
                              stmt, target)))
            if self._called(inner) is range or self._range_slice(inner):
                reverse, node = True, inner
        if self._range_slice(node):
            limit, node = self.expr(node.slice.upper), node.value
        if self._called(node) is range and isinstance(stmt.target, gast.Name):
            if node.keywords or not 1 <= len(node.args) <= 3:
                raise self.error(UnsupportedSyntaxError, node, "range() takes 1 to 3 arguments")
            return tuple(self.expr(a) for a in node.args), reverse, limit, None
        if reverse or limit is not None:
            raise self.error(UnsupportedSyntaxError, node, "only ranges can be sliced in a for "
                             "loop header", "loop over range(...) instead")
        n, tree = header.sequence(node)
        return (n,), False, None, header.makers(stmt.target, tree)

    def _called(self, node):
        """The object a call `node` calls (MISSING when it is no call of a known object)."""
        return self.static_object(node.func) if isinstance(node, gast.Call) else MISSING

    def _range_slice(self, node) -> bool:
        """Whether `node` is ``range(...)[:k]``."""
        return isinstance(node, gast.Subscript) and isinstance(node.slice, gast.Slice) and (
            node.slice.lower is None and node.slice.step is None
            and self._called(node.value) is range)

    def stmt_While(self, stmt):
        carried = self._carried(stmt)
        self.loops.append(carried)
        saved_out, saved_env = self.out, self.env
        self.out, self.env = [], dict(saved_env)
        for name, carried_name in carried.items():
            self.env[name] = self.carried_value(carried_name)
        test = self.expr(stmt.test)
        test_body = self.out
        self.out, self.env = saved_out, saved_env
        self.loops.pop()
        body = self.loop_body(stmt, carried, lambda: None)
        orelse = self.loop_else(stmt, carried)
        self.out.append(While(test_body, test, body, self.parsed.location(stmt), orelse))
