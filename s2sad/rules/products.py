"""Products: ``@`` / ``np.matmul`` and ``np.dot``, and the other products of arrays.

Their adjoints are the ``*_adjoint_x`` / ``*_adjoint_y`` helpers (the transposed products, with
1-D operands and broadcasting handled once, in ``runtime.py``); those helpers' own rules are in
``rules/runtime.py``.
"""

import gast
import numpy as np

from .registry import defprim

defprim("matmul", "@", form="binop", binop=gast.MatMult, objects=(np.matmul,),
        argnames=("x", "y"),
        vjp={"x": "matmul_adjoint_x(g, x, y)", "y": "matmul_adjoint_y(g, x, y)"},
        jvp={"x": "x_dot @ y", "y": "x @ y_dot"})

defprim("dot", "np.dot", objects=(np.dot,), argnames=("x", "y"), methods=("dot",),
        vjp={"x": "dot_adjoint_x(g, x, y)", "y": "dot_adjoint_y(g, x, y)"},
        jvp={"x": "np.dot(x_dot, y)", "y": "np.dot(x, y_dot)"})
