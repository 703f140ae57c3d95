"""Random programs for s2sad, and the oracle that checks their derivatives.

`programs(output="scalar" | "array" | "any")` is a Hypothesis strategy of small Python/NumPy
modules (source text) defining a function `f` and sometimes a helper it calls. They mix
scalars and arrays of broadcast-compatible shapes, elementwise functions, reductions,
indexing, item assignment, branches, `for` and `while` loops, early returns, helper calls and
calls of about 120 NumPy / SciPy functions with their parameters (`LIBRARY`).
`arguments(program)` draws values for `f`'s parameters.

`check(mode, program, args, seed)` differentiates `f` with s2sad and compares the result with
finite differences of the plain function (or, for ``mode="jacobian"``, reverse mode with
forward mode). Its outcomes:

- returns ``None``: the derivative is right;
- raises `Refused`: s2sad rejected the program with one of its own errors (acceptable);
- raises `Unusable`: the example cannot be checked by finite differences (a step would cross
  a branch, or values are too large); the tests discard it;
- raises `WrongDerivative` / `InternalFailure` (both AssertionError): a bug, with the full
  program, the arguments and both numbers in the message.

Finite differences run a *traced* copy of the program, in which every comparison and every
kink (`abs`, `max`, `np.maximum`, `np.sort`, `np.clip`, ...: `LIBRARY_KINKS`) records which
side it took. An example counts only if every point of the stencil takes the same path as
the base point, so the plain function is smooth along the stencil and the finite-difference
reference can be trusted.
"""

from __future__ import annotations

import ast
import copy
import importlib.util
import itertools
import linecache
import re
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import s2sad
from s2sad.errors import InternalError, S2sadError

# ---- shapes ---------------------------------------------------------------------------------
# Every value of a generated program has one of these shapes. (2,) does not broadcast with
# (3,), so parameters never have it; it appears inside programs through indexing,
# reductions and products.
SHAPES = [(), (3,), (2, 3), (1, 3), (2, 1), (2,)]
PARAM_SHAPES = [(), (3,), (2, 3), (1, 3), (2, 1)]


def broadcast(*shapes):
    """The broadcast shape, or None when the shapes do not broadcast together."""
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        return None


def _result_shape(template: str, shape: tuple):
    """The shape `template` (with E standing for an array of `shape`) produces, or None."""
    try:
        out = eval(template.replace("E", "value"), {"np": np, "value": np.ones(shape)})  # noqa: S307
    except (IndexError, ValueError, TypeError, np.exceptions.AxisError):
        return None
    out_shape = tuple(np.shape(out))
    return out_shape if out_shape in SHAPES else None


def _table(templates, input_shapes):
    """{output shape: [(template, input shape)]} of every template valid on an input shape."""
    table: dict = {}
    for template, shape in itertools.product(templates, input_shapes):
        out = _result_shape(template, shape)
        if out is not None:
            table.setdefault(out, []).append((template, shape))
    return table


REDUCTION_TEMPLATES = [
    "np.sum(E)", "np.mean(E)", "E.sum()",
    "np.sum(E, axis=0)", "np.sum(E, axis=1)", "np.sum(E, axis=-1)",
    "np.mean(E, axis=0)", "np.mean(E, axis=-1)",
    "np.sum(E, axis=0, keepdims=True)", "np.sum(E, axis=1, keepdims=True)",
    "np.mean(E, axis=-1, keepdims=True)", "np.sum(E, axis=(0, 1))",
]
INDEX_TEMPLATES = [
    "E[0]", "E[1]", "E[-1]", "E[1:]", "E[:2]", "E[::-1]", "E[..., 0]", "E[:, 0]", "E[0:1]",
    "E[:, :1]", "E[:, 1:2]", "E[None, :]", "E[:, None]", "E[1, 2]", "E[0, -1]", "E[..., -1:]",
    "E[[0, 2, 2]]", "E[[1, 0]]", "E[:, [2, 0, 1]]", "E.T[0]", "E.reshape((3,))",
    "E.reshape((2, 3))", "E.reshape((1, 3))",
]
REDUCTIONS = _table(REDUCTION_TEMPLATES, [s for s in SHAPES if s])
INDEXINGS = _table(INDEX_TEMPLATES, [s for s in SHAPES if s])
# Matrix and dot products: (template with L and R, left shape, right shape, output shape).
PRODUCTS = [
    ("L @ R", (2, 3), (3,), (2,)), ("L @ R", (3,), (3,), ()), ("L @ R", (2,), (2, 3), (3,)),
    ("np.dot(L, R)", (3,), (3,), ()), ("np.dot(L, R)", (2, 3), (3,), (2,)),
]

UNARY_ANY = ["(-E)", "np.sin(E)", "np.cos(E)", "np.tanh(E)", "np.exp(E)", "np.arctan(E)",
             "np.expm1(E)", "np.abs(E)", "np.sinh(E)", "np.arcsin(0.9 * np.tanh(E))", "(+E)"]
# Functions of positive values: P stands for an expression that is always >= 0.5 or exp(.).
UNARY_POSITIVE = ["np.log(P)", "np.sqrt(P)", "np.log1p(P)", "np.log2(P)", "P ** 0.5",
                  "P ** -1.5", "1.0 / P"]
UNARY_FLOAT = ["math.sin(E)", "math.exp(E)", "math.tanh(E)", "abs(E)", "float(E)",
               "math.log(P)", "math.sqrt(P)"]
POSITIVE_FORMS = ["(E * E + 0.5)", "np.exp(E)", "np.cosh(E)"]
POWERS = ["E ** 2", "E ** 3", "E ** 1", "E ** 0", "E ** 2.0"]
CONSTANTS = ["0.5", "2.0", "-1.5", "0.25", "3.0", "-0.75", "1.0"]
THRESHOLDS = ["0.0", "0.5", "-0.5", "1.0", "-1.0", "2.0"]


# ---- library calls ---------------------------------------------------------------------------
# Calls of NumPy / SciPy functions with their parameter variants. A template's operands are
# `{0}`, `{1}`, ...; the kinds string says what each one is: "x" any value, "p" a positive one
# (see POSITIVE_FORMS). An operand written `({0}).` or `({0})[` keeps its parentheses only
# when it is not a plain name. Matrices are built inside the template so that they are
# well-conditioned: `A @ A.T + 3 I` is symmetric positive definite with eigenvalues >= 3,
# `3 I + tanh(B)` is diagonally dominant. Which operand shapes a template accepts, and the
# shape it returns, is found by running it once per combination of SHAPES (`_library_table`).
# Read-only views (np.broadcast_to, np.diagonal, np.diag of a matrix) are copied: a program
# may update any value.
_SPD2 = "({0} @ ({0}).T + 3.0 * np.eye(2))"  # {0} of shape (2, 3)
_SPD3 = "(({0}).T @ {0} + 3.0 * np.eye(3))"  # {0} of shape (2, 3)
_DOMINANT2 = "(3.0 * np.eye(2) + np.tanh(({0})[:, :2]))"  # {0} of shape (2, 3)
LIBRARY = {
    # family: (weight, [(template, operand kinds)])
    "elementwise": (3, [
        ("np.logaddexp({0}, {1})", "xx"), ("np.logaddexp2({0}, {1})", "xx"),
        ("np.hypot({0}, {1})", "xx"), ("np.arctan2({0}, {1})", "xp"),
        ("np.square({0})", "x"), ("np.cbrt({0})", "p"), ("np.log10({0})", "p"),
        ("np.exp2({0})", "x"), ("np.arcsinh({0})", "x"), ("np.arccos(0.9 * np.tanh({0}))", "x"),
        ("np.arctanh(0.9 * np.tanh({0}))", "x"), ("np.arccosh(1.5 + {0})", "p"),
        ("np.sinc({0})", "x"), ("np.reciprocal({0})", "p"), ("np.fabs({0})", "x"),
        ("np.float_power({0}, {1})", "px"), ("np.deg2rad({0})", "x"),
        ("np.tan(0.5 * np.tanh({0}))", "x"), ("np.cosh({0})", "x"),
    ]),
    "selection": (3, [
        # np.maximum / clip / where with ties: `np.maximum(E, E)` ties everywhere (each side
        # gets half the cotangent, which must add up to the derivative of E).
        ("np.maximum({0}, {0})", "x"), ("np.minimum({0}, {0} * 1.0)", "x"),
        ("np.fmax({0}, {1})", "xx"), ("np.fmin({0}, {1})", "xx"),
        ("np.clip({0}, -0.5, 1.0)", "x"), ("np.clip({0}, {1}, None)", "xx"),
        ("np.clip({0}, None, {1})", "xx"), ("({0}).clip(-1.0, 0.5)", "x"),
        ("np.clip({0}, {0}, None)", "x"), ("np.clip({0}, {1}, {1} + {2})", "xxp"),
        ("np.where({0} >= {0}, {1}, {2})", "xxx"),
        ("np.select([{0} > 0.5, {0} < -0.5], [{1}, {2}], default=0.0)", "xxx"),
    ]),
    "reductions": (4, [
        ("np.max({0})", "x"), ("np.min({0}, axis=0)", "x"), ("np.amax({0}, axis=-1)", "x"),
        ("np.max({0}, axis=1, keepdims=True)", "x"), ("({0}).max(axis=0)", "x"),
        ("({0}).min()", "x"), ("np.amin({0}, axis=(0, 1))", "x"),
        ("np.max(np.stack([{0}, {0}]), axis=0)", "x"),
        ("np.var({0})", "x"), ("np.var({0}, axis=0)", "x"), ("np.var({0}, axis=-1, ddof=1)", "x"),
        ("np.std({0})", "x"), ("np.std({0}, axis=1, keepdims=True)", "x"),
        ("np.std({0}, ddof=1)", "x"), ("({0}).var(axis=-1)", "x"), ("({0}).std(axis=0)", "x"),
        ("np.prod({0})", "x"), ("np.prod({0}, axis=0)", "x"),
        ("np.prod({0}, axis=-1, keepdims=True)", "x"), ("({0}).prod(axis=1)", "x"),
        ("np.cumsum({0})", "x"), ("np.cumsum({0}, axis=0)", "x"), ("np.cumsum({0}, axis=-1)", "x"),
        ("({0}).cumsum(axis=1)", "x"), ("np.cumprod({0})", "x"), ("np.cumprod({0}, axis=-1)", "x"),
        ("np.cumprod({0}, axis=0)", "x"),
        ("np.sort({0})", "x"), ("np.sort({0}, axis=0)", "x"), ("np.sort({0}, axis=None)", "x"),
        ("np.median({0})", "x"), ("np.median({0}, axis=-1)", "x"), ("np.ptp({0}, axis=0)", "x"),
        ("np.ptp({0})", "x"), ("np.average({0}, axis=-1, weights=np.array([1.0, 2.0, 0.5]))", "x"),
        ("np.average({0}, weights={1})", "xp"), ("np.nansum({0}, axis=0)", "x"),
        ("np.diff({0})", "x"), ("np.diff({0}, axis=0)", "x"),
    ]),
    "shape": (3, [
        ("np.concatenate([{0}, {1}])", "xx"),
        ("np.concatenate([{0}, {1}], axis=-1)[..., :3]", "xx"),
        ("np.concatenate([{0}, {1}], axis=0)[:3]", "xx"), ("np.stack([{0}, {1}])", "xx"),
        ("np.stack([{0}, {1}], axis=-1)", "xx"), ("np.hstack([{0}, {1}])", "xx"),
        ("np.vstack([{0}, {1}])", "xx"), ("np.column_stack([{0}, {1}])[:, 1:]", "xx"),
        ("np.split({0}, 3, axis=-1)[1]", "x"), ("np.split({0}, 2)[0]", "x"),
        ("np.array_split({0}, 2, axis=-1)[0]", "x"),
        ("np.pad({0}, (1, 0))[:3]", "x"),
        ("np.pad({0}, ((0, 0), (1, 1)), mode=\"edge\")[:, 1:-1]", "x"),
        ("np.pad({0}, 1, mode=\"reflect\")[1:-1]", "x"),
        ("np.pad({0}, (0, 2), mode=\"wrap\")[2:]", "x"),
        ("np.roll({0}, 1)", "x"), ("np.roll({0}, -1, axis=-1)", "x"),
        ("np.roll({0}, 1, axis=0)", "x"),
        ("np.flip({0})", "x"), ("np.flip({0}, axis=-1)", "x"), ("np.fliplr({0})", "x"),
        ("np.flipud({0})", "x"), ("np.tile({0}, (2, 1))", "x"), ("np.tile({0}, 3)", "x"),
        ("np.repeat({0}, 2, axis=0)", "x"), ("np.repeat({0}, 3)", "x"),
        ("np.repeat({0}, [1, 2])", "x"), ("np.diag({0}).copy()", "x"),
        ("np.diag(np.diag({0})).copy()", "x"),
        ("np.triu({0})", "x"), ("np.tril({0}, k=1)", "x"), ("np.triu({0}, -1)", "x"),
        ("np.trace({0})", "x"), ("np.diagonal({0}).copy()", "x"), ("np.ravel({0})", "x"),
        ("({0}).flatten()", "x"), ("np.squeeze({0})", "x"), ("np.expand_dims({0}, 0)", "x"),
        ("np.atleast_2d({0})", "x"), ("np.atleast_1d({0})", "x"),
        ("np.broadcast_to({0}, (2, 3)).copy()", "x"), ("np.take({0}, [0, 2, 2], axis=-1)", "x"),
        ("np.transpose({0}).ravel()", "x"), ("np.swapaxes({0}, 0, 1)[0]", "x"),
        ("np.moveaxis({0}, 0, -1)[0]", "x"), ("np.append({0}, {1})", "xx"),
        ("np.linspace({0}, {1}, 3)", "xx"), ("np.array([{0}, {1}])", "xx"),
        ("np.rot90({0})[0]", "x"),
    ]),
    "products": (3, [
        ("np.einsum(\"ij,j->i\", {0}, {1})", "xx"), ("np.einsum(\"ij,ij->\", {0}, {1})", "xx"),
        ("np.einsum(\"i,i->\", {0}, {1})", "xx"), ("np.einsum(\"ij->j\", {0})", "x"),
        ("np.einsum(\"ij,i->j\", {0}, {1})", "xx"), ("np.einsum(\"i,j->ij\", {0}, {1})", "xx"),
        ("np.einsum(\"i,ij,j->\", {0}, {1}, {2})", "xxx"),
        ("np.einsum(\"ij,ij->i\", {0}, {1})", "xx"),
        ("np.tensordot({0}, {1}, axes=1)", "xx"), ("np.tensordot({0}, {1})", "xx"),
        ("np.tensordot({0}, {1}, axes=0)", "xx"), ("np.tensordot({0}, {1}, axes=([0], [0]))", "xx"),
        ("np.outer({0}, {1})", "xx"), ("np.inner({0}, {1})", "xx"), ("np.kron({0}, {1})", "xx"),
        ("np.cross({0}, {1})", "xx"), ("np.vdot({0}, {1})", "xx"), ("({0}).dot({1})", "xx"),
        ("np.matmul({0}, {1})", "xx"),
    ]),
    "linalg": (3, [
        (f"np.linalg.det({_SPD2})", "x"), (f"np.linalg.det({_DOMINANT2})", "x"),
        (f"np.linalg.det({_SPD3})", "x"), (f"np.linalg.slogdet({_SPD3})[1]", "x"),
        (f"np.linalg.slogdet({_DOMINANT2})[1]", "x"),
        (f"(np.linalg.inv({_SPD2}) @ {{1}})", "xx"),
        (f"(np.linalg.inv({_DOMINANT2}) @ {{1}})", "xx"),
        (f"np.trace(np.linalg.inv({_SPD3}))", "x"), (f"np.linalg.inv({_DOMINANT2})[0]", "x"),
        (f"np.linalg.solve({_SPD2}, {{1}})", "xx"), (f"np.linalg.solve({_DOMINANT2}, {{1}})", "xx"),
        (f"np.linalg.solve({_SPD3}, {{1}})", "xx"),
        (f"(np.linalg.cholesky({_SPD2}) @ {{1}})", "xx"), (f"np.linalg.cholesky({_SPD3})[-1]", "x"),
        (f"np.linalg.eigvalsh({_SPD2})", "x"), (f"np.linalg.eigvalsh({_SPD3})", "x"),
        (f"np.linalg.matrix_power({_DOMINANT2}, 3)[1]", "x"),
        ("np.linalg.norm({0})", "x"), ("np.linalg.norm({0}, axis=-1)", "x"),
        ("np.linalg.norm({0}, axis=0, keepdims=True)", "x"),
        ("np.linalg.norm({0}, ord=1, axis=-1)", "x"),
        ("np.linalg.norm({0}, ord=np.inf, axis=-1)", "x"),
        ("np.linalg.norm({0}, \"fro\")", "x"), ("np.linalg.norm({0}, ord=1)", "x"),
        ("np.linalg.norm({0}, ord=np.inf)", "x"),
        ("np.linalg.norm({0}, ord=-np.inf, axis=-1)", "x"),
    ]),
    "scipy": (3, [
        ("scipy.special.expit({0})", "x"), ("scipy.special.log_expit({0})", "x"),
        ("scipy.special.erf({0})", "x"), ("scipy.special.erfc({0})", "x"),
        ("scipy.special.ndtr({0})", "x"), ("scipy.special.log_ndtr({0})", "x"),
        ("scipy.special.gammaln({0})", "p"), ("scipy.special.digamma({0})", "p"),
        ("scipy.special.erfinv(0.9 * np.tanh({0}))", "x"),
        ("scipy.special.ndtri(0.05 + 0.9 * scipy.special.expit({0}))", "x"),
        ("scipy.special.logit(0.1 + 0.8 * scipy.special.expit({0}))", "x"),
        ("scipy.special.xlogy({0}, {1})", "xp"), ("scipy.special.xlog1py({0}, {1})", "xp"),
        ("scipy.special.i0({0})", "x"), ("scipy.special.i1e({0})", "x"),
        ("scipy.special.j0({0})", "x"), ("scipy.special.betaln({0}, {1})", "pp"),
        ("scipy.special.polygamma(1, {0})", "p"), ("scipy.special.softplus({0})", "x"),
        ("scipy.special.logsumexp({0})", "x"), ("scipy.special.logsumexp({0}, axis=0)", "x"),
        ("scipy.special.logsumexp({0}, axis=-1, keepdims=True)", "x"),
        ("scipy.special.softmax({0}, axis=-1)", "x"),
        ("scipy.special.log_softmax({0}, axis=0)", "x"),
        ("scipy.special.softmax({0})", "x"),
        ("scipy.linalg.solve_triangular(np.linalg.cholesky(" + _SPD2 + "), {1}, lower=True)", "xx"),
        ("scipy.stats.norm.logpdf({0}, {1}, {2})", "xxp"), ("scipy.stats.norm.cdf({0})", "x"),
    ]),
}
try:  # SciPy is an optional extra of s2sad: its functions are drawn only when it imports
    import scipy.linalg
    import scipy.special
    import scipy.stats  # noqa: F401 - the templates' namespace
except ImportError:  # pragma: no cover - the test environment has SciPy
    scipy = None
    del LIBRARY["scipy"]


@dataclass(frozen=True)
class LibraryCall:
    """One way to call a library function: its template, operand kinds and shapes."""

    family: str
    template: str
    kinds: str
    shapes: tuple

    @property
    def function(self) -> str:
        """The function called: `np.linalg.det`, `.max` for a method."""
        return _function_name(self.template)

    def fill(self, operands: list) -> str:
        text = self.template
        for index, operand in enumerate(operands):
            if operand.isidentifier():  # `(x).T` and `(x)[0]` read better as `x.T`, `x[0]`
                # (parentheses that follow a name are a call's: `np.ravel(x).T` keeps them)
                placeholder = re.escape(f"({{{index}}})")
                text = re.sub(rf"(?<![\w.]){placeholder}(?=[.\[])", operand, text)
        return text.format(*operands)


def _library_table() -> dict:
    """{output shape: {family: {template: [LibraryCall for each accepted operand shapes]}}}."""
    rng = np.random.default_rng(0)
    namespace = {"np": np, "scipy": scipy}
    table: dict = {}
    for family, (_, templates) in LIBRARY.items():
        for template, kinds in templates:
            for shapes in itertools.product(SHAPES, repeat=len(kinds)):
                # A scalar may be a Python float in a program: it has no methods (x.max()).
                values = [float(rng.uniform(0.2, 0.9)) if shape == () else
                          rng.uniform(0.2, 0.9, shape) for shape in shapes]
                namespace.update({f"operand{i}": value for i, value in enumerate(values)})
                source = template.format(*(f"operand{i}" for i in range(len(kinds))))
                try:
                    with np.errstate(all="ignore"), warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        # a form NumPy deprecates (np.cross of 2-vectors) is not drawn
                        warnings.simplefilter("error", DeprecationWarning)
                        out = np.asarray(eval(source, namespace))  # noqa: S307
                except Exception:  # noqa: BLE001, S112 - the template does not take these shapes
                    continue
                # (np.var(x, ddof=1) of one entry is nan: not a form to draw)
                if out.dtype.kind == "f" and out.shape in SHAPES and np.all(np.isfinite(out)):
                    table.setdefault(out.shape, {}).setdefault(family, {}).setdefault(
                        template, []).append(LibraryCall(family, template, kinds, shapes))
    return table


# Library calls that return several values, unpacked into names by a statement:
# (template, operand shape, shapes of the values).
UNPACKINGS = [
    ("np.split({0}, 2)", (2, 3), [(1, 3), (1, 3)]),
    ("np.hsplit({0}, 3)", (2, 3), [(2, 1), (2, 1), (2, 1)]),
    (f"np.linalg.slogdet({_SPD2})", (2, 3), [(), ()]),
    ("{0}", (2, 3), [(3,), (3,)]),  # the rows of an array
]


def _function_name(template: str) -> str:
    return re.findall(r"\.?[A-Za-z_][\w.]*(?=\()", template)[0]


LIBRARY_CALLS = _library_table()
# The functions the generator calls (a program's `features` name those it uses).
LIBRARY_FUNCTIONS = frozenset(_function_name(template) for _, templates in LIBRARY.values()
                              for template, _ in templates)


@dataclass
class Program:
    """A generated module: its source, the function to differentiate and its signature."""

    source: str
    params: list
    param_shapes: list
    output: str  # "scalar" or "array"
    features: set = field(default_factory=set)

    def __repr__(self) -> str:  # what Hypothesis prints for a falsifying example
        return "Program(source=\n" + self.source + ")"


class _Scope:
    """The names a block of generated code may read, with their shapes."""

    def __init__(self):
        self.values: dict = {}  # name -> shape of a float or float array
        self.counters: dict = {}  # loop counter name -> exclusive upper bound
        self.owned: set = set()  # arrays made by this function, so `v[i] = ...` is safe

    def child(self) -> _Scope:
        scope = _Scope()
        scope.values = dict(self.values)
        scope.counters = dict(self.counters)
        scope.owned = set(self.owned)
        return scope


class _Builder:
    """Draws one program. Every choice goes through `draw`, so Hypothesis can shrink it:
    the first entry of each list of alternatives is the simplest one."""

    def __init__(self, draw, output: str, in_place: bool = True):
        self.draw = draw
        self.output = output
        self.in_place = in_place
        self.names = itertools.count()
        self.features: set = set()
        self.helper = None  # (name, parameter shapes, result shape)
        self.output_shape = ()

    # -- choices ----------------------------------------------------------------------------
    def pick(self, options):
        return self.draw(st.sampled_from(options))

    def chance(self, percent: int) -> bool:
        return self.draw(st.integers(0, 99)) < percent

    def new_name(self, prefix: str) -> str:
        return f"{prefix}{next(self.names)}"

    # -- expressions ------------------------------------------------------------------------
    def expr(self, shape: tuple, scope: _Scope, depth: int) -> str:
        """Source of an expression of the given shape."""
        kinds = ["leaf"]
        if depth > 0:
            kinds += ["binary", "binary", "unary", "positive", "divide", "power"]
            if shape in REDUCTIONS:
                kinds.append("reduce")
            if shape in INDEXINGS:
                kinds.append("index")
            if any(out == shape for _, _, _, out in PRODUCTS):
                kinds.append("product")
            if shape == ():
                kinds += ["float_function", "builtin_minmax"]
            if self.helper is not None and self.helper[2] == shape:
                kinds += ["helper", "helper"]
            if any(len(s) >= 1 for s in scope.values.values()) and scope.counters:
                kinds.append("counter_index")
            kinds += ["where", "conditional", "maximum"]
            if shape in LIBRARY_CALLS:
                kinds += ["library"] * 4
        kind = self.pick(kinds)
        sub = depth - 1
        if kind == "leaf":
            return self.leaf(shape, scope)
        if kind == "binary":
            left, right = self.broadcast_pair(shape)
            op = self.pick(["+", "*", "-"])
            return f"({self.expr(left, scope, sub)} {op} {self.expr(right, scope, sub)})"
        if kind == "unary":
            template = self.pick(UNARY_ANY)
            return template.replace("E", self.expr(shape, scope, sub))
        if kind == "positive":
            template = self.pick(UNARY_POSITIVE)
            return "(" + template.replace("P", self.positive(shape, scope, sub)) + ")"
        if kind == "divide":
            left, right = self.broadcast_pair(shape)
            if self.chance(30):
                return f"({self.expr(shape, scope, sub)} / {self.pick(CONSTANTS[1:])})"
            return f"({self.expr(left, scope, sub)} / {self.positive(right, scope, sub)})"
        if kind == "power":
            if self.chance(25):  # a variable exponent, on a positive base
                self.features.add("variable exponent")
                left, right = self.broadcast_pair(shape)
                if self.chance(30):
                    return f"(2.0 ** {self.expr(shape, scope, sub)})"
                return f"({self.positive(left, scope, sub)} ** {self.expr(right, scope, sub)})"
            return "(" + self.pick(POWERS).replace("E", self.expr(shape, scope, sub)) + ")"
        if kind == "reduce":
            template, source_shape = self.pick(REDUCTIONS[shape])
            self.features.add("reduction")
            return template.replace("E", self.expr(source_shape, scope, sub))
        if kind == "index":
            template, source_shape = self.pick(INDEXINGS[shape])
            self.features.add("indexing")
            inner = self.expr(source_shape, scope, sub)
            return template.replace("E", inner if inner.isidentifier() else f"({inner})")
        if kind == "product":
            template, left, right, _ = self.pick([p for p in PRODUCTS if p[3] == shape])
            self.features.add("matmul")
            return "(" + template.replace("L", self.expr(left, scope, sub)).replace(
                "R", self.expr(right, scope, sub)) + ")"
        if kind == "float_function":
            template = self.pick(UNARY_FLOAT)
            if "P" in template:
                return template.replace("P", self.positive((), scope, sub))
            return template.replace("E", self.expr((), scope, sub))
        if kind == "builtin_minmax":
            self.features.add("max/min")
            name = self.pick(["max", "min"])
            return f"{name}({self.expr((), scope, sub)}, {self.expr((), scope, sub)})"
        if kind == "helper":
            name, param_shapes, _ = self.helper
            self.features.add("helper call")
            args = ", ".join(self.expr(s, scope, sub) for s in param_shapes)
            return f"{name}({args})"
        if kind == "counter_index":
            return self.counter_index(shape, scope, sub)
        if kind == "where":
            self.features.add("np.where")
            cond_shape, left = self.broadcast_pair(shape)
            right = self.pick([s for s in SHAPES if broadcast(s, cond_shape, left) == shape])
            return (f"np.where({self.expr(cond_shape, scope, sub)} > {self.pick(THRESHOLDS)}, "
                    f"{self.expr(left, scope, sub)}, {self.expr(right, scope, sub)})")
        if kind == "conditional":
            self.features.add("conditional expression")
            return (f"({self.expr(shape, scope, sub)} if {self.condition(scope, sub)} "
                    f"else {self.expr(shape, scope, sub)})")
        if kind == "library":
            return self.library_call(shape, scope, sub)
        if kind == "maximum":
            self.features.add("np.maximum/minimum")
            left, right = self.broadcast_pair(shape)
            name = self.pick(["np.maximum", "np.minimum"])
            return f"{name}({self.expr(left, scope, sub)}, {self.expr(right, scope, sub)})"
        raise AssertionError(kind)

    def library_call(self, shape: tuple, scope: _Scope, depth: int) -> str:
        """A call of a NumPy / SciPy function (LIBRARY) returning `shape`: a family drawn by
        weight, one of its templates, then operand shapes the template accepts."""
        families = LIBRARY_CALLS[shape]
        family = self.pick([name for name, (weight, _) in LIBRARY.items() if name in families
                            for _ in range(weight)])
        calls = self.pick(list(families[family].values()))
        call = self.pick(calls)
        self.features.add(call.function)
        operands = [self.positive(s, scope, depth) if kind == "p" else self.expr(s, scope, depth)
                    for kind, s in zip(call.kinds, call.shapes)]
        return call.fill(operands)

    def leaf(self, shape: tuple, scope: _Scope) -> str:
        names = sorted(n for n, s in scope.values.items() if s == shape)
        options = names + ([self.pick(CONSTANTS)] if shape == () else [])
        if shape == () and scope.counters:
            counter = self.pick(sorted(scope.counters))
            options.append(f"({counter} * 0.5)")
        if not options:  # no value of this shape yet: broadcast one that fits
            fitting = sorted(n for n, s in scope.values.items() if broadcast(s, shape) == shape)
            if fitting:
                return f"({self.pick(fitting)} + np.zeros({shape}))"
            return f"np.full({shape}, {self.pick(CONSTANTS)})"
        return self.pick(options)

    def positive(self, shape: tuple, scope: _Scope, depth: int) -> str:
        """An expression of `shape` whose entries are all positive (never near zero, or an
        exponential), so logs, roots and divisions stay well defined."""
        return self.pick(POSITIVE_FORMS).replace("E", self.expr(shape, scope, depth))

    def broadcast_pair(self, shape: tuple):
        """Two operand shapes that broadcast to `shape` (a scalar and an array mixed, ...)."""
        left = self.pick([shape] + [s for s in SHAPES
                                    if s != shape and broadcast(s, shape) == shape])
        right = self.pick([s for s in [shape] + SHAPES if broadcast(left, s) == shape])
        if left != right:
            self.features.add("broadcasting")
        return left, right

    def counter_index(self, shape: tuple, scope: _Scope, depth: int) -> str:
        """`value[i]` with a loop counter `i` in range of the value's first axis."""
        options = [(name, bound, s) for name, bound in sorted(scope.counters.items())
                   for s in SHAPES if s and s[0] >= bound and s[1:] == shape]
        if not options:
            return self.leaf(shape, scope)
        counter, _, source_shape = self.pick(options)
        self.features.add("indexing by loop counter")
        inner = self.expr(source_shape, scope, depth)
        return f"{inner if inner.isidentifier() else '(' + inner + ')'}[{counter}]"

    def condition(self, scope: _Scope, depth: int) -> str:
        """A scalar condition on values (ties are caught by the traced run)."""
        self.features.add("branch")
        op = self.pick([">", "<", ">=", "<="])
        shape = self.pick([(), (3,), (2, 3)])
        value = self.expr(shape, scope, max(depth, 0))
        if shape != ():
            value = f"np.sum({value})"
        test = f"{value} {op} {self.pick(THRESHOLDS)}"
        if depth > 0 and self.chance(15):
            other = self.condition(scope, depth - 1)
            test = f"({test}) {self.pick(['and', 'or'])} ({other})"
        elif self.chance(10):
            test = f"not ({test})"
        return test

    # -- statements -------------------------------------------------------------------------
    def block(self, scope: _Scope, depth: int, count: int, top: bool) -> list:
        """Lines of `count` statements. Nested blocks keep every outer value's shape, since
        a branch or loop may not run."""
        lines = []
        for _ in range(count):
            lines += self.statement(scope, depth, top)
        return lines or ["pass"]

    def statement(self, scope: _Scope, depth: int, top: bool) -> list:
        kinds = ["assign", "assign", "update", "update"]
        if depth > 0:
            kinds += ["if", "for", "while"]
        if top:
            kinds += ["reshape_variable"] + (["alias"] if self.in_place else [])
        if any(n in scope.owned and s for n, s in scope.values.items()):
            kinds.append("setitem")
        if depth > 0 and self.output is not None:
            kinds.append("early_return")
        kinds += ["unpack", "dict", "comprehension"]
        kind = self.pick(kinds)
        expr_depth = self.draw(st.integers(0, 2))
        if kind == "assign":
            name = self.new_name("v")
            shape = self.pick(SHAPES)
            value = self.expr(shape, scope, expr_depth)
            scope.values[name] = shape
            if value.startswith(("(", "np.")) and " if " not in value:
                scope.owned.add(name)  # a new array (arithmetic or a ufunc), not a view
            return [f"{name} = {value}"]
        if kind == "update":
            name = self.pick(sorted(scope.values))
            shape = scope.values[name]
            op = self.pick(["=", "+=", "*=", "-="])
            fits = [s for s in SHAPES if broadcast(s, shape) == shape]
            value = self.expr(self.pick(fits), scope, expr_depth)
            if op == "=":
                return [f"{name} = {name} * 0.5 + {value}"]
            self.features.add("augmented assignment")
            if not self.in_place and shape:  # spelled out: no array is updated in place
                return [f"{name} = {name} {op[0]} {value}"]
            return [f"{name} {op} {value}"]
        if kind == "unpack":
            template, source_shape, shapes = self.pick(UNPACKINGS)
            value = template.format(self.expr(source_shape, scope, expr_depth))
            names = [self.new_name("v") for _ in shapes]
            scope.values.update(zip(names, shapes))  # views or scalars: not owned
            self.features.add("tuple unpacking")
            return [f"{', '.join(names)} = {value}"]
        if kind == "dict":
            # Its items are read and updated by key like names ("d0['a']"): each a variable
            # of the generated code, merged after branches and carried by loops.
            name = self.new_name("d")
            keys = ["a", "b"][:self.draw(st.integers(1, 2))]
            shapes = [self.pick(SHAPES) for _ in keys]
            items = ", ".join(f"'{k}': {self.expr(shape, scope, expr_depth)}"
                              for k, shape in zip(keys, shapes))
            scope.values.update({f"{name}['{k}']": shape for k, shape in zip(keys, shapes)})
            self.features.add("dict")
            return [f"{name} = {{{items}}}"]
        if kind == "comprehension":
            array_shape = self.pick([(2, 3), (3,), (2, 1)])
            source = self.expr(array_shape, scope, 1)
            row = self.new_name("row")
            inner = scope.child()
            inner.values[row] = array_shape[1:]
            shape = self.pick(SHAPES)
            value = self.expr(shape, inner, expr_depth)
            name = self.new_name("v")
            scope.values[name] = shape
            if self.chance(50):
                self.features.add("list comprehension")
                return [f"{name} = sum([{value} for {row} in {source}])"]
            self.features.add("generator expression")
            return [f"{name} = sum({value} for {row} in {source})"]
        if kind == "reshape_variable":
            # Rebind a name to a value of another shape: its adjoint changes shape too.
            name = self.pick(sorted(scope.values))
            shape = self.pick(SHAPES)
            self.features.add("rebinding to another shape")
            value = self.expr(shape, scope, expr_depth)
            scope.values[name] = shape
            scope.owned.discard(name)
            return [f"{name} = {value}"]
        if kind == "alias":
            source = self.pick(sorted(scope.values))
            name = self.new_name("v")
            scope.values[name] = scope.values[source]
            if source in scope.owned:
                scope.owned.add(name)
            self.features.add("alias")
            return [f"{name} = {source}"]
        if kind == "setitem":
            name = self.pick(sorted(n for n, s in scope.values.items()
                                    if n in scope.owned and s))
            shape = scope.values[name]
            index = self.pick(["[0]", "[-1]", "[1:]", "[..., 0]", "[0:1]"])
            target = _result_shape("E" + index, shape)
            if target is None:
                index, target = "[0]", shape[1:]
            op = self.pick(["=", "+=", "*="])
            self.features.add("item assignment")
            fits = [s for s in SHAPES if broadcast(s, target) == target]
            return [f"{name}{index} {op} {self.expr(self.pick(fits), scope, expr_depth)}"]
        if kind == "early_return":
            self.features.add("early return")
            inner = scope.child()
            return [f"if {self.condition(scope, 1)}:",
                    *_indent(self.block(inner, 0, self.draw(st.integers(0, 1)), False)),
                    f"    return {self.result(inner)}"]
        if kind == "if":
            lines = [f"if {self.condition(scope, 1)}:"]
            lines += _indent(self.block(scope.child(), depth - 1, self.draw(st.integers(1, 2)),
                                        False))
            if self.chance(40):
                lines.append(f"elif {self.condition(scope, 1)}:")
                lines += _indent(self.block(scope.child(), depth - 1, 1, False))
            if self.chance(60):
                lines.append("else:")
                lines += _indent(self.block(scope.child(), depth - 1,
                                            self.draw(st.integers(1, 2)), False))
            return lines
        if kind == "for":
            return self.for_loop(scope, depth)
        if kind == "while":
            return self.while_loop(scope, depth)
        raise AssertionError(kind)

    def for_loop(self, scope: _Scope, depth: int) -> list:
        self.features.add("for loop")
        inner = scope.child()
        lines = []
        form = self.pick(["range", "range", "reversed", "rows"])
        if form == "rows":  # iterate over an array's first axis: the row is differentiable
            array_shape = self.pick([(2, 3), (3,), (2, 1)])
            row = self.new_name("row")
            lines.append(f"for {row} in {self.expr(array_shape, scope, 1)}:")
            inner.values[row] = array_shape[1:]
            self.features.add("loop over array")
        else:
            counter = self.new_name("i")
            trips = self.draw(st.integers(0, 3))
            inner.counters[counter] = trips
            loop = f"range({trips})" if form == "range" else f"reversed(range({trips}))"
            lines.append(f"for {counter} in {loop}:")
        items = None
        if self.chance(15):
            items = self.new_name("items")
            shape = self.pick(SHAPES)
            lines.insert(0, f"{items} = [np.zeros({shape})]")
            lines.append(f"    {items}.append({self.expr(shape, inner, 1)})")
            self.features.add("list append")
        exit_lines = []  # drawn before the body, so it reads only values defined before it
        if form != "reversed" and self.chance(25):
            exit_kind = self.pick(["break", "continue"])
            self.features.add(exit_kind)
            exit_lines = [f"if {self.condition(inner, 0)}:", f"    {exit_kind}"]
        body = exit_lines + self.block(inner, depth - 1, self.draw(st.integers(1, 2)), False)
        lines += _indent(body)
        if items is not None:
            # Stacked entries are summed back to the entry's shape (the list starts with zeros,
            # so a loop of no trips still gives one).
            name = self.new_name("v")
            lines.append(f"{name} = np.sum(np.array({items}), axis=0)")
            scope.values[name] = shape
        return lines

    def while_loop(self, scope: _Scope, depth: int) -> list:
        self.features.add("while loop")
        counter = self.new_name("k")
        trips = self.draw(st.integers(0, 3))
        test = f"{counter} < {trips}"
        if self.chance(40):
            test += f" and {self.condition(scope, 0)}"
        inner = scope.child()
        exit_lines = []
        if self.chance(15):
            self.features.add("break")
            exit_lines = [f"if {self.condition(inner, 0)}:", "    break"]
        body = exit_lines + self.block(inner, depth - 1, self.draw(st.integers(1, 2)), False)
        return [f"{counter} = 0", f"while {test}:", *_indent(body),
                f"    {counter} = {counter} + 1"]

    def result(self, scope: _Scope) -> str:
        """The returned expression: a scalar for grad/hessian, else of the output shape."""
        if self.output_shape == ():
            shape = self.pick([(), (3,), (2, 3), (2, 1)])
            value = self.expr(shape, scope, 2)
            return value if shape == () else f"np.sum({value})"
        return self.expr(self.output_shape, scope, 2)

    # -- functions --------------------------------------------------------------------------
    def function(self, name: str, params: list, shapes: list, body_depth: int) -> list:
        scope = _Scope()
        scope.values = dict(zip(params, shapes))
        lines = [f"def {name}({', '.join(params)}):"]
        body = self.block(scope, body_depth, self.draw(st.integers(1, 3)), True)
        body.append(f"return {self.result(scope)}")
        return lines + _indent(body)

    def module(self) -> Program:
        lines = ["import math", "", "import numpy as np", "", ""]
        if self.chance(30):
            helper_shapes = [self.pick(PARAM_SHAPES) for _ in range(self.draw(st.integers(1, 2)))]
            result_shape = self.pick(SHAPES)
            helper_params = [f"q{i}" for i in range(len(helper_shapes))]
            saved_output, self.output_shape = self.output_shape, result_shape
            lines += self.function("helper", helper_params, helper_shapes, 1)
            lines += ["", ""]
            self.output_shape = saved_output
            self.helper = ("helper", helper_shapes, result_shape)
        shapes = [self.pick(PARAM_SHAPES) for _ in range(self.draw(st.integers(1, 3)))]
        params = [f"p{i}" for i in range(len(shapes))]
        lines += self.function("f", params, shapes, 2)
        source = "\n".join(lines) + "\n"
        imports = [f"import scipy.{module}" for module in ("linalg", "special", "stats")
                   if f"scipy.{module}." in source]
        lines[3:3] = imports
        return Program("\n".join(lines) + "\n", params, shapes,
                       "scalar" if self.output_shape == () else "array", self.features)


def _indent(lines: list) -> list:
    return ["    " + line for line in lines]


@st.composite
def programs(draw, output: str = "scalar", in_place: bool = True) -> Program:
    """Programs whose `f` returns a scalar ("scalar"), an array ("array"), or either.

    With `in_place=False`, no array is updated in place through a name another name shares
    (no `v = w` aliases, `x += v` on arrays written `x = x + v`); item assignment into arrays
    the function made itself remains. The tests use the default; scripts/fuzz.py can turn it
    off to look past the in-place bug class."""
    builder = _Builder(draw, output, in_place)
    if output == "array":
        builder.output_shape = draw(st.sampled_from([(3,), (2, 3), (2,), (2, 1)]))
    elif output == "any":
        builder.output_shape = draw(st.sampled_from([(), (3,), (2, 3), (2,)]))
    return builder.module()


def arguments(program: Program):
    """A strategy of argument tuples for `program.f`: floats in [-2, 2], arrays of them."""
    elements = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)
    parts = [elements if shape == () else hnp.arrays(np.float64, shape, elements=elements)
             for shape in program.param_shapes]
    return st.tuples(*parts)


# ---- loading --------------------------------------------------------------------------------
_DIRECTORY = Path(tempfile.mkdtemp(prefix="s2sad-random-programs-"))
_loaded = itertools.count()


class _PathRecorder(ast.NodeTransformer):
    """Rewrites comparisons and kinks into calls that record which side each one took."""

    KINKS = {"abs": "_kink_abs", "max": "_kink_max", "min": "_kink_min"}
    NUMPY_KINKS = {"abs": "_kink_abs", "maximum": "_kink_max", "minimum": "_kink_min",
                   "sign": "_kink_abs", "floor": "_kink_floor"}

    def visit_Compare(self, node):
        self.generic_visit(node)
        if len(node.ops) != 1:
            raise NotImplementedError("chained comparison in a generated program")
        op = type(node.ops[0]).__name__
        return ast.Call(ast.Name("_compare", ast.Load()),
                        [ast.Constant(op), node.left, node.comparators[0]], [])

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        name = None
        if isinstance(func, ast.Name) and func.id in self.KINKS:
            name = self.KINKS[func.id]
        elif (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
              and func.value.id == "np" and func.attr in self.NUMPY_KINKS):
            name = self.NUMPY_KINKS[func.attr]
        elif isinstance(func, ast.Attribute) and func.attr == "fabs":
            name = "_kink_abs"
        if name is not None:
            node.func = ast.Name(name, ast.Load())
            return node
        key = _dotted_name(func)
        if key not in LIBRARY_KINKS and isinstance(func, ast.Attribute):
            key = "." + func.attr  # a method: x.max(), x.clip(...)
        if key in LIBRARY_KINKS:
            node.args = [ast.Constant(key), func, *node.args]
            node.func = ast.Name("_kink_call", ast.Load())
        return node


def _dotted_name(node) -> str | None:
    """`np.linalg.norm` for the expression np.linalg.norm, None for anything but names."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted_name(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _order(x, axis) -> list:
    """The order of x's entries along `axis` (all of them for None) and where two are tied:
    what decides a max, a min, a sort or a median."""
    x = np.asarray(x, dtype=float)
    if axis is None or isinstance(axis, tuple):  # the templates reduce a tuple over all axes
        x, axis = x.ravel(), -1
    if x.ndim == 0:
        return []
    order = np.argsort(x, axis=axis, kind="stable")
    return [order, np.diff(np.take_along_axis(x, order, axis), axis=axis) == 0]


def _operands(fn, args) -> tuple:
    """The array a call acts on, and the other arguments: x.method(*args) or f(x, *args)."""
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, (np.ndarray, np.generic)):
        return owner, args
    return args[0], args[1:]


def _extremum_kinks(fn, args, kwargs, value) -> list:
    x, _ = _operands(fn, args)
    return _order(x, kwargs.get("axis"))


def _clip_kinks(fn, args, kwargs, value) -> list:
    x, (low, high) = _operands(fn, args)
    return [np.sign(np.subtract(x, bound)) for bound in (low, high) if bound is not None]


# How close a point may come to a cone-shaped kink (a 2-norm at the zero vector, np.std of
# equal entries, np.hypot at the origin): the kink bends the function on a scale of its
# distance, so a stencil near it (let alone across it) measures nothing.
KINK_RADIUS = 0.05


def _away_from_kink(radius, what: str) -> list:
    if np.min(radius, initial=np.inf) < KINK_RADIUS:
        raise Unusable(f"too close to the kink of {what}")
    return []


def _std_kinks(fn, args, kwargs, value) -> list:
    return _away_from_kink(value, "np.std at equal entries")


def _norm_kinks(fn, args, kwargs, value) -> list:
    x = np.asarray(args[0], dtype=float)
    order, axis = kwargs.get("ord", args[1] if len(args) > 1 else None), kwargs.get("axis")
    if order in (None, 2, "fro"):  # smooth but at the zero vector
        return _away_from_kink(np.linalg.norm(x, ord=order, axis=axis), "a norm at 0")
    kinks = [np.sign(x)]
    if x.ndim == 2 and axis is None:  # max absolute column (1) or row (inf) sum
        kinks += _order(np.sum(np.abs(x), axis=0 if order == 1 else 1), None)
    elif order in (np.inf, -np.inf):
        kinks += _order(np.abs(x), axis)
    return kinks


def _pair_kinks(fn, args, kwargs, value) -> list:
    return [np.sign(np.subtract(args[0], args[1]))]


def _sign_kinks(fn, args, kwargs, value) -> list:
    """Functions with |x| inside (the exponentially scaled Bessel functions, exp(-|x|) I(x)):
    their derivative (i0e) or their second derivative (i1e) jumps at 0."""
    return [np.sign(args[0])]


def _origin_kinks(fn, args, kwargs, value) -> list:
    return _away_from_kink(np.hypot(args[0], args[1]), "the origin")


def _eigenvalue_gaps(fn, args, kwargs, value) -> list:
    # Eigenvalues are smooth only where they are distinct: no path to compare, refuse outright.
    if np.min(np.diff(value), initial=np.inf) < 1e-3 * max(1.0, float(np.max(np.abs(value)))):
        raise Unusable("repeated eigenvalues")
    return []


# Library functions with kinks or ties, and what the traced copy records about each call.
LIBRARY_KINKS = {
    **dict.fromkeys(["np.max", "np.min", "np.amax", "np.amin", ".max", ".min", "np.sort",
                     "np.median", "np.ptp"], _extremum_kinks),
    "np.clip": _clip_kinks, ".clip": _clip_kinks, "np.std": _std_kinks, ".std": _std_kinks,
    "np.linalg.norm": _norm_kinks, "np.fmax": _pair_kinks, "np.fmin": _pair_kinks,
    "np.hypot": _origin_kinks, "np.arctan2": _origin_kinks,
    "np.linalg.eigvalsh": _eigenvalue_gaps,
    "scipy.special.i0e": _sign_kinks, "scipy.special.i1e": _sign_kinks,
}


def _traced_namespace(path_log: list) -> dict:
    """The functions the traced copy calls: each records a signature of its branch."""
    operators = {"Gt": np.greater, "Lt": np.less, "GtE": np.greater_equal,
                 "LtE": np.less_equal, "Eq": np.equal, "NotEq": np.not_equal}

    def record(value):
        path_log.append(np.asarray(value).tobytes())

    def compare(op, left, right):
        record(np.sign(np.subtract(left, right)))
        return operators[op](left, right)

    def kink_abs(x):
        record(np.sign(x))
        return np.abs(x) if isinstance(x, np.ndarray) else abs(x)

    def kink_max(x, y):
        record(np.sign(np.subtract(x, y)))
        return np.maximum(x, y) if isinstance(x, np.ndarray) or isinstance(
            y, np.ndarray) else max(x, y)

    def kink_min(x, y):
        record(np.sign(np.subtract(x, y)))
        return np.minimum(x, y) if isinstance(x, np.ndarray) or isinstance(
            y, np.ndarray) else min(x, y)

    def kink_floor(x):
        record(np.floor(x))
        return np.floor(x)

    def kink_call(key, fn, *args, **kwargs):
        value = fn(*args, **kwargs)
        for item in LIBRARY_KINKS[key](fn, args, kwargs, value):
            record(item)
        return value

    return {"_compare": compare, "_kink_abs": kink_abs, "_kink_max": kink_max,
            "_kink_min": kink_min, "_kink_floor": kink_floor, "_kink_call": kink_call}


class Loaded:
    """A program imported from a real file (s2sad reads the source with `inspect`), and a
    traced copy of it that records the path each call takes."""

    def __init__(self, program: Program):
        self.program = program
        index = next(_loaded)
        self.module_name = f"s2sad_random_program_{index}"
        self.path = _DIRECTORY / f"{self.module_name}.py"
        self.path.write_text(program.source)
        spec = importlib.util.spec_from_file_location(self.module_name, self.path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[self.module_name] = module  # inspect.getmodule finds the file's lines
        spec.loader.exec_module(module)
        self.fn = module.f
        self.path_log: list = []
        tree = _PathRecorder().visit(ast.parse(program.source))
        ast.fix_missing_locations(tree)
        namespace = _traced_namespace(self.path_log)
        # One file name for every traced program: Hypothesis tells failures apart by where
        # they were raised, and a replay of the same program loads it under a new module name.
        exec(compile(tree, "<traced program>", "exec"), namespace)  # noqa: S102
        self.traced = namespace["f"]

    def close(self) -> None:
        sys.modules.pop(self.module_name, None)
        linecache.cache.pop(str(self.path), None)
        self.path.unlink(missing_ok=True)

    def run(self, args):
        """f(*args) on copies of the arguments (a program may write into its arrays), with
        the path it took."""
        self.path_log.clear()
        try:
            # An overflow or a nan anywhere on the way (even one a later step hides, as in
            # 1 / exp(1000)) makes derivatives meaningless: such points are not judged.
            with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
                value = self.traced(*copy.deepcopy(list(args)))
        except (FloatingPointError, OverflowError, ZeroDivisionError) as error:
            raise Unusable(f"{type(error).__name__}: {error}") from None
        return np.array(value, dtype=float), tuple(self.path_log)


# ---- outcomes -------------------------------------------------------------------------------
class Refused(Exception):
    """s2sad rejected the program with one of its own errors: acceptable, but counted."""

    def __init__(self, error: S2sadError, api: str):
        super().__init__(f"{api}: {type(error).__name__}: {error}")
        self.error_type = type(error).__name__
        self.api = api


class Unusable(Exception):
    """Finite differences cannot judge this example (a branch is crossed, values overflow)."""


class InvalidProgram(AssertionError):
    """The generated program itself fails when run: a bug of this generator."""


class WrongDerivative(AssertionError):
    """s2sad computed a different number than the reference."""


class InternalFailure(AssertionError):
    """s2sad raised something other than a deliberate S2sadError: a bug."""


def _describe_args(args) -> str:
    with np.printoptions(precision=17, floatmode="unique"):
        return "(" + ", ".join(repr(a) for a in args) + ",)"


def _report(kind: str, api: str, program: Program, args, details: str) -> str:
    return (f"{kind} from {api}\n{details}\n--- program ---\n{program.source}"
            f"--- arguments ---\n{_describe_args(args)}")


# ---- the oracle -----------------------------------------------------------------------------
FIRST_STEP = 1e-3  # fourth-order stencil: truncation ~ h**4, rounding ~ 1e-16 / h
SECOND_STEP = 2e-3
RTOL = 1e-5
ATOL = 1e-6
LARGEST = 1e5  # values and derivatives beyond this are not well conditioned enough to judge
STENCIL = ((-2, 1.0 / 12), (-1, -8.0 / 12), (1, 8.0 / 12), (2, -1.0 / 12))


class _Oracle:
    """Evaluates the plain program along directions, refusing stencils that change path."""

    def __init__(self, loaded: Loaded, args):
        self.loaded = loaded
        self.args = [a if isinstance(a, float) else np.asarray(a, float) for a in args]
        self.value, self.path = loaded.run(self.args)
        if not np.all(np.isfinite(self.value)) or np.max(np.abs(self.value), initial=0) > LARGEST:
            raise Unusable("value not finite or too large")

    def at(self, directions, step: float):
        """f at args + step * directions, on the same path as the base point."""
        moved = [a + step * d if isinstance(a, np.ndarray) else a + step * float(d)
                 for a, d in zip(self.args, directions)]
        value, path = self.loaded.run(moved)
        if path != self.path:
            raise Unusable("a finite-difference step crosses a branch or kink")
        return value

    def derivative(self, directions, step: float = FIRST_STEP):
        """d/dt f(args + t * directions) at t = 0, a fourth-order central difference."""
        total = sum(weight * self.at(directions, k * step) for k, weight in STENCIL)
        return total / step

    def second(self, u, w, step: float = SECOND_STEP):
        """d2/ds dt f(args + s u + t w): the stencil applied twice (a scalar f)."""
        total = 0.0
        for (ks, ws), (kt, wt) in itertools.product(STENCIL, STENCIL):
            mixed = [ks * step * a + kt * step * b for a, b in zip(u, w)]
            total += ws * wt * float(self.at(mixed, 1.0))
        return total / (step * step)

    def unit(self, index: int, entry):
        directions = [np.zeros_like(a) if isinstance(a, np.ndarray) else 0.0 for a in self.args]
        if isinstance(self.args[index], np.ndarray):
            directions[index][entry] = 1.0
        else:
            directions[index] = 1.0
        return directions

    def gradient(self, index: int, cotangent=None, step: float = FIRST_STEP):
        """The gradient of <cotangent, f> with respect to args[index], entry by entry."""
        arg = self.args[index]
        cotangent = np.ones_like(self.value) if cotangent is None else cotangent
        if not isinstance(arg, np.ndarray):
            return float(np.sum(cotangent * self.derivative(self.unit(index, None), step)))
        out = np.zeros_like(arg)
        for entry in np.ndindex(arg.shape):
            out[entry] = np.sum(cotangent * self.derivative(self.unit(index, entry), step))
        return out


def _random_like(rng, value):
    return float(rng.standard_normal()) if np.ndim(value) == 0 and not isinstance(
        value, np.ndarray) else rng.standard_normal(np.shape(value))


def _call_s2sad(api: str, call, program: Program, args):
    """Run an s2sad call: its own errors are refusals, anything else is a bug."""
    try:
        with np.errstate(all="ignore"):
            return call()
    except InternalError as error:
        raise InternalFailure(_report("InternalError", api, program, args, str(error))) from error
    except S2sadError as error:
        raise Refused(error, api) from None
    except Exception as error:  # noqa: BLE001 - any other exception is the bug we look for
        raise InternalFailure(_report(f"internal {type(error).__name__}", api, program, args,
                                      f"{type(error).__name__}: {error}")) from error


def _same_bits(api: str, expected, got, program: Program, args) -> None:
    """`got` is `expected` exactly (a repeated call, specialised on its signature)."""
    flat = [np.asarray(v) for v in _leaves(expected)], [np.asarray(v) for v in _leaves(got)]
    if len(flat[0]) != len(flat[1]) or not all(
            a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
            for a, b in zip(*flat)):
        raise InternalFailure(_report("a repeated call differs", api, program, args,
                                      f"first {expected!r}\nthen {got!r}"))


def _leaves(value) -> list:
    return [leaf for v in value for leaf in _leaves(v)] if isinstance(value, tuple) else [value]


def _compare(api: str, expected, got, program: Program, args, what: str, rtol=RTOL, atol=ATOL):
    expected_array = np.asarray(expected, dtype=float)
    try:
        got_array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        got_array = None
    if got_array is not None and got_array.shape != expected_array.shape:
        if got_array.size == expected_array.size == 1:
            got_array = got_array.reshape(expected_array.shape)
        else:
            got_array = None
    if got_array is None:
        raise WrongDerivative(_report("wrong result type or shape", api, program, args,
                                      f"{what}: expected shape {expected_array.shape}, "
                                      f"got {got!r}"))
    if np.max(np.abs(expected_array), initial=0) > LARGEST:
        raise Unusable("derivative too large to judge by finite differences")
    scale = max(1.0, float(np.max(np.abs(expected_array), initial=0)))
    close = np.allclose(got_array, expected_array, rtol=rtol, atol=atol * scale, equal_nan=False)
    if not close:
        with np.printoptions(precision=10):
            details = f"{what}\n  expected: {expected_array!r}\n  got:      {got_array!r}"
        raise WrongDerivative(_report("wrong derivative", api, program, args, details))


def _judge(api: str, estimate, got, program: Program, args, what: str, rtol=RTOL, atol=ATOL):
    """Compare `got` with the finite-difference `estimate(scale)` (steps scaled by `scale`).

    A mismatch is confirmed with steps 4 and 16 times smaller: a function that varies fast
    (sin of a large value) can defeat the default step, and the derivative is then judged by
    the converged estimate; if the finer estimates disagree with each other as well, finite
    differences cannot judge this example."""
    with np.errstate(all="ignore"):
        expected = estimate(1.0)
    try:
        _compare(api, expected, got, program, args, what, rtol, atol)
        return
    except WrongDerivative:
        with np.errstate(all="ignore"):
            finer, finest = estimate(0.25), estimate(1.0 / 16)
    scale = max(1.0, float(np.max(np.abs(np.asarray(finest, dtype=float)), initial=0)))
    if not np.allclose(finer, finest, rtol=rtol, atol=atol * scale):
        raise Unusable("finite differences do not converge")
    _compare(api, finest, got, program, args, what, rtol, atol)


def _inner(a, b) -> float:
    return float(sum(np.sum(np.asarray(x) * np.asarray(y)) for x, y in zip(a, b)))


# ---- backends and arrays -------------------------------------------------------------------
# The backends `check` can run the derivative on, and the arrays each takes: "numpy" arrays
# always; for the array_api backend, whose code calls the namespace of its arguments, also
# "strict" arrays (array_api_strict, the array API standard and nothing more) and "jax"
# arrays (immutable; in float64, which this sets for the whole process).
ARRAYS = {"numpy": ("numpy",), "array_api": ("numpy", "strict", "jax")}
# The modes each kind of arrays runs: the Hessian and the Jacobian assemble their matrices
# with NumPy, so the array_api backend computes them on NumPy arrays only.
ARRAY_MODES = {"numpy": ("grad", "jvp", "vjp", "hessian", "jacobian"),
               "strict": ("grad", "jvp", "vjp"), "jax": ("grad", "jvp", "vjp")}


@dataclass(frozen=True)
class _Target:
    """Where a derivative runs: the s2sad backend, and the arrays given to it (converted on
    the way in, and back to NumPy on the way out, for the oracle)."""

    backend: str = "numpy"
    arrays: str = "numpy"

    def api(self, call: str) -> str:
        """`call` (``s2sad.grad(f, wrt=0)``) as run, with its backend when not the default."""
        if self.backend == "numpy":
            return call
        head, _, tail = call.rpartition(")")
        return f"{head}, backend={self.backend!r}){tail}"

    @property
    def options(self) -> dict:
        return {} if self.backend == "numpy" else {"backend": self.backend}

    def inputs(self, values) -> list:
        """Fresh copies of `values` (a derivative that wrote into its arguments must not fool
        the oracle), as the arrays of this target (numbers stay numbers)."""
        values = copy.deepcopy(list(values))
        if self.arrays == "numpy":
            return values
        if self.arrays == "jax":
            import jax

            jax.config.update("jax_enable_x64", True)
            convert = jax.numpy.asarray
        else:
            import array_api_strict

            convert = array_api_strict.asarray
        return [convert(v) if isinstance(v, np.ndarray) else v for v in values]

    def output(self, value):
        """A result as NumPy arrays (tuples kept), numbers as they are."""
        if self.arrays == "numpy":
            return value
        if isinstance(value, tuple):
            return tuple(self.output(v) for v in value)
        if value is None or isinstance(value, (bool, int, float)):
            return value
        return np.asarray(value)


def check(mode: str, program: Program, args, seed: int = 0, backend: str = "numpy",
          arrays: str = "numpy") -> None:
    """Check one derivative of `program` at `args` (see the module docstring), computed by
    the s2sad `backend` on `arrays` ("numpy", "strict" for array_api_strict arrays, "jax":
    `ARRAYS` says which each backend takes, `ARRAY_MODES` which modes each runs)."""
    if arrays not in ARRAYS.get(backend, ()) or mode not in ARRAY_MODES[arrays]:
        raise ValueError(f"no {mode} check of the {backend} backend on {arrays} arrays")
    target = _Target(backend, arrays)
    loaded = Loaded(program)
    try:
        try:
            with np.errstate(all="ignore"):
                oracle = _Oracle(loaded, args)
        except Unusable:
            raise
        except Exception as error:  # noqa: BLE001 - reported with the program
            raise InvalidProgram(_report(f"generated program fails: {type(error).__name__}",
                                         "the program itself", program, args,
                                         str(error))) from error
        CHECKS[mode](loaded, oracle, np.random.default_rng(seed), target)
    finally:
        loaded.close()


def _check_grad(loaded: Loaded, oracle: _Oracle, rng, target: _Target) -> None:
    program, args, n = loaded.program, oracle.args, len(oracle.args)
    wrt = tuple(i for i in range(n) if rng.random() < 0.7) or (int(rng.integers(n)),)
    single = len(wrt) == 1 and rng.random() < 0.5
    api = target.api(f"s2sad.value_and_grad(f, wrt={wrt[0] if single else wrt})")
    inputs = target.inputs(args)
    function = _call_s2sad(api, lambda: s2sad.value_and_grad(
        loaded.fn, wrt=wrt[0] if single else wrt, **target.options), program, args)
    first = _call_s2sad(api, lambda: function(*inputs), program, args)
    if target.backend == "numpy" and target.arrays == "numpy":
        # The second call with these arguments' signature builds the program specialised on
        # it, the third runs it again (api/signatures.py): the same bits as the first.
        for _ in range(2):
            _same_bits(api, first, _call_s2sad(api, lambda: function(*inputs), program, args),
                       program, args)
    value, grads = target.output(first)
    _compare(api, oracle.value, value, program, args, "value")
    grads = (grads,) if single else grads
    for index, gradient in zip(wrt, grads):
        _judge(api, lambda k, index=index: oracle.gradient(index, step=k * FIRST_STEP),
               gradient, program, args, f"gradient wrt {program.params[index]}")


def _check_jvp(loaded: Loaded, oracle: _Oracle, rng, target: _Target) -> None:
    program, args = loaded.program, oracle.args
    tangents = [_random_like(rng, a) for a in args]
    api = target.api("s2sad.jvp(f, args, tangents)")
    value, tangent_out = target.output(_call_s2sad(api, lambda: s2sad.jvp(
        loaded.fn, tuple(target.inputs(args)), tuple(target.inputs(tangents)),
        **target.options), program, args))
    _compare(api, oracle.value, value, program, args, "value")
    _judge(api, lambda k: oracle.derivative(tangents, k * FIRST_STEP), tangent_out, program,
           args, f"output tangent for tangents {_describe_args(tangents)}")


def _check_vjp(loaded: Loaded, oracle: _Oracle, rng, target: _Target) -> None:
    program, args = loaded.program, oracle.args
    cotangent = _random_like(rng, oracle.value) if oracle.value.ndim else float(
        rng.standard_normal())
    api = target.api("s2sad.vjp(f, *args)")
    value, vjp_fn = _call_s2sad(api, lambda: s2sad.vjp(loaded.fn, *target.inputs(args),
                                                       **target.options), program, args)
    value = target.output(value)
    _compare(api, oracle.value, value, program, args, "value")
    cotangents = target.output(_call_s2sad(
        api + "[1](cotangent)", lambda: vjp_fn(target.inputs([cotangent])[0]), program, args))
    for index, got in enumerate(cotangents):
        _judge(api, lambda k, index=index: oracle.gradient(index, np.asarray(cotangent),
                                                           k * FIRST_STEP),
               got, program, args,
               f"cotangent of {program.params[index]} for output cotangent {cotangent!r}")


def _bilinear(blocks, u, w) -> float:
    """sum_ij <u_i, H_ij w_j> for Hessian blocks H_ij of shape shape_i + shape_j."""
    total = 0.0
    for i, j in itertools.product(range(len(u)), range(len(w))):
        block = np.asarray(blocks[i][j], dtype=float)
        wj = np.asarray(w[j], dtype=float)
        hw = np.tensordot(block, wj, axes=wj.ndim) if wj.ndim else block * wj
        total += float(np.sum(np.asarray(u[i]) * hw))
    return total


def _check_hessian(loaded: Loaded, oracle: _Oracle, rng, target: _Target) -> None:
    program, args, n = loaded.program, oracle.args, len(oracle.args)
    wrt = tuple(range(n))
    api = target.api(f"s2sad.hessian(f, wrt={wrt})")
    blocks = _call_s2sad(api, lambda: s2sad.hessian(loaded.fn, wrt=wrt, **target.options)(
        *target.inputs(args)), program, args)
    for i, j in itertools.product(range(n), range(n)):
        expected_shape = np.shape(args[i]) + np.shape(args[j])
        if np.shape(blocks[i][j]) != expected_shape:
            raise WrongDerivative(_report("wrong Hessian block shape", api, program, args,
                                          f"block {i},{j}: expected {expected_shape}, "
                                          f"got {np.shape(blocks[i][j])}"))
    for _ in range(2):
        u = [_random_like(rng, a) for a in args]
        w = [_random_like(rng, a) for a in args]
        _judge(api, lambda k, u=u, w=w: oracle.second(u, w, k * SECOND_STEP),
               _bilinear(blocks, u, w), program, args,
               f"u^T H w for u={_describe_args(u)}, w={_describe_args(w)}", rtol=1e-4,
               atol=1e-5)
    # The Hessian-vector product, along one direction.
    v = [_random_like(rng, a) for a in args]
    hvp_api = target.api("s2sad.hvp(f, args, v)")
    product = _call_s2sad(hvp_api, lambda: s2sad.hvp(loaded.fn, tuple(target.inputs(args)),
                                                     tuple(v), **target.options),
                          program, args)
    product = product if isinstance(product, tuple) else (product,)
    u = [_random_like(rng, a) for a in args]
    _judge(hvp_api, lambda k: oracle.second(u, v, k * SECOND_STEP), _inner(u, product),
           program, args, f"<u, H v> for u={_describe_args(u)}, v={_describe_args(v)}",
           rtol=1e-4, atol=1e-5)


def _check_jacobian(loaded: Loaded, oracle: _Oracle, rng, target: _Target) -> None:
    """Reverse mode against forward mode (both analytic, so a tight tolerance), then forward
    mode against finite differences along a random direction."""
    program, args, n = loaded.program, oracle.args, len(oracle.args)
    wrt = tuple(range(n))
    apis = {mode: target.api(f"s2sad.jacobian(f, wrt={wrt}, mode={mode!r})")
            for mode in ("reverse", "forward")}
    jacobians = {mode: _call_s2sad(api, lambda mode=mode: s2sad.jacobian(
        loaded.fn, wrt=wrt, mode=mode, **target.options)(*target.inputs(args)), program, args)
        for mode, api in apis.items()}
    for mode, jacobian in jacobians.items():
        for index in range(n):
            expected_shape = oracle.value.shape + np.shape(args[index])
            if np.shape(jacobian[index]) != expected_shape:
                raise WrongDerivative(_report(
                    "wrong Jacobian shape", apis[mode], program, args,
                    f"wrt {program.params[index]}: expected {expected_shape}, "
                    f"got {np.shape(jacobian[index])}"))
    for index in range(n):
        reverse = np.asarray(jacobians["reverse"][index], dtype=float)
        forward = np.asarray(jacobians["forward"][index], dtype=float)
        if not np.allclose(reverse, forward, rtol=1e-9, atol=1e-9):
            # Finite differences say which of the two is wrong.
            def rows(k, index=index, shape=forward.shape):
                return np.reshape([oracle.gradient(index, np.eye(oracle.value.size)[row].reshape(
                    oracle.value.shape), k * FIRST_STEP) for row in range(oracle.value.size)],
                    shape)

            for mode, got in (("reverse", reverse), ("forward", forward)):
                _judge(apis[mode], rows, got, program, args,
                       f"Jacobian wrt {program.params[index]} (reverse and forward differ)")
    direction = [_random_like(rng, a) for a in args]
    got = sum(np.tensordot(np.asarray(jacobians["forward"][index], dtype=float),
                           np.asarray(direction[index]), axes=np.ndim(direction[index]))
              for index in range(n))
    _judge(apis["forward"], lambda k: oracle.derivative(direction, k * FIRST_STEP), got,
           program, args, f"J @ v for v={_describe_args(direction)}")


CHECKS = {"grad": _check_grad, "jvp": _check_jvp, "vjp": _check_vjp,
          "hessian": _check_hessian, "jacobian": _check_jacobian}
# The kind of program each check needs.
OUTPUTS = {"grad": "scalar", "hessian": "scalar", "jvp": "any", "vjp": "array",
           "jacobian": "any"}
MODES = tuple(CHECKS)

__all__ = ["LIBRARY_FUNCTIONS", "MODES", "OUTPUTS", "InternalFailure", "InvalidProgram",
           "Program", "Refused", "Unusable", "WrongDerivative", "arguments", "check", "programs"]
