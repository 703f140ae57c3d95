"""Emit: IR -> Python AST -> source text.

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
_BINOPS = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.Div, "**": ast.Pow,
           "@": ast.MatMult, "%": ast.Mod, "//": ast.FloorDiv}
_UNARYOPS = {"-": ast.USub, "+": ast.UAdd, "not": ast.Not}
_COMPARE = {"<": ast.Lt, "<=": ast.LtE, ">": ast.Gt, ">=": ast.GtE, "==": ast.Eq, "!=": ast.NotEq,
            "is": ast.Is, "is not": ast.IsNot}


def _load(name: str):
    return ast.Name(id=name, ctx=ast.Load())


def _store(name: str):
    return ast.Name(id=name, ctx=ast.Store())


def _dotted(spelling: str):
    parts = spelling.split(".")
    node = _load(parts[0])
    for attr in parts[1:]:
        node = ast.Attribute(value=node, attr=attr, ctx=ast.Load())
    return node


def const_expr(value, in_subscript=False):
    """An expression node for a constant; slices use ``a:b`` syntax inside subscripts only."""
    if isinstance(value, Dotted):
        return _dotted(value)
    if isinstance(value, slice):
        parts = [None if p is None else const_expr(p) for p in (value.start, value.stop,
                                                                 value.step)]
        if in_subscript:
            return ast.Slice(lower=parts[0], upper=parts[1], step=parts[2])
        args = [p if p is not None else ast.Constant(None, None) for p in parts]
        return ast.Call(func=_load("slice"), args=args, keywords=[])
    if isinstance(value, tuple):
        return ast.Tuple(elts=[const_expr(v, in_subscript) for v in value], ctx=ast.Load())
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return ast.Call(func=_load("float"), args=[ast.Constant(repr(value), None)],
                         keywords=[])
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(-value, None))
    return ast.Constant(value=value, kind=None)


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
            return ast.List(elts=[to_node(i) for i in item], ctx=ast.Load())
        return item

    return to_node(root)


def op_expr(op: Op, backend: Backend = NUMPY):
    """The right-hand side expression of an operation, spelled for `backend`."""
    prim = op.prim
    spelling = backend.spelling(prim)
    args = [atom_expr(a) for a in op.args]
    if prim.form == "binop":
        return ast.BinOp(left=args[0], op=_BINOPS[spelling](), right=args[1])
    if prim.form == "unaryop":
        return ast.UnaryOp(op=_UNARYOPS[spelling](), operand=args[0])
    if prim.form == "compare":
        return ast.Compare(left=args[0], ops=[_COMPARE[prim.spelling]()], comparators=[args[1]])
    if prim.form == "attribute":
        return ast.Attribute(value=args[0], attr=spelling, ctx=ast.Load())
    if prim.form == "getattr":
        return ast.Attribute(value=args[0], attr=op.kwarg("name").value, ctx=ast.Load())
    if prim.form == "subscript":
        return ast.Subscript(value=args[0], slice=atom_expr(op.kwarg("index"), True),
                              ctx=ast.Load())
    if prim.form == "tuple":
        return ast.Tuple(elts=args, ctx=ast.Load())
    if prim.form == "fstring":
        return _fstring(op.kwarg("parts").value, iter(args))
    if prim.form == "list":
        return ast.List(elts=args, ctx=ast.Load())
    keywords = [ast.keyword(arg=k, value=atom_expr(v)) for k, v in op.kwargs]
    if prim.form in ("opaque", "effect"):  # a call s2sad has no rule for, as written
        return ast.Call(func=_dotted(spelling), args=args, keywords=keywords)
    if prim.form == "opaque_method":
        method = ast.Attribute(value=args[0], attr=spelling, ctx=ast.Load())
        return ast.Call(func=method, args=args[1:], keywords=keywords)
    if prim.form == "opaque_attribute":
        return ast.Attribute(value=args[0], attr=spelling, ctx=ast.Load())
    keywords = []
    if prim.form == "array":
        layout = op.kwarg("layout").value
        args = [_nest(args, layout)]
        keywords = [ast.keyword(arg=k, value=atom_expr(v)) for k, v in op.kwargs
                    if k != "layout"]
        return ast.Call(func=_dotted(spelling), args=args, keywords=keywords)
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
            keywords.append(ast.keyword(arg=name, value=atom_expr(kw[name])))
    return ast.Call(func=_dotted(spelling), args=args, keywords=keywords)


def _fstring(parts, values):
    """``f"..."`` of texts and fields (rules/effects.py's FSTRING), each field a value."""
    nodes = []
    for part in parts:
        if isinstance(part, str):
            nodes.append(ast.Constant(value=part, kind=None))
            continue
        conversion, spec = part
        nodes.append(ast.FormattedValue(
            value=next(values), conversion=ord(conversion) if conversion else -1,
            format_spec=ast.JoinedStr(values=[ast.Constant(spec, None)]) if spec else None))
    return ast.JoinedStr(values=nodes)


def _assign(target: str, value):
    return ast.Assign(targets=[_store(target)], value=value, type_comment=None, lineno=0)


def _effect(op: Op, backend: Backend):
    """A debugging statement (rules/effects.py), bare: nothing reads its result."""
    if op.prim.form == "assert":
        return ast.Assert(test=atom_expr(op.args[0]),
                          msg=atom_expr(op.args[1]) if len(op.args) > 1 else None)
    return ast.Expr(value=op_expr(op, backend))


def stmt_nodes(stmt, backend: Backend = NUMPY) -> list:
    if backend.statement is not None:  # a backend's own spelling of some statements
        nodes = backend.statement(stmt, backend)
        if nodes is not None:
            return nodes
    if isinstance(stmt, Op):
        if stmt.prim.effect:
            return [_effect(stmt, backend)]
        return [_assign(stmt.target, op_expr(stmt, backend))]
    if isinstance(stmt, Copy):
        return [_assign(stmt.target, atom_expr(stmt.value))]
    if isinstance(stmt, Return):
        if stmt.is_tuple:
            value = ast.Tuple(elts=[atom_expr(a) for a in stmt.values], ctx=ast.Load())
        else:
            value = atom_expr(stmt.values[0])
        return [ast.Return(value=value)]
    if isinstance(stmt, Comment):
        return [ast.Expr(value=ast.Constant(_COMMENT_MARK + stmt.text, None))]
    if isinstance(stmt, If):
        test, body, orelse = atom_expr(stmt.test), stmt.body, stmt.orelse
        if not body and orelse:
            test, body, orelse = ast.UnaryOp(op=ast.Not(), operand=test), orelse, []
        return [ast.If(test=test, body=body_nodes(body, backend),
                        orelse=_nodes(orelse, backend))]
    if isinstance(stmt, For):
        iterable = ast.Call(func=_load("range"), args=[atom_expr(b) for b in stmt.bounds],
                             keywords=[])
        if stmt.limit is not None:
            iterable = ast.Subscript(value=iterable, slice=ast.Slice(
                lower=None, upper=atom_expr(stmt.limit), step=None), ctx=ast.Load())
        if stmt.reverse:
            iterable = ast.Call(func=_load("reversed"), args=[iterable], keywords=[])
        return [ast.For(target=_store(stmt.target), iter=iterable,
                        body=body_nodes(stmt.body, backend),
                        orelse=_nodes(stmt.orelse, backend), type_comment=None, lineno=0)]
    if isinstance(stmt, While):
        return [_while(stmt, backend)]
    if isinstance(stmt, Break):
        return [ast.Break()]
    if isinstance(stmt, Push):
        # A flat tape: the values one after the other (``_stack.extend((s, t1))``), never a
        # tuple per trip, whose header would cost more memory than two floats.
        values = [atom_expr(v) for v in stmt.values]
        method, item = ("append", values[0]) if len(values) == 1 else (
            "extend", ast.Tuple(elts=values, ctx=ast.Load()))
        call = ast.Call(func=ast.Attribute(value=_load(stmt.stack), attr=method,
                                             ctx=ast.Load()), args=[item], keywords=[])
        return [ast.Expr(value=call)]
    if isinstance(stmt, Pop):  # the values of a push, last first
        return [ast.Assign(targets=[_store(target)], value=ast.Call(
            func=ast.Attribute(value=_load(stmt.stack), attr="pop", ctx=ast.Load()), args=[],
            keywords=[]), type_comment=None, lineno=0) for target in reversed(stmt.targets)]
    raise TypeError(f"cannot emit {stmt!r}")


def _while(stmt, backend: Backend):
    """``while test:`` when the test is one expression, else ``while True: ... break``."""
    test_body = stmt.test_body
    single = (len(test_body) == 1 and isinstance(test_body[0], Op)
              and isinstance(stmt.test, Var) and test_body[0].target == stmt.test.name)
    orelse = _nodes(stmt.orelse, backend)
    if not test_body:
        return ast.While(test=atom_expr(stmt.test), body=body_nodes(stmt.body, backend),
                          orelse=orelse)
    if single:
        return ast.While(test=op_expr(test_body[0], backend),
                          body=body_nodes(stmt.body, backend), orelse=orelse)
    # The loop ends by this break when its test fails: that is when its `else` runs.
    exit_test = ast.If(test=ast.UnaryOp(op=ast.Not(), operand=atom_expr(stmt.test)),
                        body=orelse + [ast.Break()], orelse=[])
    return ast.While(test=ast.Constant(True, None),
                      body=_nodes(test_body, backend) + [exit_test] + _nodes(stmt.body, backend),
                      orelse=[])


def _nodes(body, backend: Backend = NUMPY) -> list:
    nodes = []
    for stmt in body:
        made = stmt_nodes(stmt, backend)
        loc = getattr(stmt, "loc", None)
        if loc is not None:  # where in the user's code it comes from, for line_map
            for node in made:
                node.s2sad_loc = loc
        nodes.extend(made)
    return nodes


def body_nodes(body, backend: Backend = NUMPY) -> list:
    return _nodes(body, backend) or [ast.Pass()]


def function_node(fn: Function, backend: Backend = NUMPY):
    params = [_param(p) for p in fn.params]
    defaults = [const_expr(d.value) for d in fn.defaults if d is not None]
    if len(defaults) != len([d for d in fn.defaults]):
        defaults = []  # non-literal defaults are attached to the compiled function instead
    args = ast.arguments(args=params, posonlyargs=[], vararg=None, kwonlyargs=[],
                          kw_defaults=[], kwarg=None, defaults=defaults)
    return ast.FunctionDef(name=fn.name, args=args, body=body_nodes(fn.body, backend),
                           decorator_list=[], returns=None, type_comment=None, lineno=0)


def _param(name: str):
    return ast.arg(arg=name)


def to_source(fn: Function, backend: Backend | str = NUMPY) -> str:
    """The Python source text of an IR function, for `backend` (a Backend or its name)."""
    return source_and_lines(fn, backend)[0]


def source_and_lines(fn: Function, backend: Backend | str = NUMPY) -> tuple:
    """``(text, lines)``: :func:`to_source`'s text, and where its lines come from in the
    user's code: ``{"files": [filename, ...], "map": [line, file, user line, ...]}``, three
    numbers per generated line that has a source location (1-based lines; `file` indexes
    ``files``). Tracebacks and debuggers show it next to the generated line."""
    if not isinstance(backend, Backend):
        backend = get_backend(backend)
    if backend.prepare is not None:
        fn = backend.prepare(fn)
    # Python's own nodes, unparsed as they are: no gast conversion and no location pass (the
    # two took half of a long function's build). Statements that may carry a type comment
    # have lineno 0, which is all unparsing reads of locations.
    module = ast.Module(body=[function_node(fn, backend)], type_ignores=[])
    text = ast.unparse(module)
    lines = [_COMMENT_LINE.sub(r"\1# \2", line) for line in text.splitlines()]
    return "\n".join(lines) + "\n", line_map(module, len(lines))


def line_map(module: ast.Module, n_lines: int) -> dict:
    """Where each line of ``ast.unparse(module)`` comes from (see :func:`source_and_lines`):
    the statements' ``s2sad_loc``, counted in the order ``ast.unparse`` writes them, one line
    per simple statement and per header (``if``, ``elif``, ``else:``...). Empty if the count
    disagrees with the text (the map would be wrong)."""
    files: dict = {}
    flat: list = []

    def record(node, line):
        loc = getattr(node, "s2sad_loc", None)
        if loc is not None and loc.filename:
            flat.extend((line, files.setdefault(loc.filename, len(files)), loc.line))

    def block(stmts, line):
        for node in stmts:
            record(node, line)
            line = block(node.body, line + 1) if hasattr(node, "body") else line + 1
            while isinstance(node, ast.If) and len(node.orelse) == 1 and isinstance(
                    node.orelse[0], ast.If):  # written as elif
                node = node.orelse[0]
                record(node, line)
                line = block(node.body, line + 1)
            if getattr(node, "orelse", None):
                line = block(node.orelse, line + 1)
        return line

    if block(module.body, 1) != n_lines + 1:
        return {"files": [], "map": []}
    return {"files": list(files), "map": flat}
