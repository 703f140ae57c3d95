"""Rule-table rows of the elementwise family (aggregated by rule_table.py; see Case there)."""

import math
from importlib.util import find_spec

import numpy as np
from rule_table import BINARY_SHAPES, UNARY_SHAPES, Case, M, S, V

from s2sad.runtime import elementwise as rte

S3 = ((2, 3, 4),)


# ---- one argument, NumPy ------------------------------------------------------------------
def np_exp2(x):
    return np.exp2(x)


def np_arcsinh(x):
    return np.arcsinh(x)


def np_arccosh(x):
    return np.arccosh(x + 1.5)


def np_arctanh(x):
    return np.arctanh(x)


def np2_spellings(x):
    return np.asinh(x) + np.acos(x) * np.asin(x) + np.atan(x) * np.atanh(x) + np.acosh(x + 2.0)


def np_cbrt(x):
    return np.cbrt(x)


def np_deg2rad(x):
    return np.deg2rad(x) + np.radians(x * x)


def np_rad2deg(x):
    return np.rad2deg(x) + np.degrees(x * x)


def np_fabs(x):
    return np.fabs(x)


def np_square(x):
    return np.square(x)


def np_reciprocal(x):
    return np.reciprocal(x)


def np_sinc(x):
    return np.sinc(x)


def np_sinc_near_zero(x):
    return np.sinc(x * 0.004)  # inside the Taylor series of the slope


def sinc_slope(x):
    return rte.sinc_slope(x) + rte.sinc_slope(x * 0.004)


def rounding(x):
    r = np.sign(x) + np.floor(x) + np.ceil(x) + np.round(x) + np.around(x, 1)
    return x * (r + np.rint(x) + np.trunc(x) + np.fix(x))


def math_rounding(x):
    return x * (math.floor(x) + math.ceil(x) + math.trunc(x))


def nan_to_num(x):
    return np.nan_to_num(x * 2.0) + np.nan_to_num(x, nan=1.0, posinf=3.0)


def float64_of(x):
    return np.float64(x) * 2.0


def float32_of(x):
    # Finite differences cannot see through float32 rounding: the cast cancels here, and
    # test_rules_elementwise.py checks the float32 derivative itself.
    return x * 2.0 + np.float64(np.float32(x) - np.float32(x * 1.0))


def astype_float(x):
    return x.astype("float64") * 2.0 + x.astype(int) + x.astype(float) * x


def cast_like(x, y):
    return rte.cast_like(x * y, y) * 2.0


# ---- one argument, math -------------------------------------------------------------------
def math_asinh(x):
    return math.asinh(x)


def math_acosh(x):
    return math.acosh(x + 1.5)


def math_atanh(x):
    return math.atanh(x)


def math_exp2(x):
    return math.exp2(x)


def math_cbrt(x):
    return math.cbrt(x)  # Python 3.11+


def math_degrees(x):
    return math.degrees(x)


def math_radians(x):
    return math.radians(x)


def math_erf(x):
    return math.erf(x)


def math_erfc(x):
    return math.erfc(x)


def math_gamma(x):
    return math.lgamma(x) + math.gamma(x)


# ---- two arguments ------------------------------------------------------------------------
def arctan2(x, y):
    return np.arctan2(x, y)


def atan2_np2(x, y):
    return np.atan2(x, y)


def math_atan2(x, y):
    return math.atan2(x, y)


def hypot(x, y):
    return np.hypot(x, y)


def math_hypot(x, y):
    return math.hypot(x, y)


def logaddexp(x, y):
    return np.logaddexp(x, y)


def logaddexp2(x, y):
    return np.logaddexp2(x, y)


def float_power(x, y):
    return np.float_power(x, y)


def np_power(x, y):
    return np.power(x, y)


def true_divide(x, y):
    return np.true_divide(x, y)


def safe_mul(x, y):
    return rte.safe_mul(x, y)


def safe_div(x, y):
    return rte.safe_div(x, y)


def safe_div_numbers(x):
    return rte.safe_div(x, 2.0) + rte.safe_div(3, x)


# ---- selections ---------------------------------------------------------------------------
def fmax(x, y):
    return np.fmax(x, y)


def fmin(x, y):
    return np.fmin(x, y)


def clip_numbers(x):
    return np.clip(x, -0.5, 0.7)


def clip_none(x):
    return np.clip(x, None, 0.3) + np.clip(x, -0.2, None)


def clip_arrays(x, lo, hi):
    return np.clip(x, lo - 1.0, hi + 1.0) * np.clip(x, lo, hi)


def clip_method(x, hi):
    return x.clip(-0.4, hi)


BOUND_SHAPES = [(S, S, S), (V, V, V), (M, V, S), (M, M, (2, 1)), (V, S, M)]

CASES = [
    Case("exp2", np_exp2, UNARY_SHAPES),
    Case("arcsinh", np_arcsinh, UNARY_SHAPES),
    Case("arccosh", np_arccosh, UNARY_SHAPES, "pos"),
    Case("arctanh", np_arctanh, UNARY_SHAPES, "unit"),
    Case("arcsin", np2_spellings, [(V,)], "unit"),
    Case("cbrt", np_cbrt, UNARY_SHAPES, "nonzero"),
    Case("deg2rad", np_deg2rad, UNARY_SHAPES),
    Case("rad2deg", np_rad2deg, UNARY_SHAPES),
    Case("fabs", np_fabs, UNARY_SHAPES, "nonzero"),
    Case("square", np_square, UNARY_SHAPES),
    Case("np.reciprocal", np_reciprocal, UNARY_SHAPES, "nonzero"),
    Case("sinc", np_sinc, UNARY_SHAPES + [S3]),
    Case("sinc", np_sinc_near_zero, UNARY_SHAPES),
    Case("sinc_slope", sinc_slope, UNARY_SHAPES),
    Case("mul", rounding, UNARY_SHAPES, "nonzero"),
    Case("mul", math_rounding, [(S,)], "nonzero"),
    Case("nan_to_num", nan_to_num, UNARY_SHAPES),
    Case("float64", float64_of, UNARY_SHAPES),
    Case("float32", float32_of, UNARY_SHAPES),
    Case("astype", astype_float, [(V,), (M,)]),
    Case("cast_like", cast_like, [(S, S), (V, V), (M, M)]),
    Case("math.asinh", math_asinh, [(S,)]),
    Case("math.acosh", math_acosh, [(S,)], "pos"),
    Case("math.atanh", math_atanh, [(S,)], "unit"),
    *([Case("math.exp2", math_exp2, [(S,)])] if hasattr(math, "exp2") else []),
    *([Case("math.cbrt", math_cbrt, [(S,)], "nonzero")] if hasattr(math, "cbrt") else []),
    Case("math.degrees", math_degrees, [(S,)]),
    Case("math.radians", math_radians, [(S,)]),
    Case("math.erf", math_erf, [(S,)]),
    Case("math.erfc", math_erfc, [(S,)]),
    *([Case("math.lgamma", math_gamma, [(S,)], "pos"),
       Case("math.gamma", math_gamma, [(S,)], "pos")] if find_spec("scipy") else []),
    Case("arctan2", arctan2, BINARY_SHAPES),
    Case("arctan2", atan2_np2, [(V, V)]),
    Case("math.atan2", math_atan2, [(S, S)]),
    Case("hypot", hypot, BINARY_SHAPES),
    Case("math.hypot", math_hypot, [(S, S)]),
    Case("logaddexp", logaddexp, BINARY_SHAPES),
    Case("logaddexp2", logaddexp2, BINARY_SHAPES),
    Case("float_power", float_power, BINARY_SHAPES, "pos"),
    Case("pow", np_power, [(V, V), (M, S)], "pos"),
    Case("truediv", true_divide, [(V, V), (S, M)], "nonzero"),
    Case("safe_mul", safe_mul, BINARY_SHAPES),
    Case("safe_div", safe_div, BINARY_SHAPES, "nonzero"),
    Case("safe_div", safe_div_numbers, UNARY_SHAPES + [((2, 1),)], "nonzero"),
    Case("fmax", fmax, BINARY_SHAPES),
    Case("fmin", fmin, BINARY_SHAPES),
    Case("clip", clip_numbers, UNARY_SHAPES),
    Case("clip", clip_none, UNARY_SHAPES),
    Case("clip", clip_arrays, BOUND_SHAPES),
    Case("clip", clip_method, [(V, S), (M, V)]),
]
