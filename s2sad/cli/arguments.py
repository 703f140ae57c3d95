"""``--at``: the point where ``trace``, ``graph`` and ``check`` evaluate a function.

The text is a Python argument list, positional or named (``2,5``, ``x1=2,x2=5``,
``[1, 2, 3], n=3``, ``np.ones(3)``). Values are literals, so ints stay ints and lists become
arrays; the only calls allowed are NumPy's array constructors with literal arguments. Nothing
the text says is executed as code.
"""

from __future__ import annotations

import ast
import inspect

import numpy as np

from .common import CliError

CONSTRUCTORS = {"array", "asarray", "ones", "zeros", "full", "eye", "arange", "linspace",
                "identity", "diag"}


def parse_at(text: str, fn) -> tuple:
    """The positional arguments of `fn` that ``--at`` `text` gives, in order."""
    try:
        call = ast.parse(f"_({text})", mode="eval").body
    except SyntaxError:
        raise CliError(f"--at takes Python values like 2,5 or x1=2,x2=5, got {text!r}") from None
    if not isinstance(call, ast.Call) or any(isinstance(a, ast.Starred) for a in call.args) \
            or any(k.arg is None for k in call.keywords):
        raise CliError(f"--at takes Python values like 2,5 or x1=2,x2=5, got {text!r}")
    args = [_value(node, text) for node in call.args]
    kwargs = {k.arg: _value(k.value, text) for k in call.keywords}
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        if kwargs:
            raise CliError("--at cannot name arguments of a function without a signature") \
                from None
        return tuple(args)
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as exc:
        params = ", ".join(signature.parameters)
        raise CliError(f"--at {text!r} does not fit {fn.__name__}({params}): {exc}") from None
    bound.apply_defaults()
    return tuple(bound.args)


def _value(node: ast.AST, text: str):
    """One argument: a literal (lists become arrays) or an allowed NumPy constructor."""
    if isinstance(node, ast.Call):
        return _constructor(node, text)
    try:
        value = ast.literal_eval(node)
    except ValueError:
        raise CliError(f"--at takes literal values (numbers, lists, np.ones(3)...), got "
                       f"{ast.unparse(node)!r} in {text!r}") from None
    return _arrays(value, text)


def _arrays(value, text: str):
    """`value` with its lists made float arrays, inside dicts and tuples too (a dict of
    parameters: ``{'W': [[1, 2]], 'b': [0.5]}``)."""
    if isinstance(value, list):
        try:
            return np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise CliError(f"--at: a list must be numbers of one shape, got {value!r} in "
                           f"{text!r}") from None
    if isinstance(value, dict):
        return {k: _arrays(v, text) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_arrays(v, text) for v in value)
    return value


def _constructor(node: ast.Call, text: str):
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else None
    owner = func.value.id if isinstance(func, ast.Attribute) and \
        isinstance(func.value, ast.Name) else None
    if owner not in ("np", "numpy") or name not in CONSTRUCTORS:
        allowed = ", ".join(f"np.{c}" for c in sorted(CONSTRUCTORS))
        raise CliError(f"--at allows only NumPy's array constructors ({allowed}), got "
                       f"{ast.unparse(node)!r} in {text!r}")
    args = [_literal(a, text) for a in node.args]
    kwargs = {k.arg: _literal(k.value, text) for k in node.keywords}
    try:
        return np.asarray(getattr(np, name)(*args, **kwargs), dtype=float)
    except (TypeError, ValueError) as exc:
        raise CliError(f"--at: {ast.unparse(node)} failed: {exc}") from None


def _literal(node: ast.AST, text: str):
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise CliError(f"--at: the arguments of {text!r} must be literals") from None
