"""User-defined primitives: ``@s2sad.primitive`` with rules from ``s2sad.defvjp`` / ``defjvp``.

A user primitive is called by name in generated code (the loader puts every registered user
primitive in the generated code's namespace), and its rules are templates exactly like the
built-in ones: ``g`` is the cotangent, ``ans`` the result, ``x_dot`` an argument's tangent, and
they may call NumPy, math, and other primitives (user primitives included, by name).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar, overload

import gast

from ..errors import S2sadError
from .registry import REGISTRY, Primitive

#: spelling -> function, for the loader's namespace and for rule templates.
USER_FUNCTIONS: dict = {}
#: Bumped whenever a rule changes, so that derivatives built before are not reused.
RULES_VERSION = 0

_F = TypeVar("_F", bound=Callable[..., Any])


def _check_names(prim, kind: str, argname: str, template: str) -> None:
    """Reject a template that uses a name it cannot see, when the rule is given."""
    from .. import runtime
    from .registry import TEMPLATE_MODULES

    allowed = set(prim.argnames) | {"ans"} | set(TEMPLATE_MODULES) | set(runtime.HELPERS)
    allowed |= set(USER_FUNCTIONS)
    allowed |= {"g"} if kind == "vjp" else {f"{a}_dot" for a in prim.argnames}
    builtin_rules = {"abs", "max", "min", "len", "float", "int", "slice"}
    for node in gast.walk(gast.parse(template, mode="eval")):
        if isinstance(node, gast.Name) and node.id not in allowed | builtin_rules:
            raise S2sadError(
                f"the {kind} rule for {argname!r} of {prim.spelling} uses the unknown name "
                f"{node.id!r}",
                hint=f"a {kind} template may use {', '.join(sorted(prim.argnames))}, "
                + ("g (the cotangent), " if kind == "vjp" else "<argument>_dot, ")
                + "ans (the result), np, math, and other primitives by name")


def _params(fn) -> tuple:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        raise S2sadError(f"cannot read the parameters of {fn!r}",
                         hint="wrap it in a Python function with named parameters") from None
    names = []
    for p in signature.parameters.values():
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            raise S2sadError(f"{fn.__name__}: a primitive takes plain positional parameters",
                             hint="turn *args / keyword-only parameters into ordinary ones")
        names.append(p.name)
    return tuple(names)


@overload
def primitive(fn: _F, *, elementwise: bool = False) -> _F: ...
@overload
def primitive(fn: None = None, *, elementwise: bool = False) -> Callable[[_F], _F]: ...
def primitive(fn: Callable[..., Any] | None = None, *, elementwise: bool = False) -> Any:
    """Decorator: make `fn` a primitive that s2sad calls as it is and differentiates with the
    rules given to :func:`defvjp` / :func:`defjvp` (for C code, library calls, or a better
    derivative than the one of the code). `fn` itself is returned unchanged."""
    if fn is None:
        return lambda f: primitive(f, elementwise=elementwise)
    if REGISTRY.lookup(fn) is not None:
        return fn
    base = getattr(fn, "__name__", "primitive")
    spelling, k = base, 1
    while spelling in USER_FUNCTIONS:
        k += 1
        spelling = f"{base}_{k}"
    name = f"user:{getattr(fn, '__module__', '')}.{fn.__qualname__}"
    unique, k = name, 1
    while unique in REGISTRY.by_name:  # the same function defined again (a reload)
        k += 1
        unique = f"{name}#{k}"
    prim = Primitive(name=unique, spelling=spelling, argnames=_params(fn), impl=fn,
                     elementwise=elementwise)
    prim.user = True
    REGISTRY.add(prim, objects=(fn,))
    USER_FUNCTIONS[spelling] = fn
    return fn


def _set_rules(kind: str, fn, rules: dict) -> None:
    primitive(fn)
    prim = REGISTRY.lookup(fn)
    table = prim.vjp if kind == "vjp" else prim.jvp
    for argname, template in rules.items():
        if argname not in prim.argnames:
            raise S2sadError(f"{fn.__name__} has no parameter {argname!r}",
                             hint=f"its parameters are {', '.join(prim.argnames)}")
        if not isinstance(template, str):
            raise S2sadError(f"the {kind} rule for {argname!r} must be a string template",
                             hint="e.g. x=\"g * ans\" (g: cotangent, ans: result)")
        try:
            gast.parse(template, mode="eval")
        except SyntaxError as exc:
            raise S2sadError(f"the {kind} rule for {argname!r} is not a Python expression: "
                             f"{exc.msg}", hint=f"got {template!r}") from None
        _check_names(prim, kind, argname, template)
        table[argname] = template
        prim._parsed.pop((kind, argname), None)
    global RULES_VERSION
    RULES_VERSION += 1


def defvjp(fn: Callable[..., Any], **rules: str) -> None:
    """Give `fn` (made a primitive if needed) VJP templates, one per argument name: the
    contribution to that argument's adjoint, in terms of ``g`` (the cotangent of the result),
    ``ans`` (the result) and the arguments. ``s2sad.defvjp(softplus, x="g * sigmoid(x)")``."""
    _set_rules("vjp", fn, rules)


def defjvp(fn: Callable[..., Any], **rules: str) -> None:
    """Give `fn` JVP templates, one per argument name: that argument's contribution to the
    tangent of the result, in terms of ``<arg>_dot``, ``ans`` and the arguments.
    ``s2sad.defjvp(softplus, x="x_dot * sigmoid(x)")``."""
    _set_rules("jvp", fn, rules)
