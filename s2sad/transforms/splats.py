"""Constant arrays that stay numbers, in programs specialised on a signature.

The adjoint of a mean or a sum gives every entry the same number: ``t11_bar =
broadcast_reduced(-0.01, t11)`` is an array of -0.01 shaped like t11 (a *splat*), multiplied
next with an array of that very shape. Where a splat meets an array of its full shape in
``+ - * /`` (or ``safe_mul``/``safe_div``), the number can stand for it: ``-0.01 * t7`` has
the entries, the shape and the dtype of ``full(-0.01) * t7``, one array less. A splat and a
Python number make another splat (``t13 = t10_bar * 2.0``: the number folded here with the
float arithmetic NumPy would do per entry). The splat's own line stays for any other reader,
and goes as dead code when nobody reads it.

The same holds for an array spread by ``broadcast_reduced`` where it broadcasts entry for
entry as the spread array holds it (a reduction that kept its axes, ``keepdims=True``, or
removed leading axes only, or a scalar): ``t20 = t4_bar * t3`` instead of spreading t4_bar
over t3's shape first.

A reduction that removed other axes is read through a view with them put back
(``np.expand_dims``), and arithmetic of a spread array and a number is done on the array
before it was spread, into a name of its own (``t95_kept = t24_bar_kept * 2.0``): the
Gaussian mixture's (n, k, d) cotangents of ``Qx ** 2`` become (n, k, 1) ones.

The dtype is the condition for numbers: a Python number next to a float32 array keeps
float32 where the float64 splat would widen it. So numbers (and 0-d values) stand for splats
only in programs whose every value is float64, an integer or a boolean: parameters of those
dtypes (the signature says), no global or closure value read, and only operations that
cannot make a narrower float (arithmetic, NumPy's ufuncs, products, reductions, indexing
and the adjoint helpers). A spread array has the dtype of the array spread, so arrays need
no such condition.
"""

from __future__ import annotations

import math

import numpy as np

from ..ir import Const, Function, Op, Var
from ..ir.names import NameSource
from ..ir.shapes import concrete_shape, reduced_axes, shapes_along, shapes_of
from ..ir.traverse import assigned, reads, targets, walk
from ..rules import REGISTRY
from .known_shapes import is_number

_ARITHMETIC = {"add", "sub", "mul", "truediv"}
_NARROWING = {"dtype", "out", "casting", "signature", "sig"}  # keywords that may set a dtype
#: Calls without rules that make float64, integer or boolean arrays unless given a dtype (or
#: values of another dtype, which a program of such values does not hold).
_CONSTRUCTORS = {"np.arange", "np.zeros", "np.ones", "np.eye", "np.zeros_like", "np.ones_like",
                 "np.full", "np.full_like", "np.triu_indices", "np.tril_indices",
                 "np.diag_indices", "np.indices"}
_SAFE = {"safe_mul", "safe_div"}
#: Operations besides ufuncs whose results are float64, integers or booleans when their
#: operands are.
_WIDE = _ARITHMETIC | _SAFE | {
    "neg", "pos", "pow", "matmul", "dot", "sum", "mean", "prod", "amax", "amin", "getitem",
    "transpose_T", "reshape", "tuple", "len", "shape", "arange", "where", "maximum", "minimum",
    "broadcast_reduced", "broadcast_stand_in", "broadcast_like", "unbroadcast",
    "reduced_size", "scatter_like", "scatter_add", "zeros_like", "scalar_seed",
    "extremum_weights", "matmul_adjoint_x", "matmul_adjoint_y", "dot_adjoint_x",
    "dot_adjoint_y", "new_list", "list_append"}


def spread_splats(fn: Function) -> Function:
    """`fn` with splats read as numbers, and spread arrays as themselves, where that is exact
    (see the module docstring)."""
    if not fn.param_shapes:
        return fn
    wide = _wide(fn)
    static = shapes_of(fn)
    names = NameSource.for_function(fn)
    # name -> (atom spread, like atom, shape, its number or None): the name holds `atom`
    # spread over `shape`; a number when the atom is one (a splat proper)
    splats: dict = {}
    body = []
    for stmt, shapes in shapes_along(fn, static):
        made, before = None, ()
        if not stmt.BLOCKS:
            stmt, made, before = _visit(stmt, shapes, splats, names, wide)
        for name in assigned([stmt]) if stmt.BLOCKS else targets(stmt):
            splats.pop(name, None)
            for key in [k for k, entry in splats.items() if entry[0] == Var(name)]:
                del splats[key]  # what it spreads is assigned again
        if made is not None:
            splats[stmt.target] = made
        body.extend(before)
        body.append(stmt)
    if len(body) == len(fn.body) and all(a is b for a, b in zip(body, fn.body)):
        return fn
    return fn.replace(body=body)


def _wide(fn: Function) -> bool:
    for _, _, dtype in fn.param_shapes:
        if dtype not in ("f8", "py") and dtype[0] not in "iub":
            return False
    if reads(fn.body) - set(fn.params) - assigned(fn.body):
        return False  # a global or closure value, of any dtype
    for stmt in walk(fn.body):
        if not isinstance(stmt, Op):
            continue
        if stmt.prim.name not in _WIDE and not isinstance(stmt.prim.impl, np.ufunc) and not (
                stmt.prim.opaque and stmt.prim.spelling in _CONSTRUCTORS):
            return False
        if any(key in _NARROWING for key, _ in stmt.kwargs):  # np.add(..., dtype=...)
            return False
    return True


def _visit(stmt, shapes: dict, splats: dict, names, wide: bool):
    """``(statement, the spread its target holds or None, statements to put before it)``."""
    if not isinstance(stmt, Op) or stmt.kwargs and stmt.prim.name != "broadcast_reduced":
        return stmt, None, ()
    name, args = stmt.prim.name, stmt.args
    if name == "broadcast_reduced":
        return _spread(stmt, shapes, names, wide)
    held = [a.name in splats if isinstance(a, Var) else False for a in args]
    if sum(held) != 1:
        return stmt, None, ()
    position = held.index(True)
    atom, like, shape, value = splats[args[position].name]
    if name == "neg":
        if value is not None:
            return (*_splat(stmt, -value, like, shape), ())
        return _smaller(stmt, (atom,), like, shape, names)
    if name not in _ARITHMETIC | _SAFE or len(args) != 2:
        return stmt, None, ()
    other = args[1 - position]
    if is_number(other) and name in _ARITHMETIC:
        if value is None:  # the array itself, combined with the number
            operands = (atom, other) if position == 0 else (other, atom)
            return _smaller(stmt, operands, like, shape, names)
        operands = (value, other.value) if position == 0 else (other.value, value)
        with np.errstate(all="ignore"):  # 1.0 / 0.0: inf, not folded (below)
            folded = float(stmt.prim.impl(*map(np.float64, operands)))
        return (*_splat(stmt, folded, like, shape), ())
    if isinstance(other, Var) and concrete_shape(shapes, other.name) == shape:
        new = list(args)
        new[position] = atom  # broadcasting spreads it over `other` as the array did
        return Op(stmt.target, stmt.prim, tuple(new), (), stmt.loc), None, ()
    return stmt, None, ()


def _smaller(stmt: Op, operands: tuple, like, shape, names):
    """`stmt` kept (other readers may want the full array), and before it the same operation
    on the array before it was spread, into a name of its own that stands for the target."""
    small = names.derived(f"{stmt.target}_kept")
    before = Op(small, stmt.prim, operands, (), stmt.loc)
    return stmt, (Var(small), like, shape, None), (before,)


def _spread(stmt: Op, shapes: dict, names, wide: bool):
    """``broadcast_reduced(v, like, axis, keepdims)``, the spread it makes (when `like`'s
    shape is known and `v` spreads entry for entry: a number or scalar, where every value is
    float64, an integer or a boolean, so the dtype is the array's; a reduction that kept its
    axes or removed leading ones only, as it is; one that removed others, through a view with
    those axes put back), and the statements to put before it."""
    v, like = stmt.args
    shape = concrete_shape(shapes, like.name) if isinstance(like, Var) else None
    if not shape:
        return stmt, None, ()
    if isinstance(v, Const):
        if wide and type(v.value) is float:
            return stmt, (v, like, shape, v.value), ()
        return stmt, None, ()
    own = concrete_shape(shapes, v.name) if isinstance(v, Var) else None
    axis, keepdims = stmt.kwarg("axis", Const(None)), stmt.kwarg("keepdims", Const(False))
    if own is None or not (isinstance(axis, Const) and isinstance(keepdims, Const)):
        return stmt, None, ()
    if own == ():
        return stmt, ((v, like, shape, None) if wide else None), ()
    axes = None if axis.value is None else reduced_axes(axis.value, len(shape))
    if axes is None:
        return stmt, None, ()
    if keepdims.value is True or axes == tuple(range(len(axes))):
        fits = len(own) == len(shape) if keepdims.value is True else own == shape[len(axes):]
        return stmt, ((v, like, shape, None) if fits and _broadcasts(own, shape) else None), ()
    if own != tuple(n for i, n in enumerate(shape) if i not in axes):
        return stmt, None, ()
    kept = names.derived(f"{stmt.target}_kept")
    view = Op(kept, REGISTRY.by_name["expand_dims"], (v,), (("axis", Const(axes)),),
              stmt.loc)
    return stmt, (Var(kept), like, shape, None), (view,)


def _broadcasts(own: tuple, shape: tuple) -> bool:
    try:
        return np.broadcast_shapes(own, shape) == shape
    except ValueError:
        return False


def _splat(stmt: Op, value: float, like, shape):
    """`stmt` made the splat of `value` shaped like `like` (None when it is not finite)."""
    if not math.isfinite(value):
        return stmt, None
    return (Op(stmt.target, REGISTRY.by_name["broadcast_reduced"], (Const(value), like), (),
               stmt.loc), (Const(value), like, shape, value))
