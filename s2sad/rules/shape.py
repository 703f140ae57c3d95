"""Shape manipulation, indexing, and constructors of constant arrays."""

import numpy as np

from .. import runtime as rt
from .registry import REGISTRY, defprim, nondiff

defprim("transpose_T", "T", form="attribute", attribute="T",
        vjp={"x": "g.T"},
        jvp={"x": "x_dot.T"})

defprim("transpose", "np.transpose", objects=(np.transpose,), params=(("axes", None),),
        methods=("transpose",),
        vjp={"x": "np.transpose(g, transpose_inverse(axes))"},
        jvp={"x": "np.transpose(x_dot, axes)"})

defprim("reshape", "np.reshape", objects=(np.reshape,), params=(("shape", None),),
        required_params=1, methods=("reshape",),
        vjp={"x": "np.reshape(g, np.shape(x))"},
        jvp={"x": "np.reshape(x_dot, shape)"})

# x[index]: the adjoint scatters the cotangent into zeros shaped like x.
defprim("getitem", "[]", form="subscript", params=(("index", None),), required_params=1,
        vjp={"x": "scatter_like(g, index, x)"},
        jvp={"x": "x_dot[index]"})

# y[index] = v as a new array (the caller's array is never written): the adjoint of y is the
# cotangent with the slot zeroed, the adjoint of v what was in the slot (only for the last
# write to a slot an index array repeats: NumPy keeps that one).
setitem = defprim("setitem", "setitem", objects=(rt.setitem,), argnames=("x", "v"),
                  params=(("index", None),), required_params=1, order=("x", "index", "v"),
                  broadcasts=True,
                  vjp={"x": "setitem(g, index, 0.0)", "v": "gather_last(g, index)"},
                  jvp={"x": "setitem(x_dot, index, 0.0)",
                       "v": "setitem(zeros_like(ans), index, v_dot)"})
# Broadcasting only from v into the slots: g must have ans's exact shape before it is indexed.
setitem.elementwise = False

# g[index] keeping only the last position of each repeated slot (see runtime.gather_last).
# Its adjoint writes into zeros, where the last write wins too: the same positions.
defprim("gather_last", "gather_last", objects=(rt.gather_last,), params=(("index", None),),
        required_params=1,
        vjp={"x": "setitem(zeros_like(x), index, g)"},
        jvp={"x": "gather_last(x_dot, index)"})

# Lists built with append. The adjoint of a list is the array of its elements' adjoints,
# stacked along axis 0 (so np.stack's adjoint is just the cotangent, moved to axis 0).
defprim("list_append", "list_append", objects=(rt.list_append,), argnames=("items", "value"),
        vjp={"items": "g[:-1]", "value": "g[-1]"},
        jvp={"items": "list_append(items_dot, value_dot)",
             "value": "list_append(items_dot, value_dot)"})
REGISTRY.by_name["list_append"].jvp_all = "list_append(items_dot, value_dot)"

# A tuple of variables is built as a list (differentiable), then made a tuple so that it
# means what a tuple means: x[(i, j)] is one element, where x[[i, j]] would be two rows. Its
# adjoint and tangent are those of the list.
defprim("as_tuple", "tuple", objects=(tuple,),
        vjp={"x": "g"},
        jvp={"x": "x_dot"})

defprim("stack", "np.stack", objects=(np.stack,), params=(("axis", 0),),
        vjp={"x": "np.moveaxis(g, axis, 0)"},
        jvp={"x": "np.stack(x_dot, axis=axis)"})

defprim("moveaxis", "np.moveaxis", objects=(np.moveaxis,), params=(("source", 0),
        ("destination", 0)), required_params=2,
        vjp={"x": "np.moveaxis(g, destination, source)"},
        jvp={"x": "np.moveaxis(x_dot, source, destination)"})

# x.copy(): a new array with x's values (the way to write into a view without changing x).
defprim("copy", "np.copy", objects=(np.copy,), methods=("copy",), elementwise=True,
        vjp={"x": "g"},
        jvp={"x": "x_dot"})

# np.array(v) of a variable (a list built in a loop, or an array): a copy as an array.
defprim("asarray", "np.array", argnames=("x",),
        vjp={"x": "g"},
        jvp={"x": "np.array(x_dot)"})

# np.array([a, b, ...]) of differentiable scalars: element k's adjoint is g[position of k].
defprim("array", "np.array", form="array", objects=(np.array, np.asarray),
        params=(("dtype", None),),
        vjp={"x": "g[index]"},
        jvp={})

defprim("full", "np.full", objects=(np.full,), argnames=("fill_value",),
        params=(("shape", None),), required_params=1, order=("shape", "fill_value"),
        vjp={"fill_value": "unbroadcast(g, fill_value)"},
        jvp={"fill_value": "broadcast_like(fill_value_dot, ans)"})

# Constant constructors and shape queries: their derivative is zero.
nondiff("zeros", "np.zeros", np.zeros, argnames=("shape",), params=(("dtype", None),))
nondiff("ones", "np.ones", np.ones, argnames=("shape",), params=(("dtype", None),))
nondiff("np.zeros_like", "np.zeros_like", np.zeros_like, params=(("dtype", None),))
nondiff("np.ones_like", "np.ones_like", np.ones_like, params=(("dtype", None),))
nondiff("shape", "np.shape", np.shape)
nondiff("size", "np.size", np.size, params=(("axis", None),))
nondiff("ndim", "np.ndim", np.ndim)
nondiff("len", "len", len)
nondiff("argmax", "np.argmax", np.argmax, params=(("axis", None),))
nondiff("argmin", "np.argmin", np.argmin, params=(("axis", None),))
nondiff("int", "int", int)
defprim("float", "float", objects=(float,), elementwise=True, vjp={"x": "g"}, jvp={"x": "x_dot"})
nondiff("slice", "slice", slice, argnames=("start", "stop", "step"))
nondiff("new_list", "[]", None, argnames=(), form="list")
nondiff("shape_attr", "shape", None, attribute="shape", form="attribute")
# cfg.alpha of a global object: a constant as far as derivatives go, read at run time.
nondiff("getattr", "getattr", getattr, params=(("name", None),), required_params=1,
        form="getattr")
nondiff("size_attr", "size", None, attribute="size", form="attribute")
nondiff("ndim_attr", "ndim", None, attribute="ndim", form="attribute")
# (a, b, ...) built from atoms, for shapes such as np.zeros((n, 3)).
nondiff("tuple", "()", None, argnames=("*items",), form="tuple")
