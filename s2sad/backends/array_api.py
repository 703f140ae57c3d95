"""The array API backend: derivative code that runs on the arrays of any library that
implements the array API standard (JAX, CuPy, PyTorch through ``array_api_compat``; NumPy too).

The NumPy backend's code calls ``np.*``, which NumPy runs (and hands on to dask). This backend
writes the same program against the namespace of the arguments instead: its first line is
``xp = array_namespace(x, y)`` (``array_api_compat.array_namespace`` of the array arguments),
and every primitive it can spell is a standard function of ``xp`` (``np.exp`` is written
``xp.exp``, ``np.arcsin`` ``xp.asin``) or a helper of ``s2sad/runtime/xp.py`` written for the
standard (``unbroadcast``, ``broadcast_reduced``, ``safe_div``...: no mutation, no truth test
on an array). JAX arrays in give JAX arrays out, computed by JAX; CuPy arrays stay on their
GPU.

It spells a subset of s2sad's primitives: elementwise math, arithmetic and comparisons,
``np.where``/``maximum``/``minimum``, ``np.sum``/``np.mean``, ``@``, ``reshape``,
``transpose``/``.T``, basic indexing (integers, slices of step 1, None, ...: ``x[0]`` is
written ``getitem(x, 0)``, which is ``x[0, ...]``, as the standard asks) and
``np.zeros``/``ones``/``full``. Anything
else is refused when the derivative is built, naming the operation and its place in the
user's code: wrong is worse than refused, and a NumPy call would silently convert the arrays
(or fail on a GPU).

``array_api_compat`` is an optional dependency (``pip install "s2sad[array-api]"``): the
backend is registered always, and the package is imported when a derivative is built for it.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib

from ..errors import S2sadError
from ..ir import Const, Op, Pop, Var
from ..ir.traverse import children, walk, with_blocks
from ..rules.registry import REGISTRY, Primitive
from . import Backend, LazyTable, register

HINT = ("use the default backend (backend='numpy') with NumPy arrays (np.asarray(x)), which "
        "runs any s2sad code")
INSTALL_HINT = 'install it with: pip install "s2sad[array-api]"'
NAMESPACE = "xp"

# NumPy's elementwise functions by primitive name, as the standard names them.
_ELEMENTWISE = {
    "exp": "exp", "log": "log", "sin": "sin", "cos": "cos", "tan": "tan", "tanh": "tanh",
    "sinh": "sinh", "cosh": "cosh", "sqrt": "sqrt", "log1p": "log1p", "expm1": "expm1",
    "log2": "log2", "log10": "log10", "abs": "abs", "fabs": "abs", "arcsin": "asin",
    "arccos": "acos", "arctan": "atan", "arctan2": "atan2", "arcsinh": "asinh",
    "arccosh": "acosh", "arctanh": "atanh", "sign": "sign", "square": "square",
    "maximum": "maximum", "minimum": "minimum", "hypot": "hypot", "logaddexp": "logaddexp",
    "isnan": "isnan", "isfinite": "isfinite", "isinf": "isinf",
    "logical_and": "logical_and", "logical_or": "logical_or", "logical_not": "logical_not",
    "sum": "sum", "mean": "mean",
}
# Arrays made from a shape, by the standard's functions of the same names (``np.full`` of a
# number written in the code only: the standard's ``full`` takes a Python number).
_CREATION = {"zeros": "zeros", "ones": "ones", "full": "full"}
# Primitives spelled by a helper of runtime/xp.py (the helper of the same name, or another).
_HELPER_SPELLINGS = {"where": "where", "shape": "shape", "reshape": "reshape",
                     "transpose": "transpose", "conj": "conj", "real": "real",
                     "len": "length"}  # len(x): the loops over an array's rows
# Helpers the rules call by name, each with a version in runtime/xp.py.
_HELPER_PRIMS = frozenset((
    "scalar_seed", "zeros_like", "unbroadcast", "broadcast_like", "broadcast_reduced",
    "broadcast_stand_in", "reduced_size", "safe_mul", "safe_div", "reciprocal", "scaled_pow",
    "matmul_adjoint_x", "matmul_adjoint_y", "scatter_like", "scatter_add", "scatter_add_into",
    "transpose_inverse", "real", "conj_sign", "real_like", "reciprocal_abs"))
_OPERATORS = frozenset(("add", "sub", "mul", "truediv", "pow", "neg", "pos", "matmul"))
_COMPARISONS = frozenset(("lt", "le", "gt", "ge", "eq", "ne"))
_PYTHON = frozenset(("tuple", "is", "is_not", "not", "shape_attr", "ndim_attr"))
# Arithmetic that a comparison's result may meet: NumPy adds booleans to floats (the rules
# of maximum/minimum do, ``(x > y) + 0.5 * (x == y)``), the standard does not.
_ARITHMETIC = frozenset(("add", "sub", "mul", "truediv", "neg", "pos"))

SUPPORTED = frozenset(_ELEMENTWISE) | frozenset(_CREATION) | frozenset(_HELPER_SPELLINGS) | (
    _HELPER_PRIMS |
    _OPERATORS | _COMPARISONS | _PYTHON | {"transpose_T", "getitem", "new_list"})


def load_compat():
    """The ``array_api_compat`` module; an S2sadError naming the extra when it is missing."""
    try:
        return importlib.import_module("array_api_compat")
    except ImportError as exc:
        raise S2sadError("the array_api backend needs array_api_compat, which is not "
                         f"installed ({exc})", hint=INSTALL_HINT + "\nor " + HINT) from None


def _helper_table() -> dict:
    """runtime/xp.py's helpers, imported when generated code is first loaded (after
    :func:`prepare` has made sure array_api_compat is there)."""
    from ..runtime import transpose_inverse, xp

    return {**xp.HELPERS, "transpose_inverse": transpose_inverse}


# Operations this backend writes that are no primitive of the rules: the namespace of the
# arguments, and a comparison's boolean result as 0.0 / 1.0 (only ever emitted, never
# differentiated: the code is written for this backend after every transformation).
_NAMESPACE_OF = Primitive("array_namespace", "array_namespace", argnames=())
_AS_FLOAT = Primitive("as_float", "as_float", argnames=("mask", "like"))
# ``x[i]``: runtime/xp.py's getitem, which indexes the axes the index leaves out whole
# (``x[i, ...]``), as the standard asks, and clips slices to their axis, as NumPy does.
_GETITEM = Primitive("getitem_at_run_time", "getitem", argnames=("x",),
                     params=(("index", None),), required_params=1)


# ---------------------------------------------------------------------------- preparing the IR
def _refuse(what: str, loc) -> None:
    raise S2sadError(f"the array_api backend cannot run {what}", loc, HINT)


def _check(stmt, stacks: set) -> None:
    """Refuse an operation the array API backend does not spell (or not correctly)."""
    if not isinstance(stmt, Op):
        return
    prim, loc, name = stmt.prim, stmt.loc, stmt.prim.name
    if name == "new_list":
        if stmt.target not in stacks:
            _refuse("a list built by the code (only the tapes of loops are lists)", loc)
        return
    if name == "getitem":
        index = stmt.kwarg("index")
        if isinstance(index, Const) and not _basic(index.value):
            _refuse(f"the index {index.value!r} (integers, slices of step 1, None and ... "
                    "only)", loc)
        return
    if name in ("sum", "mean"):
        extra = [k for k, v in stmt.kwargs if k not in ("axis", "keepdims") and not (
            isinstance(v, Const) and v.value is None)]
        if extra:
            _refuse(f"{prim.spelling} with {', '.join(extra)}=", loc)
        return
    if name in _CREATION:
        dtype = stmt.kwarg("dtype")
        if dtype is not None and not (isinstance(dtype, Const) and dtype.value is None):
            _refuse(f"{prim.spelling} with dtype=", loc)
        fill = stmt.args[0] if name == "full" else Const(0.0)
        if not (isinstance(fill, Const) and type(fill.value) is float):
            # (an integer fill makes an integer array, which the standard does not mix
            # with floating ones)
            _refuse(f"{prim.spelling} of a value other than a float written in the code "
                    "(write it as a float, 2.0, or broadcast the value by arithmetic, "
                    "value + np.zeros(shape))", loc)
        return
    if name in SUPPORTED:
        return
    if name.startswith("math."):
        _refuse(f"a call of {prim.spelling} (it takes Python floats, not arrays)", loc)
    what = {"call": "a call of", "binop": "the operator", "unaryop": "the operator"}.get(
        prim.form, "the operation")
    _refuse(f"{what} {prim.spelling} (no array API version of it in s2sad)", loc)


def _basic(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    for item in items:
        if isinstance(item, slice):
            if item.step not in (None, 1):
                return False
        elif not (item is None or item is Ellipsis or type(item) is int or isinstance(
                item, str)):  # str: the name of a variable index, decided when it runs
            return False
    return True


def prepare(fn):
    """`fn` as the array API backend writes it: checked (what it cannot spell is refused with
    the location and a hint), ``x.T`` as a transpose, a comparison met by arithmetic made a
    float, and ``xp = array_namespace(...)`` first. Imports array_api_compat first, so its
    absence is the first thing said."""
    load_compat()
    if fn.recursions:
        raise S2sadError("the array_api backend cannot run a recursive function "
                         f"({', '.join(fn.recursions)})", None, HINT)
    stacks = {s.stack for s in walk(fn.body) if isinstance(s, Pop)}
    for stmt in walk(fn.body):
        _check(stmt, stacks)
    names = set(fn.source_names) | set(fn.params) | {
        s.target for s in walk(fn.body) if isinstance(s, Op)}
    if NAMESPACE in names:
        raise S2sadError(f"the array_api backend names the array namespace {NAMESPACE!r}, "
                         "which the function uses", None, f"rename {NAMESPACE!r} in it")
    masks = _masks(fn.body)
    body = _rewrite(fn.body, {m: _fresh(f"{m}_f", names) for m in masks})
    first = Op(NAMESPACE, _NAMESPACE_OF, tuple(Var(p) for p in fn.params))
    return dataclasses.replace(fn, body=[first, *body])


def _fresh(name: str, used: set) -> str:
    while name in used:
        name += "_"
    used.add(name)
    return name


def _masks(body) -> set:
    """The comparisons' targets that arithmetic reads."""
    compared = {s.target for s in walk(body) if isinstance(s, Op) and s.prim.name in
                _COMPARISONS}
    return {a.name for s in walk(body) if isinstance(s, Op) and s.prim.name in _ARITHMETIC
            for a in s.args if isinstance(a, Var) and a.name in compared}


def _rewrite(body: list, floats: dict) -> list:
    """`body` with ``x.T`` as ``transpose(x)``, arithmetic on a comparison's result reading
    its float (``t1_f = as_float(t1, x)``, right after each comparison that makes ``t1``)."""
    out = []
    for stmt in body:
        if stmt.BLOCKS:
            stmt = with_blocks(stmt, [_rewrite(block, floats) for block in children(stmt)])
        if not isinstance(stmt, Op):
            out.append(stmt)
            continue
        if stmt.prim.name == "transpose_T":
            stmt = dataclasses.replace(stmt, prim=REGISTRY.by_name["transpose"])
        elif stmt.prim.name == "getitem":
            stmt = _every_axis(stmt)
        elif stmt.prim.name in _ARITHMETIC and any(
                isinstance(a, Var) and a.name in floats for a in stmt.args):
            stmt = dataclasses.replace(stmt, args=tuple(
                Var(floats[a.name]) if isinstance(a, Var) and a.name in floats else a
                for a in stmt.args))
        out.append(stmt)
        if stmt.prim.name in _COMPARISONS and stmt.target in floats:
            like = next((a for a in stmt.args if isinstance(a, Var)), stmt.args[0])
            out.append(Op(floats[stmt.target], _AS_FLOAT, (Var(stmt.target), like),
                          loc=stmt.loc))
    return out


def _every_axis(stmt):
    """``x[index]`` as ``getitem(x, index)`` (runtime/xp.py), which indexes every axis of an
    array: NumPy takes ``x[0]`` of a matrix for its first row, the standard asks for
    ``x[0, ...]``, and NumPy clips slice bounds to the axis (``x[:2]`` of one row), which the
    standard leaves undefined. Decided when it runs: the value may be a tuple (``x.shape[0]``),
    the index a loop counter."""
    return dataclasses.replace(stmt, prim=_GETITEM)


# -------------------------------------------------------------------------- writing statements
def statement(stmt, backend):
    """``xp = array_namespace(x, y)``, the first line; None for every other statement."""
    if isinstance(stmt, Op) and stmt.prim is _NAMESPACE_OF:
        from .emit import _assign, _load, atom_expr

        call = ast.Call(func=_load("array_namespace"), args=[atom_expr(a) for a in stmt.args],
                        keywords=[])
        return [_assign(stmt.target, call)]
    return None


_SPELLINGS = {**{name: f"{NAMESPACE}.{spelled}" for name, spelled in {
    **_ELEMENTWISE, **_CREATION}.items()},
              **_HELPER_SPELLINGS}

ARRAY_API = register(Backend("array_api", spellings=_SPELLINGS,
                             helpers=LazyTable(_helper_table), prepare=prepare,
                             statement=statement))
