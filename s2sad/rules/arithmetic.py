"""Python's arithmetic operators (and their NumPy twins ``np.add`` ...).

Binary operators broadcast, so their adjoint contributions are summed back to each operand's
shape by ``unbroadcast`` (the reverse transformer adds that step for ``broadcasts=True``).
"""

import operator

import gast
import numpy as np

from .registry import REGISTRY, defprim, nondiff

add = defprim("add", "+", form="binop", binop=gast.Add, argnames=("x", "y"), broadcasts=True,
              objects=(np.add, operator.add), impl=operator.add,
              vjp={"x": "g", "y": "g"},
              jvp={"x": "x_dot", "y": "y_dot"})

sub = defprim("sub", "-", form="binop", binop=gast.Sub, argnames=("x", "y"), broadcasts=True,
              objects=(np.subtract, operator.sub), impl=operator.sub,
              vjp={"x": "g", "y": "-g"},
              jvp={"x": "x_dot", "y": "-y_dot"})

# A cotangent that may be inf where the values are finite (sqrt's at 0 in sqrt(x * x + y * y))
# meets the other factor as a strong zero, inf * 0 = 0 (vjp_strong; reverse.py decides when).
mul = defprim("mul", "*", form="binop", binop=gast.Mult, argnames=("x", "y"), broadcasts=True,
              objects=(np.multiply, operator.mul), impl=operator.mul,
              vjp={"x": "g * y", "y": "g * x"},
              vjp_strong={"x": "safe_mul(g, y)", "y": "safe_mul(g, x)"},
              jvp={"x": "x_dot * y", "y": "x * y_dot"})

# The cotangent (tangent) is divided with safe_div (runtime/elementwise.py), whose zero is
# strong: the untaken branch of np.where(x != 0, np.sin(x) / x, 1.0) sends 0, and 0 / 0 and
# 0 * ans (ans = nan there) stay 0. d/dy = -ans / y.
truediv = defprim("truediv", "/", form="binop", binop=gast.Div, argnames=("x", "y"),
                  broadcasts=True, objects=(np.divide, np.true_divide, operator.truediv),
                  impl=operator.truediv,
                  vjp={"x": "safe_div(g, y)", "y": "-safe_mul(safe_div(g, y), ans)"},
                  jvp={"x": "safe_div(x_dot, y)", "y": "-safe_mul(safe_div(y_dot, y), ans)"})

# d/dx is y * x ** (y - 1.0), written scaled_pow(y, x, y - 1.0): 0 where y = 0 (not 0 * inf at
# x = 0), and no ZeroDivisionError for a Python 0.0 (the lowering writes it c * x ** p when p
# is a constant >= 0). d/dy is ans * log(x), 0 at x = 0, where x ** y is constant for y > 0;
# it is NaN for x < 0, so a zero cotangent (an untaken np.where branch) multiplies it as a
# strong zero (safe_mul, see runtime/elementwise.py).
power = defprim("pow", "**", form="binop", binop=gast.Pow, argnames=("x", "y"), broadcasts=True,
                objects=(np.power, operator.pow), impl=operator.pow,
                vjp={"x": "scaled_pow(g * y, x, y - 1.0)",
                     "y": "safe_mul(g, ans * np.log(np.where(x == 0.0, 1.0, x)))"},
                vjp_strong={"x": "safe_mul(g, scaled_pow(y, x, y - 1.0))"},
                jvp={"x": "scaled_pow(x_dot * y, x, y - 1.0)",
                     "y": "safe_mul(y_dot, ans * np.log(np.where(x == 0.0, 1.0, x)))"})

# np.float_power is x ** y computed in float64 (or complex): the same derivatives.
float_power = defprim("float_power", "np.float_power", objects=(np.float_power,),
                      argnames=("x", "y"), broadcasts=True, vjp=power.vjp, jvp=power.jvp,
                      vjp_strong=power.vjp_strong)

mod = defprim("mod", "%", form="binop", binop=gast.Mod, argnames=("x", "y"), broadcasts=True,
              objects=(np.mod, np.remainder, operator.mod), impl=operator.mod,
              vjp={"x": "g", "y": "-g * np.floor(x / y)"},
              jvp={"x": "x_dot", "y": "-y_dot * np.floor(x / y)"})

floordiv = nondiff("floordiv", "//", np.floor_divide, argnames=("x", "y"), form="binop")
floordiv.impl = operator.floordiv
REGISTRY.binops[gast.FloorDiv] = floordiv
REGISTRY.alias(operator.floordiv, floordiv)

neg = defprim("neg", "-", form="unaryop", unaryop=gast.USub, elementwise=True,
              objects=(np.negative, operator.neg),
              impl=operator.neg,
              vjp={"x": "-g"},
              jvp={"x": "-x_dot"})

pos = defprim("pos", "+", form="unaryop", unaryop=gast.UAdd, elementwise=True,
              objects=(np.positive, operator.pos),
              impl=operator.pos,
              vjp={"x": "g"},
              jvp={"x": "x_dot"})

__all__ = ["REGISTRY", "add", "sub", "mul", "truediv", "power", "neg", "pos"]
