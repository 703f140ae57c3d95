"""Elementwise functions of one argument, for NumPy arrays and for ``math`` on floats.

Each row is ``name: derivative``, the derivative written in terms of ``x`` and ``ans`` as in a
calculus table. From it the VJP ``x_bar += g * (derivative)`` and the JVP
``ans_dot = x_dot * (derivative)`` are made, once with NumPy functions and once with ``math``
functions, so that differentiating ``math.sin`` on floats stays on floats.
"""

import ast
import math

import gast
import numpy as np

from .registry import defprim, nondiff

# NumPy name -> derivative. Calls inside a derivative name NumPy functions; the math family
# rewrites them to their math spelling (see MATH_NAMES). Division by a value that can be 0
# goes through reciprocal (a runtime helper): 1.0 / x raises ZeroDivisionError for a Python
# 0.0, where NumPy gives inf, and float code must behave as 0-d arrays do.
DERIVATIVES = {
    "exp": "ans",
    "expm1": "ans + 1.0",
    "log": "reciprocal(x)",
    "log1p": "reciprocal(1.0 + x)",
    "log2": "reciprocal(x * 0.6931471805599453)",  # ln 2
    "log10": "reciprocal(x * 2.302585092994046)",  # ln 10
    "sin": "cos(x)",
    "cos": "-sin(x)",
    "tan": "1.0 + ans * ans",
    "arcsin": "reciprocal(sqrt(1.0 - x * x))",
    "arccos": "-reciprocal(sqrt(1.0 - x * x))",
    "arctan": "1.0 / (1.0 + x * x)",
    "sinh": "cosh(x)",
    "cosh": "sinh(x)",
    "tanh": "1.0 - ans * ans",
    "sqrt": "0.5 * reciprocal(ans)",
    "abs": "sign(x)",
}

# NumPy name -> math name, where they differ; None: math has no such function.
MATH_NAMES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "abs": "fabs"}
# Functions math lacks: the math family uses the NumPy one (np.sign of a float is a float).
NUMPY_ONLY = {"sign"}
# Runtime helpers, called by their own name in both families.
HELPERS = {"reciprocal"}


def _qualify(derivative: str, module: str) -> str:
    """Spell the calls in `derivative` as `module.name(...)`."""
    tree = gast.parse(derivative, mode="eval")
    for node in gast.walk(tree):
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and (
            node.func.id not in HELPERS
        ):
            name = node.func.id
            mod = "np" if module == "np" or name in NUMPY_ONLY else "math"
            if mod == "math":
                name = MATH_NAMES.get(name, name)
            node.func = gast.Attribute(value=gast.Name(mod, gast.Load(), None, None),
                                       attr=name, ctx=gast.Load())
    return ast.unparse(gast.gast_to_ast(tree))


def _unary(name, spelling, obj, derivative, objects=()):
    d = f"({derivative})"
    defprim(name, spelling, objects=(obj, *objects), elementwise=True, vjp={"x": f"g * {d}"},
            jvp={"x": f"x_dot * {d}"})


nondiff("sign", "np.sign", np.sign)
nondiff("floor", "np.floor", np.floor)
nondiff("ceil", "np.ceil", np.ceil)
nondiff("round", "np.round", np.round, params=(("decimals", 0),))

for _name, _derivative in DERIVATIVES.items():
    _np_derivative = _qualify(_derivative, "np")
    _aliases = (abs, np.absolute) if _name == "abs" else ()
    _unary(_name, f"np.{_name}", getattr(np, _name), _np_derivative, _aliases)
    _math_name = MATH_NAMES.get(_name, _name)
    _unary(f"math.{_math_name}", f"math.{_math_name}", getattr(math, _math_name),
           _qualify(_derivative, "math"))
