"""Parse: from a live Python function to its gast AST and the objects its names denote.

The frontend is the only stage that looks at the live function. :mod:`.source` reads its
text (and :mod:`.stale` checks that text is the code that runs); this module dedents and
parses it with gast, and records where it came from so every later error can point back at
``file:line:col``. Free names (globals, closure cells, builtins) are resolved here, once, at
transformation time. Within one build each function is parsed once (:func:`parsing_once`).
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import sys
import textwrap
import types
from collections.abc import Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import gast

from ..errors import Location, UnsupportedSyntaxError, check_nesting, with_nesting_room
from .source import Source, no_source, read_source
from .stale import check_source_matches

_MISSING = object()


@dataclass
class ParsedFunction:
    """A function's AST plus everything needed to resolve names and report errors."""

    fn: object
    node: gast.FunctionDef
    filename: str
    line_offset: int  # add to a node's lineno to get the line in `filename`
    col_offset: int  # add to a node's col_offset to get the column in `filename`
    source: str  # the dedented source text
    source_hash: str
    scope: dict = field(default_factory=dict)  # closure cells first, then globals
    file_lines: Sequence = field(default_factory=list)  # the file's lines, 0-based
    inlined: bool = False  # set by the lowering when it inlines the function into a caller
    # The fence modes (see fence.check) this function passed: within one build the same
    # ParsedFunction is fenced once per mode, however many times it is lowered.
    fenced: set = field(default_factory=set)

    def location(self, node) -> Location | None:
        """The ``file:line:col`` of a gast node, with its source line."""
        lineno = getattr(node, "lineno", None)
        if lineno is None:
            return None
        line = lineno + self.line_offset
        col = getattr(node, "col_offset", 0) + self.col_offset
        text = self.file_lines[line - 1] if 0 < line <= len(self.file_lines) else ""
        return Location(self.filename, line, col, text)

    def resolve(self, name: str):
        """The object `name` denotes inside the function, or the sentinel `MISSING`."""
        if name in self.scope:
            return self.scope[name]
        return getattr(builtins, name, _MISSING)


MISSING = _MISSING

# Packages whose Python functions are library code, never inlined: a call to one of them needs
# a registered rule (np.linalg.norm is a Python function, but s2sad must not differentiate
# NumPy's implementation of it).
_LIBRARY_PACKAGES = frozenset(sys.stdlib_module_names) | {"numpy", "s2sad", "scipy"}


def derivative_of(obj):
    """``(f, steps)`` for a function s2sad made (``s2sad.grad(f)``: steps ``(("grad", 0),)``),
    whose code is the derivative program of `f` that those steps describe; else None."""
    return getattr(obj, "__s2sad_derivative__", None)


def user_function(obj):
    """The Python function to inline for a call of `obj`, or None if it is not user code.

    User code is a plain function (or lambda) defined outside the standard library, NumPy and
    s2sad, or a function s2sad generated (``s2sad.grad(f)``), or an ``@s2sad.differentiate``
    function.
    """
    obj = getattr(obj, "__s2sad_function__", obj)
    if derivative_of(obj) is not None:
        return obj
    if not isinstance(obj, types.FunctionType):
        return None
    package = (getattr(obj, "__module__", None) or "").split(".")[0]
    return None if package in _LIBRARY_PACKAGES else obj


def closure_values(fn) -> dict:
    """The values `fn` closes over, by name; an empty cell (an enclosing variable not bound
    yet) is left out."""
    code = getattr(fn, "__code__", None)
    values = {}
    if code is not None:
        for name, cell in zip(code.co_freevars, getattr(fn, "__closure__", None) or ()):
            try:
                values[name] = cell.cell_contents
            except ValueError:
                pass
    return values


def _function_scope(fn) -> dict:
    return {**getattr(fn, "__globals__", {}), **closure_values(fn)}


def parse_source(text: str, scope: dict, filename: str, fn=None) -> ParsedFunction:
    """Parse generated code (a single ``def``) so it can be transformed again."""
    node = gast.parse(text).body[0]
    return ParsedFunction(
        fn=fn,
        node=node,
        filename=filename,
        line_offset=0,
        col_offset=0,
        source=text,
        source_hash=hashlib.sha256(text.encode()).hexdigest(),
        scope=dict(scope),
        file_lines=text.splitlines(True),
    )


def _parse_nested(text: str, filename: str, first_line: int, indent: int, file_lines: list):
    """``gast.parse(text)``, however deeply the code nests (gast's translation from ast is
    recursive); code nested deeper than s2sad transforms is refused at its statement."""
    tree = ast.parse(text)

    def locate(node) -> Location:
        line = first_line + getattr(node, "lineno", 1) - 1
        source_line = file_lines[line - 1] if 0 < line <= len(file_lines) else ""
        return Location(filename, line, getattr(node, "col_offset", 0) + indent, source_line)

    depth = check_nesting(tree, locate)
    return with_nesting_room(depth, lambda: gast.ast_to_gast(tree))


# The functions parsed during the current build: {id(fn): (fn, ParsedFunction)}. A build
# reads a function's source in several places (the API, the walk for dependencies, the
# lowering's inliner); within one build they share one parse. None outside a build.
_parsed_in_build: ContextVar[dict | None] = ContextVar("s2sad_parsed_in_build", default=None)


@contextmanager
def parsing_once(fresh: bool = False):
    """Within the block, :func:`parse_function` parses each function once and hands out the
    same :class:`ParsedFunction` again. An enclosing block's memo is kept unless `fresh` (a
    build of its own, such as a recursive callee's derivative, starts a new one)."""
    if _parsed_in_build.get() is not None and not fresh:
        yield
        return
    token = _parsed_in_build.set({})
    try:
        yield
    finally:
        _parsed_in_build.reset(token)


def parse_function(fn) -> ParsedFunction:
    """Read, dedent and parse `fn`; raise :class:`NoSourceError` when that is impossible.

    A function s2sad made (``s2sad.grad(f)``) parses as `f`: its code is a derivative program
    of `f` (see :func:`derivative_of`), transformed from `f`'s IR, never from text. Inside
    :func:`parsing_once` a function is parsed once (a failure is not remembered: it is raised
    again where it is reported).
    """
    derived = derivative_of(fn)
    if derived is not None:
        return parse_function(derived[0])
    memo = _parsed_in_build.get()
    if memo is None:
        return _parse(fn)
    known = memo.get(id(fn))
    if known is not None and known[0] is fn:
        return known[1]
    parsed = _parse(fn)
    memo[id(fn)] = (fn, parsed)  # fn held: its id must not be reused while the memo lives
    return parsed


def _parse(fn) -> ParsedFunction:
    """:func:`parse_function` without the memo: the source read and parsed again."""
    found = read_source(fn)
    source = textwrap.dedent("".join(found.lines))
    file_lines = found.file_lines
    tree, in_parentheses = _parse_text(fn, source, found, file_lines)
    if fn.__name__ == "<lambda>":
        node = _find_lambda(tree, fn)
    else:
        node = _the_def(fn, tree, found, file_lines)
    check_source_matches(fn, found.lines, found.first_line, found.filename, in_parentheses)
    node.decorator_list = []
    return ParsedFunction(
        fn=fn,
        node=node,
        filename=found.filename,
        line_offset=found.first_line - 1,
        col_offset=found.indent,
        source=source,
        source_hash=hashlib.sha256(source.encode()).hexdigest(),
        scope=_function_scope(fn),
        file_lines=file_lines,
    )


def _parse_text(fn, source: str, found: Source, file_lines) -> tuple:
    """``(tree, in_parentheses)``: the dedented `source` of `fn` parsed. A lambda that is
    part of a larger expression is parsed as a parenthesized fragment (`in_parentheses`)."""
    filename, first_line, indent = found.filename, found.first_line, found.indent
    is_lambda = fn.__name__ == "<lambda>"
    text = source.strip() if is_lambda else source
    try:
        return _parse_nested(text, filename, first_line, indent, file_lines), False
    except SyntaxError:
        if not is_lambda:
            raise no_source(fn, "its source does not parse on its own") from None
    # A lambda inside a larger expression: parse the line as an expression fragment.
    try:
        return _parse_nested("(" + text.rstrip(",;") + ")", filename, first_line,
                             indent - 1, file_lines), True
    except SyntaxError:
        raise no_source(fn, "its lambda is not a self-contained expression") from None


def _the_def(fn, tree, found: Source, file_lines) -> gast.FunctionDef:
    """The ``def`` of `fn`, the first statement of its parsed source."""
    node = tree.body[0]
    if isinstance(node, gast.AsyncFunctionDef):
        line = found.first_line + node.lineno - 1
        raise UnsupportedSyntaxError(
            "async functions are not supported",
            Location(found.filename, line, found.indent,
                     file_lines[line - 1] if 0 < line <= len(file_lines) else ""),
            "differentiate a plain 'def' function")
    if not isinstance(node, gast.FunctionDef):
        raise no_source(fn, "its source is not a plain `def`")
    return node


def _find_lambda(tree, fn) -> gast.FunctionDef:
    """The lambda `fn` in its parsed source line (found by its parameters), as a ``def``."""
    code = fn.__code__
    argnames = list(code.co_varnames[: code.co_argcount])
    candidates = [n for n in gast.walk(tree) if isinstance(n, gast.Lambda)
                  and [a.id for a in n.args.args] == argnames]
    if len(candidates) > 1:
        raise no_source(fn, "several lambdas with the same parameters share its source line")
    if not candidates:
        raise no_source(fn, "its lambda could not be located in the source line")
    node = candidates[0]
    func = gast.FunctionDef(
        name="lambda_",
        args=node.args,
        body=[gast.Return(value=node.body)],
        decorator_list=[],
        returns=None,
        type_comment=None,
        type_params=[],
    )
    gast.copy_location(func, node)
    gast.copy_location(func.body[0], node.body)
    return func
