"""``@s2sad.differentiate``: a function that keeps working as before and gains its
derivatives as methods."""

from __future__ import annotations

import functools

from ..loading import loader
from .gradients import grad, source, value_and_grad
from .products import jvp, vjp


class Differentiable:
    """What ``@s2sad.differentiate`` returns: `f` itself, plus its derivatives on demand."""

    def __init__(self, fn):
        self.__s2sad_function__ = fn
        functools.update_wrapper(self, fn)
        self.__dict__.pop(loader.TABLE, None)  # fn's own caches stay fn's

    def __call__(self, *args, **kwargs):
        return self.__s2sad_function__(*args, **kwargs)

    def _cached(self, kind, wrt):
        # s2sad.grad returns the same function while its build is current, and a new one when
        # a rule, a global or the function changed: ask every time.
        maker = grad if kind == "grad" else value_and_grad
        return maker(self.__s2sad_function__, wrt)

    def grad(self, *args, wrt=0, **kwargs):
        """The gradient of f at `args` with respect to `wrt` (default: the first parameter)."""
        return self._cached("grad", wrt)(*args, **kwargs)

    def value_and_grad(self, *args, wrt=0, **kwargs):
        """``(f(args), gradient)`` in one pass."""
        return self._cached("value_and_grad", wrt)(*args, **kwargs)

    def vjp(self, *args, wrt=None):
        """``(f(args), vjp_fn)``, as :func:`s2sad.vjp`."""
        return vjp(self.__s2sad_function__, *args, wrt=wrt)

    def jvp(self, primals, tangents):
        """``(f(primals), J @ tangents)``, as :func:`s2sad.jvp`."""
        return jvp(self.__s2sad_function__, primals, tangents)

    def source(self, mode: str = "reverse", wrt=0, optimize: bool = True, ssa: bool = False,
               backend: str = "numpy"):
        """The generated code, as :func:`s2sad.source`."""
        return source(self.__s2sad_function__, mode, wrt, optimize, ssa, backend)


def differentiate(fn):
    """Decorator: `fn` stays callable as before and gains ``.grad``, ``.vjp``, ``.source``..."""
    return Differentiable(fn)
