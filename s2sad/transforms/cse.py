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
from .usage import COMPOUND, counts_of, replaced


def _cse_key(op: Op, part, assigned):
    """What makes `op` the same as another operation (its primitive and the values it reads),
    or None when it reads a name assigned more than once or an unhashable constant."""
    args = []
    for atom in op.args:
        if type(atom) is Var and assigned[atom.name] > 1:
            return None
        args.append(part(atom))
    kwargs = []
    for name, atom in op.kwargs:
        if type(atom) is Var and assigned[atom.name] > 1:
            return None
        kwargs.append((name, part(atom)))
    key = (op.prim.name, tuple(args), tuple(kwargs))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def eliminate_common_subexpressions(fn: Function, counts=counts_of) -> Function:
    """Reuse an earlier identical operation of the same block whose inputs are never
    reassigned.

    A repeat becomes a copy of the first. Operations are compared by the values they read:
    after ``a = b`` (both assigned once) or after ``b1`` is found to repeat ``a1``, a read of
    ``a`` or ``b1`` counts as a read of ``b`` or ``a1`` in the rest of the block and the
    blocks inside it, so ``b2 = b1 * x`` repeats ``a2 = a1 * x`` in the same sweep.
    """
    assigned = counts(fn)[1]
    params = set(fn.params)
    same: dict = {}  # name -> the key part of the value it holds (a name or a constant)

    def part(atom):
        if type(atom) is Var:
            return same.get(atom.name, atom.name)
        return (type(atom.value), atom.value)  # as Const compares: 1 and 1.0 differ

    def block(stmts: list) -> list:
        seen: dict = {}  # key -> name of the first operation
        added = []  # names given a value in `same` here, forgotten after the block
        out = []
        changed = False
        for stmt in stmts:
            kind = type(stmt)
            if kind is Op:
                prim = stmt.prim
                key = None
                if assigned[stmt.target] == 1 and prim.pure and prim.name != "new_list":
                    # (each new_list call makes a distinct list; impure calls may draw anew)
                    key = _cse_key(stmt, part, assigned)
                first = seen.get(key) if key is not None else None
                if first is not None:
                    same[stmt.target] = first
                    added.append(stmt.target)
                    stmt = Copy(stmt.target, Var(first), stmt.loc)
                    changed = True
                elif key is not None:
                    seen[key] = stmt.target
            elif kind is Copy and not stmt.carry and assigned[stmt.target] == 1 and (
                stmt.target not in params
            ) and (type(stmt.value) is not Var or assigned[stmt.value.name] <= 1):
                value = part(stmt.value)
                try:
                    hash(value)
                except TypeError:  # an unhashable constant
                    value = None
                if value is not None:
                    same[stmt.target] = value
                    added.append(stmt.target)
            elif isinstance(stmt, COMPOUND):
                old_blocks = children(stmt)
                blocks = [block(b) for b in old_blocks]
                if any(b is not o for b, o in zip(blocks, old_blocks)):
                    stmt = with_blocks(stmt, blocks)
                    changed = True
            out.append(stmt)
        for name in added:
            del same[name]
        return out if changed else stmts

    return replaced(fn, block(fn.body))
