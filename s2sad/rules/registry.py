"""The registry of primitives and their derivative templates.

A primitive is an operation the compiler treats as atomic: it appears as one line of the SSA
trace and has a VJP rule and a JVP rule. Rules are *templates*: short Python expressions over
the names of the primitive's arguments, parsed once and spliced into the generated code by the
same lowering that handles user code. Inside a template:

- ``x``, ``y`` ... are the primitive's arguments, and ``axis``, ``keepdims`` ... its parameters;
- ``ans`` is the primitive's result;
- ``g`` is the cotangent of ``ans`` (VJP templates);
- ``x_dot`` ... are the tangents of the arguments (JVP templates).

A VJP template gives the contribution to one argument's adjoint (``x_bar += <template>``); a JVP
template gives one argument's contribution to the result's tangent (``ans_dot = sum of the
templates of the active arguments``). Because templates are lowered like user code, every
function they call must itself be a registered primitive: the rule set is closed under
differentiation, which is what makes grad-of-grad work (``tests/test_rules_closure.py``).
"""

from __future__ import annotations

import math
import types
from dataclasses import dataclass, field

import gast
import numpy as np

#: Names a template may use besides its primitive's own argument names.
TEMPLATE_MODULES = {"np": np, "math": math}


@dataclass
class Primitive:
    """One registered operation with its spelling in generated code and its rules."""

    name: str
    spelling: str  # 'np.log', an operator token such as '+', an attribute name such as 'T'
    form: str = "call"  # call | binop | unaryop | attribute | subscript | array | tuple
    argnames: tuple = ("x",)  # differentiable positional arguments
    params: tuple = ()  # ((name, default), ...) non-differentiable parameters
    vjp: dict = field(default_factory=dict)  # argname -> template (adjoint contribution)
    # argname -> the vjp template with strong zeros (safe_mul), for a cotangent that may be
    # inf where the program's values are finite (sqrt's at 0): reverse.py picks it then.
    vjp_strong: dict = field(default_factory=dict)
    jvp: dict = field(default_factory=dict)  # argname -> template (tangent contribution)
    broadcasts: bool = False  # binary elementwise: adjoints must be unbroadcast
    elementwise: bool = False  # acts entry by entry: its VJP accepts a broadcast cotangent
    differentiable: bool = True  # False: the derivative is zero (shapes, signs, constructors)
    impl: object = None  # the Python callable, used for constant folding and traces
    required_params: int = 0  # how many leading params have no default (emitted positionally)
    order: tuple = ()  # positional order when params come first (np.full(shape, fill_value))
    note: str = ""  # what a user should know (ties, conventions, domains): docs/rules.md shows it
    # Variadic primitives (np.array([a, b, ...])) take any number of positional arguments, all
    # bound to argnames[0] in their rules, with ``index`` the argument's entry of the parameter
    # named here (its place in the result). They are linear in their elements: the tangent is
    # the same operation applied to the elements' tangents.
    variadic: str = ""
    arg_defaults: tuple = ()  # ((argname, constant), ...) for optional differentiable arguments
    expand: object = None  # call node -> equivalent call node or None (np.einsum of n operands)
    opaque: bool = False  # a call s2sad has no rule for, run as written (see activity.py)
    pure: bool = True  # False: may have effects (random draws, I/O), never dropped or merged
    # A statement run for its effect only (print, assert, logging: rules/effects.py): emitted
    # as a bare statement, its result never read; impure and without derivative.
    effect: bool = False
    # One-expression rules of every argument at once (see `template`): a tuple-valued result,
    # or a recursive function's derivative called once for all its arguments.
    jvp_all: str = ""
    vjp_all: str = ""
    user: bool = False  # made by s2sad.primitive: a missing rule is the user's to give
    # Why a derivative of this operation is refused, when it has no rules by design (the
    # derivative functions a recursive call links to): the error says this, not "give a rule".
    refusal: str = ""
    scope: dict = field(default_factory=dict)  # names its templates use that are not global
    compare_op: object = None  # the gast comparison node a comparison primitive lowers from
    _parsed: dict = field(default_factory=dict, repr=False)

    def template(self, kind: str, argname: str | None = None):
        """The parsed gast expression of the `kind` ('vjp'/'jvp') rule for `argname`, or of
        the one-expression rules ``jvp_all`` (the tangent from every argument's tangent) and
        ``vjp_all`` (every argument's adjoint at once, as a tuple) for those kinds; kind
        'vjp_strong' is the strong-zero variant of a VJP rule."""
        key = (kind, argname)
        if key not in self._parsed:
            if kind in ("jvp_all", "vjp_all"):
                text = getattr(self, kind)
            else:
                text = {"vjp": self.vjp, "jvp": self.jvp, "vjp_strong": self.vjp_strong}[kind][
                    argname]
            self._parsed[key] = gast.parse(text, mode="eval").body
        return self._parsed[key]

    @property
    def signature(self) -> tuple:
        """Argument and parameter names, in positional order."""
        if self.order:
            return self.order
        return tuple(self.argnames) + tuple(name for name, _ in self.params)

    def element_env(self, op, position: int) -> dict:
        """What the rules of a variadic primitive see for its argument `position`."""
        from ..ir import Const

        return {self.argnames[0]: op.args[position],
                "index": Const(op.kwarg(self.variadic).value[position])}

    def default(self, param: str):
        for name, value in self.params:
            if name == param:
                return value
        raise KeyError(param)


def _key(obj):
    """Registry key of a Python object: its identity, or for a bound method (such as
    ``scipy.stats.norm.logpdf``, a new object at every attribute access) the identities of its
    instance and function."""
    if isinstance(obj, types.MethodType):
        return ("method", id(obj.__self__), id(obj.__func__))
    return id(obj)


def _same(registered, obj) -> bool:
    if isinstance(obj, types.MethodType):
        return (isinstance(registered, types.MethodType) and registered.__self__ is obj.__self__
                and registered.__func__ is obj.__func__)
    return registered is obj


class Registry:
    """Primitives by name, by the Python object they stand for, and by syntax."""

    def __init__(self):
        self.by_name: dict[str, Primitive] = {}
        self._by_object: dict[int, tuple[object, Primitive]] = {}
        self.binops: dict[type, Primitive] = {}
        self.unaryops: dict[type, Primitive] = {}
        self.attributes: dict[str, Primitive] = {}  # x.T, x.shape
        self.methods: dict[str, Primitive] = {}  # x.sum(...), x.reshape(...)

    def add(self, prim: Primitive, objects=(), binop=None, unaryop=None, attribute=None,
            methods=()) -> Primitive:
        if prim.name in self.by_name:
            raise ValueError(f"primitive {prim.name!r} is registered twice")
        self.by_name[prim.name] = prim
        for obj in objects:
            self._by_object[_key(obj)] = (obj, prim)
        if binop is not None:
            self.binops[binop] = prim
        if unaryop is not None:
            self.unaryops[unaryop] = prim
        if attribute is not None:
            self.attributes[attribute] = prim
        for method in methods:
            self.methods[method] = prim
        return prim

    def alias(self, obj, prim: Primitive) -> None:
        """Make another Python object (``np.add`` for ``+``) denote an existing primitive."""
        self._by_object[_key(obj)] = (obj, prim)

    def lookup(self, obj) -> Primitive | None:
        """The primitive a Python object denotes, or None."""
        try:
            entry = self._by_object.get(_key(obj))
        except TypeError:
            return None
        if entry is not None and _same(entry[0], obj):
            return entry[1]
        return None

    def objects(self):
        """(object, primitive) pairs, for code that needs to enumerate what is registered."""
        return list(self._by_object.values())


REGISTRY = Registry()


def _params(spec) -> tuple:
    return tuple(spec)


def defprim(name, spelling, *, objects=(), argnames=("x",), params=(), vjp=None, jvp=None,
            form="call", broadcasts=False, elementwise=False, differentiable=True, impl=None,
            binop=None, unaryop=None, attribute=None, methods=(), required_params=0,
            order=(), note="", arg_defaults=(), variadic="", vjp_strong=None) -> Primitive:
    """Register a primitive. `vjp`/`jvp` (and `vjp_strong`, the VJP rules for a cotangent that
    may be inf) map argument names to template strings."""
    prim = Primitive(
        name=name,
        spelling=spelling,
        form=form,
        argnames=tuple(argnames),
        params=_params(params),
        vjp=dict(vjp or {}),
        vjp_strong=dict(vjp_strong or {}),
        jvp=dict(jvp or {}),
        broadcasts=broadcasts,
        elementwise=elementwise or broadcasts,
        differentiable=differentiable,
        impl=impl if impl is not None else (objects[0] if objects else None),
        required_params=required_params,
        order=tuple(order),
        note=note,
        arg_defaults=tuple(arg_defaults),
        variadic=variadic,
    )
    return REGISTRY.add(prim, objects, binop, unaryop, attribute, methods)


def opaque(spelling: str, form: str, obj=None) -> Primitive:
    """An unregistered primitive for a call (form ``opaque``), method call (``opaque_method``)
    or attribute (``opaque_attribute``) that s2sad has no rule for: it runs as written, has no
    derivative, and is refused where a derivative would flow through it (activity.py).
    NumPy's and math's functions are pure; anything else may have effects."""
    module = getattr(obj, "__module__", None) or getattr(type(obj), "__module__", "") or ""
    pure = form == "opaque_attribute" or isinstance(obj, np.ufunc) or (
        obj is not None and module.split(".")[0] in ("numpy", "math", "scipy")
        and not module.startswith("numpy.random"))
    return Primitive(name=f"{form}:{spelling}", spelling=spelling, form=form, argnames=(),
                     differentiable=False, impl=obj, opaque=True, pure=pure)


def nondiff(name, spelling, obj, argnames=("x",), params=(), required_params=0, methods=(),
            attribute=None, form="call", note="") -> Primitive:
    """Register an operation whose derivative is zero (shapes, signs, constructors)."""
    return defprim(name, spelling, objects=(obj,) if obj is not None else (), argnames=argnames,
                   params=params, differentiable=False, required_params=required_params,
                   methods=methods, attribute=attribute, form=form, impl=obj, note=note)
