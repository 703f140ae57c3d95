"""Comprehensions, and the builtins that consume an iterable, written as loops.

A list comprehension becomes, before the statement that uses it, the loop Python runs::

    squares = [v * v for v in xs if v > 0]      squares = []
                                                for v in xs:
                                                    if v > 0:
                                                        squares.append(v * v)

``sum``, ``min``, ``max``, ``any`` and ``all`` of a comprehension or generator expression
accumulate in that loop instead of building a list (``total = total + v * v``); ``list`` and
``tuple`` of one build the list. ``sum``, ``list`` and one-argument ``min`` / ``max`` of any
other iterable loop over it the same way, which is what Python does (so the derivative of
``max`` follows the element it selects, the first of equal ones). ``min`` / ``max`` of three
or more arguments become nested two-argument calls.

A comprehension's variables are local to it: they keep their names when no other code of
the function uses those names, and get fresh ones otherwise. `ComprehensionLowering` is a
part of `hoisting.Hoister`, whose `block` lowers the loops it builds.
"""

from __future__ import annotations

import copy

import gast

from ..errors import UnsupportedSyntaxError

COMPREHENSIONS = (gast.ListComp, gast.GeneratorExp, gast.SetComp, gast.DictComp)

# The builtins whose argument may be a generator expression, and the loops that replace them.
CONSUMERS = (sum, min, max, any, all, list, tuple)
_ACCUMULATOR_NAMES = {sum: "total", max: "largest", min: "smallest", any: "any_true",
                      all: "all_true", list: "items", tuple: "items"}


def name(id_, store=False):
    """A gast Name, loaded or stored."""
    return gast.Name(id=id_, ctx=gast.Store() if store else gast.Load(), annotation=None,
                     type_comment=None)


def assign(target: str, value):
    return gast.Assign(targets=[name(target, True)], value=value, type_comment=None)


def call(func: str, *args):
    return gast.Call(func=name(func), args=list(args), keywords=[])


def target_names(target) -> list:
    """The names a loop or comprehension target binds, in order."""
    return [n.id for n in gast.walk(target) if isinstance(n, gast.Name)]


def comprehension_locals(tree) -> set:
    """Names each occurrence of which is bound by exactly one enclosing comprehension: those
    may keep their name in the loop that replaces it, as nothing else can see them."""
    bad, seen = set(), set()
    stack = [(tree, ())]
    while stack:
        node, bound = stack.pop()
        if isinstance(node, COMPREHENSIONS):
            inner = bound + (frozenset(n for g in node.generators
                                       for n in target_names(g.target)),)
            for i, gen in enumerate(node.generators):
                stack.append((gen.iter, bound if i == 0 else inner))
                stack.extend((part, inner) for part in [gen.target, *gen.ifs])
            stack.extend((getattr(node, f), inner) for f in ("elt", "key", "value")
                         if hasattr(node, f))
            continue
        if isinstance(node, gast.Name):
            seen.add(node.id)
            if sum(node.id in scope for scope in bound) != 1:
                bad.add(node.id)
            continue
        stack.extend((child, bound) for child in gast.iter_child_nodes(node))
    return seen - bad


class _Renamer(gast.NodeTransformer):
    """Renames the variables of one comprehension inside it, respecting the scopes of the
    comprehensions and lambdas nested in it (which may bind the same names)."""

    def __init__(self, mapping: dict):
        self.mapping = mapping

    def visit_Name(self, node):
        if node.id in self.mapping:
            node.id = self.mapping[node.id]
        return node

    def _scoped(self, mapping):
        return _Renamer({k: v for k, v in self.mapping.items() if k not in mapping})

    def _comprehension(self, node):
        inner = self._scoped(set(n for g in node.generators for n in target_names(g.target)))
        for i, gen in enumerate(node.generators):
            gen.iter = (self if i == 0 else inner).visit(gen.iter)
            gen.target = inner.visit(gen.target)
            gen.ifs = [inner.visit(c) for c in gen.ifs]
        for field in ("elt", "key", "value"):
            if hasattr(node, field):
                setattr(node, field, inner.visit(getattr(node, field)))
        return node

    visit_ListComp = visit_GeneratorExp = visit_SetComp = visit_DictComp = _comprehension

    def visit_Lambda(self, node):
        node.args = self.visit(node.args)
        node.body = self._scoped(set(target_names(node.args))).visit(node.body)
        return node


class ComprehensionLowering:
    """The comprehension part of `hoisting.Hoister` (which provides `block`, `fresh`,
    `located`, `builtin`, `fail`, `local_names` and `kept`, the names kept so far)."""

    def consumer(self, node):
        """The builtin of `CONSUMERS` that the call `node` calls and that is lowered as a loop
        here, or None."""
        if not isinstance(node, gast.Call) or any(isinstance(a, gast.Starred) for a in node.args):
            return None
        fn = self.builtin(node.func)
        count = len(node.args)  # sum(xs, start) has two
        if fn not in CONSUMERS or not (count == 1 or fn is sum and count == 2 and not (
                node.keywords)):
            return None
        if fn in (any, all, tuple):  # of other values: a primitive
            return fn if isinstance(node.args[0], (gast.ListComp, gast.GeneratorExp)) else None
        return fn

    def folded_extremum(self, node):
        """``max(a, b, c)`` as ``max(max(a, b), c)`` (Python keeps the first of equal
        values, and so does each two-argument call); None if `node` is no such call."""
        if not isinstance(node, gast.Call) or node.keywords or len(node.args) < 3 or any(
                isinstance(a, gast.Starred) for a in node.args):
            return None
        fn = self.builtin(node.func)
        if fn not in (min, max):
            return None
        result = node.args[0]
        for arg in node.args[1:]:
            result = self.located(gast.Call(func=copy.deepcopy(node.func), args=[result, arg],
                                            keywords=[]), node)
        return result

    def consume(self, node, target: str | None = None) -> tuple[list, object]:
        """(statements, result expression) computing the call `node` of a consumer."""
        fn = self.consumer(node)
        keywords = {kw.arg: kw.value for kw in node.keywords}
        if len(node.args) == 2:  # sum(xs, start)
            keywords["start"] = node.args[1]
        allowed = {sum: {"start"}, min: {"default"}, max: {"default"}}.get(fn, set())
        for kw in node.keywords:
            if kw.arg not in allowed:
                raise UnsupportedSyntaxError(
                    f"{fn.__name__}() with the keyword {kw.arg!r} is not supported",
                    self.locate(kw.value), "compute the values first, then call it without "
                    "this keyword")
        acc = target or self.fresh(_ACCUMULATOR_NAMES[fn])
        arg = node.args[0]
        init = {sum: keywords.get("start", gast.Constant(0, None)), min: gast.Constant(None, None),
                max: gast.Constant(None, None), any: gast.Constant(False, None),
                all: gast.Constant(True, None), list: gast.List(elts=[], ctx=gast.Load()),
                tuple: gast.List(elts=[], ctx=gast.Load())}[fn]
        stmts = [self.located(assign(acc, init), node)]
        if isinstance(arg, (gast.ListComp, gast.GeneratorExp)):
            stmts += self.loops(arg, lambda elt: self.step(fn, acc, elt, node))
        else:  # sum(xs), max(xs), list(xs): Python's loop over the items
            item = self.fresh("item")
            loop = gast.For(target=name(item, True), iter=arg, body=self.step(fn, acc, name(item),
                            node), orelse=[], type_comment=None)
            stmts.append(self.located(loop, node))
        if "default" in keywords:
            test = gast.Compare(left=name(acc), ops=[gast.Is()],
                                comparators=[gast.Constant(None, None)])
            stmts.append(self.located(gast.If(test=test, body=[assign(acc, keywords["default"])],
                                              orelse=[]), node))
        result = name(acc) if fn is not tuple else call("tuple", name(acc))
        return self.block(stmts), self.located(result, node)

    def step(self, fn, acc: str, elt, node) -> list:
        """The statements one element `elt` adds to the accumulator `acc` of `fn`."""
        if fn in (list, tuple):
            append = gast.Attribute(value=name(acc), attr="append", ctx=gast.Load())
            stmts = [gast.Expr(value=gast.Call(func=append, args=[elt], keywords=[]))]
        elif fn is sum:
            stmts = [assign(acc, gast.BinOp(left=name(acc), op=gast.Add(), right=elt))]
        elif fn in (min, max):
            stmts = []
            if not isinstance(elt, gast.Name):  # evaluated once
                item = self.fresh("item")
                stmts.append(assign(item, elt))
                elt = name(item)
            first = gast.Compare(left=name(acc), ops=[gast.Is()],
                                 comparators=[gast.Constant(None, None)])
            best = call(fn.__name__, name(acc), name(elt.id))
            stmts.append(assign(acc, gast.IfExp(test=first, body=name(elt.id), orelse=best)))
        else:  # any / all: a flag, set by the first element that decides
            test = elt if fn is any else gast.UnaryOp(op=gast.Not(), operand=elt)
            stmts = [gast.If(test=test, body=[assign(acc, gast.Constant(fn is any, None))],
                             orelse=[])]
        return [self.located(s, node) for s in stmts]

    def list_of(self, node, target: str | None = None) -> tuple[list, object]:
        """(statements, name) building the list of the comprehension `node`."""
        acc = target or self.fresh("items")
        stmts = [self.located(assign(acc, gast.List(elts=[], ctx=gast.Load())), node)]
        stmts += self.loops(node, lambda elt: self.step(list, acc, elt, node))
        return self.block(stmts), self.located(name(acc), node)

    def loops(self, node, step) -> list:
        """The nested ``for`` / ``if`` statements of the comprehension `node`, with `step(elt)`
        innermost (not yet lowered: the caller's `block` lowers what they contain)."""
        node = self.renamed(node)
        for gen in node.generators:
            if gen.is_async:
                self.fail(gen, "asynchronous comprehensions", "use a plain 'for'")
        inner = step(node.elt)
        for gen in reversed(node.generators):
            for test in reversed(gen.ifs):
                inner = [self.located(gast.If(test=test, body=inner, orelse=[]), test)]
            inner = [self.located(gast.For(target=gen.target, iter=gen.iter, body=inner,
                                           orelse=[], type_comment=None), node)]
        return inner

    def renamed(self, node):
        """`node` with its variables renamed apart from the function's other names, where
        needed (a fresh name for each one that other code uses)."""
        mapping = {}
        for gen in node.generators:
            for n in target_names(gen.target):
                if n not in mapping:  # kept once: two loops sharing a name would carry it
                    keep = n in self.local_names and n not in self.kept
                    mapping[n] = n if keep else self.fresh(n)
                    self.kept.add(n)
        mapping = {k: v for k, v in mapping.items() if k != v}
        if mapping:  # in its own scope: all but the first iterable, evaluated outside it
            renamer = _Renamer(mapping)
            for i, gen in enumerate(node.generators):
                gen.iter = renamer.visit(gen.iter) if i else gen.iter
                gen.target = renamer.visit(gen.target)
                gen.ifs = [renamer.visit(c) for c in gen.ifs]
            node.elt = renamer.visit(node.elt)
        return node

