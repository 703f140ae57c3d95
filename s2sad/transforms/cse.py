"""Common-subexpression elimination within a block."""

from __future__ import annotations

from ..ir import (
    Copy,
    Function,
    Op,
    Var,
    children,
    with_blocks,
)
from ..ir import (
    assigned as assigned_in,
)
from .usage import COMPOUND, counts_of, replaced


def _hashable(value):
    """`value` as a key: a slice (unhashable before Python 3.12, so ``x[:-1]`` read twice would
    never be merged) as its three fields, inside tuples too."""
    if type(value) is slice:
        value = (value.start, value.stop, value.step)
        return ("slice", *((type(v), _hashable(v)) for v in value))
    if type(value) is tuple:
        return tuple((type(v), _hashable(v)) for v in value)
    return value


def _cse_key(op: Op, part):
    """What makes `op` the same as another operation (its primitive and the values it reads),
    or None when it reads an unhashable constant."""
    args = [part(atom) for atom in op.args]
    kwargs = [(name, part(atom)) for name, atom in op.kwargs]
    key = (op.prim.name, tuple(args), tuple(kwargs))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _merged(stmt: Op, seen, holders, same, added, part, assigned, reassigned):
    """`stmt`, or a copy of the earlier operation it repeats; and whether it was merged.

    A target assigned once becomes a value number (`same`), as before. A target assigned
    more than once (an adjoint accumulated in place, ``q_bar = g * q`` before
    ``q_bar = q_bar + ...``) holds its value only until it is assigned again: it may be the
    first of a repeat until then (`holders` forgets it), and a repeat into it is a copy."""
    prim = stmt.prim
    key = None
    if prim.pure and prim.name != "new_list":
        # (each new_list call makes a distinct list; impure calls may draw anew)
        key = _cse_key(stmt, part)
    single = assigned[stmt.target] == 1
    first = seen.get(key) if key is not None else None
    if not single:
        reassigned(stmt.target)
    if first is not None:
        if single:
            same[stmt.target] = first
            added.append(stmt.target)
        return Copy(stmt.target, Var(first), stmt.loc), True
    if key is not None:
        seen[key] = stmt.target
        if not single:
            holders.setdefault(stmt.target, []).append(key)
    return stmt, False


def _forget(name: str, generation: dict, holders: dict, seen: dict) -> None:
    """`name` is assigned again: it no longer holds the values it was seen with, and its reads
    from here on read another value (its generation)."""
    generation[name] = generation.get(name, 0) + 1
    for key in holders.pop(name, ()):
        if seen.get(key) == name:
            del seen[key]


def _number_copy(stmt: Copy, value, same: dict, added: list) -> None:
    """After ``a = b`` (both assigned once), a read of `a` counts as a read of `b`."""
    try:
        hash(value)
    except TypeError:  # an unhashable constant
        return
    same[stmt.target] = value
    added.append(stmt.target)


def eliminate_common_subexpressions(fn: Function, counts=counts_of) -> Function:
    """Reuse an earlier identical operation of the same block whose inputs are never
    reassigned, while its result still holds.

    A repeat becomes a copy of the first. Operations are compared by the values they read:
    after ``a = b`` (both assigned once) or after ``b1`` is found to repeat ``a1``, a read of
    ``a`` or ``b1`` counts as a read of ``b`` or ``a1`` in the rest of the block and the
    blocks inside it, so ``b2 = b1 * x`` repeats ``a2 = a1 * x`` in the same sweep.
    """
    assigned = counts(fn)[1]
    params = set(fn.params)
    same: dict = {}  # name -> the key part of the value it holds (a name or a constant)

    generation: dict = {}  # name assigned more than once -> how often it was, so far

    def part(atom):
        if type(atom) is Var:
            name = atom.name
            if assigned[name] > 1:  # the value it holds now: its name and generation
                return ("@", name, generation.get(name, 0))
            return same.get(name, name)
        return (type(atom.value), _hashable(atom.value))  # as Const compares: 1 and 1.0 differ

    def block(stmts: list) -> list:
        seen: dict = {}  # key -> name of the first operation
        holders: dict = {}  # name assigned more than once -> the keys whose value it holds
        added = []  # names given a value in `same` here, forgotten after the block
        out = []
        changed = False

        def reassigned(name):
            _forget(name, generation, holders, seen)

        for stmt in stmts:
            kind = type(stmt)
            if kind is Op:
                stmt, merged = _merged(stmt, seen, holders, same, added, part, assigned,
                                       reassigned)
                changed |= merged
            elif kind is Copy and not stmt.carry and assigned[stmt.target] == 1 and (
                stmt.target not in params
            ) and (type(stmt.value) is not Var or assigned[stmt.value.name] <= 1):
                _number_copy(stmt, part(stmt.value), same, added)
            elif isinstance(stmt, COMPOUND):
                old_blocks = children(stmt)
                blocks = [block(b) for b in old_blocks]
                if any(b is not o for b, o in zip(blocks, old_blocks)):
                    stmt = with_blocks(stmt, blocks)
                    changed = True
            for name in (assigned_in([stmt]) if kind is not Op else ()):
                reassigned(name)
            out.append(stmt)
        for name in added:
            del same[name]
        return out if changed else stmts

    return replaced(fn, block(fn.body))
