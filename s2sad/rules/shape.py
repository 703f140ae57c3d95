"""Shape manipulation, joining and splitting, indexing, and constructors of constant arrays.

These operations move, copy or drop entries without changing their values: each is linear,
and its adjoint puts the cotangent back where the entries came from (the inverse move, or a
sum over the copies: ``tile_adjoint``, ``repeat_adjoint`` ... in ``runtime/shape.py``). A
list of arrays (the argument of np.concatenate, the result of np.split) has as adjoint the
stacked array of its elements' adjoints, or a ``RaggedAdjoint`` when their shapes differ.
"""

import numpy as np

from .. import runtime as rt
from ..runtime import shape as srt
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
        params=(("dtype", None),), variadic="layout",
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

# ---- joining a list of arrays, and splitting one --------------------------------------------
# The adjoint of a join cuts the cotangent into pieces shaped like the list's elements
# (split_like); the adjoint of a split joins the pieces' adjoints again.
defprim("concatenate", "np.concatenate", objects=(np.concatenate,), params=(("axis", 0),),
        vjp={"x": "split_like(g, x, axis)"},
        jvp={"x": "np.concatenate(x_dot, axis=axis)"})

for _name in ("hstack", "vstack", "dstack", "column_stack"):
    defprim(_name, f"np.{_name}", objects=(getattr(np, _name),),
            vjp={"x": f"split_like(g, x, {_name!r})"},
            jvp={"x": f"np.{_name}(x_dot)"})

# np.row_stack is NumPy's older name of np.vstack.
if hasattr(np, "row_stack") and np.row_stack is not np.vstack:
    REGISTRY.alias(np.row_stack, REGISTRY.by_name["vstack"])

# np.linspace(start, stop, num) = start + t * (stop - start): differentiable in start and stop
# (t from linspace_weights), new axis first, as NumPy puts it (axis=0).
_START = "np.sum(g * (1.0 - linspace_weights(num, endpoint, ans[0])), axis=0)"
_STOP = "np.sum(g * linspace_weights(num, endpoint, ans[0]), axis=0)"
defprim("linspace", "np.linspace", objects=(np.linspace,), argnames=("start", "stop"),
        params=(("num", 50), ("endpoint", True)),
        vjp={"start": f"unbroadcast({_START}, start)", "stop": f"unbroadcast({_STOP}, stop)"},
        jvp={"start": "start_dot * (1.0 - linspace_weights(num, endpoint, ans[0]))",
             "stop": "stop_dot * linspace_weights(num, endpoint, ans[0])"},
        note="differentiable in start and stop; axis and retstep are not supported")
# `like` only gives the shape: an argument (which may be active) with a zero derivative.
nondiff("linspace_weights", "linspace_weights", srt.linspace_weights, argnames=("like",),
        params=(("num", 50), ("endpoint", True)), required_params=2)
REGISTRY.by_name["linspace_weights"].order = ("num", "endpoint", "like")

_append = defprim("append", "np.append", objects=(np.append,), argnames=("arr", "values"),
                  params=(("axis", None),),
                  vjp={"arr": "split_like(g, [arr, values], axis)[0]",
                       "values": "split_like(g, [arr, values], axis)[1]"},
                  jvp={"arr": "np.append(arr_dot, zeros_like(values), axis=axis)",
                       "values": "np.append(zeros_like(arr), values_dot, axis=axis)"})
_append.jvp_all = "np.append(arr_dot, values_dot, axis=axis)"

_SPLIT = (("indices_or_sections", None), ("axis", 0))
for _name in ("split", "array_split"):
    defprim(_name, f"np.{_name}", objects=(getattr(np, _name),), params=_SPLIT,
            required_params=1,
            vjp={"x": "np.concatenate(g, axis=axis)"},
            jvp={"x": f"np.{_name}(x_dot, indices_or_sections, axis=axis)"})

for _name, _joined in (("hsplit", "hstack"), ("vsplit", "vstack"), ("dsplit", "dstack")):
    defprim(_name, f"np.{_name}", objects=(getattr(np, _name),), params=_SPLIT[:1],
            required_params=1,
            vjp={"x": f"np.{_joined}(g)"},
            jvp={"x": f"np.{_name}(x_dot, indices_or_sections)"})

defprim("split_like", "split_like", objects=(srt.split_like,), argnames=("x", "like"),
        params=(("axis", 0),), required_params=1,
        vjp={"x": "join(g, like, axis)"},
        jvp={"x": "split_like(x_dot, like, axis)"})

defprim("join", "join", objects=(srt.join,), argnames=("x", "like"), params=(("axis", 0),),
        required_params=1,
        vjp={"x": "split_like(g, like, axis)"},
        jvp={"x": "join(x_dot, like, axis)"})

# ---- moving axes and entries: the adjoint is the inverse move -------------------------------
defprim("swapaxes", "np.swapaxes", objects=(np.swapaxes,), methods=("swapaxes",),
        params=(("axis1", None), ("axis2", None)), required_params=2,
        vjp={"x": "np.swapaxes(g, axis1, axis2)"},
        jvp={"x": "np.swapaxes(x_dot, axis1, axis2)"})

defprim("rollaxis", "np.rollaxis", objects=(np.rollaxis,),
        params=(("axis", None), ("start", 0)), required_params=1,
        vjp={"x": "np.moveaxis(g, rollaxis_destination(x, axis, start), axis)"},
        jvp={"x": "np.rollaxis(x_dot, axis, start)"})

defprim("flip", "np.flip", objects=(np.flip,), params=(("axis", None),),
        vjp={"x": "np.flip(g, axis=axis)"},
        jvp={"x": "np.flip(x_dot, axis=axis)"})

for _name in ("fliplr", "flipud"):
    defprim(_name, f"np.{_name}", objects=(getattr(np, _name),),
            vjp={"x": f"np.{_name}(g)"},
            jvp={"x": f"np.{_name}(x_dot)"})

defprim("rot90", "np.rot90", objects=(np.rot90,), params=(("k", 1), ("axes", (0, 1))),
        vjp={"x": "np.rot90(g, k=-k, axes=axes)"},
        jvp={"x": "np.rot90(x_dot, k=k, axes=axes)"})

defprim("roll", "np.roll", objects=(np.roll,), params=(("shift", None), ("axis", None)),
        required_params=1,
        vjp={"x": "np.roll(g, negated(shift), axis=axis)"},
        jvp={"x": "np.roll(x_dot, shift, axis=axis)"})

# ---- adding or removing axes of length one: the adjoint reshapes back -----------------------
defprim("ravel", "np.ravel", objects=(np.ravel,), methods=("ravel", "flatten"),
        vjp={"x": "np.reshape(g, np.shape(x))"},
        jvp={"x": "np.ravel(x_dot)"})

defprim("squeeze", "np.squeeze", objects=(np.squeeze,), methods=("squeeze",),
        params=(("axis", None),),
        vjp={"x": "np.reshape(g, np.shape(x))"},
        jvp={"x": "np.squeeze(x_dot, axis=axis)"})

defprim("expand_dims", "np.expand_dims", objects=(np.expand_dims,), params=(("axis", None),),
        required_params=1,
        vjp={"x": "np.squeeze(g, axis=axis)"},
        jvp={"x": "np.expand_dims(x_dot, axis)"})

for _name in ("atleast_1d", "atleast_2d", "atleast_3d"):
    defprim(_name, f"np.{_name}", objects=(getattr(np, _name),),
            vjp={"x": "np.reshape(g, np.shape(x))"},
            jvp={"x": f"np.{_name}(x_dot)"},
            note="one argument (several return a list, which is not supported)")

# ---- copies of entries: the adjoint sums the copies ------------------------------------------
defprim("broadcast_to", "np.broadcast_to", objects=(np.broadcast_to,), params=(("shape", None),),
        required_params=1,
        vjp={"x": "unbroadcast(g, x)"},
        jvp={"x": "np.broadcast_to(x_dot, shape)"})

defprim("tile", "np.tile", objects=(np.tile,), params=(("reps", None),), required_params=1,
        vjp={"x": "tile_adjoint(g, x, reps)"},
        jvp={"x": "np.tile(x_dot, reps)"})

defprim("tile_adjoint", "tile_adjoint", objects=(srt.tile_adjoint,), argnames=("x", "like"),
        params=(("reps", None),), required_params=1,
        vjp={"x": "np.tile(g, reps)"},
        jvp={"x": "tile_adjoint(x_dot, like, reps)"})

defprim("repeat", "np.repeat", objects=(np.repeat,), methods=("repeat",),
        params=(("repeats", None), ("axis", None)), required_params=1,
        vjp={"x": "repeat_adjoint(g, x, repeats, axis=axis)"},
        jvp={"x": "np.repeat(x_dot, repeats, axis=axis)"})

defprim("repeat_adjoint", "repeat_adjoint", objects=(srt.repeat_adjoint,),
        argnames=("x", "like"), params=(("repeats", None), ("axis", None)), required_params=1,
        vjp={"x": "np.repeat(g, repeats, axis=axis)"},
        jvp={"x": "repeat_adjoint(x_dot, like, repeats, axis=axis)"})

_PAD = (("pad_width", None), ("mode", "constant"))
defprim("pad", "np.pad", objects=(np.pad,), params=(*_PAD, ("constant_values", 0)),
        required_params=1,
        vjp={"x": "pad_adjoint(g, x, pad_width, mode=mode)"},
        jvp={"x": "pad_linear(x_dot, pad_width, mode=mode)"},
        note="modes constant, edge, reflect, symmetric and wrap; constant_values is a "
             "constant (no derivative flows to it)")

defprim("pad_linear", "pad_linear", objects=(srt.pad_linear,), params=_PAD, required_params=1,
        vjp={"x": "pad_adjoint(g, x, pad_width, mode=mode)"},
        jvp={"x": "pad_linear(x_dot, pad_width, mode=mode)"})

defprim("pad_adjoint", "pad_adjoint", objects=(srt.pad_adjoint,), argnames=("x", "like"),
        params=_PAD, required_params=1,
        vjp={"x": "pad_linear(g, pad_width, mode=mode)"},
        jvp={"x": "pad_adjoint(x_dot, like, pad_width, mode=mode)"})

_TAKE = (("indices", None), ("axis", None))
defprim("take", "np.take", objects=(np.take,), params=_TAKE, required_params=1,
        vjp={"x": "take_adjoint(g, x, indices, axis=axis)"},
        jvp={"x": "np.take(x_dot, indices, axis=axis)"},
        note="mode='raise' only; a repeated index adds its cotangents")

defprim("take_adjoint", "take_adjoint", objects=(srt.take_adjoint,), argnames=("x", "like"),
        params=_TAKE, required_params=1,
        vjp={"x": "np.take(g, indices, axis=axis)"},
        jvp={"x": "take_adjoint(x_dot, like, indices, axis=axis)"})

_ALONG = (("indices", None), ("axis", -1))
defprim("take_along_axis", "np.take_along_axis", objects=(np.take_along_axis,), params=_ALONG,
        required_params=1,
        vjp={"x": "take_along_axis_adjoint(g, x, indices, axis=axis)"},
        jvp={"x": "np.take_along_axis(x_dot, indices, axis=axis)"})

defprim("take_along_axis_adjoint", "take_along_axis_adjoint",
        objects=(srt.take_along_axis_adjoint,), argnames=("x", "like"), params=_ALONG,
        required_params=1,
        vjp={"x": "np.take_along_axis(g, indices, axis=axis)"},
        jvp={"x": "take_along_axis_adjoint(x_dot, like, indices, axis=axis)"})

# np.select(condlist, choicelist): each choice's adjoint is g where it was chosen.
defprim("select", "np.select", objects=(np.select,), argnames=("choicelist",),
        params=(("condlist", None), ("default", 0)), required_params=1,
        order=("condlist", "choicelist", "default"),
        vjp={"choicelist": "select_adjoint(g, choicelist, condlist)"},
        jvp={"choicelist": "np.select(condlist, choicelist_dot)"},
        note="the first true condition selects; default is a constant (no derivative "
             "flows to it)")

defprim("select_adjoint", "select_adjoint", objects=(srt.select_adjoint,),
        argnames=("x", "like"), params=(("condlist", None),), required_params=1,
        vjp={"x": "np.select(condlist, g)"},
        jvp={"x": "select_adjoint(x_dot, like, condlist)"})

# ---- diagonals and triangles ----------------------------------------------------------------
_DIAGONAL = (("offset", 0), ("axis1", 0), ("axis2", 1))
defprim("diagonal", "np.diagonal", objects=(np.diagonal,), methods=("diagonal",),
        params=_DIAGONAL,
        vjp={"x": "diagonal_adjoint(g, x, offset=offset, axis1=axis1, axis2=axis2)"},
        jvp={"x": "np.diagonal(x_dot, offset=offset, axis1=axis1, axis2=axis2)"})

# The trace is the sum of the diagonal: its adjoint spreads g along the diagonal.
defprim("trace", "np.trace", objects=(np.trace,), methods=("trace",), params=_DIAGONAL,
        vjp={"x": "diagonal_adjoint(np.expand_dims(g, -1), x, offset=offset, axis1=axis1, "
                  "axis2=axis2)"},
        jvp={"x": "np.trace(x_dot, offset=offset, axis1=axis1, axis2=axis2)"})

defprim("diagonal_adjoint", "diagonal_adjoint", objects=(srt.diagonal_adjoint,),
        argnames=("x", "like"), params=_DIAGONAL,
        vjp={"x": "unbroadcast(np.diagonal(g, offset=offset, axis1=axis1, axis2=axis2), x)"},
        jvp={"x": "diagonal_adjoint(x_dot, like, offset=offset, axis1=axis1, axis2=axis2)"})

# np.diag builds a matrix from a vector, or reads a matrix's diagonal: each is the other's
# adjoint (diag_adjoint keeps the shape of a rectangular matrix).
defprim("diag", "np.diag", objects=(np.diag,), params=(("k", 0),),
        vjp={"x": "diag_adjoint(g, x, k=k)"},
        jvp={"x": "np.diag(x_dot, k=k)"})

defprim("diag_adjoint", "diag_adjoint", objects=(srt.diag_adjoint,), argnames=("x", "like"),
        params=(("k", 0),),
        vjp={"x": "np.diag(g, k=k)"},
        jvp={"x": "diag_adjoint(x_dot, like, k=k)"})

# np.triu of a vector makes a matrix of copies of it: unbroadcast sums them back.
for _name in ("triu", "tril"):
    defprim(_name, f"np.{_name}", objects=(getattr(np, _name),), params=(("k", 0),),
            vjp={"x": f"unbroadcast(np.{_name}(g, k=k), x)"},
            jvp={"x": f"np.{_name}(x_dot, k=k)"})

defprim("diff", "np.diff", objects=(np.diff,), params=(("n", 1), ("axis", -1)),
        vjp={"x": "diff_adjoint(g, n=n, axis=axis)"},
        jvp={"x": "np.diff(x_dot, n=n, axis=axis)"},
        note="without prepend / append")

defprim("diff_adjoint", "diff_adjoint", objects=(srt.diff_adjoint,), params=(("n", 1),
        ("axis", -1)),
        vjp={"x": "np.diff(g, n=n, axis=axis)"},
        jvp={"x": "diff_adjoint(x_dot, n=n, axis=axis)"})

nondiff("negated", "negated", srt.negated)
nondiff("rollaxis_destination", "rollaxis_destination", srt.rollaxis_destination,
        params=(("axis", None), ("start", 0)), required_params=2)
