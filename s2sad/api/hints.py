"""The types of the public API's signatures (``py.typed``: the package ships them).

A derivative function takes the arguments of the function it is made from, so the API's types
carry `f`'s parameters over (a :class:`ParamSpec`): a type checker then checks the calls of
``s2sad.grad(f)`` against ``f``'s signature. The values derivatives return (floats, arrays,
tuples of them, as the arguments are) are ``Any``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ParamSpec, TypeVar, Union

#: What `wrt` (or ``argnums``, ``argnum``) may be: a parameter position or name, or a tuple or
#: list of them.
Wrt = Union[int, str, Sequence[Union[int, str]]]

#: The parameters of the function being differentiated.
P = ParamSpec("P")

#: What the function being differentiated returns.
R = TypeVar("R")
