"""Writing a computational graph (:class:`s2sad.graphs.Graph`): Graphviz DOT and Mermaid text,
and drawings made by Graphviz's ``dot`` program when it is installed.

Inputs are blue ellipses, statements boxes, outputs orange octagons, a branch's condition a
diamond, a loop index a dashed ellipse, an effect (``print``) a note; loops and branch sides
are clusters (DOT) or subgraphs (Mermaid). Text is written in the graph's order, so the same
graph always gives the same bytes.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import TYPE_CHECKING

import numpy as np

from .errors import S2sadError

if TYPE_CHECKING:
    from .graphs import Graph


_DOT_STYLE = {
    "input": 'shape=ellipse, style=filled, fillcolor="#dbe8fb"',
    "op": "shape=box",
    "output": 'shape=doubleoctagon, style=filled, fillcolor="#fde2c8"',
    "branch": 'shape=diamond, style=filled, fillcolor="#eeeeee"',
    "index": "shape=ellipse, style=dashed",
    "effect": "shape=note",
}
_MERMAID_SHAPE = {"input": ("([", "])"), "op": ("[", "]"), "output": ("[[", "]]"),
                  "branch": ("{", "}"), "index": ("(", ")"), "effect": (">", "]")}
_MERMAID_CLASS = {"input": "fill:#dbe8fb,stroke:#4a6fa5", "output": "fill:#fde2c8,stroke:#b5651d",
                  "branch": "fill:#eeeeee"}
RENDER_TIMEOUT = 60  # seconds given to Graphviz


def dot(graph: Graph) -> str:
    """The graph as Graphviz DOT text (``dot -Tpng`` draws it)."""
    lines = [f"digraph {_dot_quote(graph.name)} {{",
             "  rankdir=LR;", "  compound=true;", '  fontname="Helvetica";',
             '  node [fontname="Helvetica", fontsize=11];',
             '  edge [fontname="Helvetica", fontsize=9];']
    lines.extend(_dot_block(graph, None, "  "))
    first = _first_nodes(graph)
    for edge in graph.edges:
        if edge.kind == "control":
            target = first.get(int(edge.target))
            if target is None:
                continue  # an empty branch side: nothing to point at
            lines.append(f'  "{edge.source}" -> "{target}" [style=dotted, '
                         f'lhead="cluster_{edge.target}"];')
        elif edge.kind == "carried":
            lines.append(f'  "{edge.source}" -> "{edge.target}" [style=dashed, '
                         f'label="next trip", constraint=false];')
        else:
            lines.append(f'  "{edge.source}" -> "{edge.target}";')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_block(graph: Graph, cluster: int | None, indent: str) -> list:
    """The lines of the nodes and clusters directly inside `cluster` (None: the top)."""
    lines = []
    for node in graph.nodes:
        if node.cluster == cluster:
            label = _dot_quote("\n".join(graph.label(node)))
            lines.append(f'{indent}"{node.id}" [label={label}, {_DOT_STYLE[node.kind]}];')
    for index, child in enumerate(graph.clusters):
        if child.parent == cluster:
            style = "dashed" if child.taken is False else "rounded"
            lines.append(f"{indent}subgraph cluster_{index} {{")
            lines.append(f"{indent}  label={_dot_quote(graph.cluster_label(index))};")
            lines.append(f"{indent}  style={style};")
            lines.extend(_dot_block(graph, index, indent + "  "))
            lines.append(f"{indent}}}")
    return lines


def _first_nodes(graph: Graph) -> dict:
    """Cluster index -> the first node inside it (at any depth)."""
    first: dict = {}
    for node in graph.nodes:
        index = node.cluster
        while index is not None:
            first.setdefault(index, node.id)
            index = graph.clusters[index].parent
    return first


def mermaid(graph: Graph) -> str:
    """The graph as a Mermaid flowchart (renders in GitHub, GitLab and JupyterLab
    Markdown)."""
    lines = ["flowchart LR"]
    lines.extend(_mermaid_block(graph, None, "  "))
    for edge in graph.edges:
        if edge.kind == "control":
            lines.append(f"  {edge.source} -.-> c{edge.target}")
        elif edge.kind == "carried":
            lines.append(f"  {edge.source} -. next trip .-> {edge.target}")
        else:
            lines.append(f"  {edge.source} --> {edge.target}")
    for kind, style in _MERMAID_CLASS.items():
        members = [n.id for n in graph.nodes if n.kind == kind]
        if members:
            lines.append(f"  classDef {kind} {style}")
            lines.append(f"  class {','.join(members)} {kind}")
    return "\n".join(lines) + "\n"


def _mermaid_block(graph: Graph, cluster: int | None, indent: str) -> list:
    """The lines of the nodes and subgraphs directly inside `cluster` (None: the top)."""
    lines = []
    for node in graph.nodes:
        if node.cluster == cluster:
            opening, closing = _MERMAID_SHAPE[node.kind]
            text = "<br/>".join(_mermaid_escape(line) for line in graph.label(node))
            lines.append(f'{indent}{node.id}{opening}"{text}"{closing}')
    for index, child in enumerate(graph.clusters):
        if child.parent == cluster:
            title = _mermaid_escape(graph.cluster_label(index))
            lines.append(f'{indent}subgraph c{index} ["{title}"]')
            lines.extend(_mermaid_block(graph, index, indent + "  "))
            lines.append(f"{indent}end")
    return lines


def render(graph: Graph, path, format: str = "png") -> None:
    """Draw the graph into the file `path` with Graphviz's ``dot`` program (`format`:
    any output format dot knows: png, svg, pdf...). Graphviz must be installed; nothing
    else needs it."""
    program = shutil.which("dot")
    if program is None:
        raise S2sadError("drawing the graph needs Graphviz's 'dot' program, which is not "
                         "on the PATH", hint="install Graphviz (https://graphviz.org; "
                         "apt install graphviz, brew install graphviz, conda install "
                         "graphviz), or write the DOT text and draw it elsewhere")
    try:
        done = subprocess.run([program, f"-T{format}", "-o", str(path)], input=dot(graph),
                              capture_output=True, text=True, timeout=RENDER_TIMEOUT,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise S2sadError(f"Graphviz's dot failed to run: {exc}") from None
    if done.returncode != 0:
        raise S2sadError(f"Graphviz's dot failed (exit status {done.returncode}): "
                         f"{done.stderr.strip()}")


def svg(graph: Graph) -> str | None:
    """The graph drawn as SVG text by Graphviz, for a notebook; None when Graphviz is not
    installed or fails (the notebook then shows the Mermaid block)."""
    program = shutil.which("dot")
    if program is None:
        return None
    try:
        done = subprocess.run([program, "-Tsvg"], input=dot(graph), capture_output=True,
                              text=True, timeout=RENDER_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def mermaid_markdown(graph: Graph) -> str:
    """The Mermaid text as a Markdown block."""
    return f"```mermaid\n{mermaid(graph)}```\n"


def format_value(value, digits: int = 5) -> str:
    """A value as a node shows it: a number to `digits` significant digits, a small array in
    full, a larger one as its shape and range."""
    if np.ndim(value) == 0:
        if isinstance(value, (bool, np.bool_)):
            return str(bool(value))
        if np.iscomplexobj(value):
            return f"{complex(value):.{digits}g}"
        try:
            return f"{float(value):.{digits}g}"
        except (TypeError, ValueError):
            return type(value).__name__
    array = np.asarray(value)
    if array.size <= 4 and array.ndim == 1 and array.dtype.kind in "biuf":
        return "[" + ", ".join(f"{float(v):.{digits}g}" for v in array) + "]"
    shape = "×".join(str(n) for n in array.shape)
    if array.size and array.dtype.kind in "biuf":
        low, high = float(array.min()), float(array.max())
        return f"array {shape} in [{low:.{digits}g}, {high:.{digits}g}]"
    return f"array {shape}"


def _dot_quote(text: str) -> str:
    """`text` as a DOT string (a newline becomes DOT's centred line break)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _mermaid_escape(text: str) -> str:
    """`text` inside a quoted Mermaid label: its entity codes for what Mermaid reads as
    markup (``#`` first, since every code starts with it)."""
    for char, entity in (("#", "#35;"), ("&", "#amp;"), ('"', "#quot;"), ("<", "#lt;"),
                         (">", "#gt;")):
        text = text.replace(char, entity)
    return text
