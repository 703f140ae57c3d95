"""Negations that cancel, in specialised programs: fewer array operations, the same bits.

Reverse mode writes the chain rule one factor at a time, so a sigmoid's adjoint reads
``t4_bar = -t24; t2_bar = t4_bar * t3; t1_bar = -t2_bar``: two negations of whole arrays
that cancel. IEEE arithmetic is symmetric in sign (``(-a) * c`` is exactly ``-(a * c)``,
``c + (-a)`` exactly ``c - a``), so within one block this pass rewrites

- ``u = -a; v = u * c; w = -v`` (also ``c * u``, ``u / c``, ``c / u``, and chains of such
  products) into ``v = a * c; w = v``;
- ``u = -a; w = c + u`` into ``w = c - a``, and ``w = c - u`` into ``w = c + a``;
- ``u = -a; w = -u`` into ``w = a`` (unless `a` is a parameter: its array is the caller's);

when each intermediate value's next read is the next link of the chain, and that link is
its only read or overwrites it. The general
program keeps the chain rule's lines (``s2sad.source`` shows them, as the lecture writes
them); the program specialised on a signature, which only runs, gets this. A program whose
negations would fail (``-`` of a boolean array) fails at the first call with a signature,
which runs the general program.
"""

from __future__ import annotations

from ..ir import Copy, Function, Op, Var
from ..ir.traverse import children, targets, with_blocks
from ..rules import REGISTRY
from .usage import counts_of

_PRODUCTS = ("mul", "truediv")


def cancel_negations(fn: Function) -> Function:
    """`fn` with cancelling negations removed (see the module docstring)."""
    reads, _ = counts_of(fn)
    body = _block(fn.body, reads, frozenset(fn.params))
    return fn if body is fn.body else fn.replace(body=body)


def _block(stmts: list, reads, params) -> list:
    out = []
    # name -> ("neg", atom a): the name holds -a; or ("prod", index in out, op, position,
    # entry): the name is op's result, whose operand at `position` is the negated value
    # of `entry`, so it holds minus what op computes with that operand made positive.
    negated: dict = {}
    for stmt in stmts:
        if stmt.BLOCKS:
            negated.clear()
            blocks = [_block(b, reads, params) for b in children(stmt)]
            if any(b is not o for b, o in zip(blocks, children(stmt))):
                stmt = with_blocks(stmt, blocks)
        else:
            stmt = _visit(stmt, negated, out, reads, params)
        # Whatever this statement assigns is no longer what an entry captured (except the
        # entry _visit just made for its result).
        made = negated.pop(stmt.target, None) if isinstance(stmt, Op) else None
        for name in targets(stmt):
            negated.pop(name, None)
            for key, entry in list(negated.items()):
                if entry[0] == "neg" and entry[1] == Var(name):
                    del negated[key]
        if made is not None and made[0] == "prod" and made[1] == len(out):
            negated[stmt.target] = made
        if isinstance(stmt, Op) and stmt.prim.name == "neg" and not stmt.kwargs and (
                stmt.args[0] != Var(stmt.target)):
            negated[stmt.target] = ("neg", stmt.args[0])
        out.append(stmt)
    return out if any(a is not b for a, b in zip(out, stmts)) else stmts


def _visit(stmt, negated: dict, out: list, reads, params):
    """`stmt` rewritten if it takes one negated value as the next link of a chain; any
    other read of a negated value ends that value's entry."""
    names = [a.name for a in stmt.atoms() if type(a) is Var and a.name in negated]
    if not names:
        return stmt
    (name, *more) = names
    # The negated value must die here: this is its only read, or this overwrites it.
    if more or not isinstance(stmt, Op) or stmt.kwargs or not (
            reads[name] == 1 or stmt.target == name):
        for n in names:
            negated.pop(n, None)
        return stmt
    entry = negated.pop(name)
    kind, args = stmt.prim.name, stmt.args
    if kind in _PRODUCTS:
        # Nothing is rewritten yet: only a later link that cancels the sign does that.
        negated[stmt.target] = ("prod", len(out), stmt, 0 if args[0] == Var(name) else 1,
                                entry)
        return stmt
    if kind == "neg" and (entry[0] == "prod" or isinstance(entry[1], Var) and (
            entry[1].name not in params)):  # -(-a) is a; a parameter is not handed on
        return Copy(stmt.target, _positive(entry, out), stmt.loc)
    if kind == "add":
        other = args[1] if args[0] == Var(name) else args[0]
        return Op(stmt.target, REGISTRY.by_name["sub"], (other, _positive(entry, out)), (),
                  stmt.loc)
    if kind == "sub" and args[1] == Var(name):
        return Op(stmt.target, REGISTRY.by_name["add"], (args[0], _positive(entry, out)), (),
                  stmt.loc)
    return stmt


def _positive(entry, out: list):
    """The atom holding the positive value of a negated `entry`; a product's positive
    operation (its negated operand made positive, down the chain) is put in place of the
    negated one."""
    if entry[0] == "neg":
        return entry[1]
    _, index, op, position, inner = entry
    args = list(op.args)
    args[position] = _positive(inner, out)
    out[index] = Op(op.target, op.prim, tuple(args), (), op.loc)
    return Var(op.target)
