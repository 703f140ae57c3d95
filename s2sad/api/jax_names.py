"""The names JAX and autograd users reach for: ``jacfwd``, ``jacrev`` (JAX),
``elementwise_grad`` (autograd) and ``linearize`` (JAX), each built on s2sad's own
:func:`jacobian`, :func:`vjp` and :func:`jvp`, so they share their code, checks and caches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import S2sadError
from ..values import is_float_like, is_integer_like, private_copy
from .aliases import FIRST, chosen_wrt
from .bound import bound_target
from .build import build
from .hints import P, Wrt
from .matrices import jacobian
from .products import jvp, vjp


def jacfwd(f: Callable[P, Any], argnums: Wrt = FIRST, *, wrt: Wrt | None = None,
           argnum: Wrt | None = None, has_aux: bool = False,
           backend: str = "numpy") -> Callable[P, Any]:
    """JAX's ``jacfwd``: the Jacobian of `f` with respect to `argnums` (default 0), column by
    column in forward mode: ``jacobian(f, argnums, mode="forward")``.

    Its shape is the output's shape followed by the input's; a tuple `argnums` gives a tuple
    over the inputs, a tuple output a tuple over the outputs. With ``has_aux=True``, `f`
    returns ``(value, aux)`` and the result is ``(jacobian of value, aux)``. `backend` as for
    :func:`jacobian` (``"numba"``: functions of floats, compiled with numba).
    """
    chosen = chosen_wrt("jacfwd", argnums=argnums, wrt=wrt, argnum=argnum)
    return jacobian(f, chosen, mode="forward", has_aux=has_aux, backend=backend)


def jacrev(f: Callable[P, Any], argnums: Wrt = FIRST, *, wrt: Wrt | None = None,
           argnum: Wrt | None = None, has_aux: bool = False,
           backend: str = "numpy") -> Callable[P, Any]:
    """JAX's ``jacrev``: the Jacobian of `f` with respect to `argnums` (default 0), row by row
    in reverse mode: ``jacobian(f, argnums, mode="reverse")``; shapes and `backend` as
    :func:`jacfwd`."""
    chosen = chosen_wrt("jacrev", argnums=argnums, wrt=wrt, argnum=argnum)
    return jacobian(f, chosen, mode="reverse", has_aux=has_aux, backend=backend)


def elementwise_grad(f: Callable[..., Any], argnum: Wrt = FIRST, *,
                     wrt: Wrt | None = None, argnums: Wrt | None = None) -> Callable[..., Any]:
    """autograd's ``elementwise_grad``: the gradient of ``sum(f(*args))`` with respect to
    `argnum` (default 0), one reverse sweep with a cotangent of ones (``vjp``).

    For an elementwise `f` (each output entry depends on the same entry of the input only)
    that is the derivative of every entry at once. For any other `f` it is still the gradient
    of the sum of the outputs, not a derivative per entry. The arguments are given
    positionally, as to :func:`vjp`; a tuple `argnum` gives a tuple of gradients.
    """
    chosen = chosen_wrt("elementwise_grad", argnum=argnum, wrt=wrt, argnums=argnums)
    single = not isinstance(chosen, (tuple, list))
    wanted = chosen if not single else (chosen,)
    if bound_target(f) is None:
        build(f, "vjp", wanted)  # errors in f's code now, not at the first call

    def elementwise_gradient(*args: Any) -> Any:
        value, vjp_fn = vjp(f, *args, wrt=wanted)
        grads = vjp_fn(_ones_like(value))
        return grads[0] if single else grads

    name = getattr(f, "__name__", "f")
    elementwise_gradient.__name__ = elementwise_gradient.__qualname__ = f"{name}_elementwise_grad"
    return elementwise_gradient


def _ones_like(value: Any) -> Any:
    """A cotangent of ones for the output `value` (a tuple of them for a tuple)."""
    if isinstance(value, tuple):
        return tuple(_ones_like(v) for v in value)
    return np.ones(np.shape(value)) if np.ndim(value) else 1.0


def linearize(f: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[..., Any]]:
    """JAX's ``linearize``: ``(f(*primals), f_jvp)``, where ``f_jvp(*tangents)`` is the JVP
    of `f` at the fixed `primals`, ``jvp(f, primals, tangents)[1]``, one tangent per primal
    (None: held constant).

    Unlike JAX, s2sad keeps no linear program: each call of ``f_jvp`` runs the forward-mode
    (tangent) code again, which recomputes the primal values alongside the tangents. The
    primals are copied, so changing the arrays afterwards does not change ``f_jvp``.
    """
    fixed = tuple(private_copy(list(primals)))
    zeros = tuple((np.zeros(np.shape(p)) if np.ndim(p) else 0.0)
                  if is_float_like(p) or is_integer_like(p) else None for p in fixed)
    value, _ = jvp(f, fixed, zeros)  # builds the tangent code: errors in f's code now

    def f_jvp(*tangents: Any) -> Any:
        """The tangent of ``f(*primals)`` along `tangents`, one per primal."""
        if len(tangents) != len(fixed):
            raise S2sadError(f"f_jvp takes one tangent per primal: {len(fixed)}, got "
                             f"{len(tangents)}", hint="pass None for an argument held constant")
        return jvp(f, fixed, tangents)[1]

    return value, f_jvp
