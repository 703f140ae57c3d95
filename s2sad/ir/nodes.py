"""The intermediate representation: an SSA trace of primitive operations.

A function body is a list of statements. Straight-line code is a sequence of :class:`Op`
(``t1 = np.log(x1)``, one primitive per line) and :class:`Copy` (``s = 0.0``). Control flow is
structured (:class:`If`, :class:`For`, :class:`While`), never a goto graph, so that the emitted
code keeps the user's branches and loops. Arguments of an operation are atoms: a :class:`Var`
or a :class:`Const`, never a nested expression.

Transformations produce new statement lists; nodes are treated as immutable once built.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import ClassVar, Union

from ..errors import Location


@dataclass(frozen=True)
class Var:
    """A reference to a named value."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Const:
    """A literal value: number, bool, None, string, slice, Ellipsis or tuple of these."""

    value: object

    def __str__(self) -> str:
        return repr(self.value)

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, Const)
            and type(self.value) is type(other.value)
            and self.value == other.value
        )

    def __hash__(self) -> int:
        return hash((type(self.value), self.value))


class Dotted(str):
    """The value of a Const that names a type by its spelling (``float``, ``np.float32``), as
    in ``x.astype(np.float32)`` or ``dtype=float``: emitted as that name."""

    def __repr__(self) -> str:
        return str(self)


Atom = Union[Var, Const]

# Every statement is a frozen dataclass whose fields have roles, listed in its SPEC: the one
# generic traversal (`children`, `rewrite`, `map_block`, `walk`) and the analyses (`targets`,
# `reads`, `assigned`) read the roles, so a new statement declares its fields once and is then
# walked, renamed and analysed like every other. Roles:
#   target / targets  names the statement assigns
#   atom / atoms      an Atom (or None) / a tuple of Atoms it reads
#   kwatoms           ((name, Atom), ...) it reads
#   ref               a name it reads that is not an atom (the stack of a push or pop)
#   block             a nested statement list
# Fields not listed are data (a primitive, a location, flags). Nodes are never changed after
# they are built: transformations make new ones (`replace`, `rewrite`).


class Stmt:
    """Base of IR statements."""

    SPEC: ClassVar[tuple] = ()
    BLOCKS: ClassVar[tuple] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.BLOCKS = tuple(fld for fld, role in cls.SPEC if role == "block")

    def atoms(self):
        """The atoms this statement reads directly (a ref is read as a Var)."""
        for fld, role in self.SPEC:
            value = getattr(self, fld)
            if role == "atom":
                if value is not None:
                    yield value
            elif role == "atoms":
                yield from value
            elif role == "kwatoms":
                for _, atom in value:
                    yield atom
            elif role == "ref":
                yield Var(value)

    def replace(self, **changes):
        """A copy of this statement with `changes` to its fields."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Op(Stmt):
    """``targets = prim(*args, **kwargs)``: one primitive operation."""

    target: str
    prim: object  # rules.registry.Primitive; untyped here so ir does not import the rules
    args: tuple
    kwargs: tuple = ()  # ((name, Atom), ...) static or non-differentiable parameters
    loc: Location | None = None
    SPEC: ClassVar[tuple] = (("target", "target"), ("args", "atoms"), ("kwargs", "kwatoms"))

    def atoms(self):  # the most common statement: no generic loop
        yield from self.args
        for _, value in self.kwargs:
            yield value

    def kwarg(self, name, default=None):
        for key, value in self.kwargs:
            if key == name:
                return value
        return default


@dataclass(frozen=True)
class Copy(Stmt):
    """``target = value``: a copy or a constant definition.

    `carry` marks the copy that writes a loop-carried variable back at the end of an iteration
    (or before a ``break``): its target's old value is a different value than its new one.
    """

    target: str
    value: Atom
    loc: Location | None = None
    carry: bool = False
    SPEC: ClassVar[tuple] = (("target", "target"), ("value", "atom"))


@dataclass(frozen=True)
class Return(Stmt):
    """``return value`` (a single atom) or ``return a, b`` (a tuple of atoms)."""

    values: tuple
    is_tuple: bool = False
    loc: Location | None = None
    SPEC: ClassVar[tuple] = (("values", "atoms"),)


@dataclass(frozen=True)
class Comment(Stmt):
    """A line comment in emitted code (``# forward sweep``): metadata of the program it heads,
    which the transformations pass through or drop, never differentiate."""

    text: str


@dataclass(frozen=True)
class If(Stmt):
    """A structured branch on an atom."""

    test: Atom
    body: list
    orelse: list
    loc: Location | None = None
    SPEC: ClassVar[tuple] = (("test", "atom"), ("body", "block"), ("orelse", "block"))


@dataclass(frozen=True)
class For(Stmt):
    """``for target in range(*bounds)``, kept as a loop.

    Every loop is lowered to an index loop over a range (iterating an array's rows becomes
    ``row = x[i]``). `reverse` walks the range backwards and `limit` (an atom) keeps only its
    first `limit` entries: that is how the adjoint replays a loop that ended in ``break``.
    `orelse` runs after the loop when it did not end in ``break`` (Python's ``for ... else``).
    """

    target: str
    bounds: tuple  # (stop,), (start, stop) or (start, stop, step): atoms
    body: list
    loc: Location | None = None
    reverse: bool = False
    limit: Atom | None = None
    orelse: list = field(default_factory=list)
    SPEC: ClassVar[tuple] = (("target", "target"), ("bounds", "atoms"), ("limit", "atom"),
                             ("body", "block"), ("orelse", "block"))


@dataclass(frozen=True)
class While(Stmt):
    """``while test: body``; `test_body` recomputes `test` before every trip; `orelse` runs
    when the loop ends without ``break``."""

    test_body: list
    test: Atom
    body: list
    loc: Location | None = None
    orelse: list = field(default_factory=list)
    SPEC: ClassVar[tuple] = (("test_body", "block"), ("test", "atom"), ("body", "block"),
                             ("orelse", "block"))


@dataclass(frozen=True)
class Break(Stmt):
    """``break``: leaves the innermost loop (always the last statement of its block)."""

    loc: Location | None = None


@dataclass(frozen=True)
class Push(Stmt):
    """``stack.append(values)``: saves values of a loop iteration for the reverse sweep.

    A stack is a value updated in place, each version used once: a push makes it one tuple
    longer, a pop one shorter. Both are linear; each is the other's adjoint (reverse.py) and
    has a push or pop on a stack of tangents as its tangent (forward.py)."""

    stack: str
    values: tuple
    SPEC: ClassVar[tuple] = (("stack", "ref"), ("values", "atoms"))


@dataclass(frozen=True)
class Pop(Stmt):
    """``targets = stack.pop()``: restores the values saved by the matching :class:`Push`."""

    stack: str
    targets: tuple
    SPEC: ClassVar[tuple] = (("stack", "ref"), ("targets", "targets"))


@dataclass(frozen=True)
class Function:
    """A function in IR form."""

    name: str
    params: list
    body: list
    defaults: tuple = ()  # Const defaults of the trailing parameters
    source_names: frozenset = frozenset()  # every name the user's code uses
    globals_used: dict = field(default_factory=dict)  # global name -> the object it names
    recursions: tuple = ()  # recursive callees, linked at load time
    # Whether every value has its own name (as lowering makes it; see ssa.normalize). A
    # derivative program accumulates adjoints in place and is not.
    ssa: bool = True
    # A gradient program's output is a scalar when these parameters are 0-d (its shape is
    # the broadcast of theirs; () for always). None: the program checks it (scalar_seed).
    scalar_if: tuple | None = None

    def replace(self, **changes) -> Function:
        return dataclasses.replace(self, **changes)


# ---------------------------------------------------------------------- the one traversal
def children(stmt) -> list:
    """The nested statement lists of a statement (none for a simple one)."""
    return [getattr(stmt, name) for name in stmt.BLOCKS]


def with_blocks(stmt, blocks):
    """`stmt` with its nested statement lists replaced by `blocks` (in `children` order)."""
    return dataclasses.replace(stmt, **dict(zip(stmt.BLOCKS, blocks)))


def walk(body, enter=None):
    """Every statement in `body`, depth first, in program order; the blocks of a compound
    statement only if ``enter(stmt)`` is true (default: all of them)."""
    stack = [iter(body)]
    while stack:
        for stmt in stack[-1]:
            yield stmt
            if stmt.BLOCKS and (enter is None or enter(stmt)):
                stack.extend(iter(b) for b in reversed(children(stmt)))
            break
        else:
            stack.pop()


def map_block(stmts: list, visit) -> list:
    """`stmts` with every statement replaced by ``visit(stmt)`` (dropped when it gives None),
    nested blocks first. Gives `stmts` itself when nothing changed."""
    out = []
    changed = False
    for stmt in stmts:
        new = stmt
        if stmt.BLOCKS:
            old = children(stmt)
            blocks = [map_block(block, visit) for block in old]
            if any(b is not o for b, o in zip(blocks, old)):
                new = with_blocks(stmt, blocks)
        new = visit(new)
        if new is not stmt:
            changed = True
        if new is not None:
            out.append(new)
    return out if changed else stmts


def rewrite(stmt, atom=None, name=None, ref=None):
    """`stmt` (not its nested blocks) with every atom it reads passed through ``atom(a)``,
    every name it assigns through ``name(n)`` and every ref through ``ref(n)`` (default:
    `name`); `stmt` itself if nothing changes."""
    ref = ref or name
    changes = {}
    for fld, role in stmt.SPEC:
        value = getattr(stmt, fld)
        if atom is not None and role in ("atom", "atoms", "kwatoms"):
            if role == "atom":
                new = value if value is None else atom(value)
            elif role == "atoms":
                new = tuple(atom(a) for a in value)
            else:
                new = tuple((k, atom(a)) for k, a in value)
        elif ref is not None and role == "ref":
            new = ref(value)
        elif name is not None and role == "target":
            new = name(value)
        elif name is not None and role == "targets":
            new = tuple(name(t) for t in value)
        else:
            continue
        if new != value:
            changes[fld] = new
    return dataclasses.replace(stmt, **changes) if changes else stmt


def map_names(stmts, rename) -> list:
    """`stmts` with every variable name, read or assigned, replaced by ``rename(name)`` (new
    statements; nested blocks included; comments kept)."""

    def atom(a):
        return Var(rename(a.name)) if isinstance(a, Var) else a

    return map_block(stmts, lambda stmt: rewrite(stmt, atom, rename))


def substitute(stmts, mapping: dict) -> list:
    """`stmts` with the reads of each name in `mapping` replaced by its atom."""

    def atom(a):
        return mapping.get(a.name, a) if isinstance(a, Var) else a

    return map_block(stmts, lambda stmt: rewrite(stmt, atom))


def targets(stmt) -> tuple:
    """Names a statement assigns directly (not inside nested blocks)."""
    if type(stmt) is Op or type(stmt) is Copy:
        return (stmt.target,)
    names = ()
    for fld, role in stmt.SPEC:
        if role == "target":
            names += (getattr(stmt, fld),)
        elif role == "targets":
            names += tuple(getattr(stmt, fld))
    return names


def assigned(body) -> set:
    """Every name assigned anywhere in `body`, nested blocks included."""
    return {name for stmt in walk(body) for name in targets(stmt)}


def definitely_assigned(block) -> set:
    """Names every path through `block` assigns (not counting what a loop body may)."""
    names = set()
    for stmt in block:
        if isinstance(stmt, If):
            names |= definitely_assigned(stmt.body) & definitely_assigned(stmt.orelse)
        elif not isinstance(stmt, While):
            names.update(targets(stmt))
    return names


def reads(body) -> set:
    """Every name read anywhere in `body`, nested blocks included."""
    return {a.name for stmt in walk(body) for a in stmt.atoms() if isinstance(a, Var)}


class NameSource:
    """Fresh names that never collide with the user's names or with each other."""

    def __init__(self, taken=()):
        self.taken = set(taken)
        self.counter = 0
        # The next suffix to try per base: names are only ever added, so the first free
        # `base_k` never moves back, and long code does not retry k = 1, 2, ... each time.
        self.suffix: dict = {}

    def state(self) -> tuple:
        """What `restore` needs to take the names handed out since back."""
        return set(self.taken), self.counter, dict(self.suffix)

    def restore(self, state: tuple) -> None:
        taken, counter, suffix = state
        self.taken, self.counter, self.suffix = set(taken), counter, dict(suffix)

    @classmethod
    def for_function(cls, fn: Function) -> NameSource:
        """Names that avoid everything `fn` already uses (its source names and variables)."""
        return cls(fn.source_names | set(fn.params) | assigned(fn.body))

    def reserve(self, name: str) -> None:
        self.taken.add(name)

    def temp(self) -> str:
        """The next ``tN`` name."""
        while True:
            self.counter += 1
            name = f"t{self.counter}"
            if name not in self.taken:
                self.taken.add(name)
                return name

    def derived(self, base: str) -> str:
        """`base` itself if free, else ``base_1``, ``base_2``..."""
        if base not in self.taken:
            self.taken.add(base)
            return base
        k = self.suffix.get(base, 1)
        while f"{base}_{k}" in self.taken:
            k += 1
        self.suffix[base] = k + 1
        name = f"{base}_{k}"
        self.taken.add(name)
        return name


def last_breaking_if(block: list):
    """Index of the last ``if`` of `block` with a ``break`` inside (not in a nested loop)."""
    for k in range(len(block) - 1, -1, -1):
        if isinstance(block[k], If) and contains_break(block[k]):
            return k
    return None


def contains_break(stmt) -> bool:
    if isinstance(stmt, Break):
        return True
    if isinstance(stmt, If):
        return any(contains_break(s) for s in stmt.body + stmt.orelse)
    return False


def always_breaks(block: list) -> bool:
    if not block:
        return False
    last = block[-1]
    if isinstance(last, Break):
        return True
    return isinstance(last, If) and always_breaks(last.body) and always_breaks(last.orelse)


def without_loop_else(stmts: list, names: NameSource) -> list:
    """`stmts` (nested blocks too) with each loop's ``else`` block moved after it, under a
    flag that a ``break`` clears: ``done = True; for ...: (done = False; break); if done:
    <else>``. That is the adjoint rule of ``for``/``while ... else``: the reverse sweep
    replays the ``else`` block when it ran, then the loop, with the rules of ``if`` and
    loops."""
    if not any(isinstance(s, (For, While)) and s.orelse for s in walk(stmts)):
        return stmts
    out = []
    for stmt in stmts:
        if stmt.BLOCKS:
            stmt = with_blocks(stmt, [without_loop_else(b, names) for b in children(stmt)])
        if not (isinstance(stmt, (For, While)) and stmt.orelse):
            out.append(stmt)
            continue
        done = names.derived("_completed")
        body = _before_breaks(stmt.body, Copy(done, Const(False), stmt.loc))
        out += [Copy(done, Const(True), stmt.loc), stmt.replace(body=body, orelse=[]),
                If(Var(done), stmt.orelse, [], stmt.loc)]
    return out


def _before_breaks(block: list, stmt) -> list:
    """`block` with `stmt` placed before each ``break`` of its own loop (and before the
    write-backs that precede the ``break``, which stay last, next to it)."""
    out = []
    for s in block:
        if isinstance(s, Break):
            position = len(out)
            while position > 0 and isinstance(out[position - 1], Copy) and out[
                    position - 1].carry:
                position -= 1
            out.insert(position, stmt)
        elif isinstance(s, If):
            s = s.replace(body=_before_breaks(s.body, stmt),
                          orelse=_before_breaks(s.orelse, stmt))
        out.append(s)
    return out
