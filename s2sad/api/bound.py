"""Bound methods, partials and callable objects: differentiated as the function they bind.

``s2sad.grad(model.loss)`` differentiates ``Model.loss`` with ``self`` held constant: the
function is transformed once for every instance, and the bound values are passed to its
derivative at each call (:class:`BoundTarget`).
"""

from __future__ import annotations

import functools
import inspect
import linecache
import types

from ..errors import (
    Location,
    NonDifferentiableError,
    NoSourceError,
    S2sadError,
    UnsupportedSyntaxError,
)
from ..transform import specialized, user_function
from .build import unwrap

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


class BoundTarget:
    """A Python function with some of its arguments bound: a bound method (``model.loss``;
    ``Model.create`` for a classmethod, bound to the class), a ``functools.partial``, or an
    object whose class defines ``__call__`` in Python.

    Its derivatives are the function's, with the bound arguments held constant: the function is
    transformed once (for every instance), and the bound values are passed to its derivative
    at each call. `wrt` counts the callable's own parameters (``self`` is not one)."""

    def __init__(self, given, function, args: tuple, keywords: dict):
        self.given = given
        self.function = function
        self.args = args
        self.keywords = keywords
        qualname = getattr(function, "__qualname__", type(given).__name__)
        self.name = getattr(given, "__qualname__", None) or (
            f"functools.partial({qualname})" if isinstance(given, functools.partial) else
            f"{type(given).__qualname__} object")
        self.params = _positional_names(function)
        self.bound = set(self.params[:len(args)]) | set(keywords)
        self.own = [n for n in _positional_names(given) if n not in self.bound]

    def location(self):
        """Where the function is defined (its ``def`` line)."""
        code = getattr(self.function, "__code__", None)
        if code is None or code.co_filename.startswith("<"):
            return None
        line = code.co_firstlineno
        text = linecache.getline(code.co_filename, line)
        return Location(code.co_filename, line, len(text) - len(text.lstrip()), text)

    def names(self, wrt):
        """`wrt` (positions among the callable's own parameters, or names) as the function's
        parameter names, in the same structure (one, or a tuple)."""
        several = isinstance(wrt, (tuple, list))
        names = tuple(self._name(item) for item in (wrt if several else (wrt,)))
        return names if several else names[0]

    def _name(self, item):
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            return item  # resolve_wrt explains what wrt may be
        bound = ", ".join(sorted(self.bound)) or "none"
        if isinstance(item, int):
            if -len(self.own) <= item < len(self.own):
                return self.own[item]
            raise NonDifferentiableError(
                f"wrt={item} is out of range: {self.name} has {len(self.own)} parameter(s) of "
                "its own", self.location(),
                f"its parameters are {', '.join(self.own) or '(none)'}; the bound ones "
                f"({bound}) are held constant")
        if item in self.bound:
            raise NonDifferentiableError(
                f"wrt names {item!r}, but {self.name} binds it, so it is held constant",
                self.location(),
                "to differentiate with respect to it, differentiate the function itself and "
                f"pass it as an argument: s2sad.grad({self.function.__qualname__}, "
                f"wrt={item!r})")
        return item

    def positional(self, args, kwargs=None) -> list:
        """The function's arguments, all positional, for a call of the callable with `args`."""
        try:
            bound = inspect.signature(self.function).bind(
                *self.args, *args, **{**self.keywords, **(kwargs or {})})
        except TypeError as exc:
            raise S2sadError(f"bad arguments for {self.name}: {exc}", self.location(),
                             f"call it as {self.name}{_signature_text(self.given)}") from None
        bound.apply_defaults()
        if bound.kwargs:
            raise UnsupportedSyntaxError(
                f"{self.name} has keyword-only parameters ({', '.join(bound.kwargs)})",
                self.location(), "make them ordinary parameters")
        return list(bound.args)

    def tangents(self, tangents, count: int) -> list:
        """One tangent per argument of the function (None for the bound ones)."""
        by_name = dict(zip(self.own, tangents))
        return [by_name.get(name) for name in self.params[:count]]

    def rebind(self, derived):
        """`derived` (a derivative of the function) with the same arguments bound."""
        if not self.args and not self.keywords:
            return derived
        if isinstance(self.given, types.MethodType) and len(self.args) == 1:
            return types.MethodType(derived, self.args[0])
        return functools.partial(derived, *self.args, **self.keywords)


def _positional_names(f) -> list:
    try:
        parameters = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters if p.kind in _POSITIONAL]


def _signature_text(f) -> str:
    try:
        return str(inspect.signature(f))
    except (TypeError, ValueError):
        return "(...)"


def bound_target(f):
    """`f` as a :class:`BoundTarget` when it is a Python function with bound arguments (or
    a staticmethod object), None for anything else (plain functions above all)."""
    f = unwrap(f)
    if isinstance(f, types.FunctionType):
        return None
    if isinstance(f, staticmethod):
        return BoundTarget(f, f.__func__, (), {})
    if isinstance(f, classmethod):
        function = f.__func__
        raise NoSourceError(
            f"{getattr(function, '__qualname__', 'this')!r} is a classmethod object, bound to "
            "no class (it was read from a class's __dict__)",
            BoundTarget(f, function, (), {}).location(),
            f"differentiate it through its class, which binds cls: "
            f"s2sad.grad({getattr(function, '__qualname__', 'Class.method')})")
    if isinstance(f, types.MethodType):
        inner, args, keywords = f.__func__, (f.__self__,), {}
        if (getattr(inner, "__module__", "") or "").split(".")[0] == "s2sad":
            # f.grad of a @differentiate function: a method of s2sad, not user code.
            raise NoSourceError(
                f"{inner.__qualname__!r} is a method of s2sad, not code s2sad can read",
                hint="differentiate s2sad.grad(f) instead (a @differentiate function itself "
                     "can be passed to s2sad.grad)")
    elif isinstance(f, functools.partial):
        inner, args, keywords = f.func, f.args, f.keywords
    elif callable(f) and not isinstance(f, type) and user_function(type(f).__call__):
        inner, args, keywords = type(f).__call__, (f,), {}
    else:
        return None
    nested = bound_target(inner)
    if nested is not None:  # a partial of a bound method, a bound method of a partial...
        inner = nested.function
        args, keywords = (*nested.args, *args), {**nested.keywords, **keywords}
    elif args:
        # self (or cls, or a partial's first argument) is known: self.helper(x) inside is
        # inlined from its class's method
        inner = specialized(inner, args[0])
    return BoundTarget(f, inner, tuple(args), dict(keywords))

