"""Products of arrays: ``@`` / ``np.matmul``, ``np.dot``, ``np.einsum``, ``np.tensordot``,
``np.inner``, ``np.outer``, ``np.vdot``, ``np.kron`` and ``np.cross``.

Each is bilinear, so its tangent is the product with one operand replaced by its tangent, and
its adjoints are transposed products. matmul and dot use the ``*_adjoint_x`` / ``*_adjoint_y``
helpers of ``runtime/__init__.py`` (their rules are in ``rules/runtime.py``); einsum, tensordot,
inner and kron use the two einsum adjoints of ``runtime/products.py``, registered here with
rules of the same bilinear shape, which closes the set.
"""

import gast
import numpy as np

from ..runtime import products as rt
from .registry import defprim, nondiff

defprim("matmul", "@", form="binop", binop=gast.MatMult, objects=(np.matmul,),
        argnames=("x", "y"),
        vjp={"x": "matmul_adjoint_x(g, x, y)", "y": "matmul_adjoint_y(g, x, y)"},
        jvp={"x": "x_dot @ y", "y": "x @ y_dot"})

defprim("dot", "np.dot", objects=(np.dot,), argnames=("x", "y"), methods=("dot",),
        vjp={"x": "dot_adjoint_x(g, x, y)", "y": "dot_adjoint_y(g, x, y)"},
        jvp={"x": "np.dot(x_dot, y)", "y": "np.dot(x, y_dot)"})

# The primitive takes two operands; a call with one operand is lowered as a two-operand one
# with the scalar 1.0, and one with three or more as a chain of two-operand ones, in the
# order of contractions `expand_einsum` plans (the lowering asks `Primitive.expand` first).
einsum = defprim(
    "einsum", "np.einsum", objects=(np.einsum,), argnames=("x", "y"),
    params=(("subscripts", None),), required_params=1, order=("subscripts", "x", "y"),
    vjp={"x": "einsum_adjoint_x(subscripts, g, x, y)",
         "y": "einsum_adjoint_y(subscripts, g, x, y)"},
    jvp={"x": "np.einsum(subscripts, x_dot, y)", "y": "np.einsum(subscripts, x, y_dot)"},
    note="any number of operands (one as a product with 1.0, three or more as a chain of "
         "pairwise contractions in a planned order; optimize= is accepted and the plan used); "
         "subscripts with '...', repeated and summed labels and implicit output")


def expand_einsum(call):
    """``np.einsum(s, a, b, c, ...)`` (or of one operand) as nested two-operand einsums
    (``runtime.products.einsum_pairs``), or None when it is one already, or `s` is not a
    constant string, or the call is not one s2sad can bind. The ``optimize`` keyword only
    chooses an order of contractions, which the plan chooses here."""
    args = call.args
    if not args or any(isinstance(a, gast.Starred) for a in args):
        return None
    subscripts = args[0]
    if not (isinstance(subscripts, gast.Constant) and isinstance(subscripts.value, str)):
        return None
    if any(kw.arg != "optimize" for kw in call.keywords) or (
            len(args) == 3 and not call.keywords):
        return None
    operands = list(args[1:])
    try:
        plan = rt.einsum_pairs(subscripts.value, len(operands))
    except ValueError:
        return None  # a wrong count of operands: NumPy's own call reports it
    for spec, i, j in plan:
        pair = [operands[i], gast.Constant(value=1.0, kind=None) if j is None else operands[j]]
        step = gast.Call(func=call.func, args=[gast.Constant(value=spec, kind=None), *pair],
                         keywords=[])
        step = gast.copy_location(step, call)
        operands = [step if k == i else o for k, o in enumerate(operands) if k != j]
    return operands[0]


einsum.expand = expand_einsum

# The adjoints of einsum, linear in (g_, the other operand); `x` / `y` only give the shape of
# the operand they stand for. <h, adjoint_x(g_, y)> = <g_, einsum(h, y)> gives their adjoints.
defprim("einsum_adjoint_x", "einsum_adjoint_x", objects=(rt.einsum_adjoint_x,),
        argnames=("g_", "x", "y"), params=(("subscripts", None),), required_params=1,
        order=("subscripts", "g_", "x", "y"),
        vjp={"g_": "np.einsum(subscripts, g, y)",
             "y": "einsum_adjoint_y(subscripts, g_, g, y)"},
        jvp={"g_": "einsum_adjoint_x(subscripts, g__dot, x, y)",
             "y": "einsum_adjoint_x(subscripts, g_, x, y_dot)"})

defprim("einsum_adjoint_y", "einsum_adjoint_y", objects=(rt.einsum_adjoint_y,),
        argnames=("g_", "x", "y"), params=(("subscripts", None),), required_params=1,
        order=("subscripts", "g_", "x", "y"),
        vjp={"g_": "np.einsum(subscripts, x, g)",
             "x": "einsum_adjoint_x(subscripts, g_, x, g)"},
        jvp={"g_": "einsum_adjoint_y(subscripts, g__dot, x, y)",
             "x": "einsum_adjoint_y(subscripts, g_, x_dot, y)"})

defprim("tensordot", "np.tensordot", objects=(np.tensordot,), argnames=("x", "y"),
        params=(("axes", 2),),
        vjp={"x": "einsum_adjoint_x(tensordot_subscripts(x, y, axes), g, x, y)",
             "y": "einsum_adjoint_y(tensordot_subscripts(x, y, axes), g, x, y)"},
        jvp={"x": "np.tensordot(x_dot, y, axes)", "y": "np.tensordot(x, y_dot, axes)"})

defprim("inner", "np.inner", objects=(np.inner,), argnames=("x", "y"),
        vjp={"x": "einsum_adjoint_x(inner_subscripts(x, y), g, x, y)",
             "y": "einsum_adjoint_y(inner_subscripts(x, y), g, x, y)"},
        jvp={"x": "np.inner(x_dot, y)", "y": "np.inner(x, y_dot)"})

# np.outer flattens its operands: g[i, j] pairs entry i of x with entry j of y.
defprim("outer", "np.outer", objects=(np.outer,), argnames=("x", "y"),
        vjp={"x": "np.reshape(np.dot(g, np.reshape(y, -1)), np.shape(x))",
             "y": "np.reshape(np.dot(np.reshape(x, -1), g), np.shape(y))"},
        jvp={"x": "np.outer(x_dot, y)", "y": "np.outer(x, y_dot)"},
        note="flattens both operands, as NumPy does")

# vdot(x, y) = sum(conj(x) * y) is conjugate-linear in x: under the pairing Re(sum(g * t))
# (rules/fft.py) its transpose in x conjugates. For real operands the conjugates do nothing.
defprim("vdot", "np.vdot", objects=(np.vdot,), argnames=("x", "y"),
        vjp={"x": "np.conj(g * np.reshape(y, np.shape(x)))",
             "y": "g * np.conj(np.reshape(x, np.shape(y)))"},
        jvp={"x": "np.vdot(x_dot, y)", "y": "np.vdot(x, y_dot)"},
        note="conjugates its first operand, as NumPy does; flattens both")

# kron(x, y) is an einsum of x and y with their axes interleaved, reshaped.
defprim("kron", "np.kron", objects=(np.kron,), argnames=("x", "y"),
        vjp={"x": "einsum_adjoint_x(kron_subscripts(x, y), np.reshape(g, kron_shape(x, y)), x, y)",
             "y": "einsum_adjoint_y(kron_subscripts(x, y), np.reshape(g, kron_shape(x, y)), x, y)"},
        jvp={"x": "np.kron(x_dot, y)", "y": "np.kron(x, y_dot)"})

# g . (x × y) = x . (y × g) = y . (g × x); unbroadcast where one operand is a batch of vectors.
defprim("cross", "np.cross", objects=(np.cross,), argnames=("x", "y"),
        vjp={"x": "unbroadcast(np.cross(y, g), x)", "y": "unbroadcast(np.cross(g, x), y)"},
        jvp={"x": "np.cross(x_dot, y)", "y": "np.cross(x, y_dot)"},
        note="3-vectors along the last axis (the default axes), batches broadcast")

nondiff("tensordot_subscripts", "tensordot_subscripts", rt.tensordot_subscripts,
        argnames=("x", "y"), params=(("axes", 2),))
nondiff("inner_subscripts", "inner_subscripts", rt.inner_subscripts, argnames=("x", "y"))
nondiff("kron_subscripts", "kron_subscripts", rt.kron_subscripts, argnames=("x", "y"))
nondiff("kron_shape", "kron_shape", rt.kron_shape, argnames=("x", "y"))
