"""Reverse: the adjoint transformation (gradients and vector-Jacobian products).

The adjoint program is the primal trace (the *forward sweep*) followed by the *reverse sweep*:
the trace walked backwards, each primitive's VJP template spliced in to add its contribution to
the adjoint of each active argument (``x_bar = x_bar + <contribution>``: a new value, never an
in-place update, so caller arrays are never written). Adjoints are named after their primals.

Control flow stays structured. A branch is replayed by testing the same condition again (it is
never overwritten, or it is restored from the loop's stack). A loop is replayed backwards: in
the forward sweep each iteration pushes the values its reverse needs and that the loop
overwrites onto an explicit stack (one tuple per iteration, so O(N) for N trips), and the
reverse loop pops them; a loop that may ``break`` (and every ``while``) also counts its trips.

Strong zeros where they are needed only. Some rules send back an adjoint that may be inf where
every value of the program is finite (sqrt's at 0: ``rules.elementwise.UNBOUNDED``, and the
``scaled_pow`` of ``x ** 0.5``'s rule). Such an adjoint is *unbounded*, and so is everything
computed from it; the products it meets differentiate with their strong-zero rules
(``Primitive.vjp_strong``: ``safe_mul(g, y)``, where inf * 0 = 0), so ``sqrt(x * x + y * y)``
has derivative 0 at the origin. Every other product keeps its plain, cheaper rule ``g * y``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import MissingRuleError, UnsupportedSyntaxError
from ..ir.activity import active_names, refuse_missing_rules, stack_slot
from ..ir.nodes import (
    Break,
    Comment,
    Const,
    Copy,
    For,
    Function,
    If,
    NameSource,
    Op,
    Pop,
    Push,
    Return,
    Var,
    While,
    always_breaks,
    assigned,
    children,
    definitely_assigned,
    last_breaking_if,
    reads,
    targets,
    walk,
    without_loop_else,
)
from ..ir.shapes import same_shape, shapes_of
from ..ir.ssa import normalize
from ..lowering.templates import lower_rule, rule_env
from ..rules import REGISTRY
from ..rules.elementwise import UNBOUNDED
from ..rules.fft import may_be_complex


@dataclass(frozen=True)
class AdjointSpec:
    """What adjoint program to build.

    kind ``"grad"``: seed the (scalar) output's adjoint with 1.0 and return the adjoints of
    `wrt`; kind ``"vjp"``: take one cotangent parameter per output and return the outputs
    followed by the adjoints of `wrt` (one flat tuple).
    """

    wrt: tuple
    kind: str = "grad"
    name: str | None = None


# Arguments broadcast into a part of the result (v in x[index] = v): their contribution has
# the shape of that part, not of the result.
_PART_OF_RESULT = {("setitem", "v")}


def _other_args_are_scalar_constants(op: Op, position: int) -> bool:
    return all(
        isinstance(a, Const) and isinstance(a.value, (int, float))
        for i, a in enumerate(op.args)
        if i != position
    )


def _assigned_outside(body, compound) -> set:
    """Names assigned in `body` by statements that are not inside `compound`."""
    return {name for stmt in walk(body, enter=lambda s: s is not compound)
            if stmt is not compound for name in targets(stmt)}


@dataclass
class _Scope:
    """A compound statement being reversed: its local names, and adjoint zero-initialisations
    that must be placed just before its reverse."""

    local: set
    inits: list = field(default_factory=list)
    is_branch: bool = False


class _Shape:
    """What is known of an adjoint's shape compared with its primal's (see ``_Adjoint.shape``)."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


EXACT = _Shape("EXACT")  # the primal's shape
ZERO = _Shape("ZERO")  # still the zeros_like(primal) it was initialised with
UNKNOWN = _Shape("UNKNOWN")  # any shape the primal broadcasts to


class _Adjoint:
    def __init__(self, fn: Function, names: NameSource, active: set):
        self.fn = fn
        self.names = names
        self.active = active
        self.adjoint: dict = {}  # primal name -> name of the variable holding its adjoint
        self.stack_adjoint: dict = {}  # stack name -> the stack of its tuples' adjoints
        # The shape of each adjoint's current value. A broadcasting VJP gives a contribution
        # the shape of the operation's result, which may be larger than the argument: summing
        # it down (`unbroadcast`) is only needed where the exact shape matters, and two such
        # contributions may be added first and summed down once, by linearity, *if they have
        # the same shape*. So a contribution carries a witness: EXACT, ZERO, UNKNOWN, or the
        # name of the primal whose shape it has; only equal witnesses are added unsummed.
        self.shape: dict = {}
        self.static = shapes_of(fn)  # shapes provably equal in every execution
        self.init_shape: dict = {}  # shape of a zero-initialised adjoint where its init sits
        self.out: list = []
        self.scopes = [_Scope(set(fn.params) | assigned(fn.body))]
        self.stacks: list = []  # stack creations, hoisted to the start of the forward sweep
        # Adjoints known to be zero right now (after a carried variable's write-back), with the
        # scope depth where that holds: the next contribution at that depth just assigns.
        self.zeroed: dict = {}
        self.loop_end: dict = {}  # adjoint shapes at the end of the last loop body reversed
        # Primals whose adjoint may be inf (or NaN) where the program's values are finite: the
        # rules applied to their cotangent use strong zeros (see the module docstring).
        self.unbounded: set = set()

    # ------------------------------------------------------------------ accumulation
    def exact(self, name: str, loc=None) -> Var:
        """The adjoint of `name`, summed down to `name`'s shape if it might be larger."""
        bar = self.adjoint[name]
        if self.shape.get(name, EXACT) not in (EXACT, ZERO):
            self.shape[name] = EXACT
            self.out.append(Op(bar, REGISTRY.by_name["unbroadcast"], (Var(bar), Var(name)),
                               (), loc))
        return Var(bar)

    def _summed_down(self, name: str, contribution, shape, loc):
        """`contribution` to `name`'s adjoint, summed down to `name`'s shape if needed."""
        if shape in (EXACT, ZERO):
            return contribution
        exact = self.names.temp()
        self.out.append(Op(exact, REGISTRY.by_name["unbroadcast"], (contribution, Var(name)),
                           (), loc))
        return Var(exact)

    def ensure(self, name: str) -> str:
        """The adjoint variable of `name`, zero-initialised before the enclosing compound
        statement in which `name` is not local (so it survives across iterations)."""
        if name in self.adjoint:
            return self.adjoint[name]
        bar = self.names.derived(f"{name}_bar")
        self.adjoint[name] = bar
        depth = max(i for i, scope in enumerate(self.scopes) if name in scope.local)
        self.scopes[depth + 1].inits.append(Op(bar, REGISTRY.by_name["zeros_like"],
                                               (Var(name),)))
        # Inside branches only, the adjoint is still that zero at the first contribution; a
        # loop between the init and here makes it the sum of earlier iterations.
        if all(scope.is_branch for scope in self.scopes[depth + 1:]):
            self.init_shape[name] = ZERO
        else:
            self.init_shape[name] = EXACT
        self.shape[name] = self.init_shape[name]
        return bar

    def settle_zeros(self, deeper_than: int = -1):
        """Materialise pending zero adjoints (before a compound, or as a block ends)."""
        for name, depth in list(self.zeroed.items()):
            if depth > deeper_than:
                bar = self.adjoint[name]
                self.out.append(Op(bar, REGISTRY.by_name["zeros_like"], (Var(name),)))
                self.shape[name] = EXACT
                del self.zeroed[name]

    def _same(self, a, b) -> bool:
        """Whether witnesses `a` and `b` (primal names) give the same shape."""
        return isinstance(a, str) and isinstance(b, str) and (
            a == b or same_shape(self.static, a, b))

    def accumulate(self, name: str, contribution, loc=None, shape=EXACT):
        """Add `contribution`, whose shape is `shape` (a witness), to the adjoint of `name`."""
        if isinstance(shape, str) and same_shape(self.static, shape, name):
            shape = EXACT  # the shape analysis proves the broadcast did not enlarge it
        if self.zeroed.get(name) == len(self.scopes):
            del self.zeroed[name]
            self.out.append(Copy(self.adjoint[name], contribution, loc))
            self.shape[name] = shape
            return
        if name not in self.adjoint and name in self.scopes[-1].local:
            bar = self.names.derived(f"{name}_bar")
            self.adjoint[name] = bar
            self.out.append(Copy(bar, contribution, loc))
            self.shape[name] = shape
            return
        bar = self.ensure(name)
        current = self.shape.get(name, EXACT)
        if current is ZERO:
            pass  # zero plus a contribution has the contribution's shape
        elif not (current is EXACT and shape is EXACT or self._same(current, shape)):
            # Make both exact, so that neither is counted once per broadcast entry.
            self.exact(name, loc)
            contribution = self._summed_down(name, contribution, shape, loc)
            shape = EXACT
        self.out.append(Op(bar, REGISTRY.by_name["add"], (Var(bar), contribution), (), loc))
        self.shape[name] = shape

    # ------------------------------------------------------------------ statements
    def op(self, op: Op):
        if op.target not in self.adjoint or op.target not in self.active:
            return
        prim = op.prim
        if prim.elementwise:
            g = Var(self.adjoint[op.target])
            g_shape = self.shape.get(op.target, EXACT)
            if g_shape is ZERO:
                g_shape = EXACT
        else:
            g = self.exact(op.target, op.loc)
            g_shape = EXACT
        env = {**rule_env(op), "g": g}
        unbounded = op.target in self.unbounded
        shared = None  # the one call of a `vjp_all` rule, whose result every argument indexes
        for position, arg in enumerate(op.args):
            if not (isinstance(arg, Var) and arg.name in self.active):
                continue
            argname = prim.argnames[0] if prim.variadic else prim.argnames[position]
            if argname not in prim.vjp:
                if getattr(prim, "user", False):
                    raise MissingRuleError(
                        f"{prim.spelling} has no VJP rule for its argument {argname!r}",
                        op.loc, "give it one with s2sad.defvjp")
                continue  # an argument that only supplies a shape: zero derivative
            if prim.variadic:  # one rule for every element: g[its position]
                env.update(prim.element_env(op, position))
            strong = unbounded and argname in prim.vjp_strong
            template = prim.template("vjp_strong" if strong else "vjp", argname)
            stmts = ()
            if getattr(prim, "vjp_all", None):
                # A recursive function's adjoints all come from one call of its vjp_all: made
                # once per operation (else recursion takes exponential time), then indexed.
                if shared is None:
                    stmts, shared = lower_rule(op, prim.template("vjp_all"), env, self.names)
                    self.out.extend(stmts)
                contribution = Var(self.names.temp())
                self.out.append(Op(contribution.name, REGISTRY.by_name["getitem"], (shared,),
                                   (("index", Const(template.slice.value)),), op.loc))
            else:
                stmts, contribution = lower_rule(op, template, env, self.names)
                self.out.extend(stmts)
            if unbounded or _may_be_unbounded(prim, stmts):
                self.unbounded.add(arg.name)
            shape = g_shape
            if (prim.name, argname) in _PART_OF_RESULT:
                shape = UNKNOWN  # the shape of a part of the result, which `arg` fills
            elif shape is EXACT and prim.broadcasts and not _other_args_are_scalar_constants(
                    op, position):
                shape = op.target  # the result's shape, which `arg` may broadcast to
            self.accumulate(arg.name, contribution, op.loc, shape)

    def copy(self, stmt: Copy):
        if stmt.target not in self.adjoint or stmt.target in self.zeroed:
            return  # no adjoint, or one known to be zero here: nothing flows back
        g = self.adjoint[stmt.target]
        if isinstance(stmt.value, Var) and stmt.value.name in self.active:
            if stmt.target in self.unbounded:
                self.unbounded.add(stmt.value.name)
            shape = self.shape.get(stmt.target, EXACT)
            self.accumulate(stmt.value.name, Var(g), stmt.loc, EXACT if shape is ZERO else shape)
        if stmt.carry:
            # The carried variable's value before this write-back is another value: its
            # adjoint starts again from zero for the reads earlier in the iteration.
            self.zeroed[stmt.target] = len(self.scopes)
            self.shape.pop(stmt.target, None)

    # ------------------------------------------------------------------ stacks
    # A stack is a value like any other, updated in place because each version of it is used
    # once: ``push`` makes a stack one tuple longer, ``pop`` one shorter. Both are linear, and
    # each one's adjoint is the other, on a stack of adjoints: the adjoint of ``s, t = _stack
    # .pop()`` pushes (s_bar, t_bar), and the adjoint of ``_stack.append((s, t))`` pops them
    # back into s and t's adjoints, in the reverse order, which is the order they were pushed.
    def stack_bar(self, stack: str) -> str:
        if stack not in self.stack_adjoint:
            bar = self.stack_adjoint[stack] = self.names.derived(f"{stack}_bar")
            self.stacks.append(Op(bar, REGISTRY.by_name["new_list"], ()))
        return self.stack_adjoint[stack]

    def pop(self, stmt: Pop):
        if stmt.stack not in self.active:
            return
        saved = []
        for i, target in enumerate(stmt.targets):
            if stack_slot(stmt.stack, i) not in self.active:
                continue
            if target in self.adjoint and target not in self.zeroed:
                saved.append(self.exact(target))
            else:  # nothing flowed back into it: a zero, to keep the tuples aligned
                zero = self.names.temp()
                self.out.append(Op(zero, REGISTRY.by_name["zeros_like"], (Var(target),)))
                saved.append(Var(zero))
        self.out.append(Push(self.stack_bar(stmt.stack), tuple(saved)))

    def push(self, stmt: Push):
        if stmt.stack not in self.active:
            return
        restored, into = [], []
        for i, value in enumerate(stmt.values):
            if stack_slot(stmt.stack, i) not in self.active:
                continue
            name = self.names.temp()
            restored.append(name)
            into.append(value)
        self.out.append(Pop(self.stack_bar(stmt.stack), tuple(restored)))
        for name, value in zip(restored, into):
            if isinstance(value, Var) and value.name in self.active:
                self.accumulate(value.name, Var(name))

    def block(self, stmts) -> list:
        """Forward sweep of `stmts` (instrumented) while emitting their reverse into self.out."""
        forward = []
        for stmt in reversed(stmts):
            if isinstance(stmt, Op):
                self.op(stmt)
                forward.append(stmt)
            elif isinstance(stmt, Copy):
                self.copy(stmt)
                forward.append(stmt)
            elif isinstance(stmt, If):
                forward.append(self.branch(stmt))
            elif isinstance(stmt, (For, While)):
                forward.extend(reversed(self.loop(stmt)))
            elif isinstance(stmt, Break):
                forward.append(stmt)
            elif isinstance(stmt, Pop):
                self.pop(stmt)
                forward.append(stmt)
            elif isinstance(stmt, Push):
                self.push(stmt)
                forward.append(stmt)
            elif not isinstance(stmt, Comment):
                raise TypeError(f"cannot reverse {stmt!r}")
        return list(reversed(forward))

    def compound(self, compound, blocks, prepare=None, carried=()):
        """Reverse each block of a compound statement in its own scope.

        Returns (forward blocks, reverse blocks, its scope: local names and the
        zero-initialisations to place before it)."""
        # An adjoint known to be zero stays so into the branches of an `if` (each branch
        # assigns it, or zeroes it at its end); a loop needs it materialised first.
        pending = {}
        is_branch = isinstance(compound, If)
        if is_branch:
            pending, self.zeroed = dict(self.zeroed), {}
        else:
            self.settle_zeros()
        local = assigned(blocks_of(compound)) - _assigned_outside(self.fn.body, compound)
        scope = _Scope(local, is_branch=is_branch)
        self.scopes.append(scope)
        if prepare is not None:
            prepare()
        if not is_branch:
            self._enter_loop(compound, carried)
        before = dict(self.shape)  # for a loop: the shapes every reverse iteration starts from
        forwards, reverses, ends = [], [], []
        existing = set(self.adjoint)
        for block in blocks:
            saved_out, self.out = self.out, []
            self.zeroed = {name: len(self.scopes) for name in pending}
            # Each branch starts from the state before the `if`; adjoints that an earlier
            # branch created are still their zero initialisation here.
            self.shape = {**{n: self.init_shape[n] for n in self.adjoint if n not in existing},
                          **before}
            forwards.append(self.block(block))
            self.settle_zeros(len(self.scopes) - 1)
            if not is_branch:
                self.loop_end = dict(self.shape)
                self._leave_loop_body(before, local, carried)
            ends.append(self.shape)
            reverses.append(self.out)
            self.out = saved_out
            for name in [n for n in self.adjoint if n in local and n not in existing]:
                del self.adjoint[name]  # adjoints of the compound's locals end with it
        self.scopes.pop()
        self.shape = {name: self._merged([end.get(name, EXACT) for end in ends])
                      for name in self.adjoint}
        if not is_branch:
            for name in carried:
                if name in self.shape:
                    self.shape[name] = UNKNOWN  # this iteration's value, or the one before
        return forwards, reverses, scope

    def _merged(self, shapes) -> object:
        """An adjoint's shape after a compound statement, from its shape at each block end."""
        first = shapes[0]
        if all(shape is first or self._same(shape, first) for shape in shapes):
            return first
        if all(shape in (EXACT, ZERO) for shape in shapes):
            return EXACT
        return UNKNOWN

    def _carried_sources(self, loop, carried) -> dict:
        """Each carried name mapped to the one value written back to it, if that value is
        assigned on every path through the body and provably keeps one shape; else None."""
        sources = {}
        for stmt in _walk_no_loops(loop.body):
            if isinstance(stmt, Copy) and stmt.carry:
                value = stmt.value.name if isinstance(stmt.value, Var) else None
                sources.setdefault(stmt.target, set()).add(value)
        everywhere = definitely_assigned(loop.body)
        promises = {}
        for name in carried:
            (value, *others) = sources[name]
            fixed = (not others and value in everywhere
                     and same_shape(self.static, value, value))
            promises[name] = value if fixed else None
        return promises

    def _kept(self, shape, value) -> bool:
        """Whether a carried adjoint ending an iteration with `shape` has `value`'s shape
        for the next one (EXACT: the shape of the carried value at the iteration's start,
        which is the value written back by the iteration before)."""
        return shape in (EXACT, ZERO) or self._same(shape, value)

    def _snapshot(self):
        return (set(self.names.taken), self.names.counter, dict(self.adjoint), dict(self.shape),
                dict(self.init_shape), dict(self.zeroed), len(self.stacks), len(self.out),
                [(scope, len(scope.inits)) for scope in self.scopes], dict(self.stack_adjoint))

    def _restore(self, snapshot):
        (taken, counter, adjoint, shape, init_shape, zeroed, n_stacks, n_out, scopes,
         stack_adjoint) = snapshot
        self.stack_adjoint = dict(stack_adjoint)
        self.names.taken, self.names.counter = set(taken), counter
        self.adjoint, self.shape = dict(adjoint), dict(shape)
        self.init_shape, self.zeroed = dict(init_shape), dict(zeroed)
        del self.stacks[n_stacks:]
        del self.out[n_out:]
        for scope, n_inits in scopes:
            del scope.inits[n_inits:]

    def _enter_loop(self, loop, carried):
        """Make the adjoints' shapes hold at the start of every reverse iteration.

        An adjoint the body adds to is made exact before the loop (and kept exact by the
        body), so no broadcast contribution is summed once per iteration; a carried adjoint is
        reassigned by each iteration: it has the shape its promise names, or an unknown one."""
        touched = reads(loop.body if isinstance(loop, For) else [*loop.test_body, *loop.body])
        for name, value in carried.items():
            if name in self.adjoint:
                before = self.shape.get(name, EXACT)
                kept = value is not None and self._kept(before, value)
                self.shape[name] = value if kept else UNKNOWN
        for name, shape in list(self.shape.items()):
            if name in carried:
                continue
            elif shape is ZERO:
                self.shape[name] = EXACT
            elif name in touched and shape is not EXACT:
                self.exact(name, loop.loc)

    def _leave_loop_body(self, entry, local, carried):
        """At the end of a reverse iteration, restore the shapes the iteration started from."""
        for name, shape in list(self.shape.items()):
            if name in local or name in carried or shape in (EXACT, ZERO):
                continue
            if name in self.adjoint and shape is not entry.get(name, EXACT):
                self.exact(name)

    def branch(self, stmt: If):
        (body, orelse), (body_rev, orelse_rev), scope = self.compound(stmt, [stmt.body,
                                                                           stmt.orelse])
        inits = scope.inits
        self.out.extend(inits)
        if body_rev or orelse_rev:
            self.out.append(If(stmt.test, body_rev, orelse_rev, stmt.loc))
        return If(stmt.test, body, orelse, stmt.loc)

    def loop(self, stmt) -> list:
        """Forward-sweep statements for a loop, and its reverse appended to self.out."""
        carried = [s.target for s in _walk_no_loops(stmt.body) if isinstance(s, Copy) and s.carry]

        def prepare():
            for name in carried:
                if name in self.active:
                    self.ensure(name)  # the back edge carries its adjoint between iterations

        # A carried adjoint's shape at the start of a reverse iteration is that of the value
        # written back (exact while the loop still runs), if that value provably keeps one
        # shape; the assumption is checked at the end of the body, and dropped if it fails.
        promises = self._carried_sources(stmt, carried)
        snapshot = self._snapshot()
        while True:
            self.loop_end = {}
            unbounded = set(self.unbounded)
            (body,), (body_rev,), scope = self.compound(stmt, [stmt.body], prepare, promises)
            broken = {c for c, v in promises.items()
                      if v is not None and not self._kept(self.loop_end.get(c, EXACT), v)}
            # A carried adjoint that became unbounded in this iteration is so in the reverse
            # of the iteration before, whose rules were chosen already: reverse it again.
            if not broken and not any(c in self.unbounded - unbounded for c in carried):
                break
            self._restore(snapshot)
            promises = {c: None if c in broken else v for c, v in promises.items()}
        inits, local = scope.inits, scope.local
        index = stmt.target if isinstance(stmt, For) else None
        needs_trips = isinstance(stmt, While) or any(
            isinstance(s, Break) for s in _walk_no_loops(stmt.body))
        if needs_trips and isinstance(stmt, For) and (stmt.reverse or stmt.limit is not None):
            raise UnsupportedSyntaxError(
                "'break' inside a reversed or sliced range loop cannot be differentiated yet",
                stmt.loc, "loop forwards over range(...) and index from the end instead")
        # Names the instrumented body introduced (a nested loop's trip count) are local too.
        local = local | (assigned(body) - self.scopes[0].local)
        saved = sorted((reads(body_rev) & (assigned(body) | local)) - {index})
        forward_before, trips = [], None
        if needs_trips:
            trips = self.names.derived("_trips")
            forward_before.append(Copy(trips, Const(0)))
            body = [Op(trips, REGISTRY.by_name["add"], (Var(trips), Const(1))), *body]
        stack = None
        if saved:
            # One stack per loop for the whole call, created up front: a nested loop's
            # iterations of every outer iteration are popped in exactly the reverse order.
            stack = self.names.derived("_stack")
            self.stacks.append(Op(stack, REGISTRY.by_name["new_list"], ()))
            # A loop-local value assigned on some paths only starts each iteration as None,
            # so the push saves this iteration's value or None, never a stale one.
            partial = [n for n in saved if n in local and n not in definitely_assigned(body)]
            body = [Copy(n, Const(None)) for n in partial] + body
            body = _insert_push(body, stack, saved, local, set(), top=True)
        forward_loop = stmt.replace(body=body)
        reverse_body = ([Pop(stack, tuple(saved))] if stack else []) + body_rev
        if isinstance(stmt, For):
            reverse_loop = stmt.replace(body=reverse_body, reverse=not stmt.reverse,
                                        limit=Var(trips) if trips else stmt.limit)
        else:
            reverse_loop = For(self.names.derived("_"), (Var(trips),), reverse_body, stmt.loc)
        self.out.extend(inits)
        if body_rev:
            self.out.append(reverse_loop)
        return forward_before + [forward_loop]


def _may_be_unbounded(prim, stmts) -> bool:
    """Whether the contribution `prim`'s rule made (in `stmts`) may be inf where the values
    are finite: a rule of an UNBOUNDED function, or ``scaled_pow(c, x, p)`` with a power that
    may be negative (one known to be >= 0 is lowered to ``c * x ** p``)."""
    return prim.name in UNBOUNDED or any(
        isinstance(s, Op) and s.prim.name == "scaled_pow" for s in stmts)


def blocks_of(stmt) -> list:
    return [s for block in children(stmt) for s in block]


def _walk_no_loops(body):
    """The statements of `body` and of its branches, not of its nested loops."""
    return walk(body, enter=lambda s: isinstance(s, If))


def _insert_push(block, stack, saved, local, defined, top=False) -> list:
    """Put ``stack.append(saved values)`` at every exit of a loop iteration in `block`.

    An exit is a ``break`` or the end of a path that falls through the body (the lowering puts
    the write-backs of carried variables on each such path); the push goes before the
    write-backs, so it saves their values from the start of the iteration. A loop-local value
    not yet assigned on the path to an exit is saved as None (its reverse never reads it).
    """
    defined = set(defined)
    breaking = last_breaking_if(block) if top else None
    out = []
    for k, stmt in enumerate(block):
        if isinstance(stmt, If):
            # The fall-through paths of a body ending in an `if` with a `break` end inside it.
            exits_inside = k == breaking
            stmt = If(stmt.test,
                      _insert_push(stmt.body, stack, saved, local, defined, exits_inside),
                      _insert_push(stmt.orelse, stack, saved, local, defined, exits_inside),
                      stmt.loc)
            defined |= definitely_assigned([stmt])
        elif not isinstance(stmt, (For, While)) and not (isinstance(stmt, Copy) and stmt.carry):
            defined.update(targets(stmt))
        out.append(stmt)
    ends_in_break = bool(out) and isinstance(out[-1], Break)
    falls_through = top and breaking is None and not always_breaks(out)
    if ends_in_break or falls_through:
        position = len(out) - (1 if ends_in_break else 0)
        while position > 0 and isinstance(out[position - 1], Copy) and out[position - 1].carry:
            position -= 1
        values = tuple(Var(n) if n not in local or n in defined else Const(None) for n in saved)
        out.insert(position, Push(stack, values))
    return out


def _batched(sweep, results, batch, seed, names):
    """Wrap a reverse sweep in a loop over a batch of cotangents, stacking the adjoints."""
    index = names.derived("k")
    size = names.temp()
    lists = [names.derived(f"{r.name}s") for r in results]
    before = [Op(size, REGISTRY.by_name["len"], (Var(batch),))]
    before += [Op(name, REGISTRY.by_name["new_list"], ()) for name in lists]
    loop_body = [Op(seed, REGISTRY.by_name["getitem"], (Var(batch),), (("index", Var(index)),))]
    loop_body += sweep
    loop_body += [Op(name, REGISTRY.by_name["list_append"], (Var(name), result))
                  for name, result in zip(lists, results)]
    stacked = [names.derived(f"{r.name}_rows") for r in results]
    after = [Op(name, REGISTRY.by_name["stack"], (Var(lst),)) for name, lst in zip(stacked,
                                                                                  lists)]
    return before + [For(index, (Var(size),), loop_body)] + after, [Var(n) for n in stacked]


def reverse(fn: Function, spec: AdjointSpec) -> Function:
    """The adjoint program of `fn` as described by `spec`."""
    if not fn.ssa:  # a derivative program, differentiated again
        fn = normalize(fn)
    names = NameSource.for_function(fn)
    fn = fn.replace(body=without_loop_else(fn.body, names))
    ret = fn.body[-1]
    assert isinstance(ret, Return), "lowering guarantees a final return"
    primal = fn.body[:-1]
    active = active_names(primal, spec.wrt)
    refuse_missing_rules(fn.body, spec.wrt, active)
    adj = _Adjoint(fn, names, active)
    params = list(fn.params)

    scalar_if = None
    if spec.kind == "grad":
        out = ret.values[0]
        scalar_if = _scalar_when(adj.static, out, fn.params)
        if isinstance(out, Var) and (out.name in active or scalar_if is None):
            seed = names.derived(f"{out.name}_bar")
            if out.name in active:
                adj.adjoint[out.name] = seed
            if scalar_if is None:  # the output's shape is known only when it runs: check it
                adj.out.append(Op(seed, REGISTRY.by_name["scalar_seed"], (out,)))
            else:
                adj.out.append(Copy(seed, Const(1.0)))
    elif spec.kind == "vjp_batch":
        # One forward sweep, then the reverse sweep once per cotangent of a batch (the rows of
        # a Jacobian): `cotangents` stacks them along a new first axis.
        out = ret.values[0]
        batch = names.derived("cotangents")
        params.append(batch)
        seed = names.derived(f"{out.name if isinstance(out, Var) else 'out'}_bar")
        if isinstance(out, Var) and out.name in active:
            adj.adjoint[out.name] = seed
    else:
        for i, out in enumerate(ret.values):
            base = out.name if isinstance(out, Var) else f"out{i}"
            seed = names.derived(f"{base}_bar")
            params.append(seed)
            if isinstance(out, Var) and out.name in active:
                adj.accumulate(out.name, Var(seed))

    forward = adj.block(primal)
    adj.settle_zeros()
    forward = adj.stacks + forward
    outputs = tuple(ret.values)
    restored = {t for stmt in walk(adj.out) if isinstance(stmt, Pop) for t in stmt.targets}
    if spec.kind != "grad" and any(isinstance(o, Var) and o.name in restored for o in outputs):
        # The reverse sweep pops loop values back into these names: keep the results.
        kept = []
        for out in outputs:
            if isinstance(out, Var) and out.name in restored:
                name = names.derived(f"{out.name}_out")
                forward.append(Copy(name, out))
                out = Var(name)
            kept.append(out)
        outputs = tuple(kept)

    results = []
    project = may_be_complex(fn)
    for w in spec.wrt:
        if w in adj.adjoint:
            bar = adj.exact(w)
            if project:  # a real input sees the real part of a complex adjoint
                adj.out.append(Op(bar.name, REGISTRY.by_name["real_like"], (bar, Var(w))))
            results.append(bar)
        else:
            zero = names.derived(f"{w}_bar")
            adj.out.append(Op(zero, REGISTRY.by_name["zeros_like"], (Var(w),)))
            results.append(Var(zero))

    reverse_sweep = adj.out
    if spec.kind == "vjp_batch":
        if adj.stacks:
            raise UnsupportedSyntaxError("a batch of cotangents needs loop-free code", None,
                                         "use one vjp per cotangent")
        reverse_sweep, results = _batched(reverse_sweep, results, batch, seed, names)
    body = [Comment("forward sweep"), *forward, Comment("reverse sweep"), *reverse_sweep]
    if spec.kind == "grad":
        body.append(Return(tuple(results), len(results) > 1))
    else:
        body.append(Return(outputs + tuple(results), True))
    suffix = {"grad": "_grad", "vjp": "_vjp", "vjp_batch": "_vjp_batch"}[spec.kind]
    # Cotangent parameters follow the primal ones, so only the gradient keeps the defaults.
    defaults = fn.defaults if spec.kind == "grad" else ()
    return Function(spec.name or fn.name + suffix, params, body, defaults,
                    source_names=names.taken, globals_used=fn.globals_used, ssa=False,
                    scalar_if=scalar_if)


def _scalar_when(static: dict, out, params) -> tuple | None:
    """The parameters whose being 0-d makes the output `out` a scalar, when its shape is the
    broadcast of some of theirs (``()``: always a scalar, as a full reduction is); None when
    its shape is known only when the program runs. (With several alternatives, as a loop's
    ``s = 0.0; s = s * x`` has, an array among them makes the output an array on some path:
    the gradient is refused then, even if the path taken would give a scalar.)"""
    if isinstance(out, Const):
        return () if isinstance(out.value, (int, float)) else None
    shape = static.get(out.name)
    if shape is None:
        return None
    atoms = frozenset().union(*shape)
    return tuple(p for p in params if p in atoms) if atoms <= set(params) else None
