"""Derivative rules, one file per family; importing this package registers them all."""

from . import arithmetic, elementwise, linalg, logic, reductions, runtime, shape, user  # noqa: F401
from .registry import REGISTRY, TEMPLATE_MODULES, Primitive, defprim, nondiff

__all__ = ["REGISTRY", "TEMPLATE_MODULES", "Primitive", "defprim", "nondiff"]
