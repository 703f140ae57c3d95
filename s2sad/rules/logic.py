"""Comparisons and boolean operations (zero derivative), and the selections built on them.

Comparisons only steer control flow or build masks, so they are registered as non-differentiable.
``np.where``, ``np.maximum`` / ``np.minimum`` (and ``np.fmax`` / ``np.fmin``, the builtins
``max`` / ``min`` of two values, ``np.clip``) pass the cotangent to the selected argument. On a
tie (``x == y``) the NumPy functions select both arguments, and each gets half the cotangent:
the mean of the one-sided derivatives, symmetric in the arguments, and the same in both modes.
The builtins select the first argument, as Python does, so the derivative follows the value
they return.
"""

import operator

import gast
import numpy as np

from ..runtime import elementwise as rt
from .registry import defprim, nondiff

for _name, _op, _spelling, _np in (
    ("lt", gast.Lt, "<", np.less), ("le", gast.LtE, "<=", np.less_equal),
    ("gt", gast.Gt, ">", np.greater), ("ge", gast.GtE, ">=", np.greater_equal),
    ("eq", gast.Eq, "==", np.equal), ("ne", gast.NotEq, "!=", np.not_equal),
    ("is", gast.Is, "is", None), ("is_not", gast.IsNot, "is not", None),
):
    _prim = nondiff(_name, _spelling, _np, argnames=("x", "y"), form="compare")
    _prim.compare_op = _op

nondiff("not", "not", operator.not_, form="unaryop")
nondiff("logical_not", "np.logical_not", np.logical_not)
nondiff("logical_and", "np.logical_and", np.logical_and, argnames=("x", "y"))
nondiff("logical_or", "np.logical_or", np.logical_or, argnames=("x", "y"))
# any(...) / all(...) of conditions: a bool, whatever the values tested. Of a comprehension
# they become a loop setting a flag (frontend/comprehensions.py).
nondiff("builtin_any", "any", any)
nondiff("builtin_all", "all", all)

defprim("where", "np.where", objects=(np.where,), argnames=("condition", "x", "y"),
        broadcasts=True,
        vjp={"x": "np.where(condition, g, 0.0)", "y": "np.where(condition, 0.0, g)"},
        jvp={"x": "np.where(condition, x_dot, 0.0)", "y": "np.where(condition, 0.0, y_dot)"})

# The share of each argument: 1 where it is selected, 1/2 on a tie. fmax / fmin select the
# argument that is not NaN (np.isnan(y) adds 1 to x's share where y is NaN).
_SHARES = {
    "maximum": ("(x > y) + 0.5 * (x == y)", "(y > x) + 0.5 * (x == y)"),
    "minimum": ("(x < y) + 0.5 * (x == y)", "(y < x) + 0.5 * (x == y)"),
    "fmax": ("(x > y) + 0.5 * (x == y) + np.isnan(y)", "(y > x) + 0.5 * (x == y) + np.isnan(x)"),
    "fmin": ("(x < y) + 0.5 * (x == y) + np.isnan(y)", "(y < x) + 0.5 * (x == y) + np.isnan(x)"),
}
_TIES = "ties (x == y) split the cotangent evenly: 1/2 to each argument"
_NOTES = {"fmax": _TIES + "; a NaN argument gets nothing (the other one is selected)",
          "fmin": _TIES + "; a NaN argument gets nothing (the other one is selected)"}


def _select(name, spelling, obj, shares, note):
    x_share, y_share = shares
    defprim(name, spelling, objects=(obj,), argnames=("x", "y"), broadcasts=True,
            vjp={"x": f"g * ({x_share})", "y": f"g * ({y_share})"},
            jvp={"x": f"x_dot * ({x_share})", "y": f"y_dot * ({y_share})"}, note=note)


for _name, _shares in _SHARES.items():
    _select(_name, f"np.{_name}", getattr(np, _name), _shares, _NOTES.get(_name, _TIES))
# The builtins on two scalars (ints such as len(x) stay non-differentiable by activity)
# return their first argument unless the second is strictly greater (smaller), the first of
# equal values; the derivative follows the value returned. max(a, b, c) and max of an
# iterable are folded into these (frontend/comprehensions.py), so they follow it too.
_FIRST = "the first of equal arguments is returned (as Python does) and gets the whole cotangent"
_select("max", "max", max, ("1.0 - (y > x)", "1.0 * (y > x)"), _FIRST)
_select("min", "min", min, ("1.0 - (y < x)", "1.0 * (y < x)"), _FIRST)

# np.clip(x, a_min, a_max) is minimum(maximum(x, a_min), a_max); a bound may be None (or a
# differentiable array). clip_weight gives each argument its share, ties split as above.
nondiff("clip_weight", "clip_weight", rt.clip_weight, argnames=("x", "a_min", "a_max", "which"))
defprim("clip", "np.clip", objects=(np.clip,), argnames=("x", "a_min", "a_max"), broadcasts=True,
        methods=("clip",),
        vjp={a: f"g * clip_weight(x, a_min, a_max, {a!r})" for a in ("x", "a_min", "a_max")},
        jvp={a: f"{a}_dot * clip_weight(x, a_min, a_max, {a!r})" for a in ("x", "a_min", "a_max")},
        note="a bound may be None, a number or an array (differentiable too); " + _TIES)
