"""The exceptions s2sad raises.

Every user-facing error carries a location (``file:line:col``), the offending source line with a
caret under the column, and a hint saying what to do instead. Internal errors never reach a user
in another form: the API converts them to :class:`InternalError` with the same layout.
"""

from __future__ import annotations

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
