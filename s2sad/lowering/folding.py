"""Constant folding and the identities rule templates simplify while they are lowered.

``2.0 * 3.0`` becomes ``6.0`` in user code and rules alike; in rule templates only, ``g * 1``
becomes ``g`` (user code keeps its operations, and so its dtypes).
"""

from __future__ import annotations

import math
import numbers
import operator

import numpy as np

from ..ir import Const
from ..rules import Primitive

_FOLDABLE = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
    "pow": operator.pow, "neg": operator.neg, "pos": operator.pos, "mod": operator.mod,
    "floordiv": operator.floordiv,
}


def is_number(value) -> bool:
    """Whether `value` is a number (a bool is not one here)."""
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def fold(prim: Primitive, args: tuple, kwargs: tuple):
    """The constant result of `prim` on constant arguments, or None if it cannot be folded."""
    if not prim.differentiable and prim.impl is not None:
        return _fold_static(prim, args, kwargs)
    fn = _FOLDABLE.get(prim.name)
    if fn is None or kwargs or not all(isinstance(a, Const) and is_number(a.value) for a in args):
        return None
    try:
        value = fn(*(a.value for a in args))
    except (ArithmeticError, ValueError):
        return None
    if isinstance(value, complex) or not math.isfinite(value):
        return None
    return Const(value)


def _is_one(atom) -> bool:
    return isinstance(atom, Const) and is_number(atom.value) and atom.value == 1


def identity(prim: Primitive, args: tuple):
    """`x` for ``x * 1``, ``1 * x``, ``x / 1`` and ``x ** 1`` (used inside rule templates)."""
    if prim.name == "mul":
        if _is_one(args[1]):
            return args[0]
        if _is_one(args[0]):
            return args[1]
    if prim.name in ("truediv", "pow") and _is_one(args[1]):
        return args[0]
    if prim.compare_op and all(
        isinstance(a, Const) and is_number(a.value) for a in args
    ):  # `x == 0.0` of a constant x: a Python bool (NumPy's would not fold)
        return Const(bool(prim.impl(args[0].value, args[1].value)))
    if prim.name == "where" and isinstance(args[0], Const) and isinstance(args[0].value, bool):
        chosen, other = (args[1], args[2]) if args[0].value else (args[2], args[1])
        if isinstance(other, Const) and is_number(other.value):
            return chosen  # a number in the other branch cannot change the shape
    return None


def nonnegative_constant(atom) -> bool:
    """Whether `atom` is a constant number >= 0."""
    return isinstance(atom, Const) and is_number(atom.value) and atom.value >= 0


def _fold_static(prim, args, kwargs):
    """Shape/axis helpers on constants (``transpose_inverse(None)``) fold to constants."""
    if not all(isinstance(a, Const) for a in args) or not all(
        isinstance(v, Const) for _, v in kwargs
    ):
        return None
    try:
        value = prim.impl(*(a.value for a in args), **{k: v.value for k, v in kwargs})
    except Exception:  # noqa: BLE001 - not foldable; it will fail (or not) at run time
        return None
    simple = value is None or isinstance(value, (bool, numbers.Number)) or (
        isinstance(value, tuple) and all(isinstance(v, int) for v in value))
    return Const(value) if simple and not isinstance(value, np.generic) else None
