"""``check_grad``: s2sad's derivatives of a function against finite differences (also the
engine of ``s2sad check``)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import S2sadError
from ..values import is_float_like, private_copy
from .aliases import chosen_wrt
from .bound import bound_target
from .build import unwrap
from .hints import Wrt
from .products import jvp, vjp


@dataclass(frozen=True)
class Comparison:
    """One derivative against finite differences: argument `position` (parameter `name`),
    in `mode` (``"reverse"``: the gradient or VJP, ``"forward"``: the JVP), along a random
    direction (and with a random cotangent). `got` is s2sad's directional derivative,
    `expected` the central difference; `relative` is ``|got - expected| / max(|expected|,
    atol)``. `noise` estimates the rounding error of the central difference itself (machine
    epsilon times the size of f's values, over the step): an error not far above it says
    more about the step than about the derivative."""

    position: int
    name: str
    mode: str
    got: float
    expected: float
    relative: float
    noise: float = 0.0


def check_grad(f: Callable[..., Any], *args: Any, wrt: Wrt | None = None, eps: float = 1e-6,
               rtol: float = 1e-5, atol: float = 1e-8, seed: int = 0,
               argnums: Wrt | None = None, argnum: Wrt | None = None,
               backend: str = "numpy") -> float:
    """Check s2sad's reverse and forward derivatives of `f` at `args` against central finite
    differences (along random directions, with a random cotangent for non-scalar outputs).

    Returns the largest relative error; raises ``AssertionError`` listing the arguments whose
    derivatives disagree by more than ``atol + rtol * |expected|``. `wrt` (default: every
    floating argument) may also be spelled ``argnums`` or ``argnum``. `backend` names the
    backend the derivatives are written for (``"numba"``, ``"array_api"``: docs/backends.md).

    Not ``scipy.optimize.check_grad(func, grad, x0)``, which takes a hand-written gradient
    and returns the norm of its difference from finite differences: here s2sad derives the
    gradient itself, so only the function and its arguments are given
    (``s2sad.check_grad(func, x0)``). ``s2sad check FILE.py:FUNC --at ...`` runs the same
    comparison from the command line.
    """
    wrt = chosen_wrt("check_grad", wrt=wrt, argnums=argnums, argnum=argnum)
    checks = compare_derivatives(f, *args, wrt=wrt, eps=eps, atol=atol, seed=seed,
                                 backend=backend)
    failures = [f"argument {c.position} ({c.mode} mode): {c.got!r} vs finite differences "
                f"{c.expected!r}" for c in checks
                if abs(c.got - c.expected) > atol + rtol * abs(c.expected)]
    if failures:
        raise AssertionError("s2sad derivative disagrees with finite differences:\n  "
                             + "\n  ".join(failures))
    return max((c.relative for c in checks), default=0.0)


def compare_derivatives(f: Callable[..., Any], *args: Any, wrt: Wrt | None = None,
                        eps: float = 1e-6, atol: float = 1e-8, seed: int = 0,
                        backend: str = "numpy") -> list:
    """s2sad's reverse and forward derivatives of `f` at `args` against central finite
    differences: one :class:`Comparison` per argument of `wrt` (default: every floating
    argument) and mode, in that order, the derivatives written for `backend`. Nothing is
    judged here: :func:`check_grad` and ``s2sad check`` decide what error is too large."""
    _refuse_scipy_call(f, args)
    rng = np.random.default_rng(seed)
    if wrt is None:
        wrt = tuple(i for i, a in enumerate(args) if is_float_like(a))
    wrt = _positions(f, args, wrt)
    value, vjp_fn = vjp(f, *args, wrt=wrt, backend=backend)
    outputs = value if isinstance(value, tuple) else (value,)
    cotangent = [_random_like(rng, o) for o in outputs]
    cotangents = vjp_fn(tuple(cotangent) if isinstance(value, tuple) else cotangent[0])
    names = _parameter_names(f)
    checks = []
    for k, index in enumerate(wrt):
        direction = _random_like(rng, args[index])
        numeric, noise = _central_difference(unwrap(f), args, index, direction, cotangent,
                                             eps)
        reverse_value = float(np.sum(np.asarray(cotangents[k]) * direction))
        tangents = [direction if i == index else None for i in range(len(args))]
        forward_out = jvp(f, args, tangents, backend=backend)[1]
        forward_out = forward_out if isinstance(forward_out, tuple) else (forward_out,)
        forward_value = sum(float(np.sum(c * t)) for c, t in zip(cotangent, forward_out))
        name = names[index] if index < len(names) else f"argument {index}"
        for mode, got in (("reverse", reverse_value), ("forward", forward_value)):
            relative = abs(got - numeric) / max(abs(numeric), atol)
            checks.append(Comparison(index, name, mode, got, numeric, relative, noise))
    return checks


def _refuse_scipy_call(f, args: tuple) -> None:
    """``check_grad(func, grad, x0)`` is SciPy's signature: say so rather than fail inside."""
    if args and callable(args[0]) and not isinstance(args[0], np.ndarray):
        given = getattr(args[0], "__name__", repr(args[0]))
        raise S2sadError(
            "s2sad.check_grad(f, *args) takes the function and the arguments to call it with, "
            f"but its first argument after f is a function ({given})",
            hint="this looks like scipy.optimize.check_grad(func, grad, x0): "
            "with s2sad, give no gradient, s2sad derives it (s2sad.check_grad(func, x0))")


def _positions(f: Callable[..., Any], args: tuple, wrt: Wrt) -> tuple:
    """`wrt` as positions in `args`, which the finite differences perturb: a name is looked
    up among the parameters, a negative position counts from the end. Anything else is
    passed on as it is, for :func:`vjp` to explain."""
    items = (wrt,) if isinstance(wrt, (int, str)) else tuple(wrt)
    names = _parameter_names(f)
    positions = []
    for item in items:
        if isinstance(item, str) and item in names:
            if names.index(item) >= len(args):
                raise S2sadError(
                    f"check_grad compares derivatives with respect to the arguments it is "
                    f"given, and {item!r} is not one of them",
                    hint=f"pass {item!r} to check_grad as a positional argument")
            item = names.index(item)
        elif isinstance(item, int) and not isinstance(item, bool) and -len(args) <= item < 0:
            item += len(args)
        positions.append(item)
    return tuple(positions)


def _parameter_names(f: Callable[..., Any]) -> list:
    """The names of `f`'s positional parameters (its own, for a bound method or partial)."""
    target = bound_target(f)
    if target is not None:
        return list(target.own)
    try:
        parameters = inspect.signature(unwrap(f)).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _central_difference(fn, args, index, direction, cotangent, eps: float) -> tuple:
    """``cotangent . (f(x + eps d) - f(x - eps d)) / (2 eps)``, x the argument `index`, and
    the rounding error that difference may carry."""
    up, down = list(args), list(args)
    up[index] = args[index] + eps * direction
    down[index] = args[index] - eps * direction
    hi, lo = fn(*private_copy(up)), fn(*private_copy(down))
    hi = hi if isinstance(hi, tuple) else (hi,)
    lo = lo if isinstance(lo, tuple) else (lo,)
    value = sum(float(np.sum(c * (a - b))) for c, a, b in zip(cotangent, hi, lo)) / (2 * eps)
    size = sum(float(np.sum(np.abs(c) * (np.abs(a) + np.abs(b))))
               for c, a, b in zip(cotangent, hi, lo))
    return value, float(np.finfo(float).eps) * size / (2 * eps)


def _random_like(rng, value):
    if np.ndim(value) == 0:
        return float(rng.standard_normal())
    return rng.standard_normal(np.shape(value))
