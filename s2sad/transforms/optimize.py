"""Optimize: make generated code small and still readable.

Passes, repeated until nothing changes (no cap on rounds: every pass that reports a change
removes a statement or turns an operation into a copy, so the rounds end):

- copy coalescing: ``t9 = g * x2; x1_bar = t9`` becomes ``x1_bar = g * x2`` (keeps the
  meaningful name);
- copy propagation: reads of ``a`` after ``a = b`` read ``b`` (when both are assigned once);
- common-subexpression elimination of identical operations within a block;
- dead-code elimination by liveness, through branches and loops: operations whose results
  nobody reads vanish, which is how adjoints nobody asked for disappear.

Each pass rewrites the whole function in one sweep (coalescing keeps its use and assignment
counts up to date as it goes and renames once at the end; liveness runs once per round), so
the number of rounds does not grow with the length of the code. Passes build new statements
and lists; they never change a node of the IR they are given.

Pure primitives only are dropped or merged: an impure one (``prim.pure`` false: it may draw a
random number) stays, and so does ``new_list`` (each call makes a distinct list); stack pushes
and pops are kept (the two sweeps must stay paired).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections import Counter

from ..ir.nodes import (
    Break,
    Comment,
    Const,
    Copy,
    For,
    Function,
    If,
    Op,
    Pop,
    Push,
    Return,
    Var,
    While,
    children,
    map_block,
    rewrite,
    targets,
    walk,
    with_blocks,
)

_TEMP = re.compile(r"t\d+$")
_VERSION = re.compile(r"_(\d+)$")
_COMPOUND = (If, For, While)


def _counts(fn: Function) -> tuple:
    """(uses, assigned): how many times each name is read, and assigned (a parameter counts
    as one assignment)."""
    reads: list = []
    writes = list(fn.params)
    read, write = reads.append, writes.append
    for stmt in walk(fn.body):
        kind = type(stmt)
        if kind is Op:
            write(stmt.target)
            for atom in stmt.args:
                if type(atom) is Var:
                    read(atom.name)
            for _, atom in stmt.kwargs:
                if type(atom) is Var:
                    read(atom.name)
        elif kind is Copy:
            write(stmt.target)
            if type(stmt.value) is Var:
                read(stmt.value.name)
        else:
            writes.extend(targets(stmt))
            reads.extend(a.name for a in stmt.atoms() if type(a) is Var)
    return Counter(reads), Counter(writes)


class _Counts:
    """The counts (see `_counts`) of the last function body asked for: a pass that changes
    nothing leaves the body as it was, and the next pass need not count again."""

    def __init__(self):
        self.body = None
        self.value = None

    def __call__(self, fn: Function) -> tuple:
        if fn.body is not self.body:
            self.body, self.value = fn.body, _counts(fn)
        return self.value


def _sub(atom, mapping: dict):
    if type(atom) is Var:
        return mapping.get(atom.name, atom)
    return atom


def _stack(name: str, mapping: dict) -> str:
    value = mapping.get(name)
    return value.name if type(value) is Var else name


def _substitute(stmt, mapping: dict, names: dict | None = None):
    """`stmt` with the variables it reads replaced via `mapping` (name -> atom) and, when
    `names` is given, the names it assigns renamed via `names` (name -> name). Nested blocks
    are left as they are (see `map_block`); an untouched statement is returned itself."""
    names = names or {}
    if type(stmt) is Op:  # most statements: look at them without the generic rewrite
        for atom in stmt.args:
            if type(atom) is Var and atom.name in mapping:
                break
        else:
            if stmt.target not in names and not any(
                type(a) is Var and a.name in mapping for _, a in stmt.kwargs
            ):
                return stmt
    return rewrite(stmt, lambda atom: _sub(atom, mapping), lambda name: names.get(name, name),
                   lambda stack: names.get(stack, _stack(stack, mapping)))


def _replaced(fn: Function, body: list) -> Function:
    return fn if body is fn.body else dataclasses.replace(fn, body=body)


@functools.lru_cache(maxsize=1 << 16)  # asked again for the same names on every pass
def _rank(name: str) -> tuple:
    """How good a name is to keep: user names before versioned ones (x_1), temporaries last;
    adjoints and tangents rank as their primal."""
    base, version = name, 0
    while True:
        suffix = _VERSION.search(base)
        if suffix:
            version = max(version, int(suffix.group(1)))
            base = base[: suffix.start()]
        elif base.endswith(("_bar", "_dot")):
            base = base[:-4]
        else:
            break
    return (bool(_TEMP.match(name)), bool(_TEMP.match(base)), version, len(name))


def _rename_all(body: list, names: dict) -> list:
    """`body` with every occurrence (reads and writes) of the keys of `names` renamed;
    copies that become ``x = x`` go."""
    mapping = {old: Var(new) for old, new in names.items()}

    def visit(stmt):
        stmt = _substitute(stmt, mapping, names)
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
            if isinstance(stmt, _COMPOUND):
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
            if isinstance(prev, (*_COMPOUND, Pop, Push, Break)) or self.mentions(prev, a):
                return False
        return False


def coalesce_copies(fn: Function, counts=_counts) -> Function:
    """Every copy ``a = b`` whose source `b` is read only there, merged with `b`'s
    definition (see `_Coalescer.coalesce`), in one sweep. Gives `fn` itself when nothing
    changes. `counts` gives the counts of a function (see `_Counts`)."""
    sweep = _Coalescer(fn, counts(fn))
    body = sweep.block(fn.body, True)
    if sweep.alias:
        body = _rename_all(body, {name: sweep.find(name) for name in list(sweep.alias)})
    return _replaced(fn, body)


def propagate_copies(fn: Function, counts=_counts) -> Function:
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
                isinstance(value, Const) and _TEMP.match(stmt.target)
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
        return _substitute(stmt, mapping)

    return _replaced(fn, map_block(fn.body, visit))


def _cse_key(op: Op, part, assigned):
    """What makes `op` the same as another operation (its primitive and the values it reads),
    or None when it reads a name assigned more than once or an unhashable constant."""
    args = []
    for atom in op.args:
        if type(atom) is Var and assigned[atom.name] > 1:
            return None
        args.append(part(atom))
    kwargs = []
    for name, atom in op.kwargs:
        if type(atom) is Var and assigned[atom.name] > 1:
            return None
        kwargs.append((name, part(atom)))
    key = (op.prim.name, tuple(args), tuple(kwargs))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def eliminate_common_subexpressions(fn: Function, counts=_counts) -> Function:
    """Reuse an earlier identical operation of the same block whose inputs are never
    reassigned.

    A repeat becomes a copy of the first. Operations are compared by the values they read:
    after ``a = b`` (both assigned once) or after ``b1`` is found to repeat ``a1``, a read of
    ``a`` or ``b1`` counts as a read of ``b`` or ``a1`` in the rest of the block and the
    blocks inside it, so ``b2 = b1 * x`` repeats ``a2 = a1 * x`` in the same sweep.
    """
    assigned = counts(fn)[1]
    params = set(fn.params)
    same: dict = {}  # name -> the key part of the value it holds (a name or a constant)

    def part(atom):
        if type(atom) is Var:
            return same.get(atom.name, atom.name)
        return (type(atom.value), atom.value)  # as Const compares: 1 and 1.0 differ

    def block(stmts: list) -> list:
        seen: dict = {}  # key -> name of the first operation
        added = []  # names given a value in `same` here, forgotten after the block
        out = []
        changed = False
        for stmt in stmts:
            kind = type(stmt)
            if kind is Op:
                prim = stmt.prim
                key = None
                if assigned[stmt.target] == 1 and prim.pure and prim.name != "new_list":
                    # (each new_list call makes a distinct list; impure calls may draw anew)
                    key = _cse_key(stmt, part, assigned)
                first = seen.get(key) if key is not None else None
                if first is not None:
                    same[stmt.target] = first
                    added.append(stmt.target)
                    stmt = Copy(stmt.target, Var(first), stmt.loc)
                    changed = True
                elif key is not None:
                    seen[key] = stmt.target
            elif kind is Copy and not stmt.carry and assigned[stmt.target] == 1 and (
                stmt.target not in params
            ) and (type(stmt.value) is not Var or assigned[stmt.value.name] <= 1):
                value = part(stmt.value)
                try:
                    hash(value)
                except TypeError:  # an unhashable constant
                    value = None
                if value is not None:
                    same[stmt.target] = value
                    added.append(stmt.target)
            elif isinstance(stmt, _COMPOUND):
                old_blocks = children(stmt)
                blocks = [block(b) for b in old_blocks]
                if any(b is not o for b, o in zip(blocks, old_blocks)):
                    stmt = with_blocks(stmt, blocks)
                    changed = True
            out.append(stmt)
        for name in added:
            del same[name]
        return out if changed else stmts

    return _replaced(fn, block(fn.body))


def _reads(stmt) -> set:
    return {a.name for a in stmt.atoms() if type(a) is Var}


def _live_block(stmts: list, live_out: set, exit_live: set):
    """Liveness through `stmts`, backwards, dropping what nobody reads: operations and copies
    whose result is dead, then branches and ``for`` loops left with nothing inside (their
    tests and bounds are not read then).

    Returns (statements, live-in set); the statements are `stmts` itself when nothing was
    dropped. `exit_live` is what is live where a ``break`` goes.
    """
    live = set(live_out)
    out = []
    changed = False
    for stmt in reversed(stmts):
        new = stmt
        if isinstance(stmt, (Op, Copy)):
            if stmt.target not in live and (isinstance(stmt, Copy) or stmt.prim.pure):
                changed = True
                continue
            live.discard(stmt.target)
            live.update(a.name for a in stmt.atoms() if type(a) is Var)
        elif isinstance(stmt, Pop):
            live.difference_update(stmt.targets)
            live.add(stmt.stack)
        elif isinstance(stmt, Break):
            live = set(exit_live)
        elif isinstance(stmt, If):
            body, live_body = _live_block(stmt.body, live, exit_live)
            orelse, live_else = _live_block(stmt.orelse, live, exit_live)
            if not body and not orelse:
                changed = True
                continue
            if body is not stmt.body or orelse is not stmt.orelse:
                new = with_blocks(stmt, [body, orelse])
            live = live_body | live_else | _reads(stmt)
        elif isinstance(stmt, (For, While)):
            new, live = _live_loop(stmt, live, exit_live)
            if new is None:
                changed = True
                continue
        else:  # Push, Return, Comment
            live |= _reads(stmt)
        changed = changed or new is not stmt
        out.append(new)
    return (out[::-1] if changed else stmts), live


def _live_loop(stmt, live_after: set, exit_live: set):
    """The loop `stmt` with its blocks pruned (None for a ``for`` loop left empty) and the
    names live at its head, iterated until the body adds none. A ``break`` in the body goes
    to `live_after`; a loop that ends without one runs its ``else`` block first (whose own
    ``break`` leaves the enclosing loop: `exit_live`)."""
    orelse, done = _live_block(stmt.orelse, live_after, exit_live)
    head = set(done)
    while True:
        body, body_in = _live_block(stmt.body, head, live_after)
        if isinstance(stmt, For):
            if not body and not orelse:
                return None, set(live_after)
            new_head = done | (body_in - {stmt.target}) | _reads(stmt)
        else:  # the test's own statements are kept as they are
            _, test_in = _live_block(stmt.test_body, done | body_in | _reads(stmt), live_after)
            new_head = done | test_in
        if new_head <= head:
            break
        head |= new_head
    if body is stmt.body and orelse is stmt.orelse:
        return stmt, head
    return stmt.replace(body=body, orelse=orelse), head


def eliminate_dead_code(fn: Function, counts=None) -> Function:
    """Drop operations and copies whose result is never read, and empty branches/loops.
    (`counts` is not needed; it is there so that every pass is called alike.)"""
    body, _ = _live_block(fn.body, set(), set())
    # A comment heading an empty section goes too.
    kept = [s for i, s in enumerate(body) if not (
        isinstance(s, Comment) and (i + 1 == len(body) or isinstance(body[i + 1],
                                                                     (Comment, Return))))]
    return _replaced(fn, body if len(kept) == len(body) else kept)


PASSES = (coalesce_copies, eliminate_common_subexpressions, propagate_copies,
          eliminate_dead_code)


def optimize(fn: Function) -> Function:
    """`fn` with the passes run until none changes anything: a new function, or `fn` itself
    when there is nothing to do. `fn` and its statements are left as they are."""
    counts = _Counts()
    while True:
        start = fn
        for run in PASSES:
            fn = run(fn, counts)
        if fn is start:
            return fn
