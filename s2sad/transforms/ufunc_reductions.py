"""Reductions called as the ufunc methods they are, in programs specialised on a signature.

``np.sum(x, axis=1)`` is ``np.add.reduce(x, axis=1)`` behind a layer of Python (argument
dispatch, a keyword dictionary, a look for a ``sum`` method) that costs about a microsecond
a call, as much as the reduction of a small array itself. A specialised program is read by
the machine, not by a student, so it calls ``np.add.reduce`` (``np.maximum.reduce`` for
``np.max``, ``np.minimum.reduce`` for ``np.min``, ``np.multiply.reduce`` for ``np.prod``)
directly: the same ufunc on the same axes (``axis=None`` spelled out: a ufunc's ``reduce``
reduces axis 0 by default, ``np.sum`` every axis), so the same result. ``np.mean`` is left as it
is: it sums integers in float64, which ``np.add.reduce`` would not.

This runs on the emitted program only (``transform.generate``), like accumulation in place:
the opaque calls it makes have no derivative rules.
"""

from __future__ import annotations

import numpy as np

from ..ir import Const, Function, Op
from ..ir.traverse import map_block
from ..rules.registry import opaque

_UFUNCS = {"sum": ("np.add.reduce", np.add), "amax": ("np.maximum.reduce", np.maximum),
           "amin": ("np.minimum.reduce", np.minimum), "prod": ("np.multiply.reduce",
                                                                np.multiply)}
_PRIMS = {name: opaque(spelling, "opaque", ufunc.reduce)
          for name, (spelling, ufunc) in _UFUNCS.items()}


def call_ufunc_reductions(fn: Function) -> Function:
    """`fn` with its sums, maxima, minima and products called as ufunc reductions (only
    for a program specialised on a signature; `fn` itself otherwise)."""
    if not (fn.param_shapes or fn.scalar_params):
        return fn

    def visit(stmt):
        if isinstance(stmt, Op) and stmt.prim.name in _PRIMS and len(stmt.args) == 1 and all(
                key in ("axis", "keepdims") for key, _ in stmt.kwargs):
            kwargs = stmt.kwargs
            if stmt.kwarg("axis") is None:  # a ufunc's reduce defaults to axis 0, np.sum to all
                kwargs = (("axis", Const(None)), *kwargs)
            return Op(stmt.target, _PRIMS[stmt.prim.name], stmt.args, kwargs, stmt.loc)
        return stmt

    body = map_block(fn.body, visit)
    return fn if body is fn.body else fn.replace(body=body)
