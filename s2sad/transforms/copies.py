"""Copy coalescing and copy propagation: one name per value, the better name kept."""

from __future__ import annotations

import dataclasses
import functools
from collections import Counter

from ..ir import (
    Break,
    Const,
    Copy,
    Function,
    Op,
    Pop,
    Push,
    Var,
    children,
    map_block,
    targets,
    walk,
    with_blocks,
)
from .usage import COMPOUND, TEMP, VERSION, counts_of, replaced, substituted


@functools.lru_cache(maxsize=1 << 16)  # asked again for the same names on every pass
def _rank(name: str) -> tuple:
    """How good a name is to keep: user names before versioned ones (x_1), temporaries last;
    adjoints and tangents rank as their primal."""
    base, version = name, 0
    while True:
        suffix = VERSION.search(base)
        if suffix:
            version = max(version, int(suffix.group(1)))
            base = base[: suffix.start()]
        elif base.endswith(("_bar", "_dot")):
            base = base[:-4]
        else:
            break
    return (bool(TEMP.match(name)), bool(TEMP.match(base)), version, len(name))


def _rename_all(body: list, names: dict) -> list:
    """`body` with every occurrence (reads and writes) of the keys of `names` renamed;
    copies that become ``x = x`` go."""
    mapping = {old: Var(new) for old, new in names.items()}

    def visit(stmt):
        stmt = substituted(stmt, mapping, names)
        if isinstance(stmt, Copy) and type(stmt.value) is Var and stmt.value.name == stmt.target:
            return None
        return stmt

    return map_block(body, visit)


class _Coalescer:
    """One sweep of copy coalescing in program order.

    Rewrites happen as the sweep meets them, as if each were applied to the whole function
    before the next is considered: a rename is recorded in `alias` (applied to the code once,
    at the end; names are looked up through it), and the use and assignment counts are kept
    for the current names.
    """

    def __init__(self, fn: Function, counts: tuple):
        self.params = set(fn.params)
        self.uses, self.assigned = Counter(counts[0]), Counter(counts[1])  # kept up to date
        self.alias: dict = {}

    def find(self, name: str) -> str:
        alias = self.alias
        root = name
        while root in alias:
            root = alias[root]
        while name != root:  # shorten the path for the next look-up
            alias[name], name = root, alias[name]
        return root

    def mentions(self, stmt, name: str) -> bool:
        """Whether the simple statement `stmt` reads or assigns `name` (current names)."""
        find = self.find
        return any(type(a) is Var and find(a.name) == name for a in stmt.atoms()) or any(
            find(t) == name for t in targets(stmt))

    def block(self, stmts: list, top: bool) -> list:
        out = []
        changed = False
        for stmt in stmts:
            if isinstance(stmt, COMPOUND):
                old_blocks = children(stmt)
                blocks = [self.block(block, False) for block in old_blocks]
                if any(b is not o for b, o in zip(blocks, old_blocks)):
                    stmt = with_blocks(stmt, blocks)
                    changed = True
            elif isinstance(stmt, Copy) and type(stmt.value) is Var and (
                self.coalesce(stmt, out, top)
            ):
                changed = True
                continue
            out.append(stmt)
        return out if changed else stmts

    def rename(self, a: str, b: str) -> None:
        """Every `a` becomes `b` (read once, by the copy ``a = b`` that goes)."""
        self.alias[a] = b
        self.uses[b] = self.uses.pop(a, 0)
        self.assigned[b] += self.assigned.pop(a, 0) - 1

    def coalesce(self, stmt: Copy, out: list, top: bool) -> bool:
        """``b = expr; a = b`` with `b` read only there: one name instead of two.

        The better name is kept (see `_rank`): ``t9 = g * x2; x1_bar = t9`` becomes
        ``x1_bar = g * x2``, and ``s = 0.0; s_1 = s`` (before a loop) makes the loop use
        ``s``. `out` is the block so far; the copy is dropped when this gives True.
        """
        a, b = self.find(stmt.target), self.find(stmt.value.name)
        uses, assigned = self.uses, self.assigned
        if a == b or uses[b] != 1 or a in self.params:
            return False
        if b in self.params:
            if assigned[b] != 1 or not top or _rank(b) > _rank(a):
                return False
            if any(self.mentions(s, a) for prev in out for s in walk([prev])):
                return False
            self.rename(a, b)
            return True
        if assigned[b] != 1:
            return False
        for j in range(len(out) - 1, -1, -1):
            prev = out[j]
            if isinstance(prev, (Op, Copy)) and self.find(prev.target) == b:
                if _rank(b) <= _rank(a):
                    self.rename(a, b)
                else:
                    out[j] = dataclasses.replace(prev, target=a)
                    uses[b] -= 1
                    assigned[b] -= 1
                return True
            if isinstance(prev, (*COMPOUND, Pop, Push, Break)) or self.mentions(prev, a):
                return False
        return False


def coalesce_copies(fn: Function, counts=counts_of) -> Function:
    """Every copy ``a = b`` whose source `b` is read only there, merged with `b`'s
    definition (see `_Coalescer.coalesce`), in one sweep. Gives `fn` itself when nothing
    changes. `counts` gives the counts of a function (see `Counts`)."""
    sweep = _Coalescer(fn, counts(fn))
    body = sweep.block(fn.body, True)
    if sweep.alias:
        body = _rename_all(body, {name: sweep.find(name) for name in list(sweep.alias)})
    return replaced(fn, body)


def propagate_copies(fn: Function, counts=counts_of) -> Function:
    """Replace reads of ``a`` by ``b`` after ``a = b`` when both are single-assignment."""
    uses, assigned = counts(fn)
    params = set(fn.params)
    mapping: dict = {}
    for stmt in walk(fn.body):
        if isinstance(stmt, Copy) and not stmt.carry and assigned[stmt.target] == 1 and (
            stmt.target not in params
        ):
            value = stmt.value
            # A copy whose source is read only here is left to coalescing, which keeps the
            # better of the two names.
            if (isinstance(value, Var) and assigned[value.name] <= 1 and (
                    uses[value.name] > 1 or _rank(value.name) <= _rank(stmt.target))) or (
                isinstance(value, Const) and TEMP.match(stmt.target)
            ):
                mapping[stmt.target] = value
    if not mapping:
        return fn
    # Resolve chains a -> b -> c.
    for name in list(mapping):
        seen = {name}
        value = mapping[name]
        while isinstance(value, Var) and value.name in mapping and value.name not in seen:
            seen.add(value.name)
            value = mapping[value.name]
        mapping[name] = value

    def visit(stmt):
        if isinstance(stmt, Copy) and stmt.target in mapping and not stmt.carry:
            return None
        return substituted(stmt, mapping)

    return replaced(fn, map_block(fn.body, visit))
