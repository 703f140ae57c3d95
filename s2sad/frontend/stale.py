"""Stale source: refuse a function whose file was edited after the function was defined.

s2sad differentiates the source text, so that text must be the code that runs. The check is
exact: the function's source lines are compiled again, under ``def``/``class`` headers that
reproduce its enclosing scopes, and the code object found there must equal ``fn.__code__``.
When it does not, the error says what changed and, when the ``def`` moved, where it is now.
"""

from __future__ import annotations
import __future__

import functools
import keyword
import linecache
import re
import symtable
import types

from ..errors import Location, StaleSourceError

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


def _header(scopes: list, free: list, imported: list) -> tuple:
    """``(lines, names)``: the lines that reproduce `scopes` (``def``, ``class`` and ``if``
    headers, one level of indentation each) and the names of its functions and classes. The
    innermost ``def`` takes the free variables `free` as its parameters."""
    innermost_def = max((i for i, (kind, _) in enumerate(scopes) if kind == "def"), default=-1)
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
    return header, names


def _reproductions(fn, lines: list, first_line: int, filename: str, in_parentheses: bool):
    """Texts that should compile to `fn`'s code: its source lines, with their own indentation
    and line numbers, under ``def``/``class`` headers reproducing its enclosing scopes.

    Yields ``(text, shift, header names)``; `shift` is how many lines further down the source
    sits in the text. The innermost enclosing ``def`` takes `fn`'s free variables as
    parameters, so that they compile as free variables again. Enclosing lambdas and
    comprehensions are tried both ways: as a dummy ``def`` header, and as part of the source
    line itself (where they usually are)."""
    indent = len(lines[0]) - len(lines[0].lstrip()) if lines else 0
    imported = [n for n in _imported_names("".join(linecache.getlines(filename)))
                if n.isidentifier() and not keyword.iskeyword(n)]
    found = _enclosing_scopes(fn)
    has_class = any(kind == "class" for kind, _ in found)
    free = [v for v in fn.__code__.co_freevars if not (v == "__class__" and has_class)]
    variants = [[("def" if kind == "inline" else kind, name) for kind, name in found]]
    if any(kind == "inline" for kind, _ in found):
        variants.append([scope for scope in found if scope[0] != "inline"])
    for scopes in variants:
        if free and scopes is variants[0] and not any(kind == "def" for kind, _ in scopes):
            scopes = [("def", "_s2sad_scope"), *scopes]  # free variables from nowhere known
        if not scopes and (indent or in_parentheses):
            scopes = [("if", "")]  # an indented block at module level
        header, names = _header(scopes, free, imported)
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


def moved(fn, lines: list, filename: str) -> StaleSourceError | None:
    """The error for a ``def`` whose line no longer starts it (lines were added or removed
    above it after it was imported), else None: what is read there is other code."""
    head = lines[0] if lines else ""
    if fn.__name__ == "<lambda>" or head.lstrip().startswith("@") or _starts_def(fn, head):
        return None
    defined = fn.__code__.co_firstlineno  # inspect may have looked elsewhere for it
    return stale(fn, filename, defined,
                 f"line {defined}, where it was defined, now holds other code")


def stale(fn, filename: str, first_line: int, why: str) -> StaleSourceError:
    """The error for `fn`, whose source at `first_line` of `filename` changed (`why`)."""
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


def _compiled_candidates(container, names: list, code) -> list | None:
    """The code objects in the compiled reproduction `container` that may be `code`: found
    inside the functions and classes `names`; None when those are not there."""
    for name in names:
        inner = [c for c in container.co_consts
                 if isinstance(c, types.CodeType) and c.co_name == name]
        container = inner[0] if len(inner) == 1 else None
        if container is None:
            return None
    if code.co_name == "<lambda>":
        params = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
        return [c for c in _walk_code(container) if c.co_name == "<lambda>"
                and c.co_varnames[: c.co_argcount + c.co_kwonlyargcount] == params]
    return [c for c in container.co_consts
            if isinstance(c, types.CodeType) and c.co_name == code.co_name]


def check_source_matches(fn, lines: list, first_line: int, filename: str,
                         in_parentheses: bool) -> None:
    """Refuse a source file edited after `fn` was defined: its derivative would be of code
    that is not the code that runs.

    The check is exact: the source lines are compiled again (see :func:`_reproductions`) with
    the function's file name and future flags, and the code object found there must equal
    ``fn.__code__``: bytecode, constants (nested code objects included), names, variables,
    flags, line and column tables.
    """
    code = fn.__code__
    why = None
    for text, shift, names in _reproductions(fn, lines, first_line, filename, in_parentheses):
        try:
            container = compile(text, code.co_filename, "exec",
                                flags=code.co_flags & _FUTURE_FLAGS, dont_inherit=True)
        except (SyntaxError, ValueError):
            why = why or "its source text does not compile as it stands in the file"
            continue
        candidates = _compiled_candidates(container, names, code)
        if candidates is None:
            why = why or "its source text does not compile as it was"
        elif len(candidates) != 1:
            what = "lambda" if code.co_name == "<lambda>" else f"def {code.co_name}"
            why = why or f"line {first_line} no longer holds its {what}"
        elif _same_code(candidates[0], code, shift):
            return
        else:
            why = why or f"the text at line {first_line} is not the code that runs"
    raise stale(fn, filename, first_line, why)
