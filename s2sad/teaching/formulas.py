"""The formula a table prints for each statement of a generated program.

The generated code names every intermediate (``t10 = t2_bar * x1`` then
``x2_bar = x2_bar + t10``); the lecture writes the update in one line
(``x2_bar = x2_bar + t2_bar * x1``). A temporary used once, in a later statement of the same
block, is written into that statement instead of getting a row of its own. Two run-time
helpers read as the arithmetic they stand for: ``safe_div(a, b)`` (a division that is zero
wherever ``a`` is) prints as ``a / b``, and, when every input is a scalar, the shape
adjustments ``unbroadcast(a, x)`` and ``broadcast_like(a, x)`` print as ``a``.
"""

from __future__ import annotations

import ast
import copy
from collections import Counter
from collections.abc import Callable

from .record import Statement


def formulas(statements: dict, is_temporary: Callable[[str], bool],
             scalars: bool, readable: bool = True) -> tuple[dict, set]:
    """The printed right-hand side of each assignment (by statement number), and the numbers
    of the temporaries written into a later statement (which get no row). Without
    `readable`, run-time helpers stay as they are (the text is then code that runs)."""
    uses = Counter()
    assigned = Counter()
    for statement in statements.values():
        for node in ast.walk(_read_part(statement)):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                uses[node.id] += 1
        for name in statement.targets:
            assigned[name] += 1
    inlined: dict = {}  # temporary's name -> its (substituted) value
    hidden: set = set()
    printed: dict = {}
    ordered = sorted(statements.values(), key=lambda s: s.id)
    for statement in ordered:
        if statement.kind != "assign" or not isinstance(statement.node, ast.Assign):
            continue
        value = _Substitute(inlined).visit(copy.deepcopy(statement.node.value))
        if readable:
            value = _Readable(scalars).visit(value)
        printed[statement.id] = ast.unparse(value)
        (name,) = statement.targets if len(statement.targets) == 1 else (None,)
        if name is not None and is_temporary(name) and assigned[name] == 1 and \
                uses[name] == 1 and _used_next_in_block(statement, name, ordered):
            inlined[name] = value
            hidden.add(statement.id)
    return printed, hidden


def _read_part(statement: Statement) -> ast.AST:
    """What `statement` reads (for a loop or a branch: its header only)."""
    node = statement.node
    if isinstance(node, (ast.For,)):
        return node.iter
    if isinstance(node, (ast.While, ast.If)):
        return node.test
    if isinstance(node, ast.Return):  # its value was wrapped in the recorder's call
        return ast.parse(statement.text, mode="eval")
    if isinstance(node, ast.AugAssign):
        return ast.Module([ast.Expr(node.value), ast.Expr(_as_load(node.target))], [])
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        return node.value if node.value is not None else ast.Module([], [])
    return node


def _as_load(target: ast.AST) -> ast.AST:
    return ast.parse(ast.unparse(target), mode="eval").body


def _used_next_in_block(temporary: Statement, name: str, ordered: list) -> bool:
    """Whether the one use of `name` is an assignment later in `temporary`'s block, with no
    statement in between writing a name the temporary reads (its formula would then read a
    value other than the one it was computed from)."""
    reads = {n.id for n in ast.walk(temporary.node.value) if isinstance(n, ast.Name)}
    written: set = set()
    for statement in ordered:
        if statement.block != temporary.block or statement.position <= temporary.position:
            continue
        if any(isinstance(n, ast.Name) and n.id == name
               for n in ast.walk(_read_part(statement))):
            return statement.kind == "assign" and not written & reads
        written.update(statement.targets)
        if statement.kind != "assign":  # a loop or branch in between may write anything
            return False
    return False


class _Substitute(ast.NodeTransformer):
    def __init__(self, values: dict):
        self.values = values

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if isinstance(node.ctx, ast.Load) and node.id in self.values:
            return copy.deepcopy(self.values[node.id])
        return node


class _Readable(ast.NodeTransformer):
    def __init__(self, scalars: bool):
        self.scalars = scalars

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name == "safe_div" and len(node.args) == 2 and not node.keywords:
            return ast.BinOp(node.args[0], ast.Div(), node.args[1])
        if self.scalars and name in ("unbroadcast", "broadcast_like") and node.args:
            return node.args[0]
        return node
