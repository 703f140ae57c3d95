"""``@s2sad.differentiate``: a function that keeps working as before and gains its
derivatives as methods."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, Generic

from ..loading import loader
from .aliases import FIRST
from .build import still_valid
from .gradients import current_gradient, grad, source, value_and_grad
from .hints import P, R, Wrt
from .products import jvp, vjp


class Differentiable(Generic[P, R]):
    """What ``@s2sad.differentiate`` returns: `f` itself, plus its derivatives on demand."""

    def __init__(self, fn: Callable[P, R]) -> None:
        self.__s2sad_function__ = fn
        functools.update_wrapper(self, fn)
        self.__dict__.pop(loader.TABLE, None)  # fn's own caches stay fn's
        # (build, gradient function) of the last default ``.grad`` call: checked and called
        # with no look-up while the build is current.
        self._default_grad: tuple | None = None

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.__s2sad_function__(*args, **kwargs)

    def _gradient(self, with_value: bool, wrt, argnums, argnum) -> Callable[..., Any]:
        # s2sad.grad returns the same function while its build is current, and a new one
        # when a rule, a global or the function changed: ask every time (a lookup).
        f = self.__s2sad_function__
        known = current_gradient(f, wrt, with_value) if argnums is argnum is None else None
        if known is not None:
            return known
        maker = value_and_grad if with_value else grad
        return maker(f, wrt, argnums=argnums, argnum=argnum)

    def grad(self, *args: Any, wrt: Wrt = FIRST, argnums: Wrt | None = None,
             argnum: Wrt | None = None, **kwargs: Any) -> Any:
        """The gradient of f at `args` with respect to `wrt` (default: the first parameter;
        ``argnums`` and ``argnum`` are other names for it)."""
        last = self._default_grad
        if last is not None and wrt is FIRST and argnums is argnum is None and still_valid(
                last[0].fn, last[0]):
            return last[1](*args, **kwargs)
        known = current_gradient(self.__s2sad_function__, wrt, False) if (
            argnums is argnum is None) else None  # the lookup, inline: it runs on every call
        if known is not None and wrt is FIRST:
            self._default_grad = (known.__s2sad_built__, known) if hasattr(
                known, "__s2sad_built__") else None
        return (known or self._gradient(False, wrt, argnums, argnum))(*args, **kwargs)

    def value_and_grad(self, *args: Any, wrt: Wrt = FIRST, argnums: Wrt | None = None,
                       argnum: Wrt | None = None, **kwargs: Any) -> tuple[Any, Any]:
        """``(f(args), gradient)`` in one pass."""
        return self._gradient(True, wrt, argnums, argnum)(*args, **kwargs)

    def vjp(self, *args: Any, wrt: Wrt | None = None, argnums: Wrt | None = None,
            argnum: Wrt | None = None) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
        """``(f(args), vjp_fn)``, as :func:`s2sad.vjp`."""
        return vjp(self.__s2sad_function__, *args, wrt=wrt, argnums=argnums, argnum=argnum)

    def jvp(self, primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
        """``(f(primals), J @ tangents)``, as :func:`s2sad.jvp`."""
        return jvp(self.__s2sad_function__, primals, tangents)

    def source(self, mode: str = "reverse", wrt: Wrt = FIRST, optimize: bool = True,
               ssa: bool = False, backend: str = "numpy", *, argnums: Wrt | None = None,
               argnum: Wrt | None = None, teaching: bool = False, args: tuple | None = None,
               specialized: bool = False) -> str:
        """The generated code, as :func:`s2sad.source`."""
        return source(self.__s2sad_function__, mode, wrt, optimize, ssa, backend,
                      argnums=argnums, argnum=argnum, teaching=teaching, args=args,
                      specialized=specialized)


def differentiate(fn: Callable[P, R]) -> Differentiable[P, R]:
    """Decorator: `fn` stays callable as before and gains ``.grad``, ``.vjp``, ``.source``..."""
    return Differentiable(fn)
