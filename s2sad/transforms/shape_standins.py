"""Shape stand-ins: a value the derivative code reads only for its shape is not computed.

A reverse sweep often reads a forward value only as the ``like`` of an adjoint helper
(``unbroadcast(g, t11)``, ``broadcast_reduced(g, t11)``, ``reduced_size(t11)``). When that
value is an elementwise result (``t11 = t6 + t10``, ``t6 = y * t5``, ``t5 = np.log(p)``...),
its shape is the broadcast of the shapes of the operands it was made from, so a cheaper value
stands in for it:

    t11 = t6 + t10        becomes    t11 = broadcast_stand_in(y, p)    (or ``t11 = p``)

and dead-code elimination then drops the chain (logistic regression's two ``np.log`` of the
loss). The leaves are found by following assignments back through elementwise operations;
only names assigned once are followed, so a leaf holds the same value where the stand-in reads
it as where the elementwise chain read it. A stand-in has the result's shape; its dtype is the
operands' (what ``broadcast_reduced`` reads of a floating ``like``), which is the result's for
arithmetic and for floating functions of floating operands.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

from ..ir import Const, Copy, Function, Op, Var, children, map_block, walk
from .usage import counts_of, replaced

#: Helpers that read one argument for its shape only, and its position.
SHAPE_READS = {"unbroadcast": 1, "broadcast_like": 1, "broadcast_reduced": 1, "reduced_size": 0}
#: At most this many leaves: the arity of broadcast_stand_in.
MAX_LEAVES = 4
_SCALAR_CONSTANTS = (bool, int, float, complex)
#: Elementwise in form, but not shaped or typed like their operands: float() makes a Python
#: scalar, the casts set a dtype, setitem writes into its first operand.
_RETYPING = frozenset({"float", "float32", "float64", "setitem"})


def stand_in_shapes(fn: Function, counts=counts_of) -> Function:
    """`fn` with every elementwise result that is read only for its shape replaced by a
    stand-in made of the operands it came from (see the module docstring)."""
    uses, assigned = counts(fn)
    shape_reads: Counter = Counter()
    for stmt in walk(fn.body):
        if type(stmt) is Op:
            position = SHAPE_READS.get(stmt.prim.name)
            if position is not None and len(stmt.args) > position:
                atom = stmt.args[position]
                if type(atom) is Var:
                    shape_reads[atom.name] += 1
    if not shape_reads:
        return fn
    defs: dict = {}  # name -> (statement, the blocks enclosing it, innermost last)
    _definitions(fn.body, (), assigned, defs)
    chosen = {}
    for name, count in shape_reads.items():
        stmt, chain = defs.get(name, (None, ()))
        if count != uses[name] or stmt is None or not _elementwise(stmt):
            continue
        finder = _Leaves(defs, assigned, set(chain))
        leaves = finder.of(name)
        if leaves == [name] or len(leaves) > MAX_LEAVES:
            continue
        # A helper call in place of one operation reads worse and saves nothing: a stand-in
        # of several operands must make more than the one operation dead.
        if len(leaves) == 1 or len(_dead_with(name, finder.followed, defs, uses)) > 1:
            chosen[name] = leaves
    if not chosen:
        return fn

    def visit(stmt):
        leaves = chosen.get(stmt.target) if type(stmt) is Op else None
        if leaves is None:
            return stmt
        if len(leaves) == 1:
            return Copy(stmt.target, Var(leaves[0]), stmt.loc)
        return dataclasses.replace(stmt, prim=_stand_in(), args=tuple(Var(v) for v in leaves),
                                   kwargs=())

    return replaced(fn, map_block(fn.body, visit))


def _dead_with(name: str, followed: set, defs: dict, uses: Counter) -> set:
    """The operations (of `followed`) nobody reads once `name` is a stand-in."""
    dead = {name}
    reads: Counter = Counter()
    frontier = [name]
    while frontier:
        stmt = defs[frontier.pop()][0]
        for atom in (stmt.value,) if type(stmt) is Copy else stmt.args:
            if type(atom) is Var and atom.name in followed and atom.name not in dead:
                reads[atom.name] += 1
                if reads[atom.name] == uses[atom.name]:
                    dead.add(atom.name)
                    frontier.append(atom.name)
    return dead


def _definitions(body: list, chain: tuple, assigned: Counter, defs: dict) -> None:
    """Fill `defs` with the operations and copies of names assigned once, each with the
    chain of blocks around it."""
    chain = (*chain, id(body))
    for stmt in body:
        if type(stmt) in (Op, Copy) and assigned[stmt.target] == 1:
            defs[stmt.target] = (stmt, chain)
        for block in children(stmt):
            _definitions(block, chain, assigned, defs)


def _stand_in():
    if not _STAND_IN:  # looked up once, when first needed: ir code does not import the rules
        from ..rules.registry import REGISTRY

        _STAND_IN.append(REGISTRY.by_name["broadcast_stand_in"])
    return _STAND_IN[0]


_STAND_IN: list = []  # the primitive, looked up once (ir must not import the rules at load)


def _elementwise(stmt) -> bool:
    """Whether `stmt`'s result is shaped like the broadcast of its operands, and typed like
    them: an elementwise operation on arrays, with no parameters (a dtype= would retype)."""
    if type(stmt) is not Op:
        return False
    prim = stmt.prim
    return ((prim.elementwise or prim.broadcasts) and prim.differentiable and not stmt.kwargs
            and prim.form in ("call", "binop", "unaryop", "attribute") and not prim.variadic
            and prim.name not in _RETYPING and not prim.name.startswith("math."))


class _Leaves:
    """The operands an elementwise result's shape comes from. Only definitions in the
    result's own block or a block around it are followed (`scope`): their operands hold,
    where the result is, the values they held when those definitions ran (a definition in a
    loop the result is after may have been skipped on the last trip by a break)."""

    def __init__(self, defs: dict, assigned: Counter, scope: set):
        self.defs, self.assigned, self.scope, self.memo = defs, assigned, scope, {}
        self.followed: set = set()  # the names whose definitions were followed

    def of(self, name: str) -> list:
        """Leaf names, in first-seen order; ``[name]`` when `name` is itself a leaf."""
        if name not in self.memo:
            self.memo[name] = [name]  # a cycle (none in SSA code) stops here
            self.memo[name] = self._expand(name)
        return self.memo[name]

    def _expand(self, name: str) -> list:
        stmt, chain = self.defs.get(name, (None, ()))
        if stmt is None or chain[-1] not in self.scope:
            return [name]
        atoms = [stmt.value] if type(stmt) is Copy else stmt.args if _elementwise(stmt) else None
        if atoms is None:
            return [name]
        leaves: list = []
        for atom in atoms:
            if type(atom) is Const:
                if type(atom.value) not in _SCALAR_CONSTANTS:  # an array, or a NumPy scalar
                    return [name]  # whose dtype would count: the result is its own leaf
                continue
            if type(atom) is not Var or self.assigned[atom.name] != 1:
                return [name]
            for leaf in self.of(atom.name):
                if leaf not in leaves:
                    leaves.append(leaf)
        if not leaves:
            return [name]
        self.followed.add(name)
        return leaves
