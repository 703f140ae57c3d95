"""What a trace holds: the lecture's tables of one evaluation of a function, row by row.

A :class:`Trace` has up to three :class:`Table` s: the forward primal trace (every SSA
variable with its value), the forward tangent trace for one input (every ``v_dot``) and the
reverse adjoint trace (every update of a ``v_bar``, in the order the reverse sweep runs).
It prints as text (``str``), renders as HTML in a notebook (``_repr_html_``) and converts to
Markdown and JSON (:meth:`Trace.render`).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Row:
    """One line of a table.

    `kind` is ``"input"`` (a parameter, or a seed: the tangent or cotangent given),
    ``"assign"`` (a statement ``target = formula``), ``"branch"`` (an ``if``: `value` is the
    condition, True for the first arm), ``"output"`` (the value returned), ``"more"`` (the
    iterations a collapsed loop does not show) or ``"error"`` (the statement that raised:
    `value` is the message). `iteration` holds the index of each enclosing loop's iteration,
    outermost first.
    """

    kind: str
    target: str
    formula: str
    value: object
    iteration: tuple = ()
    note: str = ""
    loop: tuple = ()  # (loop statement ids), parallel to iteration: which loop each index counts

    @property
    def statement(self) -> str:
        """The row as the lecture writes it: ``t3 = t1 + t2``, ``x1`` for an input."""
        if self.kind in ("branch", "more", "error") or not self.formula:
            return self.formula or self.target
        return f"{self.target} = {self.formula}"


@dataclass
class Table:
    """One of the three traces."""

    kind: str  # "primal", "tangent", "adjoint"
    title: str
    rows: list = field(default_factory=list)
    finals: dict = field(default_factory=dict)  # name -> the last value the run gave it


@dataclass(repr=False)
class Trace:
    """Forward values, tangents and adjoints of one evaluation of a function.

    ``str(trace)`` (and ``repr``, so the prompt shows the tables) is the text of the tables with
    `digits` decimals, loops showing their first `max_iterations` iterations (None: all);
    :meth:`render` gives the other formats, ``_repr_html_`` the HTML a notebook shows.
    """

    name: str
    inputs: list = field(default_factory=list)  # (parameter, value)
    tables: list = field(default_factory=list)
    error: str | None = None  # the error that stopped the run, if one did
    digits: int = 3
    max_iterations: int | None = None

    def table(self, kind: str) -> Table | None:
        """The table of `kind` (``"primal"``, ``"tangent"``, ``"adjoint"``), if it was made."""
        return next((t for t in self.tables if t.kind == kind), None)

    def value(self, name: str):
        """The (last) forward value of the variable `name`."""
        return self._final("primal", name)

    def tangent(self, name: str):
        """The (last) tangent of `name` (``name_dot``) in the forward tangent trace."""
        return self._final("tangent", f"{name}_dot")

    def adjoint(self, name: str):
        """The final adjoint of `name` (``name_bar``) in the reverse adjoint trace."""
        return self._final("adjoint", f"{name}_bar")

    def _final(self, kind: str, name: str):
        table = self.table(kind)
        if table is not None and name in table.finals:
            return table.finals[name]
        raise KeyError(name)

    @property
    def output(self):
        """The value the function returned (KeyError if the run stopped before)."""
        table = self.table("primal")
        for row in table.rows if table is not None else ():
            if row.kind == "output":
                return row.value
        raise KeyError("output")

    def render(self, format: str = "text", digits: int | None = None,
               max_iterations: int | None = -1) -> str:
        """The tables as ``"text"``, ``"markdown"``, ``"html"`` or ``"json"``. `digits` and
        `max_iterations` default to the trace's own; JSON holds every row at full precision."""
        from .formats import FORMATS

        if format not in FORMATS:
            from ..errors import S2sadError

            raise S2sadError(f"unknown trace format {format!r}",
                             hint=f"use one of {', '.join(FORMATS)}")
        digits = self.digits if digits is None else digits
        limit = self.max_iterations if max_iterations == -1 else max_iterations
        return FORMATS[format](self, digits, limit)

    def __str__(self) -> str:
        return self.render("text")

    __repr__ = __str__  # at the Python prompt, the trace shows as its tables

    def _repr_html_(self) -> str:
        return self.render("html")
