"""The teaching view of generated code: the whole program, forward sweep and reverse sweep, as
the lecture writes it.

The optimised gradient of the lecture function drops the forward sweep (the adjoints need
none of its values but x1 and x2); a student expects to read it. The teaching view is the
unoptimized program with each temporary used once written into the statement that uses it,
so each adjoint update is one line (``x2_bar = x2_bar + t2_bar * x1``). It is still code:
the same statements in the same order, and it runs.
"""

from __future__ import annotations

from .formulas import formulas
from .record import instrument


def teaching_source(source: str, primal: set) -> str:
    """`source`, an unoptimized derivative program, with its temporaries written into their
    use. `primal` holds the names of the function's own SSA program (never written in)."""
    _, statements = instrument(source)
    reverse = any(s.reverse for s in statements.values())
    forward = {n for s in statements.values() if not s.reverse for n in s.targets}

    def is_temporary(name: str) -> bool:
        if reverse:
            return name not in forward and not name.endswith("_bar")
        return name not in primal and not name.endswith("_dot")

    printed, hidden = formulas(statements, is_temporary, scalars=False, readable=False)
    lines = source.split("\n")
    drop = set()
    for number, statement in statements.items():
        node = statement.node
        if node.lineno != node.end_lineno:  # a statement over several lines stays as it is
            continue
        if number in hidden:
            drop.add(node.lineno - 1)
        elif number in printed:
            line = lines[node.lineno - 1]
            indent = line[: len(line) - len(line.lstrip())]
            target = line.strip().split(" = ", 1)[0]
            lines[node.lineno - 1] = f"{indent}{target} = {printed[number]}"
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)
