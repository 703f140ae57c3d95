"""Debugging statements: calls run for their effect only (``print``, ``breakpoint()``,
``logging``, ``warnings.warn``) and ``assert``.

They are primitives flagged as *effects* (``Primitive.effect``): impure, so the optimizer never
drops or merges them; without derivative, so no adjoint or tangent flows through them; and
emitted as a bare statement (``print('y =', y)``, ``assert c, msg``), since nothing reads their
result. Reverse mode keeps them in the forward sweep, where the primal values are, and never
runs them again in the reverse sweep; forward mode passes them through. They are not in the
registry: no rule ever emits one, and each call is its own primitive, spelled as written.
"""

from __future__ import annotations

import logging
import pdb
import types
import warnings

from .registry import Primitive

# The functions whose calls are debugging statements (compared by identity).
_FUNCTIONS = (print, breakpoint, warnings.warn, pdb.set_trace,
              logging.debug, logging.info, logging.warning, logging.error, logging.critical,
              logging.exception, logging.log)
_LOGGER_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "critical",
                             "exception", "log"})

#: What the fence and the lowering tell a user whose expression statement is not one of them.
DEBUGGING_CALLS = "print, breakpoint(), assert, logging, warnings.warn"


def is_debugging_call(obj) -> bool:
    """Whether calling `obj` (the object a call's function denotes) is a debugging statement:
    print, breakpoint, pdb.set_trace, warnings.warn, logging's functions, or a logging method
    of a ``logging.Logger``/``LoggerAdapter`` (``logger.debug`` of a module-level logger)."""
    if any(obj is fn for fn in _FUNCTIONS):
        return True
    if isinstance(obj, types.MethodType):
        owner = obj.__self__
        return (isinstance(owner, (logging.Logger, logging.LoggerAdapter))
                and obj.__func__.__name__ in _LOGGER_METHODS)
    return False


def effect_call(spelling: str, obj) -> Primitive:
    """The primitive of one debugging call, written ``spelling(...)`` as the user wrote it."""
    return Primitive(name=f"effect:{spelling}", spelling=spelling, form="effect", argnames=(),
                     differentiable=False, impl=obj, pure=False, effect=True)


#: ``assert test`` / ``assert test, message``: args (test,) or (test, message).
ASSERT = Primitive(name="assert", spelling="assert", form="assert", argnames=(),
                   differentiable=False, pure=False, effect=True)

#: ``f"..."`` in the arguments of a debugging statement (and only there): args are the
#: formatted values; param ``parts`` is a tuple of texts (str) and fields ((conversion, spec):
#: conversion ``"r"``/``"s"``/``"a"``/``""``, spec a constant str), one value per field.
FSTRING = Primitive(name="fstring", spelling="f-string", form="fstring", argnames=(),
                    params=(("parts", None),), differentiable=False)

__all__ = ["ASSERT", "DEBUGGING_CALLS", "FSTRING", "effect_call", "is_debugging_call"]
