"""A trace as Markdown, HTML or JSON (the text tables are :mod:`.tables`).

Markdown and HTML show what the text shows (the same cells); JSON is for programs: every row,
every value at full precision (arrays as their shape and nested lists), nothing collapsed.
"""

from __future__ import annotations

import html
import json
import math

import numpy as np

from .tables import cells, iteration_label, text, visible
from .trace import Trace


def markdown(trace: Trace, digits: int, limit: int | None) -> str:
    """One Markdown table per trace, under a bold title."""
    parts = []
    for table in trace.tables:
        rows = visible(table.rows, limit)
        loops = any(row.iteration for row in rows)
        head = (["iteration"] if loops else []) + ["statement", "value", "note"]
        lines = [f"**{table.title}**", "", "| " + " | ".join(head) + " |",
                 "|" + "---|" * len(head)]
        for row in rows:
            cell = [f"`{c}`" if i == 0 and c and row.kind != "more" else c
                    for i, c in enumerate(cells(row, digits))]
            cell = ([iteration_label(row)] if loops else []) + cell
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cell) + " |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def html_tables(trace: Trace, digits: int, limit: int | None) -> str:
    """One HTML table per trace (what a notebook shows)."""
    parts = ['<div class="s2sad-trace">']
    for table in trace.tables:
        rows = visible(table.rows, limit)
        loops = any(row.iteration for row in rows)
        head = (["iteration"] if loops else []) + ["statement", "value", "note"]
        parts.append(f"<table><caption>{html.escape(table.title)}</caption>")
        parts.append("<thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead>")
        parts.append("<tbody>")
        for row in rows:
            statement, value, note = cells(row, digits)
            cell = ([iteration_label(row)] if loops else []) + [statement, value, note]
            style = ' style="color:#b00020;font-weight:bold"' if row.kind == "error" else ""
            code = row.kind != "more"
            tds = "".join(f"<td><code>{html.escape(c)}</code></td>" if code and
                          i == len(cell) - 3 else f"<td>{html.escape(c)}</td>"
                          for i, c in enumerate(cell))
            parts.append(f'<tr class="{row.kind}"{style}>{tds}</tr>')
        parts.append("</tbody></table>")
    parts.append("</div>")
    return "\n".join(parts)


def as_json(trace: Trace, digits: int, limit: int | None) -> str:
    """The trace as a JSON document (`digits` and `limit` do not apply: nothing is rounded or
    left out). Non-finite numbers are the strings ``"nan"``, ``"inf"``, ``"-inf"``."""
    document = {
        "function": trace.name,
        "inputs": {name: encode(value) for name, value in trace.inputs},
        "error": trace.error,
        "tables": [{"kind": table.kind, "title": table.title, "rows": [
            {"kind": row.kind, "target": row.target, "formula": row.formula,
             "statement": row.statement, "value": encode(row.value),
             "iteration": list(row.iteration), "note": row.note}
            for row in table.rows]} for table in trace.tables],
    }
    return json.dumps(document, indent=1)


def encode(value):
    """`value` as JSON data: numbers as numbers, arrays as ``{"shape", "dtype", "data"}``,
    complex numbers as ``{"real", "imag"}``, tuples and lists as lists, dicts as objects."""
    if isinstance(value, np.ndarray):
        return {"shape": list(value.shape), "dtype": str(value.dtype),
                "data": encode(value.tolist())}
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (complex, np.complexfloating)):
        return {"real": encode(value.real), "imag": encode(value.imag)}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if value is None or isinstance(value, str):
        return value
    return repr(value)


FORMATS = {"text": text, "markdown": markdown, "html": html_tables, "json": as_json}
