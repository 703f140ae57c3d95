"""Gradient programs specialised on the signature of their arguments, like a JIT.

A call of a gradient function whose arguments are NumPy arrays and numbers, given
positionally, has a *signature*: per argument, its type, and for an array its shape and dtype.
The gradient function keeps a program per signature it has seen twice:

1. the first call with a signature runs the general path (binding, dtype and output checks,
   the general program); when it succeeds, the signature is remembered as checked;
2. the second call builds the program specialised on it (``Request.shapes`` and
   ``Request.scalars``: the compiler knows every array parameter's shape and which parameters
   are Python floats, and drops what that settles, ``transforms/known_shapes.py``), or
   fetches it from the caches, whose keys hold the signature;
3. later calls with it run that program and only look at its results (dtype, memory shared
   with an argument): the checks that depend on the signature alone were done at the first.

Building waits for the second call because a build costs milliseconds: a function called
once per shape (the test of a library, a sweep over sizes) should not pay it for nothing. At
most :data:`LIMIT` signatures are kept per gradient function; calls with others take the
general path, so memory stays bounded in a process that sees many shapes.
"""

from __future__ import annotations

import numpy as np

from ..errors import S2sadError
from .build import build
from .gradient_calls import SCALAR_TYPES, failed, results

#: Signatures kept per gradient function.
LIMIT = 16

_F64 = np.dtype(np.float64)
_NUMBERS = (float, int, bool, np.float64)
SEEN = "seen"  # the table's mark of a signature checked once, not yet built for


def signature(args, wrt: tuple) -> tuple | None:
    """The signature of `args` (None: not only arrays and numbers, or a wrt argument that is
    not float64; the general path takes those). ``wrt[i]``: whether argument i is one to
    differentiate."""
    key = []
    for a, differentiated in zip(args, wrt):
        kind = type(a)
        if kind is np.ndarray:
            dtype = a.dtype
            if dtype is not _F64 and (differentiated or dtype.hasobject):
                return None
            key.append((a.shape, dtype))
        elif kind is float or kind is np.float64 or kind in _NUMBERS and not differentiated:
            key.append(kind)
        else:
            return None
    return tuple(key)


def facts(params, key) -> tuple:
    """``(scalars, shapes)`` for :class:`~s2sad.transform.Request` from a signature: the
    parameters given Python floats, and every array's or other number's shape and dtype
    ("f8", "i8"...; "py" for a number)."""
    scalars, shapes = [], []
    for name, part in zip(params, key):
        if part is float:
            scalars.append(name)
        elif type(part) is tuple:
            shapes.append((name, part[0], f"{part[1].kind}{part[1].itemsize}"))
        else:
            shapes.append((name, (), "py"))
    return tuple(scalars), tuple(shapes)


def _fresh(grads: tuple, args) -> bool:
    """Whether `grads` are float64 arrays that own their memory, each a distinct object and
    none an argument: what results() would return as they are."""
    for k, g in enumerate(grads):
        if type(g) is not np.ndarray or g.dtype is not _F64 or g.base is not None:
            return False
        for a in args:
            if a is g:
                return False
        for other in grads[:k]:
            if other is g:
                return False
    return True


class Variants:
    """The specialised programs of one gradient function (`built` is its general build)."""

    def __init__(self, f, wrt, with_value: bool, built, backend: str, single: bool):
        self.f, self.wrt, self.with_value = f, wrt, with_value
        self.built, self.backend, self.single = built, backend, single
        self.positions = built.wrt_positions
        self.wrt_mask = tuple(p in self.positions for p in range(len(built.params)))
        self.table: dict = {}

    def __call__(self, fn, args, general):
        """The gradient function's result for `args` (positional, one per parameter)."""
        key = signature(args, self.wrt_mask)
        program = None if key is None else self.table.get(key)
        if program is None:
            out = general(args, {})
            if key is not None and len(self.table) < LIMIT:
                self.table[key] = SEEN
            return out
        if program is SEEN:
            program = self.table[key] = self._specialised(key)
        built, with_value = self.built, self.with_value
        try:
            result = program(*args, 1.0) if with_value else program(*args)
        except Exception as exc:
            failed(built, fn, exc, args, args, {}, with_value)
            raise
        value = None
        if with_value:
            value, grads = result[0], result[1:]
            if type(value) in SCALAR_TYPES:
                if _fresh(grads, args):  # nothing to copy or match
                    return (value, grads[0] if self.single else grads)
            elif np.ndim(value) != 0:
                built.check_scalar(value)
        elif self.single:
            if type(result) is np.ndarray and result.dtype is _F64 and result.base is None:
                for a in args:  # a fresh array: shared with an argument only by being it
                    if a is result:
                        return result.copy()
                return result
            if type(result) is float or type(result) is np.float64:
                return result
            grads = (result,)
        elif len(self.positions) > 1:
            if _fresh(result, args):
                return result
            grads = result
        else:
            grads = (result,)
        return results(value, grads, args, args, self.positions, self.single, with_value)

    def _specialised(self, key):
        return specialised(self.f, "vjp" if self.with_value else "grad", self.wrt,
                           self.built, key, self.backend)


def specialised(f, mode: str, wrt, general, key, backend: str = "numpy"):
    """The program of `f`'s derivative `mode` built for signature `key`; `general` is the
    general build of that derivative, whose program is taken if this build fails (it is the
    same code, so it fails as the general program will)."""
    scalars, shapes = facts(general.params, key)
    try:
        return build(f, mode, wrt, scalars=scalars, shapes=shapes, backend=backend).function
    except S2sadError:
        return general.function
