"""The other names of ``wrt``: ``argnums`` (JAX) and ``argnum`` (autograd).

Every API function that takes `wrt` also takes these two keywords and resolves them here, in
one place, so the three spellings mean the same thing everywhere and a call that gives two of
them is refused with one message (two choices of inputs cannot both be honoured, and keeping
one silently would differentiate with respect to the wrong argument).
"""

from __future__ import annotations

from typing import TypeVar

from ..errors import S2sadError
from .hints import Wrt

_Default = TypeVar("_Default", int, None)

#: The spellings, in the order they are reported.
SPELLINGS = ("wrt", "argnums", "argnum")


def chosen_wrt(caller: str, wrt: Wrt | None, argnums: Wrt | None, argnum: Wrt | None,
               default: _Default) -> Wrt | _Default:
    """The `wrt` of a call of `caller` that may spell it ``wrt``, ``argnums`` or ``argnum``
    (None: not given); `default` when none is given."""
    given = [(name, value) for name, value in zip(SPELLINGS, (wrt, argnums, argnum))
             if value is not None]
    if len(given) > 1:
        names = " and ".join(f"{name}={value!r}" for name, value in given)
        raise S2sadError(
            f"{caller} was given {names}: these are {len(given)} names of one option (the "
            "arguments to differentiate with respect to)",
            hint="give only one of wrt= (s2sad), argnums= (JAX) or argnum= (autograd)")
    return given[0][1] if given else default
