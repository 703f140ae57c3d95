"""Rules for the helpers of ``s2sad/runtime/`` that generated code calls.

These are what make the rule set closed: the adjoint of ``unbroadcast`` is ``broadcast_like``
and back; the adjoint of a product's adjoint is the product again.
"""

from .. import runtime as rt
from .registry import defprim, nondiff

defprim("unbroadcast", "unbroadcast", objects=(rt.unbroadcast,), argnames=("x", "like"),
        vjp={"x": "broadcast_like(g, x)"},
        jvp={"x": "unbroadcast(x_dot, like)"})

defprim("broadcast_like", "broadcast_like", objects=(rt.broadcast_like,), argnames=("x", "like"),
        vjp={"x": "unbroadcast(g, x)"},
        jvp={"x": "broadcast_like(x_dot, like)"})

defprim("broadcast_reduced", "broadcast_reduced", objects=(rt.broadcast_reduced,),
        argnames=("x", "like"), params=(("axis", None), ("keepdims", False)),
        vjp={"x": "np.sum(g, axis=axis, keepdims=keepdims)"},
        jvp={"x": "broadcast_reduced(x_dot, like, axis, keepdims)"})

defprim("scatter_like", "scatter_like", objects=(rt.scatter_like,), argnames=("x", "index", "like"),
        vjp={"x": "g[index]"},
        jvp={"x": "scatter_like(x_dot, index, like)"})

# An adjoint accumulated from a read of one entry or slice (transforms/scatter_add.py fuses
# ``t = scatter_like(g, i, x); a = a + t``): linear in acc and x, like the two it replaces.
defprim("scatter_add", "scatter_add", objects=(rt.scatter_add,),
        argnames=("acc", "x", "index", "like"),
        vjp={"acc": "unbroadcast(g, acc)", "x": "g[index]"},
        jvp={"acc": "acc_dot", "x": "scatter_like(x_dot, index, like)"})
# The same, writing into an adjoint nothing else holds (transforms/in_place.py). It appears in
# finished programs only, never in one that is differentiated again: a derivative of it would
# tape a value it then overwrites, so it is refused, not given rules.
_into = defprim("scatter_add_into", "scatter_add_into", objects=(rt.scatter_add_into,),
                argnames=("acc", "x", "index", "like"))
_into.user, _into.pure = True, False
_into.refusal = "s2sad's in-place accumulation (scatter_add_into) has no derivative"

# 1 / x and c * x ** p that do not raise on a Python 0.0 (see runtime.py): the derivatives of
# log and of ** use them. Their own derivatives are themselves again, so the set stays closed.
# reciprocal's derivative -ans * ans is inf at 0: a zero cotangent stays 0 there (safe_mul).
defprim("reciprocal", "reciprocal", objects=(rt.reciprocal,), elementwise=True,
        vjp={"x": "-safe_mul(g, ans * ans)"},
        jvp={"x": "-safe_mul(x_dot, ans * ans)"})

# The p rule avoids log(0): where x is 0, x ** p is constant in p (0, or 1 at p = 0).
defprim("scaled_pow", "scaled_pow", objects=(rt.scaled_pow,), argnames=("c", "x", "p"),
        broadcasts=True,
        vjp={"c": "scaled_pow(g, x, p)", "x": "scaled_pow(g * c * p, x, p - 1.0)",
             "p": "g * ans * np.log(np.where(x == 0.0, 1.0, x))"},
        jvp={"c": "scaled_pow(c_dot, x, p)", "x": "scaled_pow(x_dot * c * p, x, p - 1.0)",
             "p": "p_dot * ans * np.log(np.where(x == 0.0, 1.0, x))"})

# Adjoints of the products, linear in (g, the other operand); see runtime.py.
defprim("matmul_adjoint_x", "matmul_adjoint_x", objects=(rt.matmul_adjoint_x,),
        argnames=("g_", "x", "y"),
        vjp={"g_": "g @ y", "y": "matmul_adjoint_y(g_, g, y)"},
        jvp={"g_": "matmul_adjoint_x(g__dot, x, y)", "y": "matmul_adjoint_x(g_, x, y_dot)"})

defprim("matmul_adjoint_y", "matmul_adjoint_y", objects=(rt.matmul_adjoint_y,),
        argnames=("g_", "x", "y"),
        vjp={"g_": "x @ g", "x": "matmul_adjoint_x(g_, x, g)"},
        jvp={"g_": "matmul_adjoint_y(g__dot, x, y)", "x": "matmul_adjoint_y(g_, x_dot, y)"})

defprim("dot_adjoint_x", "dot_adjoint_x", objects=(rt.dot_adjoint_x,),
        argnames=("g_", "x", "y"),
        vjp={"g_": "np.dot(g, y)", "y": "dot_adjoint_y(g_, g, y)"},
        jvp={"g_": "dot_adjoint_x(g__dot, x, y)", "y": "dot_adjoint_x(g_, x, y_dot)"})

defprim("dot_adjoint_y", "dot_adjoint_y", objects=(rt.dot_adjoint_y,),
        argnames=("g_", "x", "y"),
        vjp={"g_": "np.dot(x, g)", "x": "dot_adjoint_x(g_, x, g)"},
        jvp={"g_": "dot_adjoint_y(g__dot, x, y)", "x": "dot_adjoint_y(g_, x_dot, y)"})

nondiff("zeros_like", "zeros_like", rt.zeros_like)
# Checks that a gradient's output is a scalar: never dropped, though its value is a constant.
nondiff("scalar_seed", "scalar_seed", rt.scalar_seed).pure = False
nondiff("stop_gradient", "stop_gradient", rt.stop_gradient)
nondiff("transpose_inverse", "transpose_inverse", rt.transpose_inverse)
nondiff("reduced_size", "reduced_size", rt.reduced_size, params=(("axis", None),))
# The shape (and dtype) of an elementwise result that is read only for its shape
# (transforms/shape_standins.py): the result itself need not be computed.
nondiff("broadcast_stand_in", "broadcast_stand_in", rt.shape.broadcast_stand_in,
        argnames=("a", "b", "c", "d"))

# Loop checkpointing (runtime/checkpoints.py): the stretches a checkpointed range is cut into.
nondiff("checkpoint_every", "checkpoint_every", rt.checkpoints.checkpoint_every,
        argnames=("start", "stop", "step", "every"))
nondiff("segment_count", "segment_count", rt.checkpoints.segment_count,
        argnames=("start", "stop", "step", "every"))
nondiff("segment_start", "segment_start", rt.checkpoints.segment_start,
        argnames=("start", "step", "every", "segment"))
nondiff("segment_stop", "segment_stop", rt.checkpoints.segment_stop,
        argnames=("start", "stop", "step", "every", "segment"))
nondiff("segment_begins", "segment_begins", rt.checkpoints.segment_begins,
        argnames=("index", "start", "step", "every"))
