"""Hoisting: expressions that hide statements become statements before the one that uses them.

Comprehensions (and the builtins that consume them, see :mod:`.comprehensions`) and
assignment expressions (``y := f(x)``) are loops and assignments inside an expression. The
lowering wants one operation per line, so they move out, in evaluation order, in front of the
statement they are part of, which then reads the variable they assign:

    if (y := f(x)) > 1:            y = f(x)
        ...                        if y > 1:
                                       ...

Where Python might not evaluate them (a branch of ``a if c else b``, the right of ``and`` /
``or``) the enclosing expression becomes an ``if`` statement too, so they run only when
Python would run them; a ``while`` test is evaluated again at the end of each iteration and
before each ``continue``; a lambda holding one becomes a nested ``def``. What cannot keep
Python's order (an assignment expression after a read of its variable in the same statement,
a comprehension after the first comparison of a chain) is refused. Nested tuple targets of
loops (``for i, (a, b) in ...``) are flattened here too.
"""

from __future__ import annotations

import builtins
import copy

import gast

from ..errors import UnsupportedSyntaxError
from ..ir import NameSource
from .comprehensions import (
    ComprehensionLowering,
    assign,
    comprehension_locals,
    name,
    target_names,
)

# The builtins this pass recognises (by identity, once a name is resolved).
KNOWN_BUILTINS = (sum, min, max, any, all, list, tuple, zip, enumerate, reversed, range)

# Set on a FunctionDef whose expressions were hoisted (a nested def is hoisted with the
# function that contains it, whose names its fresh names must avoid).
HOISTED = "_s2sad_hoisted"

_LAMBDA_HINT = "assign the value on a line of its own in a nested 'def'"


class _Sink:
    """The evaluation order of one statement: which names it reads where it stands, and which
    names the statements hoisted out of it assign, at which step. A call of a local function
    (`local`) may read any name a local function reads (`closure_reads`)."""

    def __init__(self, local=frozenset(), closure_reads=frozenset()):
        self.step = 0
        self.reads: dict = {}  # name -> first step at which the statement itself reads it
        self.writes: list = []  # (name, step, node)
        self.local, self.closure_reads = local, closure_reads

    def read(self, node) -> None:
        for n in gast.walk(node):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
                self.reads.setdefault(n.id, self.step)
                if n.id in self.local:
                    for name in self.closure_reads:
                        self.reads.setdefault(name, self.step)

    def wrote(self, stmts, node) -> None:
        self.step += 1
        for stmt in stmts:
            for n in gast.walk(stmt):
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                    self.writes.append((n.id, self.step, node))


class Hoister(ComprehensionLowering):
    """Rewrites the statement lists of one function (and of the functions nested in it)."""

    def __init__(self, root, locate=None, resolve=None):
        self.locate = locate or (lambda node: None)
        self.resolve = resolve or (lambda n: getattr(builtins, n, None))
        every = [n for n in gast.walk(root) if isinstance(n, gast.Name)]
        self.names = NameSource({n.id for n in every})
        self.bound = {n.id for n in every if not isinstance(n.ctx, gast.Load)} | {
            n.name for n in gast.walk(root) if isinstance(n, gast.FunctionDef)}
        self.local_names = comprehension_locals(root)
        nested = [n for n in gast.walk(root) if isinstance(n, (gast.FunctionDef, gast.Lambda))
                  and n is not root]
        # What local functions read when called: a name they read must not be assigned
        # early (by a hoisted ':=') or built up in place (`total = sum(...)` as a loop).
        self.local_functions = frozenset(
            [n.name for n in nested if isinstance(n, gast.FunctionDef)]
            + [t.id for n in gast.walk(root) if isinstance(n, gast.Assign)
               and isinstance(n.value, gast.Lambda) for t in n.targets
               if isinstance(t, gast.Name)])
        self.closure_reads = frozenset(n.id for f in nested for n in gast.walk(f)
                                       if isinstance(n, gast.Name)
                                       and isinstance(n.ctx, gast.Load))
        self.kept: set = set()

    # ----------------------------------------------------------------------------- helpers
    def fresh(self, base: str) -> str:
        return self.names.derived(base)

    def located(self, new, like):
        """`new` with the location of `like` on every node that has none of its own."""
        if getattr(like, "lineno", None) is None:
            return new
        for node in gast.walk(new):
            if isinstance(node, (gast.expr, gast.stmt)) and getattr(node, "lineno", None) is None:
                gast.copy_location(node, like)
        return new

    def builtin(self, func):
        """The builtin of KNOWN_BUILTINS the expression `func` names, or None."""
        if not isinstance(func, gast.Name) or func.id in self.bound:
            return None
        obj = self.resolve(func.id)
        return next((b for b in KNOWN_BUILTINS if obj is b), None)

    def sink(self) -> _Sink:
        return _Sink(self.local_functions, self.closure_reads)

    def fail(self, node, what: str, hint: str):
        raise UnsupportedSyntaxError(f"{what} are not supported", self.locate(node), hint)

    def needs(self, node) -> bool:
        """Whether the expression `node` holds something this pass moves out."""
        for n in gast.walk(node):
            if isinstance(n, (gast.ListComp, gast.GeneratorExp, gast.NamedExpr)):
                return True
            if isinstance(n, gast.Call) and (self.consumer(n) is not None
                                             or self.folded_extremum(n) is not None):
                return True
        return False

    # ----------------------------------------------------------------------------- expressions
    def expr(self, node, out: list, sink: _Sink):
        """`node` with what it hides moved into `out` (in evaluation order)."""
        if not self.needs(node):
            sink.read(node)
            return node
        if isinstance(node, gast.NamedExpr):
            value = self.expr(node.value, out, sink)
            return self.fragment(node, out, sink, ([self.located(assign(node.target.id, value),
                                                                  node)],
                                                   self.located(name(node.target.id), node)))
        if isinstance(node, gast.ListComp):
            return self.fragment(node, out, sink, self.list_of(node))
        if isinstance(node, gast.GeneratorExp):
            self.fail(node, "generator expressions outside sum(), min(), max(), any(), all(), "
                      "list(), tuple() and for loops", "use a list comprehension: [... for ...]")
        if self.consumer(node) is not None:
            return self.fragment(node, out, sink, self.consume(node))
        folded = self.folded_extremum(node)
        if folded is not None:
            return self.expr(folded, out, sink)
        if isinstance(node, gast.Lambda):  # a def before the statement, then its name
            defined = self.as_def(node, self.fresh("function"))
            return self.fragment(node, out, sink, (defined, self.located(
                name(defined[0].name), node)))
        if isinstance(node, gast.IfExp) and (self.needs(node.body) or self.needs(node.orelse)):
            return self.fragment(node, out, sink, self.conditional(node))
        if isinstance(node, gast.BoolOp) and any(self.needs(v) for v in node.values[1:]):
            return self.fragment(node, out, sink, self.short_circuit(node))
        if isinstance(node, gast.Compare) and any(self.needs(c) for c in node.comparators[1:]):
            self.fail(node, "comprehensions and ':=' after the first comparison of a chain",
                      "split the chain: 'a < b and b < c'")
        for field, value in gast.iter_fields(node):
            if isinstance(value, gast.AST):
                setattr(node, field, self.expr(value, out, sink))
            elif isinstance(value, list):
                setattr(node, field, [self.expr(v, out, sink) if isinstance(v, gast.AST) else v
                                      for v in value])
        return node

    def fragment(self, node, out, sink, built):
        stmts, result = built
        sink.wrote(stmts, node)
        out.extend(stmts)
        return result

    def as_def(self, node, fn_name: str) -> list:
        """The lambda `node` as the statements of an equal nested ``def`` named `fn_name`
        (a lambda's body is one expression: a loop or an assignment cannot go into it)."""
        if any(isinstance(n, gast.NamedExpr) for n in gast.walk(node.body)):
            self.fail(node, "assignment expressions (':=') inside a lambda", _LAMBDA_HINT)
        body = [self.located(gast.Return(value=node.body), node.body)]
        fn = gast.FunctionDef(name=fn_name, args=node.args, body=body, decorator_list=[],
                              returns=None, type_comment=None, type_params=[])
        self.local_functions |= {fn_name}
        return self.block([self.located(fn, node)])

    def conditional(self, node):
        """``a if c else b`` as an ``if`` statement: each branch's statements run only when
        Python evaluates that branch."""
        value = self.fresh("value")
        raw = gast.If(test=node.test, body=[assign(value, node.body)],
                      orelse=[assign(value, node.orelse)])
        return self.block([self.located(raw, node)]), self.located(name(value), node)

    def short_circuit(self, node):
        """``a and b`` (``or``) as statements: b is evaluated only when a is true (false)."""
        value = self.fresh("value")
        raw = [assign(value, node.values[0])]
        for operand in node.values[1:]:
            test = name(value) if isinstance(node.op, gast.And) else gast.UnaryOp(
                op=gast.Not(), operand=name(value))
            raw.append(gast.If(test=test, body=[assign(value, operand)], orelse=[]))
        return self.block([self.located(s, node) for s in raw]), self.located(name(value), node)

    def iterable(self, node, out, sink):
        """A for loop's iterable: a generator expression there (or as an argument of zip,
        enumerate or reversed there) is a list."""
        if isinstance(node, gast.GeneratorExp):
            return self.fragment(node, out, sink, self.list_of(node))
        if isinstance(node, gast.Call) and self.builtin(node.func) in (zip, enumerate, reversed):
            node.args = [self.iterable(a, out, sink) for a in node.args]
            node.keywords = [self.expr(k, out, sink) for k in node.keywords]
            return node
        return self.expr(node, out, sink)

    def check(self, sink: _Sink) -> None:
        """Refuse a statement whose hoisted assignments Python would run after the statement
        itself reads the variable they assign (``y + (y := 2)``)."""
        for var, step, node in sink.writes:
            if sink.reads.get(var, step) < step:
                raise UnsupportedSyntaxError(
                    f"{var!r} is read before the assignment expression that sets it in the same "
                    "statement, which s2sad cannot keep in order", self.locate(node),
                    f"assign {var!r} on a line of its own")

    # ----------------------------------------------------------------------------- statements
    def block(self, stmts: list) -> list:
        out = []
        for stmt in stmts:
            method = getattr(self, "stmt_" + type(stmt).__name__, None)
            out.extend(method(stmt) if method is not None else [stmt])
        return out

    def hoist(self, stmt, fields, iterable=False) -> list:
        """The statements hoisted out of `stmt`'s expression `fields`, in order."""
        out, sink = [], self.sink()
        for field in fields:
            value = getattr(stmt, field)
            if value is not None:
                convert = self.iterable if iterable else self.expr
                setattr(stmt, field, convert(value, out, sink))
        self.check(sink)
        return out

    def stmt_Assign(self, stmt):
        direct = self.direct(stmt)
        if direct is not None:
            return direct
        out, sink = [], self.sink()
        stmt.value = self.expr(stmt.value, out, sink)
        for target in stmt.targets:
            if isinstance(target, gast.Subscript):
                target.slice = self.expr(target.slice, out, sink)
        self.check(sink)
        return out + [stmt]

    def direct(self, stmt):
        """``ys = [... for ...]`` (or ``= sum(...)`` ...) builds `ys` itself, unless the
        comprehension uses the name `ys`."""
        value = stmt.value
        if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], gast.Name) or (
                stmt.targets[0].id in self.closure_reads) or (
                stmt.targets[0].id in {n.id for n in gast.walk(value) if isinstance(n, gast.Name)}):
            return None
        target = stmt.targets[0].id
        if isinstance(value, gast.Lambda) and self.needs(value.body):
            return self.as_def(value, target)  # f = lambda ...: def f(...)
        if isinstance(value, gast.IfExp) and (self.needs(value.body) or self.needs(value.orelse)):
            branch = gast.If(test=value.test, body=[assign(target, value.body)],
                             orelse=[assign(target, value.orelse)])
            return self.block([self.located(branch, stmt)])
        if isinstance(value, gast.ListComp):
            return self.list_of(value, target)[0]
        if self.consumer(value) is None:
            return None
        stmts, result = self.consume(value, target)
        if not (isinstance(result, gast.Name) and result.id == target):
            stmts.append(self.located(assign(target, result), stmt))
        return stmts

    def stmt_AugAssign(self, stmt):
        out, sink = [], self.sink()
        sink.read(stmt.target)  # y += v reads y first
        stmt.value = self.expr(stmt.value, out, sink)
        self.check(sink)
        return out + [stmt]

    def stmt_Expr(self, stmt):
        return self.hoist(stmt, ("value",)) + [stmt]

    def stmt_Return(self, stmt):
        return self.hoist(stmt, ("value",)) + [stmt]

    def stmt_If(self, stmt):
        out = self.hoist(stmt, ("test",))
        stmt.body, stmt.orelse = self.block(stmt.body), self.block(stmt.orelse)
        return out + [stmt]

    def stmt_For(self, stmt):
        out = self.hoist(stmt, ("iter",), iterable=True)
        stmt.target, unpack = self.flat_target(stmt.target)
        stmt.body = self.block(unpack + stmt.body)
        stmt.orelse = self.block(stmt.orelse)
        return out + [stmt]

    def stmt_While(self, stmt):
        out = self.hoist(stmt, ("test",))
        stmt.body, stmt.orelse = self.block(stmt.body), self.block(stmt.orelse)
        if out:  # the test runs again before every trip
            stmt.body = _before_continue(stmt.body, out) + copy.deepcopy(out)
        return out + [stmt]

    def stmt_FunctionDef(self, stmt):
        stmt.body = self.block(stmt.body)
        return [stmt]

    def flat_target(self, target):
        """(a flat loop target, statements unpacking its nested parts): ``i, (a, b)`` is
        ``i, a_b`` then ``a, b = a_b``."""
        if not isinstance(target, (gast.Tuple, gast.List)):
            return target, []
        elts, unpack = [], []
        for elt in target.elts:
            if isinstance(elt, (gast.Tuple, gast.List)):
                part = self.fresh("_".join(target_names(elt)))
                elts.append(self.located(name(part, True), elt))
                inner, more = self.flat_target(elt)
                inner = gast.Tuple(elts=inner.elts, ctx=gast.Store())
                unpack.append(self.located(gast.Assign(targets=[inner], value=name(part),
                                                       type_comment=None), elt))
                unpack.extend(more)
            else:
                elts.append(elt)
        return self.located(gast.Tuple(elts=elts, ctx=gast.Store()), target), unpack


def _before_continue(stmts: list, prelude: list) -> list:
    """`stmts` with a copy of `prelude` before each ``continue`` of their loop."""
    out = []
    for stmt in stmts:
        if isinstance(stmt, gast.Continue):
            out.extend(copy.deepcopy(prelude))
        elif isinstance(stmt, gast.If):
            stmt.body = _before_continue(stmt.body, prelude)
            stmt.orelse = _before_continue(stmt.orelse, prelude)
        out.append(stmt)
    return out


def hoist_expressions(fn, locate=None, resolve=None) -> None:
    """Rewrite the function `fn` (and the functions nested in it) in place, as the module doc
    says; `resolve(name)` gives the object a free name denotes (to recognise builtins)."""
    if getattr(fn, HOISTED, False):
        return
    hoister = Hoister(fn, locate, resolve)
    if isinstance(fn, gast.Lambda):
        if hoister.needs(fn.body):
            hoister.fail(fn, "comprehensions and ':=' in a differentiated lambda",
                         "differentiate a 'def' function instead")
        return
    fn.body = hoister.block(fn.body)
    for node in gast.walk(fn):
        if isinstance(node, gast.FunctionDef):
            setattr(node, HOISTED, True)
