"""Parse: from a live Python function to its gast AST and the objects its names denote.

The frontend is the only stage that looks at the live function. It reads the source with
``inspect``, dedents it, parses it with gast, and records where it came from so every later
error can point back at ``file:line:col``. Free names (globals, closure cells, builtins) are
resolved here, once, at transformation time.
"""

from __future__ import annotations

import builtins
import dis
import hashlib
import inspect
import sys
import textwrap
import types
from dataclasses import dataclass, field

import gast

from .errors import Location, NoSourceError, UnsupportedSyntaxError

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
    file_lines: list = field(default_factory=list)

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


def user_function(obj):
    """The Python function to inline for a call of `obj`, or None if it is not user code.

    User code is a plain function (or lambda) defined outside the standard library, NumPy and
    s2sad, or a function s2sad generated (``s2sad.grad(f)``), or an ``@s2sad.differentiate``
    function.
    """
    obj = getattr(obj, "__s2sad_function__", obj)
    if getattr(obj, "__s2sad_source__", None) is not None:
        return obj
    if not isinstance(obj, types.FunctionType):
        return None
    package = (getattr(obj, "__module__", None) or "").split(".")[0]
    return None if package in _LIBRARY_PACKAGES else obj


def _function_scope(fn) -> dict:
    scope = dict(getattr(fn, "__globals__", {}))
    code = getattr(fn, "__code__", None)
    closure = getattr(fn, "__closure__", None) or ()
    if code is not None:
        for name, cell in zip(code.co_freevars, closure):
            try:
                scope[name] = cell.cell_contents
            except ValueError:  # an empty cell: the enclosing variable is not bound yet
                pass
    return scope


def _no_source(fn, why: str) -> NoSourceError:
    name = getattr(fn, "__qualname__", repr(fn))
    return NoSourceError(
        f"cannot read the source of {name!r}: {why}",
        hint="s2sad transforms Python source, so the function must be defined in a file.\n"
        "For a builtin or compiled function, wrap it with @s2sad.primitive and give it a rule "
        "with s2sad.defvjp / s2sad.defjvp.",
    )


def _find_lambda(tree, fn) -> gast.FunctionDef:
    code = fn.__code__
    argnames = list(code.co_varnames[: code.co_argcount])
    candidates = [n for n in gast.walk(tree) if isinstance(n, gast.Lambda)
                  and [a.id for a in n.args.args] == argnames]
    if len(candidates) > 1:
        raise _no_source(fn, "several lambdas with the same parameters share its source line")
    for node in candidates:
        if True:
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
    raise _no_source(fn, "its lambda could not be located in the source line")


def _find_code(code, name: str):
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            if const.co_name == name:
                return const
            found = _find_code(const, name)
            if found is not None:
                return found
    return None


def _fingerprint(code) -> tuple:
    """What a source edit changes in compiled code, and a context-dependent compilation does
    not (LOAD_METHOD versus LOAD_ATTR, caches): names, constants, variables, operators."""
    operators = sorted(i.argrepr for i in dis.get_instructions(code)
                       if i.opname in ("BINARY_OP", "COMPARE_OP", "UNARY_NEGATIVE",
                                       "BINARY_SUBSCR", "CALL", "CALL_FUNCTION"))
    consts = tuple(repr(c) for c in code.co_consts if not isinstance(c, types.CodeType))
    # A nested function's free variables are globals when its text is compiled on its own.
    names = set(code.co_names) | set(code.co_freevars)
    return (tuple(sorted(names)), code.co_varnames, consts, tuple(operators))


def _check_source_matches(fn, source: str, first_line: int) -> None:
    """Refuse a source file edited after `fn` was defined: its derivative would be of code
    that is not the code that runs."""
    try:
        module = compile("\n" * (first_line - 1) + source, fn.__code__.co_filename, "exec")
    except SyntaxError:
        return  # reported by the parser with a location
    compiled = _find_code(module, fn.__code__.co_name)
    if compiled is not None and _fingerprint(compiled) != _fingerprint(fn.__code__):
        raise NoSourceError(
            f"the source of {fn.__qualname__!r} changed after it was defined",
            Location(fn.__code__.co_filename, first_line, 0),
            "reload the module (importlib.reload) or restart, so the function that runs is "
            "the one in the file")


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


def parse_function(fn) -> ParsedFunction:
    """Read, dedent and parse `fn`; raise :class:`NoSourceError` when that is impossible.

    Functions returned by s2sad itself (``s2sad.grad(f)``) carry their generated source in
    ``__s2sad_source__``, so derivatives of derivatives transform the generated code again.
    """
    generated = getattr(fn, "__s2sad_source__", None)
    if generated is not None:
        text, scope, filename = generated()
        return parse_source(text, scope, filename, fn)
    if not inspect.isfunction(fn):
        raise _no_source(fn, "it is not a Python function (builtin, method or callable object)")
    if (getattr(fn, "__module__", "") or "").split(".")[0] == "s2sad":
        raise NoSourceError(
            f"{fn.__qualname__!r} is a function of s2sad itself, not user code",
            hint="only s2sad.grad(f) results can be differentiated again; for\n"
            "value_and_grad, jacobian or hessian results, differentiate s2sad.grad(f) instead")
    try:
        lines, first_line = inspect.getsourcelines(fn)
        filename = inspect.getsourcefile(fn) or fn.__code__.co_filename
    except (OSError, TypeError) as exc:
        raise _no_source(fn, str(exc)) from None
    raw = "".join(lines)
    source = textwrap.dedent(raw)
    indent = len(lines[0]) - len(lines[0].lstrip()) if lines else 0
    try:
        file_lines = inspect.getsourcelines(inspect.getmodule(fn))[0] if inspect.getmodule(
            fn
        ) else []
    except (OSError, TypeError):
        file_lines = []
    if not file_lines:
        file_lines = [""] * (first_line - 1) + lines
    is_lambda = fn.__name__ == "<lambda>"
    text = source.strip() if is_lambda else source
    try:
        tree = gast.parse(text)
    except SyntaxError:
        if not is_lambda:
            raise _no_source(fn, "its source does not parse on its own") from None
        # A lambda inside a larger expression: parse the line as an expression fragment.
        try:
            tree = gast.parse("(" + text.rstrip(",;") + ")")
        except SyntaxError:
            raise _no_source(fn, "its lambda is not a self-contained expression") from None
    if is_lambda:
        node = _find_lambda(tree, fn)
    else:
        node = tree.body[0]
        if isinstance(node, gast.AsyncFunctionDef):
            line = first_line + node.lineno - 1
            raise UnsupportedSyntaxError(
                "async functions are not supported",
                Location(filename, line, indent, file_lines[line - 1] if 0 < line <= len(
                    file_lines) else ""),
                "differentiate a plain 'def' function")
        if not isinstance(node, gast.FunctionDef):
            raise _no_source(fn, "its source is not a plain `def`")
    if not is_lambda:
        _check_source_matches(fn, source, first_line)
    node.decorator_list = []
    parsed = ParsedFunction(
        fn=fn,
        node=node,
        filename=filename,
        line_offset=first_line - 1,
        col_offset=indent,
        source=source,
        source_hash=hashlib.sha256(source.encode()).hexdigest(),
        scope=_function_scope(fn),
        file_lines=file_lines,
    )
    if isinstance(node, gast.AsyncFunctionDef):  # pragma: no cover - fenced below
        raise UnsupportedSyntaxError("async functions are not supported", parsed.location(node))
    return parsed
