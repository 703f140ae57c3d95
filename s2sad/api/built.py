"""What a build gives: a compiled derivative, and how to call it.

:class:`Built` binds a call's arguments to the generated function's parameters and checks what
the user passes against what the derivative needs: floating values to differentiate, real
cotangents and tangents of the right shape, a scalar output for a gradient. Each refusal
points at the user's function.
"""

from __future__ import annotations

import inspect
import weakref

import numpy as np

from ..errors import NonDifferentiableError, NonScalarOutputError, S2sadError
from ..values import (
    array_api_array,
    array_api_floating,
    dtype_of,
    foreign_array_hint,
    is_complex,
    is_float_like,
    is_integer_like,
    is_lazy_array,
    unsupported_array,
)

_REAL_SCALARS = (float, np.float64, int)


class Built:
    """A compiled derivative plus what is needed to call it."""

    def __init__(self, fn, parsed, loaded, wrt_names, namespace):
        # Weakly: builds are cached per function, and must not keep the function alive.
        self.fn_ref = weakref.ref(fn)
        self.namespace = namespace
        self.parsed = parsed
        self.loaded = loaded
        self.function = loaded.function
        self.wrt = wrt_names
        meta = loaded.meta
        self.params = meta["params"]
        self.n_out = meta["n_out"]
        self.backend = meta.get("backend") or "numpy"
        self.array_api = self.backend == "array_api"  # arrays of other libraries welcome
        self.tuple_out = meta["tuple_out"]
        self.wrt_positions = [self.params.index(w) for w in wrt_names]
        scalar_if = meta.get("scalar_if")
        # Gradient programs: the parameters whose shapes make the output's (None: the
        # program checks its output itself).
        self.scalar_positions = None if scalar_if is None else [
            self.params.index(p) for p in scalar_if]
        self.signature = inspect.signature(fn)
        self.name = getattr(fn, "__name__", "f")
        # Set by the build: the globals the code reads live, where each global came from,
        # and what the build's memo checks before handing it out again.
        self.live = None
        self.origins: dict = {}
        self.rules_version = None
        self.cells: tuple = ()
        self.code = None
        self.checks: list = []  # [(globals, name, object the code read)]

    @property
    def fn(self):
        """The differentiated function."""
        return self.fn_ref()

    def location(self):
        """Where the differentiated function is defined (for errors about a call of it)."""
        return self.parsed.location(self.parsed.node)

    def bind(self, args, kwargs, convert: bool = True) -> list:
        """Positional arguments for the generated function (defaults filled in); with
        `convert`, the wrt arguments are checked and integers among them made floats."""
        if not kwargs and len(args) == len(self.params):
            values = list(args)
        else:
            try:
                bound = self.signature.bind(*args, **kwargs)
            except TypeError as exc:
                raise S2sadError(f"bad arguments for {self.name}: {exc}", self.location(),
                                 f"call it as {self.name}{self.signature}") from None
            bound.apply_defaults()
            values = list(bound.args)
        if convert:
            for position in self.wrt_positions:
                values[position] = self.check_differentiable(values[position], position)
        return values

    def check_differentiable(self, value, position):
        """`value` as a wrt argument: floating values as they are, integers as floats."""
        kind = type(value)
        if kind is float or kind is np.float64:
            return value
        name = self.params[position]
        if is_complex(value):
            raise NonDifferentiableError(
                f"cannot differentiate with respect to {name!r}: it is complex "
                f"({type(value).__name__}{dtype_of(value)})", self.location(),
                "s2sad differentiates real functions only (complex derivatives are not "
                "designed yet);\npass the real and imaginary parts as separate float arguments")
        if is_float_like(value):
            return value
        if is_integer_like(value):
            return value.astype(float) if isinstance(value, np.ndarray) or is_lazy_array(
                value) else float(value)
        if self.array_api and array_api_array(value) and array_api_floating(value):
            return value  # a JAX, CuPy... array: the array API backend's code runs it
        if unsupported_array(value):
            kind = type(value)
            within = f" with the {self.backend} backend" if self.array_api else ""
            raise NonDifferentiableError(
                f"cannot differentiate with respect to {name!r}: it is an array of type "
                f"{kind.__module__}.{kind.__qualname__}{dtype_of(value)}, which s2sad does "
                f"not differentiate through{within}", self.location(),
                "pass a floating-point array" if self.array_api and array_api_array(value)
                else foreign_array_hint(value))
        container = isinstance(value, (tuple, list, dict))
        raise NonDifferentiableError(
            f"cannot differentiate with respect to {name!r}: it is a {type(value).__name__}",
            self.location(),
            ("a Jacobian or Hessian takes arrays: pass the numbers as one array, or leave\n"
             "this argument out of wrt (s2sad.grad, value_and_grad, vjp and jvp take "
             "containers)")
            if container else
            "pass a float or a floating-point array, or leave this argument out of wrt")

    def check_scalar(self, value):
        """Refuse an output `value` that is not a scalar (a gradient needs one)."""
        if self.tuple_out or np.ndim(value) != 0:
            self.not_scalar(np.shape(value))

    def not_scalar(self, shape):
        """Raise the error of a gradient asked of an output that is not a scalar (a tuple if
        the function returns one; else an array of `shape`)."""
        what = "a tuple" if self.tuple_out else f"an array of shape {tuple(shape)}"
        raise NonScalarOutputError(
            f"grad needs a scalar output, but {self.name} returned {what}", self.location(),
            "use s2sad.vjp for a vector-Jacobian product, or s2sad.jacobian for the full "
            "Jacobian")

    def check_scalar_arguments(self, args) -> None:
        """Before a gradient program runs: its output is the broadcast of the parameters in
        `scalar_if`, so it is a scalar exactly when they all are."""
        if self.tuple_out:
            self.not_scalar(())
        arrays = [p for p in self.scalar_positions or () if np.ndim(args[p]) != 0]
        if not arrays:
            return
        try:
            shape = np.broadcast_shapes(*(np.shape(args[p]) for p in arrays))
        except ValueError:  # the function itself fails on these: let it say why
            return
        names = " and ".join(repr(self.params[p]) for p in arrays)
        raise NonScalarOutputError(
            f"grad needs a scalar output, but the output of {self.name} is broadcast from "
            f"{names}: an array of shape {shape}", self.location(),
            "use s2sad.vjp for a vector-Jacobian product, or s2sad.jacobian for the full "
            "Jacobian")

    def seed(self, value, like, what: str):
        """`value` checked as a cotangent or tangent for `like` (an output or an argument):
        real numbers of the same shape (a Python number for a 0-d `like`), integers made
        floats."""
        kind = type(value)
        if kind is float and type(like) in _REAL_SCALARS:
            return value
        if kind is np.ndarray and type(like) is np.ndarray and value.dtype.kind == "f" and (
                value.shape == like.shape):
            return value
        if self.array_api and array_api_array(value):  # a JAX, CuPy... array: kept as it is
            shape = tuple(like.shape) if hasattr(like, "shape") else np.shape(like)
            if not array_api_floating(value):
                raise S2sadError(f"{what} must be real numbers, but it is an array of "
                                 f"{value.dtype}", self.location(),
                                 "pass a floating-point array of the same shape")
            if tuple(value.shape) != shape:
                raise S2sadError(
                    f"{what} has shape {tuple(value.shape)}, but it must have shape {shape}",
                    self.location(), "give it the shape of the value it seeds")
            return value
        value, problem = _as_numbers(value)
        if problem is not None:
            raise S2sadError(f"{what} must be real numbers, but it is {problem}",
                             self.location(),
                             "pass a float, or a floating-point array of the same shape")
        if np.shape(value) != np.shape(like):
            raise S2sadError(
                f"{what} has shape {np.shape(value)}, but it must have shape {np.shape(like)}",
                self.location(), "give it the shape of the value it seeds (a float for a scalar)")
        if isinstance(value, np.ndarray) and value.dtype.kind != "f":
            return value.astype(float)
        if isinstance(value, (int, np.integer)):
            return float(value)
        return value


_NUMBERS = frozenset((float, int, np.float64))
_LEAVES = _NUMBERS | {np.ndarray}


def numbers_only(values) -> bool:
    """Whether every value is a Python float or int or a np.float64: nothing a function
    could change in place, nothing to copy."""
    for v in values:
        if type(v) not in _NUMBERS:
            return False
    return True


def leaves_only(values) -> bool:
    """Whether every value is a number (:func:`numbers_only`) or an array: no container
    among them (trees.containers_in would look at each, slowly, to say so)."""
    for v in values:
        if type(v) not in _LEAVES:
            return False
    return True


def floats_only(values) -> bool:
    """Whether `values` is a tuple of Python floats and np.float64 scalars: results that need
    no dtype matching and share no memory (the fast paths return them as they are)."""
    if type(values) is not tuple:
        return False
    for v in values:
        kind = type(v)
        if kind is not float and kind is not np.float64:
            return False
    return True


def _as_numbers(value) -> tuple:
    """``(value, problem)``: a sequence given as a seed made an array; `problem` says why it
    is not real numbers (None when it is)."""
    if value is None or isinstance(value, (bool, np.bool_, str, bytes, dict)):
        return value, f"a {type(value).__name__}"
    if is_complex(value):
        return value, "complex"
    if isinstance(value, (tuple, list)):
        try:
            value = np.asarray(value)
        except ValueError:
            return value, "a ragged sequence"
    if np.ndim(value) == 0 and not isinstance(
            value, (int, float, np.integer, np.floating, np.ndarray)):
        return value, f"a {type(value).__name__}"
    if isinstance(value, np.ndarray) and value.dtype.kind not in "iuf":
        return value, f"an array of {value.dtype}"
    return value, None
