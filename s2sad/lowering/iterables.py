"""The iterable of a ``for`` loop, as a trip count and the values each trip binds.

Every loop becomes a loop over ``range(n)`` (see loops.py); this module says what ``n`` is
and how each target name gets its value from the trip's index ``i``, for any nesting Python
allows of ``range``, ``reversed``, ``enumerate(seq, start)`` and ``zip`` around arrays, lists
and tuples:

- a sequence ``xs`` has ``len(xs)`` items, the ``i``-th being ``xs[i]``;
- ``range(a, b, c)`` has ``-((a - b) // c)`` items (or ``b - a``, or ``b``), ``a + i * c``;
- ``reversed(s)`` has the items of ``s`` from the end; ``enumerate(s, k)`` pairs ``i + k``
  with the items of ``s``; ``zip(s, t, ...)`` stops with the shortest.

An item is a *tree*: a function ``leaf(i, name)`` that emits the value (named `name`), or a
tuple of trees (what ``enumerate`` and ``zip`` yield). A loop target takes a tree apart: a
tuple of names against a tuple of trees part by part, against one value by indexing it
(``for a, b in pairs`` is ``a = pairs[i][0]``...). A name bound to a tuple of trees gets the
parts as separate atoms (a `Multiple`) when the loop only unpacks or indexes it, and a tuple
value otherwise.
"""

from __future__ import annotations

import gast

from ..errors import UnsupportedSyntaxError
from ..frontend.parse import MISSING
from ..ir import Const
from ..rules import REGISTRY
from .atoms import Multiple

_OPS = REGISTRY.by_name


class LoopHeader:
    """The trip count and the target values of the ``for`` statement `stmt`, lowered by
    `lowerer` (a `FunctionLowerer`) into its current block."""

    def __init__(self, lowerer, stmt):
        self.lowerer = lowerer
        self.stmt = stmt

    def emit(self, name, args, node, target=None, kwargs=()):
        return self.lowerer.emit(_OPS[name], args, kwargs, node, target)

    def refuse(self, node, message, hint=None):
        return self.lowerer.error(UnsupportedSyntaxError, node, message, hint)

    # ----------------------------------------------------------------------------- sequences
    def sequence(self, node):
        """(trip count atom, tree of the items) of the iterable `node`."""
        static = self.lowerer.static_object(node.func) if isinstance(node, gast.Call) else (
            MISSING)
        if static is range:
            return self.range_items(node)
        if static is reversed:
            return self.reversed_items(node)
        if static is enumerate:
            return self.enumerate_items(node)
        if static is zip:
            if node.keywords or not node.args:
                raise self.refuse(node, "zip() with keywords or without arguments is not "
                                  "supported in a loop header", "drop the keyword: the loop "
                                  "stops with the shortest sequence")
            parts = [self.sequence(a) for a in node.args]
            n = parts[0][0]
            for other, _ in parts[1:]:
                n = self.emit("min", (n, other), node)
            return n, tuple(tree for _, tree in parts)
        items = self.lowerer.expr(node)
        n = self.emit("len", (items,), node)
        return n, lambda index, target: self.emit("getitem", (items,), node, target,
                                                  (("index", index),))

    def range_items(self, node):
        if node.keywords or not 1 <= len(node.args) <= 3:
            raise self.refuse(node, "range() takes 1 to 3 arguments", "write range(stop), "
                              "range(start, stop) or range(start, stop, step)")
        bounds = [self.lowerer.expr(a) for a in node.args]
        if len(bounds) == 1:
            return bounds[0], lambda index, target: self.lowerer.assign(index, target, node)
        start, stop = bounds[:2]
        if len(bounds) == 2:
            n = self.emit("sub", (stop, start), node)
            return n, lambda index, target: self.emit("add", (start, index), node, target)
        step = bounds[2]  # len(range(a, b, c)) = ceil((b - a) / c), for either sign of c
        n = self.emit("neg", (self.emit("floordiv", (self.emit("sub", (start, stop), node), step),
                                        node),), node)

        def item(index, target):
            return self.emit("add", (start, self.emit("mul", (index, step), node)), node, target)

        return n, item

    def reversed_items(self, node):
        if node.keywords or len(node.args) != 1:
            raise self.refuse(node, "reversed() takes one argument", "reverse one sequence")
        n, tree = self.sequence(node.args[0])
        if not callable(tree):
            raise self.refuse(node, "reversed() of enumerate() or zip() is not supported (Python "
                              "cannot reverse them either)", "zip or enumerate reversed(...) "
                              "sequences instead")
        last = self.emit("sub", (n, Const(1)), node)
        return n, lambda index, target: tree(self.emit("sub", (last, index), node), target)

    def enumerate_items(self, node):
        start = [kw.value for kw in node.keywords if kw.arg == "start"]
        args = node.args + start
        if len(args) not in (1, 2) or any(kw.arg != "start" for kw in node.keywords):
            raise self.refuse(node, "enumerate() takes a sequence and an optional start",
                              "write enumerate(items) or enumerate(items, start)")
        n, tree = self.sequence(args[0])
        first = self.lowerer.expr(args[1]) if len(args) == 2 else None

        def count(index, target):
            if first is None:
                return self.lowerer.assign(index, target, node)
            return self.emit("add", (index, first), node, target)

        return n, (count, tree)

    # ----------------------------------------------------------------------------- targets
    def makers(self, target, tree) -> list:
        """One ``make(index, ir_name)`` per name of the (flat) loop `target`."""
        if isinstance(target, gast.Name):
            return [lambda index, name: self.value(tree, index, name, target.id)]
        names = [elt.id for elt in target.elts]
        if isinstance(tree, tuple):
            if len(tree) != len(names):
                raise self.refuse(target, f"cannot unpack {len(tree)} values into "
                                  f"{len(names)} names")
            return [lambda index, name, sub=sub, user=user: self.value(sub, index, name, user)
                    for sub, user in zip(tree, names)]
        element = {}  # the item, computed once for all the names it is unpacked into

        def part(k):
            def make(index, name):
                if "item" not in element:
                    element["item"] = tree(index, None)
                return self.emit("getitem", (element["item"],), target, name,
                                 (("index", Const(k)),))
            return make

        return [part(k) for k in range(len(names))]

    def value(self, tree, index, name, user, apart=None):
        """The value of `tree` at `index` for the loop variable `user` (named `name`): a
        `Multiple` of its parts if `apart` (by default: if the loop only takes it apart)."""
        if callable(tree):
            return tree(index, name)
        if apart is None:
            apart = user is not None and self.only_taken_apart(user)
        parts = [self.value(sub, index, None, None, apart) for sub in tree]
        if apart:
            return Multiple(parts)
        items = self.emit("new_list", (), self.stmt)
        for part in parts:
            items = self.emit("list_append", (items, part), self.stmt)
        return self.emit("as_tuple", (items,), self.stmt, name)

    def only_taken_apart(self, user: str) -> bool:
        """Whether the loop variable `user` is new, not read after the loop, and only unpacked
        (``a, b = pair``) or indexed by a constant (``pair[0]``) in the loop."""
        if user in self.lowerer.env or user in self.lowerer._read_outside(self.stmt):
            return False
        reads = taken = 0
        for node in (n for s in self.stmt.body for n in gast.walk(s)):
            if isinstance(node, gast.Name) and node.id == user and isinstance(node.ctx, gast.Load):
                reads += 1
            elif isinstance(node, gast.Assign) and isinstance(node.value, gast.Name) and (
                    node.value.id == user and isinstance(node.targets[0], gast.Tuple)):
                taken += 1
            elif isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) and (
                    node.value.id == user and isinstance(node.slice, gast.Constant)
                    and isinstance(node.slice.value, int)):
                taken += 1
        return reads == taken
