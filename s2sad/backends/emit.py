"""Emit: IR -> gast -> Python source text.

Deterministic: the same IR always gives byte-identical text (``ast.unparse`` of a tree built in
program order, no dict or set iteration in between). Comments, which Python's AST cannot hold,
travel as marked string statements and are turned into ``#`` lines at the end.

Each primitive is written as the backend says (:meth:`s2sad.backends.Backend.spelling`); the
default backend, NumPy, writes each as it is bound (``Primitive.spelling``).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

import gast

from ..ir import (
    Break,
    Comment,
    Copy,
    Dotted,
    For,
    Function,
    If,
    Op,
    Pop,
    Push,
    Return,
    Var,
    While,
)
from . import NUMPY, Backend, get_backend


@dataclass
class Generated:
    """Generated source plus what the API needs to call it (``meta["backend"]`` names the
    backend the source was written for; absent, the default one)."""

    name: str
    source: str
    meta: dict = field(default_factory=dict)


_COMMENT_MARK = "__s2sad_comment__ "
_COMMENT_LINE = re.compile(r"^(\s*)(?:'''|\"\"\"|'|\")__s2sad_comment__ (.*?)(?:'''|\"\"\"|'|\")$")
_BINOPS = {"+": gast.Add, "-": gast.Sub, "*": gast.Mult, "/": gast.Div, "**": gast.Pow,
           "@": gast.MatMult, "%": gast.Mod, "//": gast.FloorDiv}
_UNARYOPS = {"-": gast.USub, "+": gast.UAdd, "not": gast.Not}


def _load(name: str):
    return gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)


def _store(name: str):
    return gast.Name(id=name, ctx=gast.Store(), annotation=None, type_comment=None)


def _dotted(spelling: str):
    parts = spelling.split(".")
    node = _load(parts[0])
    for attr in parts[1:]:
        node = gast.Attribute(value=node, attr=attr, ctx=gast.Load())
    return node


def const_expr(value, in_subscript=False):
    """A gast expression for a constant; slices use ``a:b`` syntax inside subscripts only."""
    if isinstance(value, Dotted):
        return _dotted(value)
    if isinstance(value, slice):
        parts = [None if p is None else const_expr(p) for p in (value.start, value.stop,
                                                                 value.step)]
        if in_subscript:
            return gast.Slice(lower=parts[0], upper=parts[1], step=parts[2])
        args = [p if p is not None else gast.Constant(None, None) for p in parts]
        return gast.Call(func=_load("slice"), args=args, keywords=[])
    if isinstance(value, tuple):
        return gast.Tuple(elts=[const_expr(v, in_subscript) for v in value], ctx=gast.Load())
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return gast.Call(func=_load("float"), args=[gast.Constant(repr(value), None)],
                         keywords=[])
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        return gast.UnaryOp(op=gast.USub(), operand=gast.Constant(-value, None))
    return gast.Constant(value=value, kind=None)


def atom_expr(atom, in_subscript=False):
    if isinstance(atom, Var):
        return _load(atom.name)
    return const_expr(atom.value, in_subscript)


def _nest(elements, layout):
    """Rebuild the nested list literal of ``np.array([...])`` from its flat elements."""
    root: list = []
    for elt, position in zip(elements, layout):
        level = root
        for i in position[:-1]:
            while len(level) <= i:
                level.append([])
            level = level[i]
        level.append(elt)

    def to_node(item):
        if isinstance(item, list):
            return gast.List(elts=[to_node(i) for i in item], ctx=gast.Load())
        return item

    return to_node(root)


def op_expr(op: Op, backend: Backend = NUMPY):
    """The right-hand side expression of an operation, spelled for `backend`."""
    prim = op.prim
    spelling = backend.spelling(prim)
    args = [atom_expr(a) for a in op.args]
    if prim.form == "binop":
        return gast.BinOp(left=args[0], op=_BINOPS[spelling](), right=args[1])
    if prim.form == "unaryop":
        return gast.UnaryOp(op=_UNARYOPS[spelling](), operand=args[0])
    if prim.form == "compare":
        return gast.Compare(left=args[0], ops=[prim.compare_op()], comparators=[args[1]])
    if prim.form == "attribute":
        return gast.Attribute(value=args[0], attr=spelling, ctx=gast.Load())
    if prim.form == "getattr":
        return gast.Attribute(value=args[0], attr=op.kwarg("name").value, ctx=gast.Load())
    if prim.form == "subscript":
        return gast.Subscript(value=args[0], slice=atom_expr(op.kwarg("index"), True),
                              ctx=gast.Load())
    if prim.form == "tuple":
        return gast.Tuple(elts=args, ctx=gast.Load())
    if prim.form == "list":
        return gast.List(elts=args, ctx=gast.Load())
    keywords = [gast.keyword(arg=k, value=atom_expr(v)) for k, v in op.kwargs]
    if prim.form == "opaque":  # a call s2sad has no rule for, as the user wrote it
        return gast.Call(func=_dotted(spelling), args=args, keywords=keywords)
    if prim.form == "opaque_method":
        method = gast.Attribute(value=args[0], attr=spelling, ctx=gast.Load())
        return gast.Call(func=method, args=args[1:], keywords=keywords)
    if prim.form == "opaque_attribute":
        return gast.Attribute(value=args[0], attr=spelling, ctx=gast.Load())
    keywords = []
    if prim.form == "array":
        layout = op.kwarg("layout").value
        args = [_nest(args, layout)]
        keywords = [gast.keyword(arg=k, value=atom_expr(v)) for k, v in op.kwargs
                    if k != "layout"]
        return gast.Call(func=_dotted(spelling), args=args, keywords=keywords)
    # Arguments and required parameters positionally, in signature order; the rest by keyword.
    values = dict(zip(prim.argnames, args))
    kw = dict(op.kwargs)
    required = {name for name, _ in prim.params[: prim.required_params]}
    args = []
    for name in prim.signature:
        if name in values:
            args.append(values[name])
        elif name in required and name in kw:
            args.append(atom_expr(kw[name]))
    for name, _ in prim.params:
        if name in kw and name not in required:
            keywords.append(gast.keyword(arg=name, value=atom_expr(kw[name])))
    return gast.Call(func=_dotted(spelling), args=args, keywords=keywords)


def _assign(target: str, value):
    return gast.Assign(targets=[_store(target)], value=value, type_comment=None)


def stmt_nodes(stmt, backend: Backend = NUMPY) -> list:
    if isinstance(stmt, Op):
        return [_assign(stmt.target, op_expr(stmt, backend))]
    if isinstance(stmt, Copy):
        return [_assign(stmt.target, atom_expr(stmt.value))]
    if isinstance(stmt, Return):
        if stmt.is_tuple:
            value = gast.Tuple(elts=[atom_expr(a) for a in stmt.values], ctx=gast.Load())
        else:
            value = atom_expr(stmt.values[0])
        return [gast.Return(value=value)]
    if isinstance(stmt, Comment):
        return [gast.Expr(value=gast.Constant(_COMMENT_MARK + stmt.text, None))]
    if isinstance(stmt, If):
        test, body, orelse = atom_expr(stmt.test), stmt.body, stmt.orelse
        if not body and orelse:
            test, body, orelse = gast.UnaryOp(op=gast.Not(), operand=test), orelse, []
        return [gast.If(test=test, body=body_nodes(body, backend),
                        orelse=_nodes(orelse, backend))]
    if isinstance(stmt, For):
        iterable = gast.Call(func=_load("range"), args=[atom_expr(b) for b in stmt.bounds],
                             keywords=[])
        if stmt.limit is not None:
            iterable = gast.Subscript(value=iterable, slice=gast.Slice(
                lower=None, upper=atom_expr(stmt.limit), step=None), ctx=gast.Load())
        if stmt.reverse:
            iterable = gast.Call(func=_load("reversed"), args=[iterable], keywords=[])
        return [gast.For(target=_store(stmt.target), iter=iterable,
                         body=body_nodes(stmt.body, backend),
                         orelse=_nodes(stmt.orelse, backend), type_comment=None)]
    if isinstance(stmt, While):
        return [_while(stmt, backend)]
    if isinstance(stmt, Break):
        return [gast.Break()]
    if isinstance(stmt, Push):
        values = [atom_expr(v) for v in stmt.values]
        item = values[0] if len(values) == 1 else gast.Tuple(elts=values, ctx=gast.Load())
        call = gast.Call(func=gast.Attribute(value=_load(stmt.stack), attr="append",
                                             ctx=gast.Load()), args=[item], keywords=[])
        return [gast.Expr(value=call)]
    if isinstance(stmt, Pop):
        call = gast.Call(func=gast.Attribute(value=_load(stmt.stack), attr="pop",
                                             ctx=gast.Load()), args=[], keywords=[])
        if len(stmt.targets) == 1:
            target = _store(stmt.targets[0])
        else:
            target = gast.Tuple(elts=[_store(t) for t in stmt.targets], ctx=gast.Store())
        return [gast.Assign(targets=[target], value=call, type_comment=None)]
    raise TypeError(f"cannot emit {stmt!r}")


def _while(stmt, backend: Backend):
    """``while test:`` when the test is one expression, else ``while True: ... break``."""
    test_body = stmt.test_body
    single = (len(test_body) == 1 and isinstance(test_body[0], Op)
              and isinstance(stmt.test, Var) and test_body[0].target == stmt.test.name)
    orelse = _nodes(stmt.orelse, backend)
    if not test_body:
        return gast.While(test=atom_expr(stmt.test), body=body_nodes(stmt.body, backend),
                          orelse=orelse)
    if single:
        return gast.While(test=op_expr(test_body[0], backend),
                          body=body_nodes(stmt.body, backend), orelse=orelse)
    # The loop ends by this break when its test fails: that is when its `else` runs.
    exit_test = gast.If(test=gast.UnaryOp(op=gast.Not(), operand=atom_expr(stmt.test)),
                        body=orelse + [gast.Break()], orelse=[])
    return gast.While(test=gast.Constant(True, None),
                      body=_nodes(test_body, backend) + [exit_test] + _nodes(stmt.body, backend),
                      orelse=[])


def _nodes(body, backend: Backend = NUMPY) -> list:
    nodes = []
    for stmt in body:
        nodes.extend(stmt_nodes(stmt, backend))
    return nodes


def body_nodes(body, backend: Backend = NUMPY) -> list:
    return _nodes(body, backend) or [gast.Pass()]


def function_node(fn: Function, backend: Backend = NUMPY):
    params = [_param(p) for p in fn.params]
    defaults = [const_expr(d.value) for d in fn.defaults if d is not None]
    if len(defaults) != len([d for d in fn.defaults]):
        defaults = []  # non-literal defaults are attached to the compiled function instead
    args = gast.arguments(args=params, posonlyargs=[], vararg=None, kwonlyargs=[],
                          kw_defaults=[], kwarg=None, defaults=defaults)
    return gast.FunctionDef(name=fn.name, args=args, body=body_nodes(fn.body, backend),
                            decorator_list=[], returns=None, type_comment=None, type_params=[])


def _param(name: str):
    return gast.Name(id=name, ctx=gast.Param(), annotation=None, type_comment=None)


def to_source(fn: Function, backend: Backend | str = NUMPY) -> str:
    """The Python source text of an IR function, for `backend` (a Backend or its name)."""
    if not isinstance(backend, Backend):
        backend = get_backend(backend)
    module = gast.Module(body=[function_node(fn, backend)], type_ignores=[])
    tree = ast.fix_missing_locations(gast.gast_to_ast(module))
    text = ast.unparse(tree)
    lines = [_COMMENT_LINE.sub(r"\1# \2", line) for line in text.splitlines()]
    return "\n".join(lines) + "\n"
