"""Static shape relations: which values provably have the same shape.

Reverse mode must sum a broadcast contribution down to its argument's shape (``unbroadcast``)
unless it provably has that shape already. Shapes are not known when the derivative is built,
but how they relate is: NumPy broadcasting is associative, commutative and idempotent, so the
shape of ``x * y + x`` is "the broadcast of the shapes of `x` and `y`" whatever they are. A
shape is therefore described by the set of *atoms* it is the broadcast of (the shapes of the
parameters, and of results whose shape is not derived from their arguments by broadcasting);
the empty set is a scalar. Two values whose descriptions are the same set have the same shape
in every execution.

A variable assigned more than once (a loop-carried value, a value set in both branches of an
``if``) can have several such shapes: its description is the set of alternatives. Only a
variable with exactly one alternative has a known shape. Anything not understood is ``None``:
unknown. The analysis is a fixed point over the whole function, so loops are covered.

A program specialised on its arguments' signature (``Function.param_shapes``) knows the
concrete shapes of some parameters. A concrete shape is an atom of its own (a tuple of ints);
the concrete atoms of an alternative are merged into their broadcast (a scalar's, ``()``, is
none), so ``x * y`` of two arrays of shape (100,) is described as (100,) like `x` itself. The
few operations whose result shape follows from their operands' concrete shapes by a rule
(``@``, ``.T``, a reduction over constant axes, indexing by a constant, a two-operand
``np.einsum`` with an explicit output) get a concrete shape
too; every other result stays opaque.
"""

from __future__ import annotations

import numpy as np

from .nodes import Const, Copy, For, If, Op, Pop, Var, While
from .traverse import assigned, children

#: A description: a frozenset of alternatives, each a frozenset of atom names; or None.
Shape = "frozenset[frozenset[str]] | None"

SCALAR = frozenset([frozenset()])
_PENDING = object()
_MAX_ALTERNATIVES = 8
_FULL_REDUCTIONS = {"sum", "mean", "prod", "amax", "amin", "nanmax", "nanmin", "ptp", "median",
                    "var", "std", "nansum", "nanmean", "average", "weighted_average", "norm",
                    "scipy.special.logsumexp"}
#: Primitives whose result has the shape of one of their arguments (its position).
SHAPE_OF_ARGUMENT = {"setitem": 0, "copy": 0, "stop_gradient": 0, "unbroadcast": 1,
                      "broadcast_like": 1, "broadcast_reduced": 1, "scatter_like": 2,
                      "scatter_add": 3, "scatter_add_into": 3, "extremum_weights": 0,
                      # a product's cotangents, each shaped like its operand
                      **{f"{product}_adjoint_{operand}": position
                         for product in ("matmul", "dot", "einsum")
                         for operand, position in (("x", 1), ("y", 2))}}


def _join(a, b):
    if a is None or b is None:
        return None
    joined = a | b
    return joined if len(joined) <= _MAX_ALTERNATIVES else None


def _broadcast(shapes):
    """The description of the broadcast of values described by `shapes`."""
    result = SCALAR
    for shape in shapes:
        if shape is None:
            return None
        result = frozenset(_merged(x | y) for x in result for y in shape)
        if None in result or len(result) > _MAX_ALTERNATIVES:
            return None
    return result


def _merged(alternative: frozenset):
    """`alternative` with its concrete atoms merged into their broadcast (None: they do not
    broadcast, so the operation fails; a scalar's shape is no atom)."""
    concrete = [atom for atom in alternative if type(atom) is tuple]
    if not concrete or len(concrete) == 1 and concrete[0]:
        return alternative
    try:
        shape = np.broadcast_shapes(*concrete)
    except ValueError:
        return None
    rest = alternative.difference(concrete)
    return rest | {shape} if shape else rest


def _matmul_shape(op, x, y):
    if not x or not y:
        return None
    a = (1, *x) if len(x) == 1 else x
    b = (*y, 1) if len(y) == 1 else y
    if a[-1] != b[-2]:
        return None
    try:
        out = (*np.broadcast_shapes(a[:-2], b[:-2]), a[-2], b[-1])
    except ValueError:
        return None
    if len(x) == 1:
        out = (*out[:-2], out[-1])
    return out[:-1] if len(y) == 1 else out


def reduced_axes(axis, ndim: int) -> tuple | None:
    """The axes a reduction over `axis` (None, an int or a tuple of ints, as given) of an
    `ndim`-dimensional array combines, sorted and counted from 0; None if `axis` is none."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if type(axis) is tuple else (axis,)
    if not all(type(a) is int and -ndim <= a < ndim for a in axes):
        return None
    return tuple(sorted({a % ndim for a in axes}))


def _reduced_shape(op, x):
    axis, keepdims = op.kwarg("axis", Const(None)), op.kwarg("keepdims", Const(False))
    if not (isinstance(axis, Const) and isinstance(keepdims, Const)) or (
            type(keepdims.value) is not bool):
        return None
    axes = reduced_axes(axis.value, len(x))
    if axes is None:
        return None
    if keepdims.value:
        return tuple(1 if i in axes else n for i, n in enumerate(x))
    return tuple(n for i, n in enumerate(x) if i not in axes)


def _basic_index(index) -> bool:
    items = index if type(index) is tuple else (index,)
    return all(type(i) in (int, slice) or i is None or i is Ellipsis for i in items)


def _indexed_shape(op, x):
    index = op.kwarg("index")
    if not (isinstance(index, Const) and _basic_index(index.value)):
        return None
    try:  # basic indexing of a broadcast view: NumPy's own rule, no data touched
        return np.broadcast_to(np.empty((), np.int8), x)[index.value].shape
    except (IndexError, ValueError, TypeError):
        return None


def _einsum_shape(op, x, y):
    """``np.einsum(subscripts, x, y)`` with an explicit output and no ellipsis."""
    subscripts = op.kwarg("subscripts")
    if not isinstance(subscripts, Const) or type(subscripts.value) is not str:
        return None
    inputs, arrow, output = subscripts.value.replace(" ", "").partition("->")
    parts = inputs.split(",")
    if not arrow or "." in subscripts.value or len(parts) != 2:
        return None
    sizes: dict = {}
    for labels, shape in zip(parts, (x, y)):
        if len(labels) != len(shape):
            return None
        for label, n in zip(labels, shape):
            if sizes.setdefault(label, n) != n and 1 not in (n, sizes[label]):
                return None
            sizes[label] = max(sizes[label], n)
    if any(label not in sizes for label in output):
        return None
    return tuple(sizes[label] for label in output)


def _constructed_shape(op):
    """The shape ``np.zeros(shape)``, ``np.ones(shape)``, ``np.full(v, shape=...)`` or
    ``np.eye(n)`` makes when it is a constant (None otherwise)."""
    name = op.prim.name
    if name in ("zeros", "ones"):
        shape = op.args[0] if op.args else op.kwarg("shape")
    elif name == "full":
        shape = op.kwarg("shape")
    elif op.prim.opaque and op.prim.spelling == "np.eye" and len(op.args) == 1 and (
            not op.kwargs) and isinstance(op.args[0], Const) and type(op.args[0].value) is int:
        return (op.args[0].value, op.args[0].value)
    else:
        return None
    if not isinstance(shape, Const):
        return None
    value = shape.value
    if type(value) is int:
        return (value,)
    if type(value) is tuple and all(type(n) is int for n in value):
        return value
    return None


#: Primitives whose result's concrete shape follows from their array operands' by a rule.
_CONCRETE_RULES = {"matmul": _matmul_shape, "transpose_T": lambda op, x: x[::-1],
                   "getitem": _indexed_shape, "einsum": _einsum_shape,
                   **{name: _reduced_shape for name in (
                       "sum", "mean", "prod", "amax", "amin", "nansum", "nanmean", "std",
                       "var")}}


def _exactly(shape: tuple):
    """The description of a value of the concrete `shape` (a scalar's is no atom)."""
    return frozenset([frozenset([shape] if shape else [])])


def _is_scalar_const(atom) -> bool:
    return isinstance(atom, Const) and isinstance(atom.value, (bool, int, float))


def _broadcasts_its_operands(prim) -> bool:
    """Whether `prim`'s result has the broadcast shape of all its operands."""
    if prim.broadcasts or prim.name in ("where", "broadcast_stand_in"):
        return True
    # One-argument elementwise functions (np.exp, abs, -x); not float(), which makes a scalar.
    return (prim.elementwise and len(prim.argnames) == 1 and not prim.params
            and prim.name != "float")


class _Analysis:
    def __init__(self, params, assigned_names, scalars=frozenset(), known=()):
        self.shapes: dict = {p: SCALAR if p in scalars else frozenset([frozenset([p])])
                             for p in params}
        for name, shape, _ in known:
            if name in self.shapes:
                self.shapes[name] = _exactly(shape)
        self.known = set(params) | set(assigned_names)
        self.changed = False

    def of(self, atom):
        if isinstance(atom, Var):
            if atom.name not in self.known:
                return None  # a global or a closure value: not analysed
            # Not yet assigned on this pass (a loop's back edge): nothing to add yet, the
            # fixed point comes back to it.
            return self.shapes.get(atom.name, frozenset())
        return SCALAR if _is_scalar_const(atom) else None

    def concrete(self, atom):
        """The concrete shape of `atom` (a tuple), None if not known, _PENDING if not yet
        assigned on this pass of the fixed point."""
        description = self.of(atom)
        return _PENDING if description == frozenset() else _concrete(description)

    def assign(self, name, shape):
        old = self.shapes.get(name, frozenset())
        new = _join(old, shape) if name in self.shapes else shape
        if new != old or name not in self.shapes:
            self.shapes[name] = new
            self.changed = True

    def op_shape(self, op: Op, in_loop: bool):
        prim = op.prim
        if prim.name in _FULL_REDUCTIONS and _reduces_everything(op):
            return SCALAR
        position = SHAPE_OF_ARGUMENT.get(prim.name)
        if position is not None and position < len(op.args):
            return self.of(op.args[position])
        if _broadcasts_its_operands(prim):
            # The result is the broadcast of every operand, parameters included.
            return _broadcast([self.of(a) for a in op.atoms()])
        made = _constructed_shape(op)
        if made is not None:
            return _exactly(made)
        rule = _CONCRETE_RULES.get(prim.name)
        if rule is not None:
            operands = [self.concrete(a) for a in op.args]
            if any(shape is _PENDING for shape in operands):
                return frozenset()  # an operand not yet assigned: the fixed point returns
            if all(shape is not None for shape in operands):
                shape = rule(op, *operands)
                if shape is not None:
                    return _exactly(shape)
        if in_loop:
            return None  # an opaque shape may differ from one iteration to the next
        return frozenset([frozenset([op.target])])

    def block(self, stmts, in_loop):
        for stmt in stmts:
            if isinstance(stmt, Op):
                self.assign(stmt.target, self.op_shape(stmt, in_loop))
            elif isinstance(stmt, Copy):
                self.assign(stmt.target, self.of(stmt.value))
            elif isinstance(stmt, Pop):
                for target in stmt.targets:
                    self.assign(target, None)
            elif isinstance(stmt, If):
                self.block(stmt.body, in_loop)
                self.block(stmt.orelse, in_loop)
            elif isinstance(stmt, (For, While)):
                if isinstance(stmt, For):
                    self.assign(stmt.target, SCALAR)
                for block in children(stmt):
                    self.block(block, True)


def _reduces_everything(op: Op) -> bool:
    axis, keepdims = op.kwarg("axis"), op.kwarg("keepdims")
    return (axis is None or axis == Const(None)) and (
        keepdims is None or keepdims == Const(False))


def shapes_of(fn) -> dict:
    """Each name of `fn` mapped to the description of its shape (None: unknown)."""
    analysis = _Analysis(fn.params, assigned(fn.body), fn.scalar_params, fn.param_shapes)
    analysis.changed = True
    while analysis.changed:
        analysis.changed = False
        analysis.block(fn.body, False)
    return analysis.shapes


def shapes_along(fn, static: dict):
    """Each statement of `fn`'s own block with the shapes of names just before it: `static`
    (:func:`shapes_of` of `fn`) made flow-sensitive along that block, where a name assigned
    again (``t4_bar = unbroadcast(t4_bar, t4)``) has its new shape from there on; a name
    assigned inside a compound statement has its fixed-point description after it. The dict
    yielded is updated as the walk goes on: read it before taking the next statement."""
    analysis = _Analysis(fn.params, assigned(fn.body), fn.scalar_params, fn.param_shapes)
    analysis.shapes = shapes = dict(static)
    for stmt in fn.body:
        yield stmt, shapes
        if isinstance(stmt, Op):
            shapes[stmt.target] = analysis.op_shape(stmt, False)
        elif isinstance(stmt, Copy):
            shapes[stmt.target] = analysis.of(stmt.value)
        else:
            for name in assigned([stmt]):
                shapes[name] = static.get(name)


def concrete_shape(shapes: dict, name: str):
    """The concrete shape (a tuple) `name` has in every execution, or None."""
    return _concrete(shapes.get(name))


def _concrete(description):
    if description is None or len(description) != 1:
        return None
    (alternative,) = description
    if not alternative:
        return ()
    (atom,) = alternative if len(alternative) == 1 else (None,)
    return atom if type(atom) is tuple else None


def same_shape(shapes: dict, a: str, b: str) -> bool:
    """True if `a` and `b` provably have the same shape whenever both are defined."""
    sa, sb = shapes.get(a), shapes.get(b)
    return sa is not None and sa == sb and len(sa) == 1
