"""In-place accumulation, the last step of a finished program.

An adjoint that is only ever made afresh (``zeros_like``) and accumulated into by row reads
(``x_bar = scatter_add(x_bar, g, i, x)``, see scatter_add.py), and that nothing else reads
but the ``return``, is owned by the code that accumulates it: adding `g` into it in place
changes no value anyone else holds. A loop over the rows of an n x d matrix then costs
O(n d), not O(n^2 d).

This runs on the program that is emitted, never on one that is differentiated again
(``transform.generate``): a derivative would tape the adjoint, then see it overwritten.
"""

from __future__ import annotations

import dataclasses

from ..ir import Function, Op, Return, Var, map_block, targets, walk
from .usage import replaced

_FRESH = ("zeros_like",)


def accumulate_in_place(fn: Function) -> Function:
    """`fn` with each ``a = scatter_add(a, ...)`` of an owned adjoint `a` written into `a`."""
    owned = _owned(fn)
    if not owned:
        return fn
    from ..rules.registry import REGISTRY

    into = REGISTRY.by_name["scatter_add_into"]

    def visit(stmt):
        if type(stmt) is Op and stmt.prim.name == "scatter_add" and stmt.target in owned:
            return dataclasses.replace(stmt, prim=into)
        return stmt

    return replaced(fn, map_block(fn.body, visit))


def _owned(fn: Function) -> set:
    """Names every assignment of which makes a new array or accumulates into the name
    itself, and that nothing reads but those accumulations and the return."""
    candidates = {stmt.target for stmt in walk(fn.body)
                  if type(stmt) is Op and stmt.prim.name == "scatter_add"
                  and stmt.args[0] == Var(stmt.target)}
    candidates -= set(fn.params)
    for stmt in walk(fn.body):
        if not candidates:
            break
        accumulating = type(stmt) is Op and stmt.prim.name == "scatter_add" and (
            stmt.args[0] == Var(stmt.target))
        fresh = type(stmt) is Op and stmt.prim.name in _FRESH
        for name in targets(stmt):
            if name in candidates and not (accumulating or fresh):
                candidates.discard(name)
        for position, atom in enumerate(stmt.atoms()):
            if type(atom) is not Var or atom.name not in candidates:
                continue
            if type(stmt) is Return or accumulating and position == 0 and (
                    atom.name == stmt.target):
                continue
            candidates.discard(atom.name)
    return candidates
