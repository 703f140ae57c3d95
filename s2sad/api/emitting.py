"""``emit``: a derivative as a standalone Python module that needs NumPy alone.

The module holds the function's SSA program (the primal, named as the function) and its
derivative program (``f_grad``, ``f_vjp`` or ``f_jvp``), exactly as :func:`s2sad.source`
prints them, after a header that says what they were generated from and how. Every name they
read is written into the module (:mod:`s2sad.backends.standalone`): imports, s2sad's runtime
helpers by their source, the user's numbers and arrays as literals. What cannot be written
down (an object of the user's, a recursive function's derivative) is refused with an error
at the function.
"""

from __future__ import annotations

import ast
import builtins
import os
from collections.abc import Callable
from typing import Any

from ..backends import get_backend
from ..backends.standalone import Definitions, NotStandalone, free_names
from ..errors import InternalError, NonDifferentiableError, S2sadError
from ..version import __version__
from .aliases import FIRST, wrt_of
from .bound import bound_target
from .build import build, guarded
from .hints import Wrt

MODES = {"reverse": "grad", "vjp": "vjp", "forward": "jvp"}
_WHAT = {"reverse": "gradient (reverse mode)", "vjp": "vector-Jacobian product (reverse mode)",
         "forward": "Jacobian-vector product (forward mode)"}
_RETURNS = {
    "reverse": "the gradient with respect to {wrt}",
    "vjp": "the value and the adjoints of {wrt} for the output's adjoint {last}",
    "forward": "the value and its tangent for the tangents {dots}",
}


def emit(f: Callable[..., Any], mode: str = "reverse", wrt: Wrt = FIRST, *,
         argnums: Wrt | None = None, command: str | None = None) -> str:
    """The text of a standalone Python module computing a derivative of `f`.

    `mode` is ``"reverse"`` (the gradient, ``f_grad``), ``"vjp"`` (``f_vjp``, reverse mode
    with an explicit cotangent) or ``"forward"`` (``f_jvp``, tangents in, tangent out); `wrt`
    (or ``argnums``) as for :func:`s2sad.grad`. The module also defines ``f`` itself (its SSA
    program) and needs NumPy alone: the runtime helpers it calls are copied into it, and the
    numbers and arrays `f` reads from its globals or closure are written as literals (an
    object that cannot be is refused). `command`, when given, is quoted in the header. The
    text is deterministic. Wrt arguments must be floats when the module is used: the
    conversions and checks of ``s2sad.grad`` are not in it.
    """
    wrt = wrt_of("emit", wrt, argnums, None)
    if mode not in MODES:
        raise S2sadError(f"unknown mode {mode!r}",
                         hint="use mode='reverse', 'forward' or 'vjp'")
    if bound_target(f) is not None:
        raise S2sadError("emit takes a plain function, not a bound method or a partial",
                         hint="emit the function itself and pass the bound values as "
                         "arguments")
    derivative = build(f, MODES[mode], wrt)
    primal = build(f, "ssa", wrt)
    return guarded(lambda: _module(derivative, primal, mode, command))


def _module(derivative, primal, mode: str, command: str | None) -> str:
    if derivative.loaded.meta.get("recursions"):
        raise S2sadError(f"{derivative.name} is recursive: its derivative calls itself "
                         "through s2sad", derivative.location(),
                         "emit works for functions that are not recursive")
    sources = [primal.loaded.source, derivative.loaded.source]
    definitions = Definitions()
    backend = get_backend()
    needed = {}
    for name in _free_names(sources):
        obj, found = _lookup(name, derivative, backend)
        if found:  # else a builtin
            needed[name] = obj
    definitions.reserve(needed)
    for name, obj in needed.items():
        try:
            definitions.add(name, obj)
        except NotStandalone as exc:
            raise _refusal(derivative, exc) from None
    if "np" not in definitions.imports:
        definitions.add("np", backend.lookup("np"))
    parts = [_header(derivative, mode, command), "from __future__ import annotations",
             definitions.text().rstrip("\n"), *(s.rstrip("\n") for s in sources)]
    names = [primal.loaded.generated.name, derivative.loaded.generated.name]
    parts.append(f"__all__ = {names!r}")
    return "\n\n\n".join(parts) + "\n"


def _free_names(sources) -> list:
    names = []
    for text in sources:
        for name in free_names(ast.parse(text)):
            if name not in names:
                names.append(name)
    return sorted(names)


def _lookup(name: str, built, backend) -> tuple:
    """``(object, found)``: what `name` means to the generated code, in the order the loader
    binds names (the backend's table and the build's snapshot, then the live globals)."""
    missing = object()
    for table in (backend.namespace(), built.namespace, built.live or {}):
        obj = table.get(name, missing)
        if obj is not missing:
            return obj, True
    if hasattr(builtins, name):
        return None, False
    raise S2sadError(f"the generated code of {built.name} reads {name!r}, which is not defined",
                     built.location(), f"define {name} before emitting {built.name}")


def _refusal(built, exc: NotStandalone) -> S2sadError:
    if exc.within and exc.within[0][0] in get_backend().helpers:
        return InternalError(
            f"s2sad's helper {exc.within[0][0]} cannot be copied into a module: it reads {exc}",
            built.location(), "this is a bug in s2sad; please report it")
    if exc.within:
        return NonDifferentiableError(
            f"cannot emit a standalone module for {built.name}: "
            f"{exc.within[-1][0]} reads {exc}", built.location(),
            "an emitted module holds copies of functions that read numbers, strings, NumPy "
            f"arrays and modules only;\nmake {exc.name} such a value")
    return NonDifferentiableError(
        f"cannot emit a standalone module for {built.name}: it reads {exc}",
        built.location(),
        f"an emitted module holds numbers, strings, NumPy arrays, modules and functions "
        f"with source only;\npass {exc.name} as an argument, or make it such a value")


def _header(built, mode: str, command: str | None) -> str:
    where = built.location()
    filename = os.path.relpath(where.filename) if where and not where.filename.startswith(
        "<") and not os.path.relpath(where.filename).startswith("..") else (
        where.filename if where else "?")
    params = ", ".join(built.params)
    wrt = ", ".join(built.wrt)
    node = ast.parse(built.loaded.source).body[0]
    names = [a.arg for a in node.args.args]
    returns = _RETURNS[mode].format(wrt=wrt, last=names[-1],
                                    dots=", ".join(names[len(built.params):]))
    lines = [
        f"# Generated by s2sad {__version__}: the {_WHAT[mode]} of {built.name}",
        f"#   from: {filename}, function {built.name} (line {where.line if where else '?'})",
        f"#   mode: {mode}    wrt: {wrt}",
    ]
    if command:
        lines.append(f"#   command: {command}")
    lines += [
        "# It needs NumPy only (not s2sad). It defines:",
        f"#   {built.name}({params}), the function itself (its SSA trace)",
        f"#   {node.name}({', '.join(names)}), {returns}",
        "# Give the wrt arguments as floats or float arrays. Do not edit: generate it again.",
    ]
    return "\n".join(lines)
