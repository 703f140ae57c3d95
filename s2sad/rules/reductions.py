"""Reductions, cumulative operations, sorting and statistics (with ``axis`` and ``keepdims``).

The adjoint of a reduction spreads the cotangent back over the reduced axes
(``broadcast_reduced``), and the tangent is the same reduction of the input's tangent, weighted
by the derivative of the reduction. Products never divide by an entry: the product of the
others is (product before) * (product after), ``exclusive_cumprod`` both ways, and cumulative
products differentiate into linear scans (``runtime/reductions.py``), so zeros are exact.
"""

import gast
import numpy as np

from ..runtime import reductions as rr
from .registry import defprim, nondiff

REDUCE = (("axis", None), ("keepdims", False))
SCAN = (("axis", None), ("direction", 1))  # direction -1: from the last entry backwards

defprim("sum", "np.sum", objects=(np.sum,), params=REDUCE, methods=("sum",),
        vjp={"x": "broadcast_reduced(g, x, axis, keepdims)"},
        jvp={"x": "np.sum(x_dot, axis=axis, keepdims=keepdims)"})

defprim("mean", "np.mean", objects=(np.mean,), params=REDUCE, methods=("mean",),
        vjp={"x": "broadcast_reduced(g / reduced_size(x, axis), x, axis, keepdims)"},
        jvp={"x": "np.mean(x_dot, axis=axis, keepdims=keepdims)"})

# d prod / d x_i = the product of the other entries, computed without dividing by x_i. An
# infinite cotangent (sqrt's at 0) times a zero product of the others is 0 (vjp_strong).
_OTHERS = "exclusive_cumprod(x, axis) * exclusive_cumprod(x, axis, -1)"
defprim("prod", "np.prod", objects=(np.prod,), params=REDUCE, methods=("prod",),
        vjp={"x": f"broadcast_reduced(g, x, axis, keepdims) * {_OTHERS}"},
        vjp_strong={"x": f"safe_mul(broadcast_reduced(g, x, axis, keepdims), {_OTHERS})"},
        jvp={"x": f"np.sum(x_dot * {_OTHERS}, axis=axis, keepdims=keepdims)"},
        note="exact where entries are zero (the product of the other entries, no division)")

# max and min: the cotangent goes to the entries equal to the result, split evenly on ties.
_TIES = "ties split the cotangent evenly among the entries equal to the result"
for _name, _fn, _nan in (("amax", np.max, np.nanmax), ("amin", np.min, np.nanmin)):
    defprim(_name, f"np.{_name[1:]}", objects=(_fn, getattr(np, _name)), params=REDUCE,
            methods=(_name[1:],), note=_TIES,
            vjp={"x": "broadcast_reduced(g, x, axis, keepdims) * "
                      "extremum_weights(x, ans, axis, keepdims)"},
            jvp={"x": "np.sum(x_dot * extremum_weights(x, ans, axis, keepdims), "
                      "axis=axis, keepdims=keepdims)"})
    defprim(_nan.__name__, f"np.{_nan.__name__}", objects=(_nan,), params=REDUCE,
            note=_TIES + "; NaN entries get a zero derivative",
            vjp={"x": "broadcast_reduced(g, x, axis, keepdims) * "
                      "extremum_weights(x, ans, axis, keepdims)"},
            jvp={"x": "np.sum(x_dot * extremum_weights(x, ans, axis, keepdims), "
                      "axis=axis, keepdims=keepdims)"})

_MAX = "extremum_weights(x, np.max(x, axis=axis, keepdims=keepdims), axis, keepdims)"
_MIN = "extremum_weights(x, np.min(x, axis=axis, keepdims=keepdims), axis, keepdims)"
defprim("ptp", "np.ptp", objects=(np.ptp,), params=REDUCE,
        note="max - min, each with its ties split evenly (0 where all entries are equal)",
        vjp={"x": f"broadcast_reduced(g, x, axis, keepdims) * ({_MAX} - {_MIN})"},
        jvp={"x": f"np.sum(x_dot * ({_MAX} - {_MIN}), axis=axis, keepdims=keepdims)"})

defprim("median", "np.median", objects=(np.median,), params=REDUCE,
        note="the mean of the middle entries; each one's share is split evenly among the "
             "entries equal to it (ties)",
        vjp={"x": "broadcast_reduced(g, x, axis, keepdims) * median_weights(x, axis)"},
        jvp={"x": "np.sum(x_dot * median_weights(x, axis), axis=axis, keepdims=keepdims)"})

# Entries that are NaN are left out of the reduction, so their derivative is zero.
defprim("nansum", "np.nansum", objects=(np.nansum,), params=REDUCE,
        note="NaN entries get a zero derivative",
        vjp={"x": "np.where(not_nan(x), broadcast_reduced(g, x, axis, keepdims), 0.0)"},
        jvp={"x": "np.sum(np.where(not_nan(x), x_dot, 0.0), axis=axis, keepdims=keepdims)"})

defprim("nanmean", "np.nanmean", objects=(np.nanmean,), params=REDUCE,
        note="NaN entries get a zero derivative",
        vjp={"x": "np.where(not_nan(x), broadcast_reduced(g / np.sum(not_nan(x), axis=axis, "
                  "keepdims=keepdims), x, axis, keepdims), 0.0)"},
        jvp={"x": "np.sum(np.where(not_nan(x), x_dot, 0.0), axis=axis, keepdims=keepdims) / "
                  "np.sum(not_nan(x), axis=axis, keepdims=keepdims)"})

# var = sum((x - mean)^2) / (n - ddof); std = sqrt(var), whose derivative at a constant input
# (std = 0) is the subgradient 0: dividing by inf there instead of 0 keeps it finite.
# `centered` is x - mean, computed so that a constant slice gives exactly 0.
STATS = (("axis", None), ("ddof", 0), ("keepdims", False))
_CENTERED = "centered(x, axis) / degrees_of_freedom(x, axis, ddof)"
_STD = "np.where(ans > 0.0, ans, np.inf)"
defprim("var", "np.var", objects=(np.var,), params=STATS, methods=("var",),
        vjp={"x": f"broadcast_reduced(g, x, axis, keepdims) * 2.0 * {_CENTERED}"},
        jvp={"x": f"np.sum(x_dot * {_CENTERED}, axis=axis, keepdims=keepdims) * 2.0"})

defprim("std", "np.std", objects=(np.std,), params=STATS, methods=("std",),
        note="at a constant input (std = 0) the derivative is the subgradient 0",
        vjp={"x": f"broadcast_reduced(g / {_STD}, x, axis, keepdims) * {_CENTERED}"},
        jvp={"x": f"np.sum(x_dot * {_CENTERED}, axis=axis, keepdims=keepdims) / {_STD}"})

# np.average(a, axis, weights): sum(w a) / sum(w), differentiable in both. Generated code calls
# weighted_average(a, weights, ...), whose positional order is that of the arguments.
_W = "aligned_weights(weights, a, axis)"
_TOTAL = f"np.sum(broadcast_like({_W}, a), axis=axis, keepdims=keepdims)"
_SPREAD = f"broadcast_reduced(g / {_TOTAL}, a, axis, keepdims)"
_DEVIATION = "(a - broadcast_reduced(ans, a, axis, keepdims))"
_AVERAGE_VJP = {
    "a": f"{_SPREAD} * {_W}",
    "weights": f"np.reshape(unbroadcast({_DEVIATION} * {_SPREAD}, {_W}), np.shape(weights))"}
_AVERAGE_JVP = {
    "a": f"np.sum(a_dot * {_W}, axis=axis, keepdims=keepdims) / {_TOTAL}",
    "weights": f"np.sum({_DEVIATION} * aligned_weights(weights_dot, a, axis), axis=axis, "
               f"keepdims=keepdims) / {_TOTAL}"}
average = defprim("average", "weighted_average", objects=(np.average,), argnames=("a", "weights"),
        params=REDUCE, order=("a", "axis", "weights", "keepdims"), impl=rr.weighted_average,
        arg_defaults=(("weights", None),),
        note="weights of a's shape, or 1-d along an int axis; none: the mean",
        vjp=_AVERAGE_VJP, jvp=_AVERAGE_JVP)


def _average_without_weights(call):
    """``np.average(a, axis)`` without weights is ``np.mean(a, axis)``: lowered as that, so
    the generated code reads as the mean it is."""
    func = call.func
    if len(call.args) > 2 or any(kw.arg in ("weights", "returned") for kw in call.keywords):
        return None
    if not (isinstance(func, gast.Attribute) and func.attr == "average"):
        return None
    mean = gast.Attribute(value=func.value, attr="mean", ctx=gast.Load())
    return gast.copy_location(gast.Call(func=mean, args=call.args, keywords=call.keywords), call)


average.expand = _average_without_weights

# The same, called as generated code spells it (weights second), when differentiated again.
defprim("weighted_average", "weighted_average", objects=(rr.weighted_average,),
        argnames=("a", "weights"), params=REDUCE, vjp=_AVERAGE_VJP, jvp=_AVERAGE_JVP)

# Cumulative sums and products (axis=None scans the flattened array).
defprim("cumsum", "np.cumsum", objects=(np.cumsum,), params=(("axis", None),),
        methods=("cumsum",),
        vjp={"x": "np.reshape(reverse_cumsum(g, axis), np.shape(x))"},
        jvp={"x": "np.cumsum(x_dot, axis)"})

# d cumprod[i] / d x[j] = (product before j) * (product of x[j+1 .. i]): a reverse scan of g.
defprim("cumprod", "np.cumprod", objects=(np.cumprod,), params=(("axis", None),),
        methods=("cumprod",), note="exact where entries are zero (no division)",
        vjp={"x": "np.reshape(shifted(ans, axis, 1, 1.0) * "
                  "linear_scan(shifted(x, axis, -1), g, axis, -1), np.shape(x))"},
        jvp={"x": "linear_scan(x, np.reshape(x_dot, np.shape(ans)) * "
                  "shifted(ans, axis, 1, 1.0), axis)"})

# Sorting permutes the entries: the cotangent goes back through the same permutation.
_PERMUTED = "permutation_index(x, ans, axis)"
defprim("sort", "np.sort", objects=(np.sort,), params=(("axis", -1),),
        note="tied entries are matched in their order in the input (a stable sort)",
        vjp={"x": f"scatter_like(g, {_PERMUTED}, x)"},
        jvp={"x": f"x_dot[{_PERMUTED}]"})

defprim("partition", "np.partition", objects=(np.partition,),
        params=(("kth", None), ("axis", -1)), required_params=1,
        note="the result is a permutation of the input; tied entries are matched in order",
        vjp={"x": f"scatter_like(g, {_PERMUTED}, x)"},
        jvp={"x": f"x_dot[{_PERMUTED}]"})

# ---- the helpers' own rules (runtime/reductions.py) ---------------------------------------
defprim("shifted", "shifted", objects=(rr.shifted,), params=SCAN + (("fill", 0.0),),
        vjp={"x": "shifted(g, axis, -direction)"},
        jvp={"x": "shifted(x_dot, axis, direction)"})

# t[i] = a[i] t[i-1] + b[i]: its adjoint in b is the same scan run backwards.
defprim("linear_scan", "linear_scan", objects=(rr.linear_scan,), argnames=("a", "b"),
        params=SCAN,
        vjp={"b": "linear_scan(shifted(a, axis, -direction), g, axis, -direction)",
             "a": "np.reshape(linear_scan(shifted(a, axis, -direction), g, axis, -direction)"
                  " * shifted(ans, axis, direction), np.shape(a))"},
        jvp={"b": "linear_scan(a, b_dot, axis, direction)",
             "a": "linear_scan(a, np.reshape(a_dot, np.shape(b)) * shifted(ans, axis, direction),"
                  " axis, direction)"})

defprim("exclusive_cumprod", "exclusive_cumprod", objects=(rr.exclusive_cumprod,), params=SCAN,
        vjp={"x": "ans * shifted(linear_scan(x, g, axis, -direction), axis, -direction)"},
        jvp={"x": "linear_scan(shifted(x, axis, direction), shifted(x_dot * ans, axis, direction), "
                  "axis, direction)"})

# Linear in the weights: reshaping there, reshaping back here.
defprim("aligned_weights", "aligned_weights", objects=(rr.aligned_weights,),
        argnames=("weights", "a"), params=(("axis", None),),
        vjp={"weights": "np.reshape(g, np.shape(weights))"},
        jvp={"weights": "aligned_weights(weights_dot, a, axis)"})

# x - mean(x): linear and symmetric (a projection), so it is its own adjoint.
defprim("centered", "centered", objects=(rr.centered,), params=(("axis", None),),
        vjp={"x": "centered(g, axis)"},
        jvp={"x": "centered(x_dot, axis)"})

defprim("reverse_cumsum", "reverse_cumsum", objects=(rr.reverse_cumsum,),
        params=(("axis", None),),
        vjp={"x": "np.reshape(np.cumsum(g, axis), np.shape(x))"},
        jvp={"x": "reverse_cumsum(x_dot, axis)"})

nondiff("extremum_weights", "extremum_weights", rr.extremum_weights, argnames=("x", "ans"),
        params=REDUCE)
nondiff("median_weights", "median_weights", rr.median_weights, params=(("axis", None),))
nondiff("permutation_index", "permutation_index", rr.permutation_index, argnames=("x", "ans"),
        params=(("axis", -1),))
nondiff("not_nan", "not_nan", rr.not_nan)
nondiff("degrees_of_freedom", "degrees_of_freedom", rr.degrees_of_freedom,
        params=(("axis", None), ("ddof", 0)))
