"""Text rendering of a trace: values with a chosen number of decimals, long loops collapsed,
the columns aligned like the lecture's tables."""

from __future__ import annotations

import math

import numpy as np

from .trace import Row, Table, Trace

SMALL = 6  # an array of at most this many entries prints in full


def number(value, digits: int) -> str:
    """One number with `digits` decimals, trailing zeros dropped (the lecture's 11.652,
    5.5, 1); scientific notation where decimals would hide it (1e-05) or be too many."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (complex, np.complexfloating)):
        sign = "-" if value.imag < 0 else "+"
        return f"{number(value.real, digits)}{sign}{number(abs(value.imag), digits)}j"
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if value == 0 or 10.0 ** -digits <= abs(value) < 1e7:
        text = f"{value:.{digits}f}"
        text = text.rstrip("0").rstrip(".") if "." in text else text
        return "0" if text in ("-0", "") else text
    mantissa, exponent = f"{value:.{max(digits - 1, 0)}e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{exponent}"


def show(value, digits: int) -> str:
    """A value as a table cell: numbers as :func:`number`, arrays as their shape and a short
    summary (all entries when there are few), tuples and lists item by item."""
    if isinstance(value, np.ndarray) and value.ndim:
        shape = "x".join(str(n) for n in value.shape)
        if value.size <= SMALL and value.dtype != object:
            return f"array[{shape}] {_entries(value, digits)}"
        if value.dtype.kind in "fiu" and value.size:
            return (f"array[{shape}] min {number(value.min(), digits)}, mean "
                    f"{number(value.mean(), digits)}, max {number(value.max(), digits)}")
        if value.dtype.kind == "b":
            return f"array[{shape}] {int(value.sum())} True"
        return f"array[{shape}] {value.dtype}"
    if isinstance(value, np.ndarray):
        return show(value[()], digits)
    if isinstance(value, tuple):
        return "(" + ", ".join(show(v, digits) for v in value) + ("," if len(value) == 1 else "") \
            + ")"
    if isinstance(value, dict):
        if len(value) > SMALL:
            return f"dict of {len(value)}"
        return "{" + ", ".join(f"{k!r}: {show(v, digits)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        if len(value) > SMALL:
            return f"list of {len(value)}"
        return "[" + ", ".join(show(v, digits) for v in value) + "]"
    if isinstance(value, (bool, int, float, complex, np.generic)):
        return number(value, digits)
    if value is None:
        return "None"
    return type(value).__name__


def _entries(array: np.ndarray, digits: int) -> str:
    if array.ndim == 1:
        return "[" + ", ".join(number(v, digits) for v in array) + "]"
    return "[" + ", ".join(_entries(a, digits) for a in array) + "]"


def iteration_label(row: Row) -> str:
    """``2`` for the third iteration of a loop, ``1.0`` inside a nested loop."""
    return ".".join(str(i) for i in row.iteration)


def visible(rows: list, limit: int | None) -> list:
    """`rows` with each loop showing its first `limit` iterations; the rest of a loop becomes
    one ``"more"`` row saying how many iterations it hides."""
    if limit is None:
        return list(rows)
    out: list = []
    hidden: dict = {}  # (enclosing iterations, loop) -> (its "more" row, the hidden indices)
    for row in rows:
        depth = next((d for d, i in enumerate(row.iteration) if i >= limit), None)
        if depth is None:
            out.append(row)
            continue
        key = (row.iteration[:depth], row.loop[depth])
        if key not in hidden:
            more = Row("more", "", "", None, row.iteration[:depth], loop=row.loop[:depth])
            hidden[key] = (more, set())
            out.append(more)
        hidden[key][1].add(row.iteration[depth])
    for more, indices in hidden.values():
        count = len(indices)
        more.formula = f"… {count} more iteration{'s' if count != 1 else ''}"
    return out


def text(trace: Trace, digits: int, limit: int | None) -> str:
    """The tables as aligned text."""
    return "\n".join(_table(trace, table, digits, limit) for table in trace.tables)


def cells(row: Row, digits: int) -> tuple[str, str, str]:
    """The statement, value and note columns of `row`."""
    if row.kind == "more":
        return row.formula, "", ""
    if row.kind == "error":
        return row.formula, "error", str(row.value)
    if row.kind == "branch":
        return row.formula, show(row.value, digits), "then branch" if row.value else "else branch"
    return row.statement, show(row.value, digits), row.note


def _table(trace: Trace, table: Table, digits: int, limit: int | None) -> str:
    rows = visible(table.rows, limit)
    loops = any(row.iteration for row in rows)
    columns = [cells(row, digits) for row in rows]
    labels = [f"[{iteration_label(row)}]" if row.iteration else "" for row in rows]
    width = max([len(s) for s, _, _ in columns] + [12])
    label_width = max([len(label) for label in labels] + [0])
    value_width = max([len(v) for _, v, n in columns if n] + [0])
    lines = [table.title]
    for label, (statement, value, note) in zip(labels, columns):
        line = "  " + (label.ljust(label_width) + "  " if loops else "")
        if value or note:
            line += f"{statement.ljust(width)}  = {value.ljust(value_width) if note else value}"
        else:
            line += statement
        if note:
            line += f"  ({note})"
        lines.append(line.rstrip())
    return "\n".join(lines)
