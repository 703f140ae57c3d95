"""Scatter-add fusion: an adjoint accumulated from a read of one row or slice.

The adjoint of ``x[i]`` is ``scatter_like(g, i, x)``, an array of zeros shaped like `x` with
`g` at `i`, and the reverse sweep adds it to ``x_bar``. Each such read, in a loop over rows,
allocates and adds a whole array of zeros::

    t70 = scatter_like(t49_bar, 2, x)          x_bar = scatter_add(x_bar, t49_bar, 2, x)
    x_bar = x_bar + t70                 ->

``scatter_add`` copies ``x_bar`` and adds `g` at `i` (runtime/__init__.py). Only a scatter
read once, by the addition right after it, is fused: its operands then still hold the values
the scatter read.
"""

from __future__ import annotations

from ..ir import Function, Op, Var, children, with_blocks
from .usage import counts_of, replaced

_PRIM: list = []  # scatter_add, looked up once: ir code does not import the rules at load


def fuse_scatter_adds(fn: Function, counts=counts_of) -> Function:
    """`fn` with every ``t = scatter_like(...); a = b + t`` pair made one ``scatter_add``."""
    uses, _ = counts(fn)
    return replaced(fn, _fused(fn.body, uses))


def _fused(stmts: list, uses) -> list:
    out: list = []
    changed = False
    for stmt in stmts:
        if stmt.BLOCKS:
            old = children(stmt)
            blocks = [_fused(block, uses) for block in old]
            if any(b is not o for b, o in zip(blocks, old)):
                stmt, changed = with_blocks(stmt, blocks), True
        previous = out[-1] if out else None
        fused = _pair(previous, stmt, uses) if previous is not None else None
        if fused is not None:
            out[-1] = fused
            changed = True
        else:
            out.append(stmt)
    return out if changed else stmts


def _pair(scatter, add, uses):
    """The ``scatter_add`` for `scatter` followed by `add`, or None when they are not that."""
    if type(scatter) is not Op or type(add) is not Op or scatter.prim.name != "scatter_like" \
            or add.prim.name != "add" or uses[scatter.target] != 1 or scatter.kwargs:
        return None
    mine = Var(scatter.target)
    if add.args[1] == mine and add.args[0] != mine:
        other = add.args[0]
    elif add.args[0] == mine and add.args[1] != mine:
        other = add.args[1]
    else:
        return None
    if not _PRIM:
        from ..rules.registry import REGISTRY

        _PRIM.append(REGISTRY.by_name["scatter_add"])
    return Op(add.target, _PRIM[0], (other, *scatter.args), (), add.loc)
