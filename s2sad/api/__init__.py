"""The public API: grad, value_and_grad, vjp, jvp, hvp, jacobian, hessian, source, trace,
graph, check_grad, the @differentiate decorator, and the names of JAX and autograd (jacfwd,
jacrev, elementwise_grad, linearize).

Each entry point asks for a build (:func:`build.build`: the pipeline's generated code,
compiled through the loader's caches) and wraps the compiled function in a small Python
function that binds arguments, checks them, and unpacks the generated function's flat result.
One job per module, and the compiler reached only through :mod:`s2sad.transform`:

- ``build``: builds, their memo on the function, recursion links, errors without internal
  frames;
- ``built``: a build's compiled function, and the checks of what it is called with;
- ``diagnose``: the user's mistake behind a failure of generated code (an integer in wrt);
- ``bound``: bound methods, partials and callable objects, differentiated as their function;
- ``gradients``: grad, value_and_grad, source;
- ``products``: vjp, jvp, hvp;
- ``matrices``: jacobian, hessian;
- ``emitting``: emit (a standalone module);
- ``checking``: check_grad; ``tracing``: trace; ``graphing``: graph;
- ``differentiable``: the decorator;
- ``jax_names``: jacfwd, jacrev, elementwise_grad, linearize, on top of the above;
- ``aliases``: ``argnums`` / ``argnum``, the other names of ``wrt``; ``hints``: the types of
  the signatures (the package ships ``py.typed``).
"""

from .checking import check_grad
from .differentiable import Differentiable, differentiate
from .emitting import emit
from .gradients import grad, source, value_and_grad
from .graphing import graph
from .jax_names import elementwise_grad, jacfwd, jacrev, linearize
from .matrices import hessian, jacobian
from .products import hvp, jvp, vjp
from .tracing import trace

__all__ = ["Differentiable", "check_grad", "differentiate", "elementwise_grad", "emit", "grad",
           "graph", "hessian", "hvp", "jacfwd", "jacobian", "jacrev", "jvp", "linearize", "source",
           "trace", "value_and_grad", "vjp"]
