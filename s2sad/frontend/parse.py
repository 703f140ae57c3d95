"""Parse: from a live Python function to its gast AST and the objects its names denote.

The frontend is the only stage that looks at the live function. It reads the source with
``inspect``, dedents it, parses it with gast, and records where it came from so every later
error can point back at ``file:line:col``. Free names (globals, closure cells, builtins) are
resolved here, once, at transformation time.
"""

from __future__ import annotations
import __future__

import ast
import builtins
import functools
import hashlib
import inspect
import keyword
import linecache
import re
import symtable
import sys
import textwrap
import types
from collections.abc import Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import gast

from ..errors import (
    Location,
    NoSourceError,
    StaleSourceError,
    UnsupportedSyntaxError,
    check_nesting,
    with_nesting_room,
)

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


class SourceLines(Sequence):
    """A file's lines down to the end of a function, indexed like a list of the file's lines
    (0-based): the function's own lines are kept, a line above it is read from linecache when
    asked (errors point inside the function, so that is rare). Its memory does not grow with
    the line number the function sits at."""

    __slots__ = ("filename", "first", "lines")

    def __init__(self, filename: str, first: int, lines) -> None:
        self.filename = filename
        self.first = first  # the line number of lines[0]
        self.lines = tuple(lines)

    def __len__(self) -> int:
        return self.first - 1 + len(self.lines)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        own = index - (self.first - 1)
        return self.lines[own] if own >= 0 else linecache.getline(self.filename, index + 1)

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


_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag

# What must be equal for two code objects to be the same code: everything but the line
# numbers, which are compared separately (the reproduction may sit at other lines).
_CODE_FIELDS = ("co_name", "co_filename", "co_argcount", "co_posonlyargcount",
                "co_kwonlyargcount", "co_nlocals", "co_stacksize", "co_flags", "co_code",
                "co_names", "co_varnames", "co_freevars", "co_cellvars", "co_linetable",
                "co_exceptiontable")


def _same_code(compiled, original, shift: int) -> bool:
    """Whether `compiled` (from the source text, its lines moved down by `shift`) is the code
    object `original`, recursively through nested functions, lambdas and comprehensions."""
    if compiled.co_firstlineno - shift != original.co_firstlineno:
        return False
    for name in _CODE_FIELDS:
        if getattr(compiled, name, None) != getattr(original, name, None):
            return False
    if len(compiled.co_consts) != len(original.co_consts):
        return False
    for a, b in zip(compiled.co_consts, original.co_consts):
        if isinstance(a, types.CodeType) or isinstance(b, types.CodeType):
            if not (isinstance(a, types.CodeType) and isinstance(b, types.CodeType)
                    and _same_code(a, b, shift)):
                return False
        elif type(a) is not type(b) or repr(a) != repr(b):
            return False
    return True


def _enclosing_scopes(fn) -> list:
    """``[(kind, name)]``, outermost first: the functions (``"def"``) and classes around `fn`,
    read from its qualified name (``outer.<locals>.C.method``). A lambda or comprehension
    around `fn` is ``("inline", ...)``: it usually sits on the same line as `fn` itself."""
    qualname = getattr(fn.__code__, "co_qualname", None) or fn.__qualname__
    parts = qualname.split(".")[:-1]
    scopes, i = [], 0
    while i < len(parts):
        name = parts[i]
        local = i + 1 < len(parts) and parts[i + 1] == "<locals>"
        if not name.isidentifier():
            scopes.append(("inline", name))
        else:
            scopes.append(("def" if local else "class", name))
        i += 2 if local else 1
    return scopes


@functools.lru_cache(maxsize=64)
def _imported_names(module_text: str) -> tuple:
    """Names bound by ``import`` statements at the top level of a module: CPython 3.11 compiles
    ``name.attr(...)`` differently when ``name`` is one (LOAD_ATTR instead of LOAD_METHOD)."""
    try:
        table = symtable.symtable(module_text, "<module>", "exec")
    except (SyntaxError, ValueError):
        return ()
    return tuple(sorted(s.get_name() for s in table.get_symbols() if s.is_imported()))


def _walk_code(code):
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield const
            yield from _walk_code(const)


def _reproductions(fn, lines: list, first_line: int, filename: str, in_parentheses: bool):
    """Texts that should compile to `fn`'s code: its source lines, with their own indentation
    and line numbers, under ``def``/``class`` headers reproducing its enclosing scopes.

    Yields ``(text, shift, header names)``; `shift` is how many lines further down the source
    sits in the text. The innermost enclosing ``def`` takes `fn`'s free variables as
    parameters, so that they compile as free variables again. Enclosing lambdas and
    comprehensions are tried both ways: as a dummy ``def`` header, and as part of the source
    line itself (where they usually are)."""
    code = fn.__code__
    indent = len(lines[0]) - len(lines[0].lstrip()) if lines else 0
    imported = [n for n in _imported_names("".join(linecache.getlines(filename)))
                if n.isidentifier() and not keyword.iskeyword(n)]
    found = _enclosing_scopes(fn)
    has_class = any(kind == "class" for kind, _ in found)
    free = [v for v in code.co_freevars if not (v == "__class__" and has_class)]
    variants = [[("def" if kind == "inline" else kind, name) for kind, name in found]]
    if any(kind == "inline" for kind, _ in found):
        variants.append([scope for scope in found if scope[0] != "inline"])
    for scopes in variants:
        if free and scopes is variants[0] and not any(kind == "def" for kind, _ in scopes):
            scopes = [("def", "_s2sad_scope"), *scopes]  # free variables from nowhere known
        if not scopes and (indent or in_parentheses):
            scopes = [("if", "")]  # an indented block at module level
        innermost_def = max((i for i, (kind, _) in enumerate(scopes) if kind == "def"),
                            default=-1)
        header = ["import " + ", ".join(imported)] if imported else []
        names = []
        for depth, (kind, name) in enumerate(scopes):
            pad = " " * depth
            if kind == "def":
                name = name if name.isidentifier() else "_s2sad_scope"
                params = ", ".join(free) if depth == innermost_def else ""
                header.append(f"{pad}def {name}({params}):")
                names.append(name)
            elif kind == "class":
                header.append(f"{pad}class {name}:")
                names.append(name)
            else:
                header.append(f"{pad}if 1:")
        body = "".join(lines)
        if in_parentheses:  # the lambda is part of a larger expression: parenthesize it
            header[-1] += " ("
            body = body.rstrip().rstrip(",;") + "\n)\n"
        # The source at its own line numbers when there is room above it for the header.
        padding = max(first_line - 1 - len(header), 0)
        text = "\n".join(header) + "\n" * (padding + bool(header)) + body
        yield text, len(header) + padding + 1 - first_line, names


def _starts_def(fn, text: str) -> bool:
    """Whether the line `text` starts a ``def`` of `fn`'s name."""
    return re.match(rf"\s*(?:async\s+)?def\s+{re.escape(fn.__name__)}\s*[(\[]", text) is not None


def _moved(fn, lines: list, first_line: int, filename: str) -> StaleSourceError | None:
    """The error for a ``def`` whose line no longer starts it (lines were added or removed
    above it after it was imported), else None: what is read there is other code."""
    head = lines[0] if lines else ""
    if fn.__name__ == "<lambda>" or head.lstrip().startswith("@") or _starts_def(fn, head):
        return None
    defined = fn.__code__.co_firstlineno  # inspect may have looked elsewhere for it
    return _stale(fn, filename, defined,
                  f"line {defined}, where it was defined, now holds other code")


def _stale(fn, filename: str, first_line: int, why: str) -> StaleSourceError:
    lines = linecache.getlines(filename)
    where = None
    if fn.__name__ != "<lambda>" and not (
            0 < first_line <= len(lines) and _starts_def(fn, lines[first_line - 1])):
        now = [i for i, text in enumerate(lines, 1) if _starts_def(fn, text)]
        where = min(now, key=lambda line: abs(line - first_line), default=None)
    if where is not None:  # point at the def as it is now: the lines above it moved
        why += (f";\nits 'def {fn.__name__}' is now at line {where} (lines were added or "
                f"removed above it since it was imported)")
    line = where or first_line
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    module = getattr(fn, "__module__", None)
    reload = f"importlib.reload({module})" if module and module != "__main__" else \
        "importlib.reload"
    return StaleSourceError(
        f"the source of {fn.__qualname__!r} changed after it was imported: {why}",
        Location(filename, line, len(text) - len(text.lstrip()), text),
        f"reload the module ({reload}) or restart Python, so that the function that "
        "runs is the one in the file;\ns2sad differentiates the source text, and refuses "
        "when that text is not the code that runs")


def _check_source_matches(fn, lines: list, first_line: int, filename: str,
                          in_parentheses: bool) -> None:
    """Refuse a source file edited after `fn` was defined: its derivative would be of code
    that is not the code that runs.

    The check is exact: the source lines are compiled again (see :func:`_reproductions`) with
    the function's file name and future flags, and the code object found there must equal
    ``fn.__code__``: bytecode, constants (nested code objects included), names, variables,
    flags, line and column tables.
    """
    code = fn.__code__
    is_lambda = code.co_name == "<lambda>"
    params = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    why = None
    for text, shift, names in _reproductions(fn, lines, first_line, filename, in_parentheses):
        try:
            container = compile(text, code.co_filename, "exec",
                                flags=code.co_flags & _FUTURE_FLAGS, dont_inherit=True)
        except (SyntaxError, ValueError):
            why = why or "its source text does not compile as it stands in the file"
            continue
        for name in names:
            inner = [c for c in container.co_consts
                     if isinstance(c, types.CodeType) and c.co_name == name]
            container = inner[0] if len(inner) == 1 else None
            if container is None:
                break
        if container is None:
            why = why or "its source text does not compile as it was"
            continue
        if is_lambda:
            candidates = [c for c in _walk_code(container) if c.co_name == "<lambda>"
                          and c.co_varnames[: c.co_argcount + c.co_kwonlyargcount] == params]
        else:
            candidates = [c for c in container.co_consts
                          if isinstance(c, types.CodeType) and c.co_name == code.co_name]
        if len(candidates) != 1:
            what = "lambda" if is_lambda else f"def {code.co_name}"
            why = why or f"line {first_line} no longer holds its {what}"
        elif _same_code(candidates[0], code, shift):
            return
        else:
            why = why or f"the text at line {first_line} is not the code that runs"
    raise _stale(fn, filename, first_line, why)


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
    if not inspect.isfunction(fn):
        raise _no_source(fn, "it is not a Python function (builtin, method or callable object)")
    if (getattr(fn, "__module__", "") or "").split(".")[0] == "s2sad":
        raise NoSourceError(
            f"{fn.__qualname__!r} is a function of s2sad itself, not user code",
            hint="only s2sad.grad(f) results can be differentiated again; for\n"
            "value_and_grad, jacobian or hessian results, differentiate s2sad.grad(f) instead")
    if inspect.unwrap(fn) is not fn:
        raise NoSourceError(
            f"{fn.__qualname__!r} wraps another function (it has __wrapped__, as functools.wraps "
            "sets): its source is the wrapped function's, not the code that runs",
            hint="differentiate the undecorated function, or make the wrapper a primitive with "
            "@s2sad.primitive and s2sad.defvjp / s2sad.defjvp")
    try:
        lines, first_line = inspect.getsourcelines(fn)
        filename = inspect.getsourcefile(fn) or fn.__code__.co_filename
    except (OSError, TypeError) as exc:
        code = fn.__code__
        if "out of bounds" in str(exc) and linecache.getlines(code.co_filename):
            raise _stale(fn, code.co_filename, code.co_firstlineno,
                         f"the file no longer has a line {code.co_firstlineno}") from None
        raise _no_source(fn, str(exc)) from None
    moved = _moved(fn, lines, first_line, filename)
    if moved is not None:
        raise moved
    raw = "".join(lines)
    source = textwrap.dedent(raw)
    indent = len(lines[0]) - len(lines[0].lstrip()) if lines else 0
    file_lines = SourceLines(filename, first_line, lines)
    is_lambda = fn.__name__ == "<lambda>"
    text = source.strip() if is_lambda else source
    in_parentheses = False
    try:
        tree = _parse_nested(text, filename, first_line, indent, file_lines)
    except SyntaxError:
        if not is_lambda:
            raise _no_source(fn, "its source does not parse on its own") from None
        # A lambda inside a larger expression: parse the line as an expression fragment.
        try:
            tree = _parse_nested("(" + text.rstrip(",;") + ")", filename, first_line,
                                 indent - 1, file_lines)
        except SyntaxError:
            raise _no_source(fn, "its lambda is not a self-contained expression") from None
        in_parentheses = True
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
    _check_source_matches(fn, lines, first_line, filename, in_parentheses)
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
