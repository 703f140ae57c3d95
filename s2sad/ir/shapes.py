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
"""

from __future__ import annotations

from .nodes import Const, Copy, For, If, Op, Pop, Var, While
from .traverse import assigned, children

#: A description: a frozenset of alternatives, each a frozenset of atom names; or None.
Shape = "frozenset[frozenset[str]] | None"

SCALAR = frozenset([frozenset()])
_MAX_ALTERNATIVES = 8
_FULL_REDUCTIONS = {"sum", "mean", "prod", "amax", "amin", "nanmax", "nanmin", "ptp", "median",
                    "var", "std", "nansum", "nanmean", "average", "weighted_average", "norm",
                    "scipy.special.logsumexp"}
#: Primitives whose result has the shape of one of their arguments (its position).
SHAPE_OF_ARGUMENT = {"setitem": 0, "copy": 0, "stop_gradient": 0, "unbroadcast": 1,
                      "broadcast_like": 1, "broadcast_reduced": 1, "scatter_like": 2,
                      "scatter_add": 3, "scatter_add_into": 3}


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
        result = frozenset(x | y for x in result for y in shape)
        if len(result) > _MAX_ALTERNATIVES:
            return None
    return result


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
    def __init__(self, params, assigned_names, scalars=frozenset()):
        self.shapes: dict = {p: SCALAR if p in scalars else frozenset([frozenset([p])])
                             for p in params}
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
    analysis = _Analysis(fn.params, assigned(fn.body), fn.scalar_params)
    analysis.changed = True
    while analysis.changed:
        analysis.changed = False
        analysis.block(fn.body, False)
    return analysis.shapes


def same_shape(shapes: dict, a: str, b: str) -> bool:
    """True if `a` and `b` provably have the same shape whenever both are defined."""
    sa, sb = shapes.get(a), shapes.get(b)
    return sa is not None and sa == sb and len(sa) == 1
