"""Desugar: rewrite the fenced AST into the structured subset the lowering expects.

- ``return`` anywhere becomes one return at the end: a ``return`` inside a branch moves the
  code after the branch into the other branch; a ``return`` inside a loop stores the result,
  sets a flag and breaks out, and the code after the loop runs only if the flag is unset.
- ``continue`` disappears: the rest of the iteration moves into the other branch of the ``if``
  that contains it.
- ``y[i] += v`` becomes ``y[i] = y[i] + v``; statements after ``break`` are dropped.
- comprehensions, ``sum`` / ``min`` / ``max`` / ``any`` / ``all`` of iterables and ``:=``
  become statements before the statement that uses them (:mod:`.hoisting`);
  ``try``/``finally`` becomes its body then its ``finally`` block; ``global`` declarations
  (of names only read) go; nested ``def`` statements move to the start of the function.

The result only has ``break`` as the last statement of a block, and a single final ``return``.
Every new node copies the location of the node it replaces, so errors still point at the
user's code.
"""

from __future__ import annotations

import copy

import gast

from ..ir import NameSource
from .hoisting import hoist_expressions


def _name(id_, ctx=None):
    return gast.Name(id=id_, ctx=ctx or gast.Load(), annotation=None, type_comment=None)


def _located(node, like):
    return gast.copy_location(node, like) if hasattr(like, "lineno") else node


def _contains(stmts, kinds, into_loops=False) -> bool:
    for stmt in stmts:
        for node in _walk_statement(stmt, into_loops):
            if isinstance(node, kinds):
                return True
    return False


def _walk_statement(stmt, into_loops):
    yield stmt
    if isinstance(stmt, (gast.FunctionDef, gast.Lambda)):
        return
    if isinstance(stmt, gast.If):
        for s in stmt.body + stmt.orelse:
            yield from _walk_statement(s, into_loops)
    elif isinstance(stmt, (gast.For, gast.While)) and into_loops:
        for s in stmt.body:
            yield from _walk_statement(s, into_loops)


def _terminates(stmts) -> bool:
    """Whether every path through `stmts` ends in break, continue or return."""
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, (gast.Break, gast.Continue, gast.Return)):
        return True
    if isinstance(last, gast.If):
        return _terminates(last.body) and _terminates(last.orelse)
    return False


def restructure(stmts: list) -> list:
    """Remove ``continue`` and dead code after ``break``/``continue`` from a loop body."""
    out = []
    for i, stmt in enumerate(stmts):
        if isinstance(stmt, gast.Continue):
            return out
        if isinstance(stmt, gast.Break):
            return out + [stmt]
        if isinstance(stmt, gast.If) and _contains([stmt], (gast.Break, gast.Continue)):
            rest = stmts[i + 1:]
            body = stmt.body if _terminates(stmt.body) else stmt.body + copy.deepcopy(rest)
            orelse = stmt.orelse if _terminates(stmt.orelse) else stmt.orelse + rest
            new = gast.If(test=stmt.test, body=restructure(body), orelse=restructure(orelse))
            return out + [_located(new, stmt)]
        out.append(_loops_restructured(stmt))
    return out


def _loops_restructured(stmt):
    if isinstance(stmt, (gast.For, gast.While)):
        stmt.body = restructure(stmt.body)
        stmt.orelse = [_loops_restructured(s) for s in stmt.orelse]
    elif isinstance(stmt, gast.If):
        stmt.body = [_loops_restructured(s) for s in stmt.body]
        stmt.orelse = [_loops_restructured(s) for s in stmt.orelse]
    return stmt


class _Returns:
    """Turns every ``return`` into assignments to result variables, then one final return."""

    def __init__(self, fn, taken: set, locate=None):
        self.fn = fn
        self.locate = locate or (lambda node: None)
        self.names = NameSource(taken)
        self.arity = None
        self.results: list = []
        self.flag = None

    def fresh(self, base):
        return self.names.derived(base)

    def result_names(self, value, node):
        arity = len(value.elts) if isinstance(value, gast.Tuple) else None
        if self.results and arity != self.arity:
            from ..errors import UnsupportedSyntaxError

            raise UnsupportedSyntaxError(
                "the function returns tuples of different lengths on different paths",
                self.locate(node), "return values of the same shape on every path")
        if not self.results:
            self.arity = arity
            count = 1 if arity is None else arity
            self.results = [self.fresh("result" if count == 1 else f"result{i}")
                            for i in range(count)]
        return self.results

    def store(self, ret):
        if ret.value is None:
            from ..errors import UnsupportedSyntaxError

            raise UnsupportedSyntaxError("a bare 'return' (returning None) is not supported",
                                         None, "return the value to differentiate")
        names = self.result_names(ret.value, ret)
        if len(names) == 1 and self.arity is None:
            targets = [_name(names[0], gast.Store())]
            value = ret.value
        else:
            targets = [gast.Tuple(elts=[_name(n, gast.Store()) for n in names], ctx=gast.Store())]
            value = ret.value
        return _located(gast.Assign(targets=targets, value=value, type_comment=None), ret)

    def block(self, stmts, in_loop) -> list:
        out = []
        for i, stmt in enumerate(stmts):
            if isinstance(stmt, gast.Return):
                out.append(self.store(stmt))
                if in_loop:
                    out.append(self.set_flag(stmt))
                    out.append(_located(gast.Break(), stmt))
                return out
            if isinstance(stmt, gast.If) and _contains([stmt], gast.Return, into_loops=True):
                rest = stmts[i + 1:]
                body = stmt.body if _terminates(stmt.body) else stmt.body + copy.deepcopy(rest)
                orelse = stmt.orelse if _terminates(stmt.orelse) else stmt.orelse + rest
                new = gast.If(test=stmt.test, body=self.block(body, in_loop),
                              orelse=self.block(orelse, in_loop))
                return out + [_located(new, stmt)]
            if isinstance(stmt, (gast.For, gast.While)) and _contains(
                stmt.body, gast.Return, into_loops=True
            ):
                flag = self.flag_name()
                out.append(_located(gast.Assign(targets=[_name(flag, gast.Store())],
                                                value=gast.Constant(False, None),
                                                type_comment=None), stmt))
                stmt.body = self.block(stmt.body, True)
                out.append(stmt)
                rest = self.block(stmts[i + 1:], in_loop)
                exit_now = [self.break_if_in_loop(stmt)] if in_loop else []
                out.append(_located(gast.If(test=_name(flag), body=exit_now,
                                            orelse=rest), stmt))
                return out
            out.append(stmt)
        return out

    def flag_name(self):
        if self.flag is None:
            self.flag = self.fresh("returned")
        return self.flag

    def set_flag(self, node):
        return _located(gast.Assign(targets=[_name(self.flag_name(), gast.Store())],
                                    value=gast.Constant(True, None), type_comment=None), node)

    def break_if_in_loop(self, node):
        return _located(gast.Break(), node)


def _walk_own(node):
    """gast.walk that does not enter nested functions and lambdas, in the same order (depth
    first, children left to right); iterative, so deeply nested code costs linear time."""
    stack = [node]
    while stack:
        node = stack.pop()
        yield node
        children = [child for child in gast.iter_child_nodes(node)
                    if not isinstance(child, (gast.FunctionDef, gast.Lambda))]
        stack.extend(reversed(children))


def single_exit(fn, locate=None) -> None:
    """Rewrite `fn` (a gast FunctionDef) in place so it has one return, at the end."""
    body = fn.body
    returns = [n for s in body if not isinstance(s, gast.FunctionDef)
               for n in _walk_own(s) if isinstance(n, gast.Return)]
    if len(returns) <= 1 and body and isinstance(body[-1], gast.Return):
        return
    taken = {n.id for n in gast.walk(fn) if isinstance(n, gast.Name)}
    rewriter = _Returns(fn, taken, locate)
    new_body = rewriter.block(body, in_loop=False)
    if not rewriter.results:
        return  # no return at all: the lowering reports it
    names = rewriter.results
    if rewriter.arity is None:
        value = _name(names[0])
    else:
        value = gast.Tuple(elts=[_name(n) for n in names], ctx=gast.Load())
    last = returns[-1]
    new_body.append(_located(gast.Return(value=value), last))
    fn.body = new_body


def _augassign_subscripts(fn) -> None:
    for node in gast.walk(fn):
        for field in ("body", "orelse"):
            stmts = getattr(node, field, None)
            if not isinstance(stmts, list):
                continue
            for i, stmt in enumerate(stmts):
                if isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Subscript):
                    load = copy.deepcopy(stmt.target)
                    load.ctx = gast.Load()
                    value = _located(gast.BinOp(left=load, op=stmt.op, right=stmt.value), stmt)
                    stmts[i] = _located(gast.Assign(targets=[stmt.target], value=value,
                                                    type_comment=None), stmt)


# Set on a FunctionDef once it is desugared. The lowering asks for a function's body more
# than once in a build (the function itself, then its body; a callee inlined at each call,
# which shares one parse per build): the rewrite runs once per tree.
DESUGARED = "_s2sad_desugared"


def _simple_statements(stmts: list) -> list:
    """`stmts` (and the blocks in them) without ``global`` declarations (the fence let only
    reads of such names through: they read the module's value, as any free name does), and
    with ``try: body finally: rest`` as ``body`` then ``rest`` (the fence let only bodies that
    run to their end through: without an exception, that is what Python runs)."""
    out = []
    for stmt in stmts:
        if isinstance(stmt, gast.Global):
            continue
        if isinstance(stmt, gast.Try):
            out.extend(_simple_statements(stmt.body + stmt.finalbody))
            continue
        for field in ("body", "orelse"):
            block = getattr(stmt, field, None)
            if isinstance(block, list) and block and isinstance(block[0], gast.stmt):
                setattr(stmt, field, _simple_statements(block))
        out.append(stmt)
    if stmts and not out:  # a block must not be empty
        out.append(_located(gast.Pass(), stmts[0]))
    return out


def _defs_first(fn) -> None:
    """Move the nested ``def`` statements of `fn`'s body to its start. Defining a function
    only binds its name (its defaults are constants, its body runs when called), so this
    keeps the meaning when nothing else binds that name; and a ``def`` after an early
    ``return`` then stays visible after ``single_exit`` moves that code into a branch."""
    bound = [n.id for n in gast.walk(fn) if isinstance(n, gast.Name)
             and not isinstance(n.ctx, gast.Load)]
    defs = [n.name for n in gast.walk(fn) if isinstance(n, gast.FunctionDef) and n is not fn]
    movable = [s for s in fn.body if isinstance(s, gast.FunctionDef)
               and s.name not in bound and defs.count(s.name) == 1]
    if not movable:
        return
    start = 1 if fn.body and isinstance(fn.body[0], gast.Expr) and isinstance(
        fn.body[0].value, gast.Constant) else 0  # after a docstring
    rest = [s for s in fn.body[start:] if not any(s is m for m in movable)]
    fn.body = fn.body[:start] + movable + rest


def desugar(fn, locate=None, resolve=None) -> None:
    """Rewrite the FunctionDef `fn` in place into the structured subset (see module doc);
    `locate(node)` gives the location for errors, `resolve(name)` the object a free name
    denotes (to recognise the builtins ``sum``, ``max`` ...). A tree already desugared is
    left alone."""
    if getattr(fn, DESUGARED, False):
        return
    if isinstance(fn, gast.FunctionDef):
        fn.body = _simple_statements(fn.body)
    hoist_expressions(fn, locate, resolve)
    if isinstance(fn, gast.FunctionDef):
        _defs_first(fn)
    _augassign_subscripts(fn)
    single_exit(fn, locate)
    fn.body = [_loops_restructured(s) for s in fn.body]
    setattr(fn, DESUGARED, True)
