"""Standalone modules: generated code, with everything it reads written into the same file, so
that it runs with NumPy alone (``s2sad emit``, :func:`s2sad.emit`).

The generated code reads three kinds of free names: modules (``np``), s2sad's runtime helpers
(``unbroadcast``, ``scatter_add``...) and the user's own values (globals and closure cells the
differentiated function reads). :class:`Definitions` resolves each name to module-level text:

- a module becomes an ``import`` line;
- a helper, or a function made a primitive with ``@s2sad.primitive``, is copied by its source
  (``inspect.getsource``), and the names *it* reads are resolved the same way, transitively;
- an s2sad exception class a helper raises gets a small stand-in class;
- a value becomes an assignment when it can be written as a literal that gives it back exactly
  (numbers, strings, tuples of those, NumPy arrays of numbers, NumPy types and dtypes).

Anything else (an object of the user's, a function without source) cannot be written down,
and is refused with :class:`NotStandalone`, which the API turns into an error with a location.
The text is deterministic: each section is sorted by name.
"""

from __future__ import annotations

import ast
import builtins
import functools
import importlib
import inspect
import io
import sys
import textwrap
import tokenize
import types

import numpy as np

#: Largest array written into a module as a literal (its elements, one by one).
ARRAY_LIMIT = 100_000


class NotStandalone(Exception):
    """`name` (bound to `obj`) cannot be written into a standalone module; `why` says why."""

    def __init__(self, name: str, obj, why: str, within: tuple = ()):
        self.name, self.obj, self.why = name, obj, why
        self.within = within  # the functions copied by source that read it, outermost first
        super().__init__(f"{name!r} ({why})")


def free_names(tree: ast.AST) -> list:
    """The names `tree` (a module, function or class) reads but never binds, in first-use
    order. Annotations are skipped: the module is written with postponed annotations."""
    bound, used = set(), []

    def visit(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
            for child in (*node.decorator_list, *getattr(node, "bases", ()),
                          *getattr(node, "keywords", ())):
                visit(child)
            if not isinstance(node, ast.ClassDef):
                args = node.args
                for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs,
                            *filter(None, (args.vararg, args.kwarg))):
                    bound.add(arg.arg)
                for default in (*args.defaults, *filter(None, args.kw_defaults)):
                    visit(default)
            for stmt in node.body:
                visit(stmt)
            return
        if isinstance(node, ast.AnnAssign):
            for child in (node.target, node.value):
                if child is not None:
                    visit(child)
            return
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                if node.id not in used:
                    used.append(node.id)
            else:
                bound.add(node.id)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return [name for name in used if name not in bound]


def value_text(obj) -> str | None:
    """Python text that evaluates to `obj` exactly in a module that imported NumPy as ``np``
    (None when there is none)."""
    if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes)) and (
            type(obj) in (bool, int, float, complex, str, bytes)):
        if isinstance(obj, float) and (obj != obj or obj in (float("inf"), float("-inf"))):
            return f"float({str(obj)!r})"
        if isinstance(obj, complex) and not all(map(np.isfinite, (obj.real, obj.imag))):
            return None
        return repr(obj)
    if isinstance(obj, (tuple, frozenset)) and type(obj) in (tuple, frozenset):
        items = [value_text(item) for item in obj]
        if any(item is None for item in items):
            return None
        if type(obj) is frozenset:
            return f"frozenset({{{', '.join(sorted(items))}}})" if items else "frozenset()"
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    if type(obj) in (list, dict):
        pairs = obj.items() if type(obj) is dict else [(None, item) for item in obj]
        texts = [(None if k is None else value_text(k), value_text(v)) for k, v in pairs]
        if any(v is None or (k is None and type(obj) is dict) for k, v in texts):
            return None
        if type(obj) is list:
            return f"[{', '.join(v for _, v in texts)}]"
        return "{" + ", ".join(f"{k}: {v}" for k, v in texts) + "}"
    if isinstance(obj, type) and getattr(builtins, obj.__name__, None) is obj:
        return obj.__name__
    if isinstance(obj, (type, np.ufunc)) and getattr(np, obj.__name__, None) is obj:
        return f"np.{obj.__name__}"
    if isinstance(obj, np.dtype) and not obj.fields and obj.kind in "biufc":
        return f"np.dtype({obj.str!r})"
    if isinstance(obj, np.generic) and obj.dtype.kind in "biufc":
        inner = value_text(obj.item())
        return None if inner is None else f"np.{type(obj).__name__}({inner})"
    if type(obj) is np.ndarray and obj.dtype.kind in "biuf" and obj.size <= ARRAY_LIMIT:
        # Element by element when some are not finite (nan is no literal: float('nan')).
        finite = obj.dtype.kind != "f" or bool(np.isfinite(obj).all())
        items = repr(obj.tolist()) if finite else value_text(obj.tolist())
        return f"np.array({items}, dtype={obj.dtype.str!r})"
    return None


def _importable(obj) -> tuple | None:
    """``(module, name)`` to import `obj` from, when ``module.name`` is `obj` itself and the
    module is NumPy or one of Python's own; else None."""
    module, name = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not module or not name or "." in name or module.split(".")[0] not in _IMPORTABLE:
        return None
    try:
        found = getattr(importlib.import_module(module), name, None)
    except Exception:  # noqa: BLE001 - not importable by that name: no import line then
        return None
    return (module, name) if found is obj else None


#: The packages an emitted module may import from: NumPy and Python's standard library.
_IMPORTABLE = frozenset({"numpy", *getattr(sys, "stdlib_module_names", ())}) - {"__main__"}


def _copied(obj) -> bool:
    """Whether `obj` is written into the module by its source: s2sad's runtime helpers and
    the user's primitives (plain functions whose source can be read)."""
    module = getattr(obj, "__module__", None) or ""
    if module.startswith("s2sad.runtime"):
        return isinstance(obj, type) or callable(obj)  # a class, a function, an lru_cache
    return isinstance(obj, types.FunctionType)


def _is_s2sad_error(obj) -> bool:
    from ..errors import S2sadError

    return isinstance(obj, type) and issubclass(obj, S2sadError)


_STAND_IN = '''\
class {name}(Exception):
    """Stands in for s2sad's {name}: the module does not need s2sad."""

    def __init__(self, message, location=None, hint=None):
        super().__init__(message if hint is None else f"{{message}}\\n  hint: {{hint}}")
'''


class Definitions:
    """The module-level text a standalone module needs, collected name by name.

    Helpers of different runtime modules may have private names in common (``_shape``): the
    one met second is written under a new name (``_shape_products``), and so are the names
    in the texts that read it. The names the generated code reads (:meth:`reserve`) are never
    renamed.
    """

    def __init__(self):
        self.imports: dict = {}  # name -> import line
        self.values: dict = {}  # name -> assignment line
        self.code: dict = {}  # name -> source of a function, class or assignment
        self.objects: dict = {}  # name in the module -> the object it was resolved from
        self.reserved: dict = {}  # names the generated code reads -> their objects
        self.given: dict = {}  # (module name, name) -> its name in the module

    def reserve(self, names: dict) -> None:
        """Keep `names` (name -> object) for those objects: a helper's name that is one of
        them but means something else is renamed."""
        self.reserved.update(names)

    def add(self, name: str, obj, module: types.ModuleType | None = None) -> str:
        """Resolve `name`, bound to `obj` (in the globals of `module`, when a text copied
        from there reads it), and everything its text reads, which comes first; returns its
        name in the module."""
        origin = (getattr(module, "__name__", ""), name)
        if origin in self.given:
            return self.given[origin]
        emitted = name
        taken = self.objects.get(name, self.reserved.get(name, obj))
        if taken is not obj:
            if module is None:
                raise NotStandalone(name, obj, "two different objects of this name are needed")
            emitted = self._fresh(f"{name}_{module.__name__.rpartition('.')[2]}")
        self.given[origin] = emitted
        if emitted in self.objects:
            return emitted  # the same object, met again through another module
        self.objects[emitted] = obj
        self._define(emitted, name, obj, module)
        return emitted

    def _fresh(self, base: str) -> str:
        name, k = base, 1
        while name in self.objects or name in self.reserved:
            k += 1
            name = f"{base}_{k}"
        return name

    def _define(self, emitted: str, name: str, obj, module) -> None:
        if isinstance(obj, types.ModuleType):
            self.imports[emitted] = _import_line(emitted, obj)
        elif _is_s2sad_error(obj):
            self.code[emitted] = _STAND_IN.format(name=emitted)
        elif module is not None and _RUNTIME in module.__name__ and not callable(obj) and (
                assignment := _assignment(module, name)) is not None:
            self._copy_text(emitted, name, obj, assignment, vars(module))  # a table, a cache
        elif (text := value_text(obj)) is not None:
            self.values[emitted] = f"{emitted} = {text}"
            if "np." in text:
                self.imports.setdefault("np", "import numpy as np")
        elif (where := _importable(obj)) is not None:
            found, attr = where
            alias = "" if attr == emitted else f" as {emitted}"
            self.imports[emitted] = f"from {found} import {attr}{alias}"
        elif _copied(obj):
            self._copy(emitted, obj)
        else:
            raise NotStandalone(name, obj, f"a {type(obj).__name__} that cannot be written "
                                "as a literal")

    def _copy(self, emitted: str, obj) -> None:
        """Copy the function or class `obj` by its source, after what it reads."""
        target = obj if isinstance(obj, type) else inspect.unwrap(obj)  # an lru_cache
        try:
            text = textwrap.dedent(inspect.getsource(target))
        except (OSError, TypeError):
            raise NotStandalone(emitted, obj, "its source cannot be read") from None
        defined = ast.parse(text).body[0].name
        if getattr(target, "__qualname__", defined) != defined or (
                isinstance(target, types.FunctionType) and target.__closure__):
            raise NotStandalone(emitted, obj, "it is not a module-level function")
        self._copy_text(emitted, defined, obj, text, getattr(target, "__globals__", None) or
                        vars(inspect.getmodule(target)))

    def _copy_text(self, emitted: str, name: str, obj, text: str, scope: dict) -> None:
        """Write `text`, which defines `name` (as `emitted`), after the names it reads from
        `scope`."""
        module = inspect.getmodule(obj) or _module_of(scope)
        renames = {} if emitted == name else {name: emitted}
        text, inlined = self._runtime_attributes(emitted, obj, text, scope)
        for free in free_names(ast.parse(text)):
            if free == name or free in inlined:
                continue
            if free in scope:
                try:
                    given = self.add(free, scope[free], module)
                except NotStandalone as exc:
                    raise NotStandalone(exc.name, exc.obj, exc.why,
                                        ((emitted, obj), *exc.within)) from None
                if given != free:
                    renames[free] = given
            elif not hasattr(builtins, free):
                raise NotStandalone(emitted, obj, f"it reads {free!r}, which is not defined")
        self.code[emitted] = renamed(text, renames).rstrip("\n") + "\n"

    def _runtime_attributes(self, emitted: str, obj, text: str, scope: dict) -> tuple:
        """`text` with each ``mod.name`` of a runtime module `mod` (``arrays.foreign``) made a
        plain name, that definition copied in, and the names so handled (the modules and the
        copies): a module of s2sad's cannot be imported by a module that needs NumPy only."""
        tree = ast.parse(text)
        reads = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and (
                    isinstance(scope.get(node.value.id), types.ModuleType)) and (
                    scope[node.value.id].__name__.startswith(_RUNTIME + ".")):
                reads.setdefault(node.value.id, set()).add(node.attr)
        bare = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - {
            n.value.id for n in ast.walk(tree) if isinstance(n, ast.Attribute)
            and isinstance(n.value, ast.Name)}
        inlined = set()
        for alias, attributes in reads.items():
            if alias in bare:
                continue  # the module itself is used, not only its names: refused below
            module = scope[alias]
            for attribute in sorted(attributes):
                try:
                    given = self.add(attribute, getattr(module, attribute), module)
                except NotStandalone as exc:
                    raise NotStandalone(exc.name, exc.obj, exc.why,
                                        ((emitted, obj), *exc.within)) from None
                text = _attribute_renamed(text, alias, attribute, given)
                inlined.add(given)
            inlined.add(alias)
        return text, inlined

    def text(self) -> str:
        """The definitions as module text: imports, then values, then functions and classes."""
        imports = sorted(set(self.imports.values()), key=lambda line: (
            line.startswith("from"), line))
        parts = ["\n".join(imports)]
        if self.values:
            parts.append("\n".join(self.values[name] for name in sorted(self.values)))
        parts.extend(self.code.values())  # in the order they were resolved: what a text reads
        # is defined before it
        return "\n\n\n".join(part.rstrip("\n") for part in parts if part) + "\n"


_RUNTIME = "s2sad.runtime"


def _attribute_renamed(text: str, alias: str, attribute: str, given: str) -> str:
    """`text` with the attribute reads ``alias.attribute`` written as the name `given`."""
    tree = ast.parse(text)
    spots = sorted(((n.lineno, n.col_offset, n.end_col_offset) for n in ast.walk(tree)
                    if isinstance(n, ast.Attribute) and n.attr == attribute
                    and isinstance(n.value, ast.Name) and n.value.id == alias
                    and n.lineno == n.end_lineno), reverse=True)
    lines = text.splitlines(keepends=True)
    for row, start, end in spots:
        line = lines[row - 1]
        lines[row - 1] = line[:start] + given + line[end:]
    return "".join(lines)


def renamed(text: str, renames: dict) -> str:
    """`text` with the names in `renames` (old -> new) replaced where they are names, not
    attributes (``x._shape`` stays)."""
    if not renames:
        return text
    lines = text.splitlines(True)
    spots, previous = [], None
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.NAME and token.string in renames and previous != ".":
            spots.append((*token.start, token.string))
        if token.type not in (tokenize.NL, tokenize.COMMENT):
            previous = token.string
    for row, col, old in reversed(spots):
        line = lines[row - 1]
        lines[row - 1] = line[:col] + renames[old] + line[col + len(old):]
    return "".join(lines)


def _module_of(scope: dict):
    return sys.modules.get(scope.get("__name__", ""))


@functools.cache
def _assignments(module: types.ModuleType) -> dict:
    """The module-level assignments of `module`'s source: name -> the statement's text."""
    text = inspect.getsource(module)
    found = {}
    for stmt in ast.parse(text).body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else (
            [stmt.target] if isinstance(stmt, ast.AnnAssign) and stmt.value else [])
        for target in targets:
            if isinstance(target, ast.Name):
                found[target.id] = ast.get_source_segment(text, stmt)
    return found


def _assignment(module: types.ModuleType, name: str) -> str | None:
    return _assignments(module).get(name)


def _import_line(name: str, module: types.ModuleType) -> str:
    full = module.__name__
    if full.split(".")[0] == "s2sad":
        raise NotStandalone(name, module, "a module of s2sad's")
    if full == name:
        return f"import {full}"
    if "." in full:
        parent, _, last = full.rpartition(".")
        return f"from {parent} import {last}" + ("" if last == name else f" as {name}")
    return f"import {full} as {name}"
