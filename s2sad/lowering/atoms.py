"""What an expression can lower to besides an IR atom (`Var`, `Const`).

A lambda or nested def is not a value of the trace but a `LocalFunction`, inlined where it is
called; the tuple returned by an inlined call is a `Multiple` of atoms, so that each part stays
differentiable on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..pytree import TreeDef


@dataclass
class LocalFunction:
    """A lambda or nested def: not a value of the trace, it is inlined where it is called."""

    node: object
    owner: object  # the FunctionLowerer whose variables it closes over


class Multiple(tuple):
    """The atoms of a tuple value that has no IR variable of its own (``return a, b`` of an
    inlined call), so that ``u, v = g(x)`` keeps each part differentiable."""


@dataclass(frozen=True)
class Record:
    """A container whose structure is known when the code is built: a dict literal, or a
    parameter given as a dict, list, tuple, NamedTuple or dataclass (a pytree, see
    s2sad.pytree). It is not a value of the trace: its items are (atoms or Records), read and
    replaced by key as the code is lowered, so each item stays differentiable on its own and
    the generated code never builds the container. A write (``d[k] = v``) makes a new Record.
    """

    kind: str  # a pytree kind: "dict", "list", "tuple", "namedtuple", "dataclass"
    keys: tuple
    values: tuple
    cls: object = None  # the class of a NamedTuple or dataclass

    def get(self, key, default=None):
        for k, v in zip(self.keys, self.values):
            if k == key and type(k) is type(key):
                return v
        return default

    def has(self, key) -> bool:
        return any(k == key and type(k) is type(key) for k in self.keys)

    def with_item(self, key, value) -> Record:
        """A copy with `key` set to `value` (added at the end if new)."""
        if self.has(key):
            values = tuple(value if k == key and type(k) is type(key) else v
                           for k, v in zip(self.keys, self.values))
            return Record(self.kind, self.keys, values, self.cls)
        return Record(self.kind, self.keys + (key,), self.values + (value,), self.cls)

    def leaves(self) -> list:
        """The atoms, depth first in key order (the order of s2sad.pytree.flatten)."""
        out = []
        for v in self.values:
            out.extend(v.leaves() if isinstance(v, Record) else [v])
        return out

    def same_structure(self, other) -> bool:
        if not isinstance(other, Record) or (self.kind, self.keys, self.cls) != (
            other.kind, other.keys, other.cls
        ):
            return False
        return all(isinstance(a, Record) == isinstance(b, Record) and (
            not isinstance(a, Record) or a.same_structure(b))
            for a, b in zip(self.values, other.values))

    def rebuilt(self, leaves) -> Record:
        """A Record of the same structure holding `leaves` (an iterator, consumed in order)."""
        values = tuple(v.rebuilt(leaves) if isinstance(v, Record) else next(leaves)
                       for v in self.values)
        return Record(self.kind, self.keys, values, self.cls)

    def tree(self):
        """The structure as an s2sad.pytree.TreeDef."""
        return TreeDef(self.kind, self.keys, tuple(v.tree() if isinstance(v, Record) else None
                                                   for v in self.values), self.cls)

    def describe(self) -> str:
        return self.tree().describe()
