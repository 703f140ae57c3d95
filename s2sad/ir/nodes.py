"""The intermediate representation: an SSA trace of primitive operations.

A function body is a list of statements. Straight-line code is a sequence of :class:`Op`
(``t1 = np.log(x1)``, one primitive per line) and :class:`Copy` (``s = 0.0``). Control flow is
structured (:class:`If`, :class:`For`, :class:`While`), never a goto graph, so that the emitted
code keeps the user's branches and loops. Arguments of an operation are atoms: a :class:`Var`
or a :class:`Const`, never a nested expression.

Nodes are frozen: transformations build new ones (``replace``, ``ir.traverse.rewrite``).
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
    # s2sad.checkpoint(range(...), every): the reverse sweep recomputes stretches of `every`
    # trips (0: about √n) from the state saved at their start (transforms/checkpoint.py).
    checkpoint: int | None = None
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
    # The structure of the output when it holds containers (an s2sad.pytree.TreeDef): the
    # Return lists its leaves. None: the output is one value, or a flat tuple of them.
    out_tree: object = None
    # Parameters known to be scalars (the code is built for calls that give them floats):
    # the shape analysis takes them as 0-d, so no adjoint of theirs needs summing down.
    scalar_params: frozenset = frozenset()
    # Parameters known to be arrays of these shapes and dtypes, ((name, shape, dtype), ...):
    # the code is built for calls that give them such arrays (a specialisation on the
    # arguments' signature; transform.Request.shapes).
    param_shapes: tuple = ()

    def replace(self, **changes) -> Function:
        return dataclasses.replace(self, **changes)
