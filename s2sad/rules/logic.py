"""Comparisons and boolean operations (zero derivative), and the selections built on them.

Comparisons only steer control flow or build masks, so they are registered as non-differentiable.
``np.where``, ``np.maximum`` / ``np.minimum`` and the builtins ``max`` / ``min`` of two values
pass the cotangent to the selected argument (ties go to the first one).
"""

import operator

import gast
import numpy as np

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

defprim("where", "np.where", objects=(np.where,), argnames=("condition", "x", "y"),
        broadcasts=True,
        vjp={"x": "np.where(condition, g, 0.0)", "y": "np.where(condition, 0.0, g)"},
        jvp={"x": "np.where(condition, x_dot, 0.0)", "y": "np.where(condition, 0.0, y_dot)"})

defprim("maximum", "np.maximum", objects=(np.maximum,), argnames=("x", "y"), broadcasts=True,
        vjp={"x": "g * (x >= y)", "y": "g * (y > x)"},
        jvp={"x": "x_dot * (x >= y)", "y": "y_dot * (y > x)"})

defprim("minimum", "np.minimum", objects=(np.minimum,), argnames=("x", "y"), broadcasts=True,
        vjp={"x": "g * (x <= y)", "y": "g * (y < x)"},
        jvp={"x": "x_dot * (x <= y)", "y": "y_dot * (y < x)"})

# The builtins on two scalars (ints such as len(x) stay non-differentiable by activity).
defprim("max", "max", objects=(max,), argnames=("x", "y"), broadcasts=True,
        vjp={"x": "g * (x >= y)", "y": "g * (y > x)"},
        jvp={"x": "x_dot * (x >= y)", "y": "y_dot * (y > x)"})

defprim("min", "min", objects=(min,), argnames=("x", "y"), broadcasts=True,
        vjp={"x": "g * (x <= y)", "y": "g * (y < x)"},
        jvp={"x": "x_dot * (x <= y)", "y": "y_dot * (y < x)"})
