"""An exception raised by the user's own code while a verb runs it (``check`` and ``graph``
call the function at ``--at``), turned into an s2sad error that points at the user's line,
so the command prints one message and no traceback."""

from __future__ import annotations

import linecache
import os
import traceback

from ..errors import Location, S2sadError

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def user_failure(exc: BaseException, fn) -> S2sadError:
    """`exc`, raised while running `fn` (or code s2sad generated from it), as an
    :class:`~s2sad.errors.S2sadError` located at the innermost frame outside s2sad."""
    name = getattr(fn, "__name__", "the function")
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not os.path.abspath(f.filename).startswith(_PACKAGE + os.sep)]
    location = None
    if frames:
        frame = frames[-1]
        text = linecache.getline(frame.filename, frame.lineno) or (frame.line or "")
        column = len(text) - len(text.lstrip())
        location = Location(frame.filename, frame.lineno, column, text)
    return S2sadError(f"{name} raised {type(exc).__name__}: {exc}", location,
                      "check the arguments given with --at: the function fails there")
