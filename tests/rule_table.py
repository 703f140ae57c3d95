"""The shared rule table: one entry per primitive, with the shapes it is checked on.

Each case is a small function that applies one primitive, the domain its inputs are drawn
from, and the list of argument shapes to try (``()`` is a Python float). The reverse-mode test
(test_rules.py) checks each case's VJP against central finite differences, and test_forward.py its
JVP; adding a rule means adding a row here, or in the ``cases_<family>.py`` file of its family
(each defines ``CASES`` with the same ``Case`` rows; they are appended below).
"""

import math
from dataclasses import dataclass

import numpy as np

from s2sad import runtime as rt

S, V, M = (), (3,), (2, 3)
UNARY_SHAPES = [(S,), (V,), (M,)]
BINARY_SHAPES = [(S, S), (V, V), (M, M), (M, V), (V, M), (S, M), (M, S), ((2, 1), (1, 3))]


@dataclass
class Case:
    name: str  # the primitive's registry name
    fn: object
    shapes: list
    domain: str = "any"  # any | pos | unit (|x| < 0.9) | nonzero


# ---- arithmetic ---------------------------------------------------------------------------
def add(x, y):
    return x + y


def sub(x, y):
    return x - y


def mul(x, y):
    return x * y


def truediv(x, y):
    return x / y


def pow_(x, y):
    return x**y


def pow_const(x):
    return x**3 + x**2.5


def neg(x):
    return -x


def pos(x):
    return +x * 2.0


# ---- elementwise, NumPy -------------------------------------------------------------------
def make_unary(fn):
    return fn


def np_exp(x):
    return np.exp(x)


def np_expm1(x):
    return np.expm1(x)


def np_log(x):
    return np.log(x)


def np_log1p(x):
    return np.log1p(x)


def np_log2(x):
    return np.log2(x)


def np_log10(x):
    return np.log10(x)


def np_sin(x):
    return np.sin(x)


def np_cos(x):
    return np.cos(x)


def np_tan(x):
    return np.tan(x)


def np_arcsin(x):
    return np.arcsin(x)


def np_arccos(x):
    return np.arccos(x)


def np_arctan(x):
    return np.arctan(x)


def np_sinh(x):
    return np.sinh(x)


def np_cosh(x):
    return np.cosh(x)


def np_tanh(x):
    return np.tanh(x)


def np_sqrt(x):
    return np.sqrt(x)


def np_abs(x):
    return np.abs(x)


def builtin_abs(x):
    return abs(x) * 1.5


# ---- elementwise, math on floats ----------------------------------------------------------
def math_exp(x):
    return math.exp(x)


def math_expm1(x):
    return math.expm1(x)


def math_log(x):
    return math.log(x)


def math_log1p(x):
    return math.log1p(x)


def math_log2(x):
    return math.log2(x)


def math_log10(x):
    return math.log10(x)


def math_sin(x):
    return math.sin(x)


def math_cos(x):
    return math.cos(x)


def math_tan(x):
    return math.tan(x)


def math_asin(x):
    return math.asin(x)


def math_acos(x):
    return math.acos(x)


def math_atan(x):
    return math.atan(x)


def math_sinh(x):
    return math.sinh(x)


def math_cosh(x):
    return math.cosh(x)


def math_tanh(x):
    return math.tanh(x)


def math_sqrt(x):
    return math.sqrt(x)


def math_fabs(x):
    return math.fabs(x)


def math_constants(x):
    return math.e * x + math.pi * x * x


# ---- reductions ---------------------------------------------------------------------------
def sum_all(x):
    return np.sum(x)


def sum_axis0(x):
    return np.sum(x, axis=0)


def sum_axis1_keepdims(x):
    return np.sum(x, axis=1, keepdims=True)


def sum_neg_axis(x):
    return np.sum(x, axis=-1)


def sum_method(x):
    return x.sum(axis=0)


def mean_all(x):
    return np.mean(x)


def mean_axis0(x):
    return np.mean(x, axis=0)


def mean_axis1_keepdims(x):
    return np.mean(x, 1, keepdims=True)


def prod_all(x):
    return np.prod(x)


def prod_axis0(x):
    return np.prod(x, axis=0)


def prod_axis1_keepdims(x):
    return np.prod(x, axis=1, keepdims=True)


# ---- products -----------------------------------------------------------------------------
def matmul(x, y):
    return x @ y


def np_matmul(x, y):
    return np.matmul(x, y)


def dot(x, y):
    return np.dot(x, y)


def dot_method(x, y):
    return x.dot(y)


# ---- shape --------------------------------------------------------------------------------
def transpose_T(x):
    return x.T * 1.0


def transpose_axes(x):
    return np.transpose(x, (1, 0, 2))


def transpose_default(x):
    return np.transpose(x)


def reshape(x):
    return np.reshape(x, (3, 2))


def reshape_method(x):
    return x.reshape(-1)


def getitem(x):
    return x[1, 1:] + x[0:2, 1:] * x[-1, ::2].sum()


def getitem_vec(x):
    return x[0] * x[1:] + x[np.newaxis, :3]


def array_of_scalars(x, y):
    return np.array([x, y * 2.0, x * y])


def array_nested(x, y):
    return np.array([[x, y], [y * y, 1.0]])


def full(x):
    return np.full((2, 3), x)


def zeros_ones(x):
    return np.zeros((2, 3)) + x * np.ones(3) + np.zeros_like(x) + np.ones_like(x)


# ---- selections ---------------------------------------------------------------------------
def where(x, y):
    return np.where(x > 0.1, x * y, y)


def maximum(x, y):
    return np.maximum(x, y)


def minimum(x, y):
    return np.minimum(x, y)


def builtin_max(x, y):
    return max(x, y) * 2.0


def builtin_min(x, y):
    return min(x, y) * 2.0


def setitem(x, v):
    y = np.zeros((3, 4))
    y[1] = v
    y[0, 1:3] = x[0, 1:3] * 2.0
    y[2, 2] += v[0]
    return y * x


def setitem_repeated(x, v):
    y = x * 1.0
    y[[2, 0, 2], 1] = v[:3] * 2.0  # the adjoint of v keeps the last write (gather_last)
    return y * x


def reciprocal(x):
    return rt.reciprocal(x)  # the derivative of log


def scaled_pow(c, x, p):
    return rt.scaled_pow(c, x, p)  # the derivative of x ** y


def copy_then_write(x):
    y = x.copy()
    y[0] = 2.0 * np.copy(x)[1]
    return y * x


def mod(x, y):
    return x % y


def to_float(x):
    return float(x) * 3.0


def stack_and_moveaxis(x, y):
    return np.moveaxis(np.stack([x, y * 2.0], axis=1), 1, 0) * 1.5


def list_literal_array(x, y):
    items = [x, y]
    items.append(x * y)
    return np.array(items) * 2.0


def tuple_of_variables(x, y):
    pair = (x * y, y)
    first, second = pair
    return np.stack(pair) * first + second


CASES = [
    Case("add", add, BINARY_SHAPES),
    Case("sub", sub, BINARY_SHAPES),
    Case("mul", mul, BINARY_SHAPES),
    Case("truediv", truediv, BINARY_SHAPES, "nonzero"),
    Case("pow", pow_, BINARY_SHAPES, "pos"),
    Case("pow", pow_const, UNARY_SHAPES, "pos"),
    Case("neg", neg, UNARY_SHAPES),
    Case("pos", pos, UNARY_SHAPES),
    Case("exp", np_exp, UNARY_SHAPES),
    Case("expm1", np_expm1, UNARY_SHAPES),
    Case("log", np_log, UNARY_SHAPES, "pos"),
    Case("log1p", np_log1p, UNARY_SHAPES, "pos"),
    Case("log2", np_log2, UNARY_SHAPES, "pos"),
    Case("log10", np_log10, UNARY_SHAPES, "pos"),
    Case("sin", np_sin, UNARY_SHAPES),
    Case("cos", np_cos, UNARY_SHAPES),
    Case("tan", np_tan, UNARY_SHAPES, "unit"),
    Case("arcsin", np_arcsin, UNARY_SHAPES, "unit"),
    Case("arccos", np_arccos, UNARY_SHAPES, "unit"),
    Case("arctan", np_arctan, UNARY_SHAPES),
    Case("sinh", np_sinh, UNARY_SHAPES),
    Case("cosh", np_cosh, UNARY_SHAPES),
    Case("tanh", np_tanh, UNARY_SHAPES),
    Case("sqrt", np_sqrt, UNARY_SHAPES, "pos"),
    Case("abs", np_abs, UNARY_SHAPES, "nonzero"),
    Case("abs", builtin_abs, UNARY_SHAPES, "nonzero"),
    Case("math.exp", math_exp, [(S,)]),
    Case("math.expm1", math_expm1, [(S,)]),
    Case("math.log", math_log, [(S,)], "pos"),
    Case("math.log1p", math_log1p, [(S,)], "pos"),
    Case("math.log2", math_log2, [(S,)], "pos"),
    Case("math.log10", math_log10, [(S,)], "pos"),
    Case("math.sin", math_sin, [(S,)]),
    Case("math.cos", math_cos, [(S,)]),
    Case("math.tan", math_tan, [(S,)], "unit"),
    Case("math.asin", math_asin, [(S,)], "unit"),
    Case("math.acos", math_acos, [(S,)], "unit"),
    Case("math.atan", math_atan, [(S,)]),
    Case("math.sinh", math_sinh, [(S,)]),
    Case("math.cosh", math_cosh, [(S,)]),
    Case("math.tanh", math_tanh, [(S,)]),
    Case("math.sqrt", math_sqrt, [(S,)], "pos"),
    Case("math.fabs", math_fabs, [(S,)], "nonzero"),
    Case("mul", math_constants, [(S,)]),
    Case("sum", sum_all, UNARY_SHAPES),
    Case("sum", sum_axis0, [(V,), (M,), ((2, 3, 4),)]),
    Case("sum", sum_axis1_keepdims, [(M,), ((2, 3, 4),)]),
    Case("sum", sum_neg_axis, [(V,), (M,)]),
    Case("sum", sum_method, [(V,), (M,)]),
    Case("mean", mean_all, UNARY_SHAPES),
    Case("mean", mean_axis0, [(V,), (M,), ((2, 3, 4),)]),
    Case("mean", mean_axis1_keepdims, [(M,), ((2, 3, 4),)]),
    Case("prod", prod_all, UNARY_SHAPES, "nonzero"),
    Case("prod", prod_axis0, [(V,), (M,)], "nonzero"),
    Case("prod", prod_axis1_keepdims, [(M,)], "nonzero"),
    Case("matmul", matmul, [((2, 3), (3, 4)), ((3,), (3, 2)), ((2, 3), (3,)), ((3,), (3,)),
                            ((5, 2, 3), (3, 4)), ((2, 3), (4, 3, 2))]),
    Case("matmul", np_matmul, [((2, 3), (3, 4)), ((3,), (3,))]),
    Case("dot", dot, [((2, 3), (3, 4)), ((3,), (3, 2)), ((2, 3), (3,)), ((3,), (3,)),
                      (S, (2, 3)), ((3,), S)]),
    Case("dot", dot_method, [((2, 3), (3, 4)), ((3,), (3,))]),
    Case("transpose_T", transpose_T, [(V,), (M,), ((2, 3, 4),)]),
    Case("transpose", transpose_axes, [((2, 3, 4),)]),
    Case("transpose", transpose_default, [(M,), ((2, 3, 4),)]),
    Case("reshape", reshape, [(M,), ((6,),)]),
    Case("reshape", reshape_method, [(M,), ((3, 2),)]),
    Case("getitem", getitem, [((3, 4),)]),
    Case("getitem", getitem_vec, [((4,),)]),
    Case("array", array_of_scalars, [(S, S)]),
    Case("array", array_nested, [(S, S)]),
    Case("full", full, [(S,)]),
    Case("add", zeros_ones, [(S,), (V,)]),
    Case("where", where, BINARY_SHAPES),
    Case("maximum", maximum, BINARY_SHAPES),
    Case("minimum", minimum, BINARY_SHAPES),
    Case("max", builtin_max, [(S, S)]),
    Case("min", builtin_min, [(S, S)]),
    Case("setitem", setitem, [((3, 4), (4,))]),
    Case("gather_last", setitem_repeated, [((3, 4), (4,))]),
    Case("copy", copy_then_write, [(V,), (M,)]),
    Case("reciprocal", reciprocal, UNARY_SHAPES, "nonzero"),
    Case("scaled_pow", scaled_pow, [(S, S, S), (V, V, V), (M, V, S), (S, M, V)], "pos"),
    Case("mod", mod, [(S, S), (V, V)], "pos"),
    Case("float", to_float, [(S,)]),
    Case("stack", stack_and_moveaxis, [(V, V), (M, M)]),
    Case("moveaxis", stack_and_moveaxis, [(V, V)]),
    Case("list_append", list_literal_array, [(S, S), (V, V)]),
    Case("asarray", list_literal_array, [(S, S)]),
    Case("as_tuple", tuple_of_variables, [(S, S), (V, V)]),
]

# The families' own tables (imported late: they import Case and the shapes from here).
from cases_elementwise import CASES as _ELEMENTWISE  # noqa: E402
from cases_fft import CASES as _FFT  # noqa: E402
from cases_linalg import CASES as _LINALG  # noqa: E402
from cases_products import CASES as _PRODUCTS  # noqa: E402
from cases_reductions import CASES as _REDUCTIONS  # noqa: E402
from cases_scipy import CASES as _SCIPY  # noqa: E402
from cases_shape import CASES as _SHAPE  # noqa: E402

CASES += _ELEMENTWISE + _REDUCTIONS + _SHAPE + _PRODUCTS + _LINALG + _SCIPY + _FFT
