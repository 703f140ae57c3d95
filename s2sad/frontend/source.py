"""Source: find and read the text of a live function in its file.

Refuses, with :class:`NoSourceError`, what has no source of its own (builtins, callable
objects, s2sad's own functions, wrappers), and with :class:`StaleSourceError` a file whose
lines moved since the function was defined. Parsing the text is :mod:`.parse`'s job.
"""

from __future__ import annotations

import inspect
import linecache
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import NoSourceError
from .stale import moved, stale


class SourceLines(Sequence):
    """A file's lines down to the end of a function, indexed like a list of the file's lines
    (0-based): the function's own lines are kept, a line above it is read from linecache when
    asked (errors point inside the function, so that is rare). Its memory does not grow with
    the line number the function sits at."""

    __slots__ = ("filename", "first", "lines")

    def __init__(self, filename: str, first: int, lines) -> None:
        self.filename = filename
        self.first = first  # the line number of lines[0]
        self.lines = tuple(lines)

    def __len__(self) -> int:
        return self.first - 1 + len(self.lines)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        own = index - (self.first - 1)
        return self.lines[own] if own >= 0 else linecache.getline(self.filename, index + 1)


@dataclass(frozen=True)
class Source:
    """A function's lines as they stand in its file."""

    lines: list  # with their own indentation
    first_line: int  # the line number of lines[0]
    filename: str

    @property
    def indent(self) -> int:
        """The indentation of the first line."""
        return len(self.lines[0]) - len(self.lines[0].lstrip()) if self.lines else 0

    @property
    def file_lines(self) -> SourceLines:
        """The file's lines down to the end of the function (for error locations)."""
        return SourceLines(self.filename, self.first_line, self.lines)


def no_source(fn, why: str) -> NoSourceError:
    """The error for `fn`, whose source cannot be read or parsed (`why`)."""
    name = getattr(fn, "__qualname__", repr(fn))
    filename = getattr(getattr(fn, "__code__", None), "co_filename", "")
    if filename.startswith("<") and filename.endswith(">"):
        # Typed at the plain Python prompt (<stdin>) or made by exec of a string (<string>):
        # Python keeps no text for those (IPython and Jupyter keep their cells' text).
        return NoSourceError(
            f"cannot read the source of {name!r}: it was defined in {filename}, whose text "
            "Python does not keep",
            hint="put the function in a .py file and import it (functions defined in IPython "
            "and Jupyter cells work);\nfor exec, compile the text with a file name and register "
            "the text with linecache (see docs/debugging.md)",
        )
    return NoSourceError(
        f"cannot read the source of {name!r}: {why}",
        hint="s2sad transforms Python source, so the function must be defined in a file.\n"
        "For a builtin or compiled function, wrap it with @s2sad.primitive and give it a rule "
        "with s2sad.defvjp / s2sad.defjvp.",
    )


def _refuse_without_source(fn) -> None:
    """Raise :class:`NoSourceError` for what is not a user's Python function with a source
    of its own."""
    if not inspect.isfunction(fn):
        raise no_source(fn, "it is not a Python function (builtin, method or callable object)")
    made = getattr(fn, "__s2sad_made__", None)
    if made is not None or (getattr(fn, "__module__", "") or "").split(".")[0] == "s2sad":
        what = f"the function s2sad.{made} made" if made else "a function of s2sad itself"
        raise NoSourceError(
            f"{fn.__qualname__!r} is {what}, not user code",
            hint="only s2sad.grad(f) results can be differentiated again; for\n"
            "value_and_grad, jacobian or hessian results, differentiate s2sad.grad(f) instead")
    if inspect.unwrap(fn) is not fn:
        raise NoSourceError(
            f"{fn.__qualname__!r} wraps another function (it has __wrapped__, as functools.wraps "
            "sets): its source is the wrapped function's, not the code that runs",
            hint="differentiate the undecorated function, or make the wrapper a primitive with "
            "@s2sad.primitive and s2sad.defvjp / s2sad.defjvp")


def read_source(fn) -> Source:
    """The lines of `fn` in its file; raise :class:`NoSourceError` when there are none, and
    :class:`StaleSourceError` when its ``def`` is no longer where it was defined."""
    _refuse_without_source(fn)
    try:
        lines, first_line = inspect.getsourcelines(fn)
        filename = inspect.getsourcefile(fn) or fn.__code__.co_filename
    except (OSError, TypeError) as exc:
        code = fn.__code__
        if "out of bounds" in str(exc) and linecache.getlines(code.co_filename):
            raise stale(fn, code.co_filename, code.co_firstlineno,
                        f"the file no longer has a line {code.co_firstlineno}") from None
        raise no_source(fn, str(exc)) from None
    error = moved(fn, lines, filename)
    if error is not None:
        raise error
    return Source(lines, first_line, filename)
