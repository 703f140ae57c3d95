"""The exceptions s2sad raises.

Every user-facing error carries a location (``file:line:col``), the offending source line with a
caret under the column, and a hint saying what to do instead. Internal errors never reach a user
in another form: the API converts them to :class:`InternalError` with the same layout.

Deeply nested code is the one place Python itself could turn a user's function into an internal
error (RecursionError): :func:`with_nesting_room` gives the recursive walks of the AST room for
the depth at hand, and :func:`check_nesting` refuses, with a location, code deeper than that.
"""

from __future__ import annotations

import ast
import contextvars
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """A point in a user's source file (1-based line, 0-based column, like Python's ast)."""

    filename: str
    line: int
    col: int
    source_line: str = ""

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}:{self.col}"


class S2sadError(Exception):
    """Base class of every error s2sad raises on purpose."""

    def __init__(self, message: str, location: Location | None = None, hint: str | None = None):
        self.message = message
        self.location = location
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [self.message]
        parts.extend(_point_at(self.location))
        for loc, what in getattr(self, "also", ()):
            parts.append(f"  and {what}:")
            parts.extend(_point_at(loc))
        if self.hint:
            hint_lines = self.hint.splitlines()
            parts.append("  hint: " + hint_lines[0])
            parts.extend("        " + line for line in hint_lines[1:])
        return "\n".join(parts)


def _point_at(loc: Location | None) -> list:
    if loc is None:
        return []
    lines = [f"  {loc}"]
    if loc.source_line:
        lines.append(f"      {loc.source_line.rstrip()}")
        lines.append("      " + " " * max(loc.col, 0) + "^")
    return lines


class UnsupportedSyntaxError(S2sadError):
    """The function uses a construct the compiler does not (yet) differentiate."""


class MissingRuleError(S2sadError):
    """A call to a function that has no derivative rule.

    When several calls lack rules, one error names them all: the first at `location`, the
    others in `also` as (location, description) pairs.
    """

    on_parameters = False  # every call is an attribute or method of a wrt parameter

    def __init__(self, message: str, location: Location | None = None,
                 hint: str | None = None, also=()):
        self.also = list(also)
        super().__init__(message, location, hint)


class NoSourceError(S2sadError):
    """The function's source code cannot be found (builtins, exec, the REPL...)."""


class NonDifferentiableError(S2sadError):
    """A derivative was asked of an argument that cannot carry one."""


class NonScalarOutputError(S2sadError):
    """``grad`` was asked of a function whose output is not a scalar."""


class InternalError(S2sadError):
    """A bug in s2sad itself; please report it with the function that triggered it."""


class StaleSourceError(NoSourceError):
    """The function's source file no longer holds the code that runs (edited after import)."""


# The deepest code s2sad transforms, in AST levels below the function (a sum of n terms is
# about n levels deep). Python's own compiler stops near 2,990 levels (and at 200 nested
# parentheses); deeper than this bound, the transform would take tens of seconds.
MAX_NESTING = 2500

# Python frames one AST level costs the deepest recursive walk (gast's translator takes 4,
# NodeVisitor 3, the expression lowering 4 to 6), with a margin; and bytes of C stack (the
# frames of Python 3.10, C functions between Python ones).
_FRAMES_PER_LEVEL = 10
_STACK_PER_LEVEL = 16 * 1024
_FRAME_MARGIN = 200

_room_lock = threading.Lock()
_room_users = 0
_user_limit = 0


def nesting_depth(tree) -> tuple:
    """``(depth, statement)``: how many AST levels the deepest node of `tree` (an ast or gast
    tree) sits below it, and the statement holding that node. Iterative: the tree may be
    deeper than Python's recursion limit."""
    deepest, where = 0, tree
    stack = [(tree, 0, tree)]
    while stack:
        node, depth, statement = stack.pop()
        if isinstance(node, ast.stmt):
            statement = node
        if depth > deepest:
            deepest, where = depth, statement
        stack.extend((child, depth + 1, statement) for child in ast.iter_child_nodes(node))
    return deepest, where


def check_nesting(tree, locate) -> int:
    """The nesting depth of `tree`; raise :class:`UnsupportedSyntaxError` at the statement
    (``locate(node)`` gives its location) when it is deeper than s2sad transforms."""
    depth, statement = nesting_depth(tree)
    if depth > MAX_NESTING:
        raise UnsupportedSyntaxError(
            f"this statement nests expressions {depth} levels deep; s2sad transforms at most "
            f"{MAX_NESTING} levels", locate(statement),
            "split the expression over several assignments (for example, accumulate a long "
            "sum in a variable: 's = a + b', then 's = s + c', ...)")
    return depth


def _frames_in_use() -> int:
    frame, count = sys._getframe(), 0
    while frame is not None:
        frame, count = frame.f_back, count + 1
    return count


@contextmanager
def _frame_limit(needed: int):
    """Raise Python's frame limit to at least `needed` while any thread is inside such a block;
    the last one out restores the limit that was set before the first one came in."""
    global _room_users, _user_limit
    with _room_lock:
        if _room_users == 0:
            _user_limit = sys.getrecursionlimit()
        _room_users += 1
        if needed > sys.getrecursionlimit():
            sys.setrecursionlimit(needed)
    try:
        yield
    finally:
        with _room_lock:
            _room_users -= 1
            if _room_users == 0:
                sys.setrecursionlimit(_user_limit)


def with_nesting_room(depth: int, call):
    """``call()``, with room for recursive walks of a tree `depth` levels deep.

    Python's default limit of 1,000 frames is reached by a sum of about 250 terms. Shallow
    trees (nearly all code) run as they are. Deeper ones run in a thread of their own, with
    a C stack sized for the depth (a thread's default stack may be 512 KiB) and the frame
    limit raised while it runs; the caller waits for it, and gets its result or exception.
    """
    frames = depth * _FRAMES_PER_LEVEL + _FRAME_MARGIN
    if _frames_in_use() + frames < sys.getrecursionlimit():
        return call()
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            outcome["error"] = exc

    context = contextvars.copy_context()
    with _frame_limit(frames + _FRAME_MARGIN):
        with _room_lock:  # stack_size applies to every thread started until it is reset
            previous = threading.stack_size()
            threading.stack_size(max(previous, 32 * 1024 * 1024, depth * _STACK_PER_LEVEL))
            try:
                worker = threading.Thread(target=context.run, args=(run,), name="s2sad-nested")
                worker.start()
            finally:
                threading.stack_size(previous)
        worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
