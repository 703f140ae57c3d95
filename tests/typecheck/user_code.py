"""A user's typed module that calls the whole public API of s2sad.

``tests/test_typing.py`` runs ``mypy --strict`` on it (it must report nothing: the API's
signatures are typed and the package ships ``py.typed``) and runs it (the calls must work).
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray

import s2sad

Vector = NDArray[np.float64]


def loss(w: Vector, x: Vector, y: Vector) -> Any:
    return np.mean((x @ w - y) ** 2)


def curve(t: float, a: float) -> Any:
    return np.sin(a * t) * t


def pair(x: Vector) -> tuple[Any, Any]:
    return np.exp(x), np.sum(x * x)


@s2sad.differentiate
def energy(q: Vector, k: float) -> Any:
    return 0.5 * k * np.sum(q * q)


@s2sad.primitive
def softplus(z: Any) -> Any:
    return np.log1p(np.exp(z))


@s2sad.primitive(elementwise=True)
def cube(z: Any) -> Any:
    return z ** 3


s2sad.defvjp(softplus, z="g / (1.0 + np.exp(-z))")
s2sad.defjvp(softplus, z="z_dot / (1.0 + np.exp(-z))")
s2sad.defvjp(cube, z="g * 3.0 * z ** 2")
s2sad.defjvp(cube, z="z_dot * 3.0 * z ** 2")


def uses_rules(x: Vector) -> Any:
    return np.sum(softplus(x) + cube(x))


def stops(x: Vector) -> Any:
    return np.sum(x * s2sad.stop_gradient(x))


def looped(x: float, n: int) -> float:
    s = x
    for _ in s2sad.checkpoint(range(n), every=2):
        s = s * 0.5 + x
    return s


def with_aux(params: dict[str, Vector], x: Vector) -> tuple[Any, dict[str, Any]]:
    h = np.tanh(params["W"] @ x)
    return np.sum(h * h), {"hidden": h}


class Model:
    def __init__(self, scale: float) -> None:
        self.scale = scale

    def predict(self, x: Vector) -> Any:
        return self.scale * np.tanh(x)


def gradients(w: Vector, x: Vector, y: Vector) -> list[Any]:
    """grad and value_and_grad under every spelling of wrt."""
    found: list[Any] = [
        s2sad.grad(loss)(w, x, y),
        s2sad.grad(loss, wrt=(0, 2))(w, x, y),
        s2sad.grad(loss, argnums=0)(w, x, y),
        s2sad.grad(loss, argnum="y")(w, x, y),
        s2sad.grad(loss, [0, "y"])(w, x, y),
    ]
    value, gradient = s2sad.value_and_grad(loss, argnums=(0, 1))(w, x, y)
    found += [value, gradient, s2sad.grad(curve, 1)(0.5, 2.0)]
    return found


def products(w: Vector, x: Vector, y: Vector) -> list[Any]:
    """vjp, jvp, hvp, linearize, elementwise_grad."""
    value, vjp_fn = s2sad.vjp(pair, w, argnums=0)
    cotangents: tuple[Any, ...] = vjp_fn((np.ones(2), 1.0))
    out, tangent = s2sad.jvp(curve, (0.5, 2.0), (1.0, None))
    primal, f_jvp = s2sad.linearize(curve, 0.5, 2.0)
    return [value, cotangents, out, tangent, primal, f_jvp(1.0, 0.0),
            s2sad.hvp(loss, w, np.ones(2), x, y),
            s2sad.elementwise_grad(softplus_of)(w),
            s2sad.elementwise_grad(curve, argnum=1)(0.5, 2.0)]


def softplus_of(z: Vector) -> Any:
    return np.log1p(np.exp(z))


def matrices(w: Vector, x: Vector, y: Vector) -> list[Any]:
    """jacobian, jacfwd, jacrev, hessian."""
    return [s2sad.jacobian(pair)(w), s2sad.jacobian(loss, "w", mode="reverse")(w, x, y),
            s2sad.jacfwd(pair)(w), s2sad.jacrev(loss, argnums=(0, 2))(w, x, y),
            s2sad.jacfwd(curve, wrt=1)(0.5, 2.0), s2sad.hessian(loss, argnum=0)(w, x, y)]


def tools(w: Vector, x: Vector, y: Vector) -> list[Any]:
    """source, trace, graph, check_grad, the decorator's methods, bound methods, errors,
    cache."""
    text: str = s2sad.source(loss, mode="forward", argnums=1, optimize=False)
    table = s2sad.trace(curve, 0.5, 2.0)
    drawing: str = s2sad.graph(curve, 0.5, 2.0, digits=3).dot() + s2sad.graph(
        curve, format="mermaid").mermaid()
    worst: float = s2sad.check_grad(uses_rules, w) + s2sad.check_grad(loss, w, x, y, wrt=0)
    model = Model(2.0)
    found: list[Any] = [text, str(table), drawing, worst, s2sad.grad(stops)(w), energy(w, 3.0),
                        energy.grad(w, 3.0),
                        energy.value_and_grad(w, 3.0, argnums=1), energy.vjp(w, 3.0)[0],
                        energy.jvp((w, 3.0), (w, 0.0)), energy.source(wrt="k"),
                        s2sad.jacobian(model.predict)(w),
                        s2sad.grad(functools.partial(loss, w))(x, y)]
    params = {"W": np.eye(2)}
    found += [s2sad.grad(looped)(0.3, 5), s2sad.grad(with_aux, has_aux=True)(params, w),
              s2sad.value_and_grad(with_aux, has_aux=True)(params, w),
              s2sad.vjp(with_aux, params, w, has_aux=True)[2],
              s2sad.jvp(with_aux, (params, w), (params, None), has_aux=True)[2],
              s2sad.jacobian(with_aux, wrt=1, has_aux=True)(params, w),
              s2sad.source(with_aux, args=(params, w))]
    try:
        s2sad.grad(loss, wrt=0, argnums=1)
    except s2sad.S2sadError as error:
        found.append(error.hint)
    for kind in (s2sad.UnsupportedSyntaxError, s2sad.MissingRuleError,
                 s2sad.NonDifferentiableError, s2sad.NonScalarOutputError,
                 s2sad.NoSourceError, s2sad.StaleSourceError, s2sad.InternalError):
        found.append(issubclass(kind, s2sad.S2sadError))
    warnings.simplefilter("ignore", s2sad.CacheWarning)
    s2sad.clear_cache()
    found.append(s2sad.__version__)
    return found


def main() -> int:
    w, x, y = np.array([0.5, -0.3]), np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([1.0, 0.0])
    results = gradients(w, x, y) + products(w, x, y) + matrices(w, x, y) + tools(w, x, y)
    return len(results)


if __name__ == "__main__":
    print(main())
