"""Traces for teaching: the lecture's forward primal, forward tangent and reverse adjoint
tables of a function at a point, with the numbers the generated code computes.

- ``trace``: the data model (:class:`Trace`, :class:`Table`, :class:`Row`);
- ``record``: generated code instrumented to report every statement it runs;
- ``formulas``: the formula each row prints (temporaries written into their use);
- ``evaluate``: the three programs run, their reports made into tables;
- ``tables``: text rendering (numbers, arrays, collapsed loops);
- ``formats``: Markdown, HTML and JSON.
"""

from .trace import Row, Table, Trace

__all__ = ["Row", "Table", "Trace"]
