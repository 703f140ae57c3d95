"""s2sad: source-to-source automatic differentiation for Python and NumPy.

    import s2sad
    s2sad.grad(f)(x)          # gradient of a scalar function
    print(s2sad.source(f))    # the generated adjoint code
"""

from .api import (
    Differentiable,
    check_grad,
    differentiate,
    elementwise_grad,
    emit,
    grad,
    graph,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    linearize,
    source,
    trace,
    value_and_grad,
    vjp,
)
from .errors import (
    InternalError,
    MissingRuleError,
    NonDifferentiableError,
    NonScalarOutputError,
    NoSourceError,
    S2sadError,
    StaleSourceError,
    UnsupportedSyntaxError,
)
from .loading.diskcache import CacheWarning
from .loading.loader import clear_cache
from .rules.user import defjvp, defvjp, primitive
from .runtime import stop_gradient
from .runtime.checkpoints import checkpoint
from .version import __version__ as __version__

__all__ = [
    "CacheWarning",
    "Differentiable",
    "InternalError",
    "MissingRuleError",
    "NoSourceError",
    "NonDifferentiableError",
    "NonScalarOutputError",
    "S2sadError",
    "StaleSourceError",
    "UnsupportedSyntaxError",
    "check_grad",
    "checkpoint",
    "clear_cache",
    "defjvp",
    "defvjp",
    "differentiate",
    "elementwise_grad",
    "emit",
    "grad",
    "graph",
    "hessian",
    "hvp",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jvp",
    "linearize",
    "primitive",
    "source",
    "stop_gradient",
    "trace",
    "value_and_grad",
    "vjp",
]
