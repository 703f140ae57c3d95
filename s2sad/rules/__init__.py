"""Derivative rules, one file per family; importing this package registers them all."""

from . import (  # noqa: F401
    arithmetic,
    elementwise,
    fft,
    linalg,
    logic,
    products,
    reductions,
    runtime,
    shape,
    special,
    stats,
    user,
)
from .registry import REGISTRY, TEMPLATE_MODULES, Primitive, defprim, nondiff

__all__ = ["REGISTRY", "TEMPLATE_MODULES", "Primitive", "defprim", "nondiff"]
