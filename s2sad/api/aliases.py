"""The other names of ``wrt``: ``argnums`` (JAX) and ``argnum`` (autograd).

Every API function that takes `wrt` also takes these two keywords and resolves them here, in
one place, so the three spellings mean the same thing everywhere and a call that gives two of
them is refused with one message (two choices of inputs cannot both be honoured, and keeping
one silently would differentiate with respect to the wrong input).
"""

from __future__ import annotations

from ..errors import S2sadError
from .hints import Wrt


class _First(int):
    """The default `wrt`, 0, told apart from a 0 the caller gave: ``grad(f, 0, argnums=1)``
    names two choices, ``grad(f, argnums=1)`` one. Shown as 0 in signatures."""

    def __repr__(self) -> str:
        return "0"


#: The default of `wrt` (and of ``argnums`` / ``argnum`` where they come first): the first
#: parameter.
FIRST: int = _First(0)


def chosen_wrt(caller: str, **spellings: Wrt | None) -> Wrt | None:
    """The `wrt` of a call of `caller`, given under one of `spellings` (``wrt=``,
    ``argnums=``, ``argnum=``; None or :data:`FIRST`: not given).

    Nothing given: 0 when one spelling's default is :data:`FIRST`, else None (the default of
    ``vjp`` and ``check_grad``: every floating argument; a ``wrt=None`` given to ``grad`` stays
    None, for the build to refuse)."""
    given = [(name, value) for name, value in spellings.items()
             if value is not None and value is not FIRST]
    if len(given) > 1:
        names = " and ".join(f"{name}={value!r}" for name, value in given)
        raise S2sadError(
            f"{caller} was given {names}: these are {len(given)} names of one option (the "
            "arguments to differentiate with respect to)",
            hint="give only one of wrt= (s2sad), argnums= (JAX) or argnum= (autograd)")
    if given:
        return given[0][1]
    return 0 if any(value is FIRST for value in spellings.values()) else None


def wrt_of(caller: str, wrt: Wrt | None, argnums: Wrt | None, argnum: Wrt | None
           ) -> Wrt | None:
    """:func:`chosen_wrt` for the usual order of spellings (``wrt=``, ``argnums=``,
    ``argnum=``), without building its dicts when only `wrt` can have been given: it runs
    on every call of ``s2sad.grad(f)(x)``."""
    if argnums is None and argnum is None:
        return 0 if wrt is FIRST else wrt
    return chosen_wrt(caller, wrt=wrt, argnums=argnums, argnum=argnum)


#: The types of a `wrt` that is a position or a name (:func:`plain_wrt` without a call).
PLAIN_TYPES = frozenset((int, str, _First))


def plain_wrt(wrt) -> bool:
    """Whether `wrt` is a parameter position or name, or a tuple or list of them: what a memo
    may be keyed by. Not a bool or a float, which equal a position (``True == 1.0 == 1``) and
    would find its entry, where the build refuses them."""
    kind = type(wrt)
    if kind is int or kind is str or kind is _First:
        return True
    if kind is tuple or kind is list:
        for item in wrt:  # a loop, not all(...): this runs on every grad(f)(x)
            kind = type(item)
            if kind is not int and kind is not str and not _plain_item(item):
                return False
        return True
    return _plain_item(wrt)


def _plain_item(item) -> bool:
    kind = type(item)
    return kind is int or kind is str or (
        not isinstance(item, bool) and isinstance(item, (int, str)))
