"""``graph``: the computational graph of a function's SSA trace, as the lecture draws it, with
the values and adjoints of :func:`~s2sad.api.tracing.trace` on its nodes when a point is
given."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import nesting_depth, with_nesting_room
from ..pytree import flatten
from ..transform import lower, parse_function, parsing_once
from ..values import private_copy
from .bound import bound_target
from .build import guarded, unwrap
from .tracing import trace

if TYPE_CHECKING:  # graphs is imported when a graph is drawn, not with s2sad
    from ..graphs import Graph


def graph(f: Callable[..., Any], *args: Any, format: str = "dot", digits: int = 5,
          cotangent: Any = None) -> Graph:
    """The computational graph of `f`: a node per input, per SSA statement (``t3 = t1 + t2``,
    the lines ``s2sad.source(f, ssa=True)`` prints) and per output, an edge per data
    dependency; loops and branches are clusters.

    With `args`, each node that has one value at that point also shows it and its adjoint
    (those of :func:`s2sad.trace`, `cotangent` as there). ``str(g)`` is the text in `format`
    (``"dot"``: Graphviz, the default; ``"mermaid"``); ``g.dot()`` and ``g.mermaid()`` give
    either, ``g.render("f.png")`` draws it with Graphviz's ``dot`` program (writing the text
    needs nothing installed). Numbers are shown to `digits` significant digits.
    """
    from ..graphs import annotate, build_graph

    target = bound_target(f)
    fn = unwrap(target.function if target is not None else f)
    drawn = guarded(lambda: build_graph(_ssa(fn), format, digits))
    if not args:
        return drawn
    tables = trace(f, *args, cotangent=cotangent)
    outputs, _ = flatten(f(*private_copy(args)))  # one output node per leaf, as in the IR
    if cotangent is None:
        seeds = [np.ones_like(o, dtype=float) if np.ndim(o) else 1.0 for o in outputs]
    else:
        seeds, _ = flatten(cotangent)
    names = {node.name for node in drawn.nodes if node.name is not None}
    values = _lookup(tables.value, names)
    adjoints = _lookup(tables.adjoint, names)
    inputs = target.positional(args) if target is not None else args
    for name, value in zip(_input_names(drawn), inputs):
        values[name] = value  # what the caller passed, an int as an int
    return annotate(drawn, values, adjoints, outputs, seeds)


def _input_names(drawn: Graph) -> list:
    """The names of the input nodes of `drawn`, in parameter order."""
    return [node.name for node in drawn.nodes if node.kind == "input"]


def _ssa(fn):
    """The SSA IR of `fn` (the function ``s2sad.source(fn, ssa=True)`` prints); deep code
    gets room for the recursive walks of the lowering, as in a build."""
    with parsing_once(fresh=True):
        parsed = parse_function(fn)
        depth, _ = nesting_depth(parsed.node)
        return with_nesting_room(depth, lambda: lower(parsed))


def _lookup(accessor, names: set) -> dict:
    """``{name: accessor(name)}`` for the names the trace knows."""
    found = {}
    for name in sorted(names):
        try:
            found[name] = accessor(name)
        except LookupError:  # a name the trace has no row for
            continue
    return found
