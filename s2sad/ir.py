"""The intermediate representation: an SSA trace of primitive operations.

A function body is a list of statements. Straight-line code is a sequence of :class:`Op`
(``t1 = np.log(x1)``, one primitive per line) and :class:`Copy` (``s = 0.0``). Control flow is
structured (:class:`If`, :class:`For`, :class:`While`), never a goto graph, so that the emitted
code keeps the user's branches and loops. Arguments of an operation are atoms: a :class:`Var`
or a :class:`Const`, never a nested expression.

Transformations produce new statement lists; nodes are treated as immutable once built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from .errors import Location


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


@dataclass
class Op:
    """``targets = prim(*args, **kwargs)``: one primitive operation."""

    target: str
    prim: object  # rules.registry.Primitive; untyped here so ir does not import the rules
    args: tuple
    kwargs: tuple = ()  # ((name, Atom), ...) static or non-differentiable parameters
    loc: Location | None = None

    def atoms(self):
        yield from self.args
        for _, value in self.kwargs:
            yield value

    def kwarg(self, name, default=None):
        for key, value in self.kwargs:
            if key == name:
                return value
        return default


@dataclass
class Copy:
    """``target = value``: a copy or a constant definition.

    `carry` marks the copy that writes a loop-carried variable back at the end of an iteration
    (or before a ``break``): its target's old value is a different value than its new one.
    """

    target: str
    value: Atom
    loc: Location | None = None
    carry: bool = False

    def atoms(self):
        yield self.value


@dataclass
class Return:
    """``return value`` (a single atom) or ``return a, b`` (a tuple of atoms)."""

    values: tuple
    is_tuple: bool = False
    loc: Location | None = None

    def atoms(self):
        yield from self.values


@dataclass
class Comment:
    """A line comment in emitted code (``# forward sweep``)."""

    text: str

    def atoms(self):
        return iter(())


@dataclass
class If:
    """A structured branch on an atom."""

    test: Atom
    body: list
    orelse: list
    loc: Location | None = None

    def atoms(self):
        yield self.test


@dataclass
class For:
    """``for target in range(*bounds)``, kept as a loop.

    Every loop is lowered to an index loop over a range (iterating an array's rows becomes
    ``row = x[i]``). `reverse` walks the range backwards and `limit` (an atom) keeps only its
    first `limit` entries: that is how the adjoint replays a loop that ended in ``break``.
    """

    target: str
    bounds: tuple  # (stop,), (start, stop) or (start, stop, step): atoms
    body: list
    loc: Location | None = None
    reverse: bool = False
    limit: Atom | None = None

    def atoms(self):
        yield from self.bounds
        if self.limit is not None:
            yield self.limit


@dataclass
class While:
    """``while test: body``; `test_body` recomputes `test` before every trip."""

    test_body: list
    test: Atom
    body: list
    loc: Location | None = None

    def atoms(self):
        yield self.test


@dataclass
class Break:
    """``break``: leaves the innermost loop (always the last statement of its block)."""

    loc: Location | None = None

    def atoms(self):
        return iter(())


@dataclass
class Push:
    """``stack.append(values)``: saves values of a loop iteration for the reverse sweep."""

    stack: str
    values: tuple

    def atoms(self):
        yield Var(self.stack)
        yield from self.values


@dataclass
class Pop:
    """``targets = stack.pop()``: restores the values saved by the matching :class:`Push`."""

    stack: str
    targets: tuple

    def atoms(self):
        yield Var(self.stack)


@dataclass
class Function:
    """A function in IR form."""

    name: str
    params: list
    body: list
    defaults: tuple = ()  # Const defaults of the trailing parameters
    source_names: set = field(default_factory=set)  # every name the user's code uses
    globals_used: dict = field(default_factory=dict)  # global name -> the object it names
    recursions: list = field(default_factory=list)  # recursive callees, linked at load time
    # Whether every value has its own name (as lowering makes it; see ssa.normalize). A
    # derivative program accumulates adjoints in place and is not.
    ssa: bool = True
    # A gradient program's output is a scalar when these parameters are 0-d (its shape is
    # the broadcast of theirs; () for always). None: the program checks it (scalar_seed).
    scalar_if: tuple | None = None


def targets(stmt) -> tuple:
    """Names a statement assigns directly (not inside nested blocks)."""
    if isinstance(stmt, (Op, Copy)):
        return (stmt.target,)
    if isinstance(stmt, For):
        return (stmt.target,)
    if isinstance(stmt, Pop):
        return tuple(stmt.targets)
    return ()


def assigned(body) -> set:
    """Every name assigned anywhere in `body`, nested blocks included."""
    return {name for stmt in walk(body) for name in targets(stmt)}


def reads(body) -> set:
    """Every name read anywhere in `body`, nested blocks included."""
    return {a.name for stmt in walk(body) for a in stmt.atoms() if isinstance(a, Var)}


def children(stmt) -> list:
    """The nested statement lists of a compound statement."""
    if isinstance(stmt, If):
        return [stmt.body, stmt.orelse]
    if isinstance(stmt, For):
        return [stmt.body]
    if isinstance(stmt, While):
        return [stmt.test_body, stmt.body]
    return []


def walk(body):
    """Every statement in `body`, depth first, in program order."""
    for stmt in body:
        yield stmt
        for block in children(stmt):
            yield from walk(block)


class NameSource:
    """Fresh names that never collide with the user's names or with each other."""

    def __init__(self, taken=()):
        self.taken = set(taken)
        self.counter = 0

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
        name, k = base, 0
        while name in self.taken:
            k += 1
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


def map_names(stmts, rename) -> list:
    """`stmts` with every variable name, read or assigned, replaced by ``rename(name)`` (new
    statements; nested blocks included; comments kept)."""

    def atom(a):
        return Var(rename(a.name)) if isinstance(a, Var) else a

    def atoms(items):
        return tuple(atom(a) for a in items)

    out = []
    for stmt in stmts:
        if isinstance(stmt, Op):
            stmt = Op(rename(stmt.target), stmt.prim, atoms(stmt.args),
                      tuple((k, atom(v)) for k, v in stmt.kwargs), stmt.loc)
        elif isinstance(stmt, Copy):
            stmt = Copy(rename(stmt.target), atom(stmt.value), stmt.loc, stmt.carry)
        elif isinstance(stmt, Return):
            stmt = Return(atoms(stmt.values), stmt.is_tuple, stmt.loc)
        elif isinstance(stmt, Push):
            stmt = Push(rename(stmt.stack), atoms(stmt.values))
        elif isinstance(stmt, Pop):
            stmt = Pop(rename(stmt.stack), tuple(rename(t) for t in stmt.targets))
        elif isinstance(stmt, If):
            stmt = If(atom(stmt.test), map_names(stmt.body, rename),
                      map_names(stmt.orelse, rename), stmt.loc)
        elif isinstance(stmt, For):
            stmt = For(rename(stmt.target), atoms(stmt.bounds), map_names(stmt.body, rename),
                       stmt.loc, stmt.reverse, None if stmt.limit is None else atom(stmt.limit))
        elif isinstance(stmt, While):
            stmt = While(map_names(stmt.test_body, rename), atom(stmt.test),
                         map_names(stmt.body, rename), stmt.loc)
        out.append(stmt)
    return out
