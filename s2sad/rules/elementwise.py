"""Elementwise functions, for NumPy arrays and for ``math`` on floats.

Each row of DERIVATIVES is ``name: derivative``, the derivative written in terms of ``x`` and
``ans`` as in a calculus table. From it the VJP ``x_bar += g * (derivative)`` and the JVP
``ans_dot = x_dot * (derivative)`` are made, once with NumPy functions and once with ``math``
functions, so that differentiating ``math.sin`` on floats stays on floats. A derivative that is
infinite somewhere is a quotient ``1 / d`` (QUOTIENTS): its rules divide, ``safe_div(g, d)``,
whose zero is a strong zero: the untaken branch of an ``np.where`` sends a zero cotangent, and
``0 / 0`` must stay 0 (see ``runtime/elementwise.py``). Then come the functions of two
arguments (arctan2, hypot, logaddexp), the functions with a derivative of zero (rounding), and
the dtype conversions.
"""

import ast
import importlib.util
import math

import gast
import numpy as np

from ..runtime import elementwise as rt
from .registry import defprim, nondiff

# NumPy name -> derivative. Calls inside a derivative name NumPy functions; the math family
# rewrites them to their math spelling (see MATH_NAMES). Division by a value that can be 0
# goes through reciprocal (a runtime helper): 1.0 / x raises ZeroDivisionError for a Python
# 0.0, where NumPy gives inf, and float code must behave as 0-d arrays do.
DERIVATIVES = {
    "exp": "ans",
    "expm1": "ans + 1.0",
    "exp2": "ans * 0.6931471805599453",  # ln 2
    "sin": "cos(x)",
    "cos": "-sin(x)",
    "tan": "1.0 + ans * ans",
    "arctan": "1.0 / (1.0 + x * x)",
    "sinh": "cosh(x)",
    "cosh": "sinh(x)",
    "tanh": "1.0 - ans * ans",
    "arcsinh": "reciprocal(sqrt(x * x + 1.0))",
    "deg2rad": "0.017453292519943295",  # pi / 180
    "rad2deg": "57.29577951308232",  # 180 / pi
}
# NumPy name -> d, for the derivatives 1 / d that are infinite where d is 0: the rules are
# safe_div(g, d) and safe_div(x_dot, d), where a zero cotangent or tangent stays 0 (0 / 0 = 0;
# the untaken branch of np.where). safe_div is also NumPy's inf for a Python 0.0 (no
# ZeroDivisionError), so the math family shares them.
QUOTIENTS = {
    "log": "x",
    "log1p": "1.0 + x",
    "log2": "x * 0.6931471805599453",  # ln 2
    "log10": "x * 2.302585092994046",  # ln 10
    "arcsin": "sqrt((1.0 - x) * (1.0 + x))",
    "arccos": "-sqrt((1.0 - x) * (1.0 + x))",
    "arccosh": "sqrt((x - 1.0) * (x + 1.0))",
    "arctanh": "(1.0 - x) * (1.0 + x)",
    "sqrt": "2.0 * ans",
    "cbrt": "3.0 * ans * ans",
}
# Functions only math has (NumPy's are in SciPy): derivative written with math names.
MATH_ONLY = {
    "erf": "1.1283791670955126 * exp(-x * x)",  # 2 / sqrt(pi)
    "erfc": "-1.1283791670955126 * exp(-x * x)",
}

# NumPy name -> math name, where they differ; None: math has no such function.
MATH_NAMES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "abs": "fabs",
              "arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh",
              "deg2rad": "radians", "rad2deg": "degrees"}
# Other Python objects with the same meaning (NumPy 2's np.acos is np.arccos itself).
ALIASES = {"abs": (abs, np.absolute), "deg2rad": (np.radians,), "rad2deg": (np.degrees,)}
# Functions math lacks: the math family uses the NumPy one (np.sign of a float is a float).
NUMPY_ONLY = {"sign"}
# Runtime helpers, called by their own name in both families.
HELPERS = {"reciprocal", "safe_mul", "safe_div"}


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


def _unary(name, spelling, objects, derivative, kind="", note=""):
    """kind: '' (g * derivative), 'singular' (safe_mul: a strong zero), 'quotient' (the
    derivative is 1 / `derivative`: safe_div, a strong zero). The plain rule has a strong
    variant for a cotangent that may be inf (reverse.py): sqrt(1 - cos(x)) at 0 is inf * 0."""
    strong = None
    if kind == "quotient":
        vjp, jvp = f"safe_div(g, {derivative})", f"safe_div(x_dot, {derivative})"
    elif kind == "singular":
        vjp, jvp = f"safe_mul(g, {derivative})", f"safe_mul(x_dot, {derivative})"
    else:
        vjp, jvp = f"g * ({derivative})", f"x_dot * ({derivative})"
        strong = {"x": f"safe_mul(g, {derivative})"}
    defprim(name, spelling, objects=objects, elementwise=True, vjp={"x": vjp}, jvp={"x": jvp},
            note=note, vjp_strong=strong)


# Functions finite at a point where their derivative is infinite (sqrt and cbrt at 0, arcsin
# and arccos at +-1, arccosh at 1; safe_div at 0 / 0, in derivative code): the adjoint they
# send back may be inf while every value is finite, and reverse mode then differentiates the
# products it meets with strong zeros (Primitive.vjp_strong, see reverse.py), so sqrt(x * x +
# y * y) has derivative 0 at the origin. log and the like are not here: infinite at their
# singular points, they have no derivative to save there.
UNBOUNDED = frozenset({"sqrt", "math.sqrt", "cbrt", "math.cbrt", "arcsin", "math.asin",
                       "arccos", "math.acos", "arccosh", "math.acosh", "safe_div"})

NOTES = {
    "abs": "derivative sign(x): 0 at x = 0 (a subgradient)",
    "sqrt": "infinite derivative at 0; a zero cotangent stays zero there (np.where branches), "
            "and products under a sqrt differentiate with strong zeros, so sqrt(x * x + y * y), "
            "sqrt(np.sum(d ** 2)) ... have derivative 0 (a subgradient) at the origin (not "
            "sqrt(d @ d): contractions have no strong rule)",
    "arcsin": "infinite derivative at +-1; never NaN inside (-1, 1)",
    "arccos": "infinite derivative at +-1; never NaN inside (-1, 1)",
}

# The rounding family is piecewise constant: derivative zero (also at its jumps).
for _name in ("sign", "floor", "ceil", "rint", "trunc", "fix"):
    nondiff(_name, f"np.{_name}", getattr(np, _name))
nondiff("round", "np.round", np.round, params=(("decimals", 0),))
nondiff("around", "np.around", np.around, params=(("decimals", 0),))
for _name in ("floor", "ceil", "trunc"):
    nondiff(f"math.{_name}", f"math.{_name}", getattr(math, _name))

for _name, _derivative in (*DERIVATIVES.items(), *QUOTIENTS.items()):
    _kind = "quotient" if _name in QUOTIENTS else ""
    _note = NOTES.get(_name, "")
    _unary(_name, f"np.{_name}", (getattr(np, _name), *ALIASES.get(_name, ())),
           _qualify(_derivative, "np"), _kind, _note)
    _math_name = MATH_NAMES.get(_name, _name)
    if hasattr(math, _math_name):  # math.cbrt and math.exp2 are new in Python 3.11
        _unary(f"math.{_math_name}", f"math.{_math_name}", (getattr(math, _math_name),),
               _qualify(_derivative, "math"), _kind, _note)

for _name, _derivative in MATH_ONLY.items():
    _unary(f"math.{_name}", f"math.{_name}", (getattr(math, _name),),
           _qualify(_derivative, "math"))

# math.gamma and math.lgamma differentiate into digamma, which only SciPy has (its rules are in
# rules/special.py, registered when SciPy imports): without SciPy they have no rule.
if importlib.util.find_spec("scipy") is not None:
    _unary("math.lgamma", "math.lgamma", (math.lgamma,), "scipy.special.digamma(x)",
           note="log|gamma(x)|; needs SciPy (digamma)")
    _unary("math.gamma", "math.gamma", (math.gamma,), "ans * scipy.special.digamma(x)",
           note="needs SciPy (digamma)")

_unary("fabs", "np.fabs", (np.fabs,), "np.sign(x)", note=NOTES["abs"])
_unary("math.fabs", "math.fabs", (math.fabs,), "np.sign(x)", note=NOTES["abs"])
# |z| of a complex z: derivative conj(z) / |z| (conj_sign, rules/fft.py), sign(x) for real x;
# the result is real, so its cotangent counts by its real part.
defprim("abs", "np.abs", objects=(np.abs, *ALIASES["abs"]), elementwise=True,
        note=NOTES["abs"] + "; conj(z) / |z| for complex z (its cotangent's real part counts)",
        vjp={"x": "np.real(g) * conj_sign(x)"}, jvp={"x": "np.real(x_dot * conj_sign(x))"})
_unary("square", "np.square", (np.square,), "2.0 * x")
_unary("np.reciprocal", "np.reciprocal", (np.reciprocal,), "-ans * ans", kind="singular")

# sinc(x) = sin(pi x) / (pi x). Its slope is a helper with a Taylor series near 0, where the
# quotient (cos(pi x) - sinc(x)) / x would be 0 / 0. The helper's own derivative uses
# sinc'' = -pi^2 sinc - 2 sinc' / x away from 0 and the series of sinc'' near 0.
defprim("sinc", "np.sinc", objects=(np.sinc,), elementwise=True,
        vjp={"x": "g * sinc_slope(x)"}, jvp={"x": "x_dot * sinc_slope(x)"},
        note="derivative 0 at x = 0, computed from a Taylor series near 0 (no 0 / 0)")
_SMALL = f"np.abs(x) < {rt.SINC_SERIES}"
_S2 = [(-1) ** k * 2 * k * (2 * k - 1) * math.pi ** (2 * k) / math.factorial(2 * k + 1)
       for k in range(1, 5)]
_SINC_BEND = (f"np.where({_SMALL}, {_S2[0]!r} + x * x * ({_S2[1]!r} + x * x * ({_S2[2]!r} + "
              f"x * x * {_S2[3]!r})), -9.869604401089358 * np.sinc(x) - 2.0 * ans / "
              f"np.where({_SMALL}, 1.0, x))")
defprim("sinc_slope", "sinc_slope", objects=(rt.sinc_slope,), elementwise=True,
        vjp={"x": f"g * {_SINC_BEND}"}, jvp={"x": f"x_dot * {_SINC_BEND}"})

# A product whose zero is strong (0 * inf = 0): the derivative of the singular functions.
defprim("safe_mul", "safe_mul", objects=(rt.safe_mul,), argnames=("x", "y"), broadcasts=True,
        vjp={"x": "safe_mul(g, y)", "y": "safe_mul(x, g)"},
        jvp={"x": "safe_mul(x_dot, y)", "y": "safe_mul(x, y_dot)"},
        note="x * y, exactly 0 where x or y is 0 (even where the other is inf or NaN)")
# A quotient whose numerator's zero is strong (0 / 0 = 0): the derivatives 1 / d above, and
# division (rules/arithmetic.py). d(x / y)/dy = -ans / y.
defprim("safe_div", "safe_div", objects=(rt.safe_div,), argnames=("x", "y"), broadcasts=True,
        vjp={"x": "safe_div(g, y)", "y": "-safe_mul(safe_div(g, y), ans)"},
        jvp={"x": "safe_div(x_dot, y)", "y": "-safe_mul(safe_div(y_dot, y), ans)"},
        note="x / y, exactly 0 where x is 0 (even where y is 0 or NaN)")

# ---- two arguments --------------------------------------------------------------------------
# arctan2(x1, x2) is the angle of the point (x2, x1); at the origin both derivatives are taken
# as 0 (a subgradient), as for hypot: there the numerators are 0 and the denominator is made 1
# (no 0 / 0, and no warning).
_R2 = "np.where(x1 * x1 + x2 * x2 == 0.0, 1.0, x1 * x1 + x2 * x2)"
_ATAN2 = {"x1": f"{{t}} * x2 / {_R2}", "x2": f"-{{t}} * x1 / {_R2}"}
_HYPOT = {"x1": "{t} * x1 / np.where(ans == 0.0, 1.0, ans)",
          "x2": "{t} * x2 / np.where(ans == 0.0, 1.0, ans)"}


def _binary(name, spelling, objects, rules, note=""):
    defprim(name, spelling, objects=objects, argnames=("x1", "x2"), broadcasts=True,
            vjp={a: r.format(t="g") for a, r in rules.items()},
            jvp={a: r.format(t=f"{a}_dot") for a, r in rules.items()}, note=note)


_binary("arctan2", "np.arctan2", (np.arctan2,), _ATAN2, note="derivative 0 at (0, 0)")
_binary("math.atan2", "math.atan2", (math.atan2,), _ATAN2, note="derivative 0 at (0, 0)")
_binary("hypot", "np.hypot", (np.hypot,), _HYPOT, note="derivative 0 at (0, 0)")
_binary("math.hypot", "math.hypot", (math.hypot,), _HYPOT,
        note="two arguments; derivative 0 at (0, 0)")
# d/dx1 log(exp(x1) + exp(x2)) = exp(x1 - ans): x1 - ans <= 0, so it never overflows.
_binary("logaddexp", "np.logaddexp", (np.logaddexp,),
        {"x1": "{t} * np.exp(x1 - ans)", "x2": "{t} * np.exp(x2 - ans)"},
        note="stable at large inputs: the derivatives are exp(x - ans) <= 1")
_binary("logaddexp2", "np.logaddexp2", (np.logaddexp2,),
        {"x1": "{t} * np.exp2(x1 - ans)", "x2": "{t} * np.exp2(x2 - ans)"},
        note="stable at large inputs: the derivatives are exp2(x - ans) <= 1")

# ---- NaN and infinities, dtypes -----------------------------------------------------------
defprim("nan_to_num", "np.nan_to_num", objects=(np.nan_to_num,), elementwise=True,
        params=(("copy", True), ("nan", 0.0), ("posinf", None), ("neginf", None)),
        vjp={"x": "g * np.isfinite(x)"}, jvp={"x": "x_dot * np.isfinite(x)"},
        note="derivative 1 where x is finite, 0 where a NaN or an infinity is replaced")

# A conversion passes the cotangent back in the input's precision (cast_like) and the tangent
# on in the result's; a cast to an integer dtype has zero derivative (inexact(dtype) is 0).
defprim("cast_like", "cast_like", objects=(rt.cast_like,), argnames=("x", "like"),
        vjp={"x": "cast_like(g, x)"}, jvp={"x": "cast_like(x_dot, like)"})
for _type in (np.float64, np.float32):
    _spelling = f"np.{_type.__name__}"
    defprim(_type.__name__, _spelling, objects=(_type,), elementwise=True,
            vjp={"x": "cast_like(g, x)"}, jvp={"x": f"{_spelling}(x_dot)"},
            note="the cotangent goes back in the input's floating dtype")
defprim("astype", "astype", objects=(rt.astype,), methods=("astype",), params=(("dtype", None),),
        required_params=1,
        vjp={"x": "cast_like(real_like(g, ans) * inexact(dtype), x)"},
        jvp={"x": "astype(x_dot * inexact(dtype), dtype)"},
        note="zero derivative for a cast to an integer or boolean dtype")
for _name in ("int64", "int32", "bool_"):  # integer and boolean casts: zero derivative
    nondiff(f"np.{_name}", f"np.{_name}", getattr(np, _name))
nondiff("inexact", "inexact", rt.inexact)
nondiff("isfinite", "np.isfinite", np.isfinite)
nondiff("isnan", "np.isnan", np.isnan)
nondiff("isinf", "np.isinf", np.isinf)
