"""Pytrees: nested dicts, lists, tuples, NamedTuples and dataclasses of arrays and numbers.

An argument or output of a differentiated function may be such a container. s2sad handles it
the way a JIT handles a signature: the container's *structure* (a :class:`TreeDef`: kinds,
keys, field names) is fixed when the derivative is built, and the generated code takes and
returns the *leaves* (the arrays and numbers), one parameter each. The API flattens the
caller's containers into leaves and builds results of the same structure from the leaves the
generated code returns, so ``s2sad.grad(loss)(params)`` with a dict `params` returns a dict.

A ``TreeDef`` is hashable and compares by structure and by class (for NamedTuples and
dataclasses), so it can key a build; :meth:`TreeDef.signature` describes it without object
identities, for the disk cache key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["CONST", "LEAF", "TreeDef", "flatten", "is_container", "leaf_names", "tree_map",
           "unflatten"]

_KINDS = ("dict", "list", "tuple", "namedtuple", "dataclass")


@dataclasses.dataclass(frozen=True)
class TreeDef:
    """The structure of a container: its `kind`, its `keys` (dict keys, field names, or
    positions for lists and tuples), the class of a NamedTuple or dataclass, and the structure
    of each child (None for a leaf)."""

    kind: str
    keys: tuple
    children: tuple
    cls: type | None = None

    @property
    def n_leaves(self) -> int:
        return sum(1 if is_leaf(c) else c.n_leaves for c in self.children)

    def differentiable(self) -> list:
        """For each leaf, in order, whether it is differentiated (not a CONST leaf)."""
        flags = []
        for c in self.children:
            flags.extend([c is None] if is_leaf(c) else c.differentiable())
        return flags

    def shape(self) -> TreeDef:
        """The structure with every leaf alike (CONST or not): what a tangent must have."""
        return TreeDef(self.kind, self.keys, tuple(None if is_leaf(c) else c.shape()
                                                   for c in self.children), self.cls)

    def signature(self) -> tuple:
        """The structure as plain data (classes by name): a stable part of a cache key."""
        cls = None if self.cls is None else f"{self.cls.__module__}.{self.cls.__qualname__}"
        return (self.kind, self.keys, cls,
                tuple(c if is_leaf(c) else c.signature() for c in self.children))

    def describe(self) -> str:
        """A short description for error messages: ``dict(W, b)``."""
        name = {"namedtuple": None, "dataclass": None}.get(self.kind, self.kind)
        name = name or self.cls.__name__
        return f"{name}({', '.join(str(k) for k in self.keys)})"


LEAF = None  # the TreeDef of a leaf
# The TreeDef of a leaf that is not differentiated: an int, a bool, a string, None, an
# integer array (as in JAX: the number of layers in a dict of parameters is no parameter).
CONST = "const"


def is_leaf(tree) -> bool:
    return tree is None or tree == CONST


def _constant(value) -> bool:
    if isinstance(value, (bool, np.bool_, str, bytes)) or value is None:
        return True
    if isinstance(value, (int, np.integer)):
        return True
    return isinstance(value, np.ndarray) and value.dtype.kind not in "fc"


def is_container(value: Any) -> bool:
    """Whether `value` is a container s2sad flattens (not an array, number or other object)."""
    return _kind(value) is not None


def _kind(value) -> str | None:
    if isinstance(value, dict):
        return "dict"
    if isinstance(value, tuple):
        return "namedtuple" if hasattr(type(value), "_fields") else "tuple"
    if isinstance(value, list):
        return "list"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return "dataclass"
    return None


def _items(value, kind) -> tuple:
    """(keys, children) of a container, in a deterministic order."""
    if kind == "dict":
        keys = tuple(value)
        return keys, tuple(value[k] for k in keys)
    if kind == "namedtuple":
        return tuple(type(value)._fields), tuple(value)
    if kind == "dataclass":
        keys = tuple(f.name for f in dataclasses.fields(value))
        return keys, tuple(getattr(value, k) for k in keys)
    return tuple(range(len(value))), tuple(value)


def flatten(value: Any) -> tuple[list, TreeDef | None]:
    """The leaves of `value` (depth first, in key order) and its structure (None: a leaf)."""
    leaves: list = []
    return leaves, _flatten(value, leaves)


def _flatten(value, leaves):
    kind = _kind(value)
    if kind is None:
        leaves.append(value)
        return CONST if _constant(value) else LEAF
    keys, children = _items(value, kind)
    cls = type(value) if kind in ("namedtuple", "dataclass") else None
    return TreeDef(kind, keys, tuple(_flatten(c, leaves) for c in children), cls)


def unflatten(tree: TreeDef | None, leaves) -> Any:
    """The container of structure `tree` holding `leaves` (the inverse of :func:`flatten`)."""
    it = iter(leaves)
    return _build(tree, it)


def _build(tree, it):
    if is_leaf(tree):
        return next(it)
    children = [_build(c, it) for c in tree.children]
    if tree.kind == "dict":
        return dict(zip(tree.keys, children))
    if tree.kind == "list":
        return children
    if tree.kind == "tuple":
        return tuple(children)
    if tree.kind == "namedtuple":
        return tree.cls(*children)
    return tree.cls(**dict(zip(tree.keys, children)))


def tree_map(fn: Callable[..., Any], tree: Any, *rest: Any) -> Any:
    """`fn` applied to the leaves of `tree` (and the matching leaves of `rest`, which have the
    same structure), in a container of that structure."""
    leaves, structure = flatten(tree)
    others = []
    for other in rest:
        other_leaves, other_structure = flatten(other)
        if not same_shape(other_structure, structure):
            raise ValueError(f"tree_map: structures differ: {_text(structure)} and "
                             f"{_text(other_structure)}")
        others.append(other_leaves)
    return unflatten(structure, [fn(*parts) for parts in zip(leaves, *others)])


def same_shape(a, b) -> bool:
    """Whether two structures agree, CONST leaves and others alike."""
    if is_leaf(a) or is_leaf(b):
        return is_leaf(a) and is_leaf(b)
    return a.shape() == b.shape()


def _text(tree) -> str:
    return "a leaf" if is_leaf(tree) else tree.describe()


def leaf_names(base: str, tree: TreeDef | None) -> list:
    """Readable names for the leaves of `tree` under the parameter `base`: ``params_W``,
    ``layers_0``, ``p_w_1`` (not yet unique; the caller makes them so)."""
    if is_leaf(tree):
        return [base]
    names = []
    for key, child in zip(tree.keys, tree.children):
        names.extend(leaf_names(f"{base}_{_identifier(key)}", child))
    return names


def _identifier(key) -> str:
    text = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in str(key))
    return text or "key"


# ----------------------------------------------------------------- outputs, as plain data
def to_data(tree: TreeDef | None, classes: list) -> Any:
    """`tree` as JSON-able data (for the cache's metadata); the classes of NamedTuples and
    dataclasses are stored as indexes into `classes` (which it extends)."""
    if is_leaf(tree):
        return tree
    data = {"kind": tree.kind, "keys": list(tree.keys),
            "children": [to_data(c, classes) for c in tree.children]}
    if tree.cls is not None:
        if tree.cls not in classes:
            classes.append(tree.cls)
        data["cls"] = classes.index(tree.cls)
    return data


def classes_of(trees) -> list:
    """The NamedTuple and dataclass classes of `trees` (``(name, TreeDef)`` pairs), in the
    order :func:`to_data` numbers them."""
    classes: list = []
    for _, tree in trees:
        to_data(tree, classes)
    return classes


def from_data(data: Any, classes: list) -> TreeDef | None:
    """The inverse of :func:`to_data`, with the classes of the request that built it."""
    if data is None or data == CONST:
        return data
    if not isinstance(data, dict) or data.get("kind") not in _KINDS:
        raise ValueError("not a tree structure")
    cls = classes[data["cls"]] if "cls" in data else None
    keys = tuple(data["keys"]) if data["kind"] == "dict" else tuple(
        k if data["kind"] in ("namedtuple", "dataclass") else int(k) for k in data["keys"])
    return TreeDef(data["kind"], keys, tuple(from_data(c, classes) for c in data["children"]),
                   cls)
