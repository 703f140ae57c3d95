"""What a program specialised on its arguments' shapes can settle when it is built.

A derivative program built for one signature of its arguments (``Function.param_shapes``,
see ``api/signatures.py``) knows the concrete shapes of its array parameters, and the shape
analysis (``ir/shapes.py``) carries them through broadcasting, ``@``, reductions over
constant axes and constant indexing. Two helpers then do nothing at run time and go:

- ``unbroadcast(v, like)`` where `v` provably has `like`'s concrete shape is `v`, and where
  their shapes are known and differ, the one ``np.sum`` it would do (over the leading axes
  broadcasting added, or ``keepdims`` over the axes of length 1 it widened);
- ``reduced_size(x, axis)`` of a concrete shape is a number.

A program built for floats (``Function.scalar_params``) knows those parameters are Python
floats (or np.float64), so ``1.0 * x`` of one is `x` itself. After the optimizer, negations
that cancel go too (``transforms/negations.py``).

Every replacement is exact: the helpers return `v`, that sum and that number for those
shapes. What
they read only for its shape (a ``broadcast_stand_in``) is then dropped as dead code.

Constants are folded too: a name assigned a Python number once, in the function's own block
(the seed ``t5_bar = 1.0``), is replaced by it where it is read, and arithmetic on Python
numbers only (``-1.0``, ``-1.0 / 100``) is done here, with the operators the program would
use on the same numbers, so the result is the same float. The general program keeps those
lines: they are the lecture's trace (a seed of 1, its negation), and it is what
``s2sad.source`` shows.
"""

from __future__ import annotations

import math

from ..ir import Const, Copy, Function, Op, Var
from ..ir.shapes import concrete_shape, reduced_axes, shapes_along, shapes_of
from ..ir.traverse import map_block, rewrite, targets, walk
from ..rules import REGISTRY

#: Arithmetic folded on Python numbers (the operator the generated code would apply).
_FOLDED = {"add", "sub", "mul", "truediv", "neg", "pos"}


def settle_known_shapes(fn: Function) -> Function:
    """`fn` with the helpers its known shapes make idle replaced by copies, and the values
    they settle folded in; `fn` itself when it knows no shape or nothing changes. A fold can
    make more shapes known (``np.zeros((k, d, d))`` once k and d are numbers), so the pass
    runs again while it changes something, a few rounds at most."""
    if not (fn.param_shapes or fn.scalar_params):
        return fn
    for _ in range(_ROUNDS):
        settled = _settled(fn)
        if settled is fn:
            break
        fn = settled
    return fn


_ROUNDS = 4


def _settled(fn: Function) -> Function:
    """One round of :func:`settle_known_shapes`."""
    static = shapes_of(fn)
    # Only a name set once, by a statement of the function's own block (it runs before
    # every later statement, whatever the loops and branches do), and not a parameter.
    once = _assigned_once(fn.body) & {t for s in fn.body if not s.BLOCKS for t in targets(s)}
    once -= set(fn.params)
    known: dict = {}  # names assigned once a value known now (a number, a shape) -> it
    lists: dict = {}  # lists built of known values (shape tuples in the making) -> items

    def read(atom):
        return Const(known[atom.name]) if isinstance(atom, Var) and (
            atom.name in known) else atom

    def visit(stmt, shapes):
        stmt = rewrite(stmt, atom=read) if known else stmt
        if isinstance(stmt, Op):
            name = stmt.prim.name
            if name == "unbroadcast":
                stmt = _unbroadcast(stmt, shapes)
            elif name == "reduced_size":
                stmt = _reduced_size(stmt, shapes)
            elif name in _FOLDED:
                stmt = _folded(stmt, fn.scalar_params)
            else:
                stmt = _shape_value(stmt, shapes, lists, stmt.target in once)
        if isinstance(stmt, Copy) and stmt.target in once and _known(stmt.value):
            known[stmt.target] = stmt.value.value
        return stmt

    body = []
    for stmt, shapes in shapes_along(fn, static):
        if stmt.BLOCKS:  # inside: the fixed point's shapes (a name's every alternative)
            stmt = map_block([stmt], lambda s: visit(s, static))[0]
        else:  # the function's own block: each name's shape where it is read
            stmt = visit(stmt, shapes)
        body.append(stmt)
    if all(a is b for a, b in zip(body, fn.body)):
        return fn
    return fn.replace(body=body)


def _known(atom) -> bool:
    """Whether `atom` is a constant that may stand for the name holding it: a number, or a
    shape-like tuple of ints, slices and None (immutable, built by the code itself)."""
    if not isinstance(atom, Const):
        return False
    value = atom.value
    if type(value) is tuple:
        return all(type(v) in (int, slice) or v is None for v in value)
    return type(value) in (int, float) or type(value) is slice


def _shape_value(op: Op, shapes: dict, lists: dict, once: bool):
    """`op` done now when it computes a value its known shapes settle: ``x.shape``,
    ``np.shape(x)``, ``len(x)``, an entry of a known tuple, ``slice`` and tuples of known
    parts, and the tuple of a list built from known values (``tuple([k, d, d])``)."""
    name, args = op.prim.name, op.args
    if name == "new_list" and once:
        lists[op.target] = ()
        return op
    if name == "list_append" and once and isinstance(args[0], Var) and (
            args[0].name in lists) and isinstance(args[1], Const) and _known(args[1]):
        lists[op.target] = (*lists[args[0].name], args[1].value)
        return op
    if name == "as_tuple" and isinstance(args[0], Var) and args[0].name in lists:
        return _constant(op, tuple(lists[args[0].name]))
    if name in ("shape_attr", "shape", "len") and isinstance(args[0], Var):
        shape = concrete_shape(shapes, args[0].name)
        # A 0-d value may be a Python number, which has no .shape and no len(): only
        # np.shape is sure of it.
        if shape is None or not shape and name != "shape":
            return op
        return _constant(op, shape[0] if name == "len" else shape)
    if name == "getitem" and isinstance(args[0], Const) and type(args[0].value) is tuple:
        index = op.kwarg("index")
        if isinstance(index, Const) and type(index.value) is int and (
                -len(args[0].value) <= index.value < len(args[0].value)):
            return _constant(op, args[0].value[index.value])
        return op
    if name in ("slice", "tuple") and not op.kwargs and all(
            isinstance(a, Const) and (_known(a) or a.value is None) for a in args):
        values = tuple(a.value for a in args)
        return _constant(op, slice(*values) if name == "slice" else values)
    return op


def _constant(op: Op, value):
    constant = Const(value)
    return Copy(op.target, constant, op.loc) if _known(constant) else op


def _shape(atom, static):
    return concrete_shape(static, atom.name) if isinstance(atom, Var) else None


def _unbroadcast(op: Op, static):
    value, like = op.args
    shape, target = _shape(value, static), _shape(like, static)
    if shape is None or target is None:
        return op
    if shape == target:
        return Copy(op.target, value, op.loc)
    # The sum runtime.unbroadcast would do, as one np.sum, when it is one: over the leading
    # axes broadcasting added, or over the axes of length 1 it widened (keepdims).
    extra = len(shape) - len(target)
    widened = tuple(i for i, n in enumerate(target) if n == 1 and shape[extra + i] != 1)
    if extra > 0 and not widened:
        kwargs = (("axis", Const(tuple(range(extra)))),)
    elif extra == 0 and widened:
        kwargs = (("axis", Const(widened)), ("keepdims", Const(True)))
    else:
        return op
    return Op(op.target, REGISTRY.by_name["sum"], (value,), kwargs, op.loc)


def _reduced_size(op: Op, static):
    shape = _shape(op.args[0], static)
    axis = op.kwarg("axis", Const(None))
    axes = None if shape is None or not isinstance(axis, Const) else reduced_axes(
        axis.value, len(shape))
    if axes is None:
        return op
    return Copy(op.target, Const(math.prod(shape[a] for a in axes)), op.loc)


def is_number(atom) -> bool:
    """Whether `atom` is a constant Python int or float (not a bool)."""
    return isinstance(atom, Const) and type(atom.value) in (int, float)


def _assigned_once(body) -> set:
    seen, again = set(), set()
    for stmt in walk(body):
        for name in targets(stmt):
            (again if name in seen else seen).add(name)
    return seen - again


def _folded(op: Op, floats: frozenset):
    """`op` done now when it is arithmetic on Python numbers with a finite result; `1.0 *
    x` is `x` where `x` is a parameter given a float (`floats`)."""
    if op.kwargs:
        return op
    if op.prim.name == "mul":
        for one, x in (op.args, op.args[::-1]):
            if is_number(one) and one.value == 1.0 and isinstance(x, Var) and x.name in floats:
                return Copy(op.target, x, op.loc)
    if not all(is_number(a) for a in op.args):
        return op
    try:
        value = op.prim.impl(*(a.value for a in op.args))
    except ArithmeticError:  # 1.0 / 0: left to run (and fail) as written
        return op
    if not math.isfinite(value):
        return op
    return Copy(op.target, Const(value), op.loc)
