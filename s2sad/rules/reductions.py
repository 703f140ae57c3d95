"""Reductions over axes: sum, mean, prod (with ``axis`` and ``keepdims``).

The adjoint of a reduction spreads the cotangent back over the reduced axes
(``broadcast_reduced``), and the tangent is the same reduction of the input's tangent.
"""

import numpy as np

from .registry import defprim

REDUCE = (("axis", None), ("keepdims", False))

defprim("sum", "np.sum", objects=(np.sum,), params=REDUCE, methods=("sum",),
        vjp={"x": "broadcast_reduced(g, x, axis, keepdims)"},
        jvp={"x": "np.sum(x_dot, axis=axis, keepdims=keepdims)"})

defprim("mean", "np.mean", objects=(np.mean,), params=REDUCE, methods=("mean",),
        vjp={"x": "broadcast_reduced(g / reduced_size(x, axis), x, axis, keepdims)"},
        jvp={"x": "np.mean(x_dot, axis=axis, keepdims=keepdims)"})

# d prod / d x_i = prod / x_i: exact for nonzero entries (the usual trade-off, as in autograd).
defprim("prod", "np.prod", objects=(np.prod,), params=REDUCE, methods=("prod",),
        vjp={"x": "broadcast_reduced(g * ans, x, axis, keepdims) / x"},
        jvp={"x": "np.sum(x_dot * broadcast_reduced(ans, x, axis, keepdims) / x, "
                  "axis=axis, keepdims=keepdims)"})
