"""Computational graphs for teaching: the SSA trace of a function drawn as the lecture draws it,
one node per input, per SSA statement (``t3 = t1 + t2``) and per output, an edge from each value
to every statement that reads it, written as Graphviz DOT or as Mermaid.

The graph is built from the IR (:class:`s2sad.ir.Function`), so its nodes are exactly the lines
``s2sad show --ssa`` prints. Control flow stays structured, as in the IR: a loop is a cluster
(``for i in range(t1)``) holding its body, with dashed "next trip" edges from the values an
iteration leaves to the reads of the next; a branch is a diamond on its condition and one
cluster per side. Values and adjoints, when a point is given, are written on the nodes that
have one value at that point: inputs, outputs, and statements outside loops on the side of a
branch that ran (a value inside a loop has one value per trip: ``s2sad trace`` lists them).

:mod:`s2sad.drawing` writes the graph: DOT or Mermaid text needs nothing installed;
:meth:`Graph.render` runs Graphviz's ``dot``.
"""

from __future__ import annotations

import ast
import dataclasses
from dataclasses import dataclass, field

import numpy as np

from . import drawing
from .backends.emit import stmt_nodes
from .errors import S2sadError
from .ir import Break, Comment, Copy, For, Function, If, Op, Return, Var, While

MISSING = object()  # a node without a value (or adjoint) at the point drawn

# Node kinds, each drawn its own way (drawing.py).
KINDS = ("input", "op", "output", "branch", "index", "effect")


@dataclass(frozen=True)
class Node:
    """One node: an input, an SSA statement, an output, a branch's condition or a loop index.

    `name` is the variable the node defines (None for an effect such as ``print``); `cluster`
    the innermost loop or branch side holding it (an index into :attr:`Graph.clusters`).
    """

    id: str
    kind: str
    label: str
    name: str | None = None
    cluster: int | None = None
    in_loop: bool = False
    value: object = MISSING
    adjoint: object = MISSING


@dataclass(frozen=True)
class Edge:
    """``source -> target``: `kind` is ``"data"`` (target reads source), ``"carried"`` (the
    next trip of a loop reads it) or ``"control"`` (a branch's condition chooses the cluster
    `target` starts)."""

    source: str
    target: str
    kind: str = "data"


@dataclass(frozen=True)
class Cluster:
    """A loop body or a branch side: `label` is its header (``for i in range(t1)``, ``if t2``,
    ``else``), `parent` the cluster holding it. A branch side runs when its condition `test`
    (a variable name) is `side`; `taken` says whether it ran (None: not known, or a loop)."""

    label: str
    parent: int | None
    test: str | None = None
    side: bool | None = None
    taken: bool | None = None


@dataclass(repr=False)
class Graph:
    """The computational graph of a function's SSA trace, optionally with values and adjoints.

    ``str(graph)`` is the text in :attr:`format` (``"dot"`` or ``"mermaid"``); :meth:`dot` and
    :meth:`mermaid` give either, ending in a newline as a file does; :meth:`render` draws it
    with Graphviz.
    """

    name: str
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)
    format: str = "dot"
    digits: int = 5

    def node(self, name: str, kind: str | None = None) -> Node:
        """The node defining `name` (the last one, if the name is assigned more than once;
        of `kind` if given); ``KeyError`` if there is none."""
        for node in reversed(self.nodes):
            if node.name == name and (kind is None or node.kind == kind):
                return node
        raise KeyError(name)

    def outputs(self) -> list:
        """The output nodes, in the order the function returns them."""
        return [n for n in self.nodes if n.kind == "output"]

    def label(self, node: Node) -> list:
        """The lines written on `node`: its statement, then its value and adjoint if known."""
        lines = [node.label]
        if node.value is not MISSING:
            lines.append(f"= {drawing.format_value(node.value, self.digits)}")
        if node.adjoint is not MISSING:
            adjoint = drawing.format_value(node.adjoint, self.digits)
            lines.append(f"{node.name}_bar = {adjoint}")
        return lines

    def cluster_label(self, index: int) -> str:
        cluster = self.clusters[index]
        if cluster.taken is None:
            return cluster.label
        return f"{cluster.label}  ({'taken' if cluster.taken else 'not taken'})"

    def dot(self) -> str:
        """The graph as Graphviz DOT text (``dot -Tpng`` draws it)."""
        return drawing.dot(self)

    def mermaid(self) -> str:
        """The graph as a Mermaid flowchart (renders in GitHub, GitLab and JupyterLab
        Markdown)."""
        return drawing.mermaid(self)

    def __str__(self) -> str:
        """The text in :attr:`format`, without the final newline (``print`` adds one)."""
        return (self.mermaid() if self.format == "mermaid" else self.dot()).rstrip("\n")

    def render(self, path, format: str = "png") -> None:
        """Draw the graph into the file `path` with Graphviz's ``dot`` program (`format`:
        any output format dot knows: png, svg, pdf...). Graphviz must be installed; nothing
        else needs it."""
        drawing.render(self, path, format)

    def _repr_svg_(self):
        """The drawing as SVG, when Graphviz is installed (None otherwise)."""
        return drawing.svg(self)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        """What a notebook shows: the drawing when Graphviz is installed, else a Mermaid
        block (which JupyterLab 4.1 and later draws). One of the two only, since a notebook
        prefers Markdown to SVG when it is given both."""
        picture = drawing.svg(self)
        if picture is not None:
            return {"image/svg+xml": picture}
        return {"text/markdown": drawing.mermaid_markdown(self)}

    def __repr__(self) -> str:
        return (f"<s2sad graph of {self.name}: {len(self.nodes)} nodes, {len(self.edges)} "
                f"edges; print it for its {self.format} text>")


def _statement_text(stmt) -> str:
    """The line ``s2sad show --ssa`` prints for `stmt` (the header of a loop or branch)."""
    text = ast.unparse(stmt_nodes(stmt)[0])
    return text.splitlines()[0].rstrip(":")


class _Frame:
    """A loop being walked: the nodes inside it, the names it assigns, and the reads of names
    that were not yet assigned in it (the next trip reads what this one leaves)."""

    def __init__(self):
        self.nodes: set = set()
        self.defined: set = set()
        self.reads: list = []  # (node id, name)


def build_graph(fn: Function, format: str = "dot", digits: int = 5) -> Graph:
    """The computational graph of the SSA function `fn` (without values)."""
    if format not in ("dot", "mermaid"):
        raise S2sadError(f"unknown graph format {format!r}", hint="use 'dot' or 'mermaid'")
    if not isinstance(digits, int) or digits < 1:
        raise S2sadError(f"digits must be a positive integer, got {digits!r}")
    builder = _Builder(Graph(fn.name, format=format, digits=digits))
    builder.output_name = _output_name(set(fn.source_names) | set(fn.params))
    for param in fn.params:
        builder.define(builder.add("input", param, param, None), param)
    builder.block(fn.body, None)
    return builder.graph


def _output_name(used: set) -> str:
    """What the outputs are called: y (y1, y2... for several) as in the lecture, unless the
    function has variables of those names."""
    for base in ("y", "out", "y_out", "output"):
        if base not in used and not any(u.startswith(base) and u[len(base):].isdigit()
                                        for u in used):
            return base
    return "output_"


class _Builder:
    """Walks the IR in program order, keeping for each name the nodes whose value it may
    hold (several after a branch or a loop)."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.defs: dict = {}  # name -> [node id]
        self.frames: list = []
        self.edges: set = set()
        self.outputs = 0
        self.output_name = "y"

    def add(self, kind: str, label: str, name: str | None, cluster: int | None) -> str:
        node_id = f"n{len(self.graph.nodes)}"
        self.graph.nodes.append(Node(node_id, kind, label, name, cluster, bool(self.frames)))
        for frame in self.frames:
            frame.nodes.add(node_id)
        return node_id

    def define(self, node_id: str, name: str) -> None:
        self.defs[name] = [node_id]
        for frame in self.frames:
            frame.defined.add(name)

    def edge(self, source: str, target: str, kind: str = "data") -> None:
        if (source, target, kind) not in self.edges:
            self.edges.add((source, target, kind))
            self.graph.edges.append(Edge(source, target, kind))

    def read(self, atoms, node_id: str) -> None:
        for atom in atoms:
            if not isinstance(atom, Var):
                continue
            for source in self.defs.get(atom.name, ()):
                self.edge(source, node_id)
            for frame in self.frames:
                if atom.name not in frame.defined:
                    frame.reads.append((node_id, atom.name))

    def cluster(self, label: str, parent: int | None, test: str | None = None,
                side: bool | None = None) -> int:
        self.graph.clusters.append(Cluster(label, parent, test, side))
        return len(self.graph.clusters) - 1

    def block(self, body: list, cluster: int | None) -> None:
        for stmt in body:
            self.statement(stmt, cluster)

    def statement(self, stmt, cluster: int | None) -> None:
        if isinstance(stmt, (Op, Copy)):
            effect = isinstance(stmt, Op) and stmt.prim.effect
            node = self.add("effect" if effect else "op", _statement_text(stmt),
                            None if effect else stmt.target, cluster)
            self.read(stmt.atoms(), node)
            if not effect:
                self.define(node, stmt.target)
        elif isinstance(stmt, Return):
            self.returned(stmt, cluster)
        elif isinstance(stmt, If):
            self.branch(stmt, cluster)
        elif isinstance(stmt, (For, While)):
            self.loop(stmt, cluster)
        elif not isinstance(stmt, (Comment, Break)):  # user code has no stack operations
            raise S2sadError(f"the graph cannot draw a {type(stmt).__name__} statement")

    def returned(self, stmt: Return, cluster: int | None) -> None:
        many = stmt.is_tuple or len(stmt.values) > 1
        for atom in stmt.values:
            self.outputs += 1
            name = f"{self.output_name}{self.outputs}" if many else self.output_name
            node = self.add("output", f"{name} = {atom}", name, cluster)
            self.read((atom,), node)

    def branch(self, stmt: If, cluster: int | None) -> None:
        test = self.add("branch", f"if {stmt.test}", None, cluster)
        self.read((stmt.test,), test)
        before = dict(self.defs)
        sides = []
        test_name = stmt.test.name if isinstance(stmt.test, Var) else None
        for side, body in ((True, stmt.body), (False, stmt.orelse)):
            self.defs = dict(before)
            if body:
                index = self.cluster(f"if {stmt.test}" if side else "else", cluster,
                                     test_name, side)
                self.edge(test, str(index), "control")
                self.block(body, index)
            sides.append(self.defs)
        self.defs = _merge(before, *sides)

    def loop(self, stmt, cluster: int | None) -> None:
        frame = _Frame()
        self.frames.append(frame)
        before = dict(self.defs)
        if isinstance(stmt, For):
            index = self.cluster(_statement_text(stmt), cluster)
            head = self.add("index", stmt.target, stmt.target, index)
            self.read(stmt.bounds + ((stmt.limit,) if stmt.limit is not None else ()), head)
            self.define(head, stmt.target)
        else:
            index = self.cluster(f"while {stmt.test}", cluster)
            self.block(stmt.test_body, index)
            head = self.add("branch", f"while {stmt.test}", None, index)
            self.read((stmt.test,), head)
        self.block(stmt.body, index)
        self.frames.pop()
        for node, name in frame.reads:
            if name in frame.defined:
                for source in self.defs.get(name, ()):
                    if source in frame.nodes:
                        self.edge(source, node, "carried")
        self.defs = _merge(before, self.defs)  # the loop may run no trip
        if stmt.orelse:
            self.block(stmt.orelse, self.cluster("else (the loop ended without break)",
                                                 cluster))


def _merge(before: dict, *after: dict) -> dict:
    """The nodes each name may come from where paths `after` (each starting from `before`)
    join."""
    merged = {}
    for name in dict.fromkeys([n for d in (before, *after) for n in d]):
        sources = []
        for defs in after:
            for source in defs.get(name, before.get(name, ())):
                if source not in sources:
                    sources.append(source)
        merged[name] = sources
    return merged


def annotate(graph: Graph, values: dict, adjoints: dict, outputs: list,
             output_adjoints: list) -> Graph:
    """`graph` with values and adjoints written on the nodes that have one at the point:
    `values` / `adjoints` map variable names to what the trace found (the inputs to what the
    caller passed), `outputs` and `output_adjoints` are the function's results and their
    cotangents. A branch outside loops whose condition has one value is marked taken or not;
    a statement gets its variable's value when it is the only one assigning it on the sides
    that ran, outside loops."""
    defined: dict = {}
    for node in graph.nodes:
        if node.name is not None:
            defined[node.name] = defined.get(node.name, 0) + (2 if node.in_loop else 1)
    clusters = list(graph.clusters)
    for index, cluster in enumerate(clusters):
        test = cluster.test
        if test is not None and defined.get(test) == 1 and test in values and \
                np.ndim(values[test]) == 0 and not _inside_loop(index, clusters):
            clusters[index] = dataclasses.replace(cluster,
                                                  taken=bool(values[test]) == cluster.side)
    skipped = {i for i in range(len(clusters)) if _inside_untaken(i, clusters)}
    counted: dict = {}
    for node in graph.nodes:
        if node.name is not None and node.cluster not in skipped:
            counted[node.name] = counted.get(node.name, 0) + (2 if node.in_loop else 1)
    nodes, k = [], 0
    for node in graph.nodes:
        if node.kind == "output":
            if k < len(outputs) and k < len(output_adjoints):
                node = dataclasses.replace(node, value=outputs[k], adjoint=output_adjoints[k])
            k += 1
        elif node.kind == "input" or (node.name is not None and node.cluster not in skipped
                                      and counted[node.name] == 1):
            node = dataclasses.replace(node, value=values.get(node.name, MISSING),
                                       adjoint=adjoints.get(node.name, MISSING))
        nodes.append(node)
    return dataclasses.replace(graph, nodes=nodes, clusters=clusters)


def _inside_loop(index: int | None, clusters: list) -> bool:
    """Whether cluster `index` is inside a loop (a cluster without a condition: a loop's body
    or its ``else``), where a branch goes one way or the other on each trip."""
    index = clusters[index].parent
    while index is not None:
        if clusters[index].test is None:
            return True
        index = clusters[index].parent
    return False


def _inside_untaken(index: int | None, clusters: list) -> bool:
    """Whether cluster `index` or one around it is a branch side that did not run."""
    while index is not None:
        if clusters[index].taken is False:
            return True
        index = clusters[index].parent
    return False


__all__ = ["Cluster", "Edge", "Graph", "KINDS", "MISSING", "Node", "annotate", "build_graph"]
