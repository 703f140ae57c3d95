"""s2sad: source-to-source automatic differentiation for Python and NumPy.

    import s2sad
    s2sad.grad(f)(x)          # gradient of a scalar function
    print(s2sad.source(f))    # the generated adjoint code
"""

__version__ = "0.1.0"

from .api import (  # noqa: E402
    Differentiable,
    check_grad,
    differentiate,
    grad,
    hessian,
    hvp,
    jacobian,
    jvp,
    source,
    trace,
    value_and_grad,
    vjp,
)
from .errors import (  # noqa: E402
    InternalError,
    MissingRuleError,
    NonDifferentiableError,
    NonScalarOutputError,
    NoSourceError,
    S2sadError,
    StaleSourceError,
    UnsupportedSyntaxError,
)
from .loading.diskcache import CacheWarning  # noqa: E402
from .loading.loader import clear_cache  # noqa: E402
from .rules.user import defjvp, defvjp, primitive  # noqa: E402
from .runtime import stop_gradient  # noqa: E402

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
    "clear_cache",
    "defjvp",
    "defvjp",
    "differentiate",
    "grad",
    "hessian",
    "hvp",
    "jacobian",
    "jvp",
    "primitive",
    "source",
    "stop_gradient",
    "trace",
    "value_and_grad",
    "vjp",
]
