"""The intermediate representation and its analyses.

``nodes`` defines the statements (frozen dataclasses whose fields declare their roles);
``traverse`` is the one generic traversal and the analyses built on it; ``names`` hands out
fresh names; ``ssa`` brings a derivative program back to SSA normal form; ``activity`` finds
the values that carry derivatives; ``shapes`` proves which values have the same shape.
"""

from .names import NameSource
from .nodes import (
    Atom,
    Break,
    Comment,
    Const,
    Copy,
    Dotted,
    For,
    Function,
    If,
    Op,
    Pop,
    Push,
    Return,
    Stmt,
    Var,
    While,
)
from .traverse import (
    always_breaks,
    assigned,
    children,
    contains_break,
    definitely_assigned,
    last_breaking_if,
    map_block,
    map_names,
    reads,
    rewrite,
    substitute,
    targets,
    walk,
    with_blocks,
    without_loop_else,
)

__all__ = ["Atom", "Break", "Comment", "Const", "Copy", "Dotted", "For", "Function", "If",
           "NameSource", "Op", "Pop", "Push", "Return", "Stmt", "Var", "While",
           "always_breaks", "assigned", "children", "contains_break", "definitely_assigned",
           "last_breaking_if", "map_block", "map_names", "reads", "rewrite", "substitute",
           "targets", "walk", "with_blocks", "without_loop_else"]
