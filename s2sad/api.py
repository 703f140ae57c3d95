"""The public API: grad, value_and_grad, vjp, source, and the @differentiate decorator.

Each entry point asks the pipeline (``transform.generate``) for source, through the loader's
caches, and wraps the compiled function in a small Python function that binds arguments,
checks them, and unpacks the generated function's flat result.
"""

from __future__ import annotations

import functools
import inspect
import types

import numpy as np

from . import loader
from .errors import (
    InternalError,
    NonDifferentiableError,
    NonScalarOutputError,
    S2sadError,
)
from .frontend import parse_function
from .rules import REGISTRY
from .transform import Request, free_names, generate, resolve_wrt


class _Built:
    """A compiled derivative plus what is needed to call it."""

    def __init__(self, fn, parsed, loaded, wrt_names):
        self.fn = fn
        self.parsed = parsed
        self.loaded = loaded
        self.function = loaded.function
        self.wrt = wrt_names
        meta = loaded.meta
        self.params = meta["params"]
        self.n_out = meta["n_out"]
        self.tuple_out = meta["tuple_out"]
        self.wrt_positions = [self.params.index(w) for w in wrt_names]
        self.signature = inspect.signature(fn)

    def bind(self, args, kwargs) -> list:
        """Positional arguments for the generated function (defaults filled in)."""
        if not kwargs and len(args) == len(self.params):
            values = list(args)
        else:
            try:
                bound = self.signature.bind(*args, **kwargs)
            except TypeError as exc:
                raise S2sadError(f"bad arguments for {self.fn.__name__}: {exc}",
                                 self.parsed.location(self.parsed.node)) from None
            bound.apply_defaults()
            values = list(bound.args)
        for position in self.wrt_positions:
            values[position] = self.check_differentiable(values[position], position)
        return values

    def check_differentiable(self, value, position):
        kind = type(value)
        if kind is float or kind is np.float64:
            return value
        if kind is np.ndarray:
            dtype = value.dtype.kind
            if dtype in "fc":
                return value
            if dtype in "iu":
                return value.astype(float)
        elif isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
            return float(value)
        elif isinstance(value, (float, np.floating, complex, np.complexfloating)):
            return value
        name = self.params[position]
        raise NonDifferentiableError(
            f"cannot differentiate with respect to {name!r}: it is a {type(value).__name__}",
            self.parsed.location(self.parsed.node),
            "pass a float or a floating-point array, or leave this argument out of wrt")

    def check_scalar(self, value):
        if self.tuple_out or np.ndim(value) != 0:
            shape = "a tuple" if self.tuple_out else f"an array of shape {np.shape(value)}"
            raise NonScalarOutputError(
                f"grad needs a scalar output, but {self.fn.__name__} returned {shape}",
                self.parsed.location(self.parsed.node),
                "use s2sad.vjp for a vector-Jacobian product, or s2sad.jacobian for the full "
                "Jacobian")


def _unwrap(f):
    return getattr(f, "__s2sad_function__", f)


def _describe(obj) -> str:
    prim = REGISTRY.lookup(obj)
    if prim is not None:
        return "primitive:" + prim.name
    if isinstance(obj, types.ModuleType):
        return "module:" + obj.__name__
    return "value:" + type(obj).__qualname__


def _guarded(call):
    """Run `call`; s2sad errors lose their internal frames, anything else becomes internal."""
    try:
        return call()
    except S2sadError as err:
        raise err.with_traceback(None) from None
    except RecursionError:
        raise
    except Exception as exc:  # noqa: BLE001 - the API promises no internal traceback
        raise InternalError(
            f"s2sad failed on this function ({type(exc).__name__}: {exc})",
            hint="this is a bug in s2sad; please report it with the function's source",
        ) from exc


def _build(f, mode: str, wrt, optimize: bool = True) -> _Built:
    fn = _unwrap(f)

    def run():
        parsed = parse_function(fn)
        wrt_names = () if mode == "ssa" else resolve_wrt(parsed, wrt)
        request = Request(mode, wrt_names, optimize)
        namespace = free_names(parsed)
        key = (parsed.source_hash, fn.__name__, request.key(),
               tuple(sorted((k, _describe(v)) for k, v in namespace.items())))
        identity = tuple(sorted((k, id(v)) for k, v in namespace.items()))
        defaults = fn.__defaults__ if mode == "grad" else None
        loaded = loader.get_or_build(fn, key, identity, lambda: generate(parsed, request),
                                     namespace, defaults)
        return _Built(fn, parsed, loaded, wrt_names)

    return _guarded(run)


def source(f, mode: str = "reverse", wrt=0, optimize: bool = True, ssa: bool = False) -> str:
    """The generated code for `f` as text.

    ``ssa=True`` gives the SSA trace of the function itself; ``mode="reverse"`` the gradient
    (adjoint) code, ``mode="vjp"`` the vector-Jacobian product with an explicit cotangent.
    """
    if ssa:
        return _build(f, "ssa", wrt, optimize).loaded.source
    kinds = {"reverse": "grad", "grad": "grad", "vjp": "vjp"}
    if mode not in kinds:
        raise S2sadError(f"unknown mode {mode!r}", hint="use mode='reverse' or mode='vjp'")
    return _build(f, kinds[mode], wrt, optimize).loaded.source


def _grad_function(f, wrt, with_value: bool):
    built = _build(f, "vjp", wrt)
    generated = built.function
    single = not isinstance(wrt, (tuple, list))
    n_out = built.n_out

    def call(*args, **kwargs):
        values = built.bind(args, kwargs)
        try:
            result = generated(*values, 1.0)
        except Exception:
            # A non-scalar output seeded with 1.0 can break shape logic before the check
            # below runs; report the real problem rather than the broadcasting error.
            out = built.fn(*values)
            built.check_scalar(out[0] if built.tuple_out and len(out) == 1 else out)
            raise
        value = result[0]
        if n_out != 1 or built.tuple_out or np.ndim(value) != 0:
            built.check_scalar(result[:n_out] if built.tuple_out else value)
        grads = result[n_out:]
        grads = grads[0] if single else tuple(grads)
        return (value, grads) if with_value else grads

    fn = _unwrap(f)
    functools.update_wrapper(call, fn)
    call.__name__ = fn.__name__ + ("_value_and_grad" if with_value else "_grad")
    call.__qualname__ = call.__name__
    del call.__wrapped__  # inspect must not mistake f's source for this wrapper's
    return call


def grad(f, wrt=0):
    """The function computing the gradient of scalar-valued `f`.

    `wrt` is a parameter position or name, or a tuple of them (then the gradient is a tuple).
    """
    return _grad_function(f, wrt, with_value=False)


def value_and_grad(f, wrt=0):
    """The function computing ``(f(*args), grad(f, wrt)(*args))`` in one pass."""
    return _grad_function(f, wrt, with_value=True)


def vjp(f, *args, wrt=None):
    """``(f(*args), vjp_fn)``: ``vjp_fn(cotangent)`` gives the cotangents of the arguments.

    The cotangent has the shape of the output (a tuple of them for a tuple output). The result
    is a tuple with one entry per argument in `wrt` (default: every positional argument).
    """
    fn = _unwrap(f)
    if wrt is None:
        wrt = tuple(range(len(args)))
    built = _build(fn, "vjp", wrt)
    values = _guarded(lambda: built.bind(args, {}))
    generated = built.function
    n_out = built.n_out
    value = fn(*values)
    if built.tuple_out:
        value = tuple(value)

    def vjp_fn(cotangent):
        seeds = tuple(cotangent) if built.tuple_out else (cotangent,)
        if len(seeds) != n_out:
            raise S2sadError(f"vjp_fn expects {n_out} cotangents, got {len(seeds)}")
        out = generated(*values, *seeds)
        return tuple(out[n_out:])

    return value, vjp_fn


class Differentiable:
    """What ``@s2sad.differentiate`` returns: `f` itself, plus its derivatives on demand."""

    def __init__(self, fn):
        self.__s2sad_function__ = fn
        functools.update_wrapper(self, fn)
        self._grads: dict = {}

    def __call__(self, *args, **kwargs):
        return self.__s2sad_function__(*args, **kwargs)

    def _cached(self, kind, wrt):
        key = (kind, wrt)
        if key not in self._grads:
            maker = grad if kind == "grad" else value_and_grad
            self._grads[key] = maker(self.__s2sad_function__, wrt)
        return self._grads[key]

    def grad(self, *args, wrt=0, **kwargs):
        """The gradient of f at `args` with respect to `wrt` (default: the first parameter)."""
        return self._cached("grad", wrt)(*args, **kwargs)

    def value_and_grad(self, *args, wrt=0, **kwargs):
        """``(f(args), gradient)`` in one pass."""
        return self._cached("value_and_grad", wrt)(*args, **kwargs)

    def vjp(self, *args, wrt=None):
        """``(f(args), vjp_fn)``, as :func:`s2sad.vjp`."""
        return vjp(self.__s2sad_function__, *args, wrt=wrt)

    def source(self, mode: str = "reverse", wrt=0, optimize: bool = True, ssa: bool = False):
        """The generated code, as :func:`s2sad.source`."""
        return source(self.__s2sad_function__, mode, wrt, optimize, ssa)


def differentiate(fn):
    """Decorator: `fn` stays callable as before and gains ``.grad``, ``.vjp``, ``.source``..."""
    return Differentiable(fn)
