"""The instrumented run: generated code rewritten to report every statement it executes.

Each statement of the generated (unoptimized) function is numbered; before it runs, the
recorder hears its number (so an error is placed on the statement that raised it), and after
an assignment it hears the value assigned. Loops report each iteration and branches the arm
they take, so a value computed in the third iteration of a loop is recorded as such, rather
than read from the function's variables once it has returned.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

import numpy as np

RECORDER = "_trace_recorder_"  # the name the instrumented code calls; generated names never
# end in an underscore, so it cannot collide with one


@dataclass(frozen=True)
class Statement:
    """One statement of the generated function, as the tables print it."""

    id: int
    kind: str  # "assign", "loop", "branch", "return", "other"
    targets: tuple  # the names an assignment writes
    text: str  # the statement (a loop's or branch's header) as written
    node: ast.AST  # the statement as parsed (an assignment's value is what formulas inline)
    block: int  # the block holding it, and its position there
    position: int
    reverse: bool  # in the reverse sweep of an adjoint program


@dataclass
class Event:
    """One thing the run did: an assignment (``"set"``), a branch taken, the value returned."""

    statement: int
    kind: str  # "set", "branch", "out"
    value: object
    iteration: tuple  # ((loop statement id, index), ...), outermost first
    depth: int = 1  # 1 in the call traced, 2 and more in its recursive calls


@dataclass
class Recorder:
    """What an instrumented run reports, in the order it happened."""

    events: list = field(default_factory=list)
    current: int | None = None  # the statement running now
    loops: list = field(default_factory=list)  # [[loop id, index], ...] of the open loops
    counts: dict = field(default_factory=dict)  # (iteration of the loop, loop id) -> trips
    finals: dict = field(default_factory=dict)  # name -> the last value assigned to it
    depth: int = 0  # calls of the program under way (a recursive function calls itself)

    def call(self) -> None:
        self.depth += 1

    def at(self, statement: int) -> None:
        self.current = statement

    def set(self, statement: int, names: tuple, value) -> None:
        if self.depth > 1:  # a recursive call: its result is the row of the call
            return
        value = snapshot(value)
        if len(names) == 1:
            self.finals[names[0]] = value
        elif isinstance(value, tuple) and len(value) == len(names):
            self.finals.update(zip(names, value))
        self.events.append(Event(statement, "set", value, self.iteration(), self.depth))

    def enter(self, loop: int) -> None:
        self.loops.append([loop, -1])

    def step(self, loop: int) -> None:
        self.loops[-1][1] += 1

    def leave(self, loop: int) -> None:
        _, index = self.loops.pop()
        self.counts[(self.iteration(), loop)] = index + 1

    def branch(self, statement: int, taken: bool) -> None:
        if self.depth <= 1:
            self.events.append(Event(statement, "branch", taken, self.iteration(), self.depth))

    def out(self, statement: int, value):
        if self.depth <= 1:
            self.events.append(Event(statement, "out", snapshot(value), self.iteration(),
                                     self.depth))
        self.depth -= 1
        return value

    def iteration(self) -> tuple:
        return tuple((loop, index) for loop, index in self.loops)


def snapshot(value):
    """`value` as it is now: arrays and lists are copied, since later statements may change
    them in place (a stack is pushed and popped)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        return [snapshot(v) for v in value]
    if isinstance(value, tuple):
        return tuple(snapshot(v) for v in value)
    return value


def instrument(source: str) -> tuple[str, dict]:
    """`source`, one generated function, rewritten to report to :data:`RECORDER`; and its
    statements by number. Statements after the ``# reverse sweep`` comment are marked as the
    reverse sweep."""
    lines = source.splitlines()
    marker = next((i + 1 for i, line in enumerate(lines) if line.strip() == "# reverse sweep"),
                  None)
    tree = ast.parse(source)
    function = tree.body[0]
    builder = _Instrumenter(marker)
    function.body = [_call("call")] + builder.block(function.body)
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n", builder.statements


def _call(method: str, *args) -> ast.stmt:
    """``RECORDER.method(args)`` as a statement; `args` are AST nodes or constants."""
    nodes = [a if isinstance(a, ast.AST) else ast.Constant(a) for a in args]
    call = ast.Call(ast.Attribute(ast.Name(RECORDER, ast.Load()), method, ast.Load()), nodes, [])
    return ast.Expr(call)


def _names(target: ast.AST) -> tuple:
    if isinstance(target, ast.Name):
        return (target.id,)
    if isinstance(target, (ast.Tuple, ast.List)):
        return tuple(n for element in target.elts for n in _names(element))
    return ()


def _load(target: ast.AST) -> ast.AST:
    """The expression reading back what `target` was assigned."""
    node = ast.parse(ast.unparse(target), mode="eval").body
    return node


class _Instrumenter:
    def __init__(self, marker: int | None):
        self.marker = marker
        self.statements: dict = {}
        self.blocks = 0

    def new(self, node: ast.stmt, kind: str, targets: tuple, text: str, block: int,
            position: int) -> int:
        number = len(self.statements)
        reverse = self.marker is not None and node.lineno > self.marker
        self.statements[number] = Statement(number, kind, targets, text, node, block, position,
                                            reverse)
        return number

    def block(self, body: list) -> list:
        block = self.blocks
        self.blocks += 1
        out = []
        for position, node in enumerate(body):
            out.extend(self.statement(node, block, position))
        return out

    def statement(self, node: ast.stmt, block: int, position: int) -> list:
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            target = node.targets[-1] if isinstance(node, ast.Assign) else node.target
            names = _names(target)
            number = self.new(node, "assign", names, ast.unparse(node), block, position)
            return [_call("at", number), node,
                    _call("set", number, ast.Constant(names), _load(target))]
        if isinstance(node, (ast.For, ast.While)):
            header = ast.unparse(node).split("\n")[0].rstrip(":")
            number = self.new(node, "loop", (), header, block, position)
            node.body = [_call("step", number)] + self.block(node.body)
            node.orelse = self.block(node.orelse)
            return [_call("at", number), _call("enter", number), node, _call("leave", number)]
        if isinstance(node, ast.If):
            header = "if " + ast.unparse(node.test)
            number = self.new(node, "branch", (), header, block, position)
            node.body = [_call("branch", number, True)] + self.block(node.body)
            node.orelse = [_call("branch", number, False)] + self.block(node.orelse)
            return [_call("at", number), node]
        if isinstance(node, ast.Return) and node.value is not None:
            number = self.new(node, "return", (), ast.unparse(node.value), block, position)
            node.value = ast.Call(ast.Attribute(ast.Name(RECORDER, ast.Load()), "out",
                                                ast.Load()), [ast.Constant(number), node.value],
                                  [])
            return [_call("at", number), node]
        number = self.new(node, "other", (), ast.unparse(node), block, position)
        return [_call("at", number), node]
