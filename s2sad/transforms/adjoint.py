"""Reverse mode of straight-line code: adjoints named after their primals, accumulated.

`_Adjoint` walks a block backwards, splicing each primitive's VJP template in to add its
contribution to each active argument's adjoint (``x_bar = x_bar + <contribution>``: a new
value, never an in-place update, so caller arrays are never written). Stack pushes and pops
are each other's adjoint. Control flow is in ``control.ControlFlow``.
"""

from __future__ import annotations

from ..errors import MissingRuleError, UnsupportedSyntaxError
from ..ir import (
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
    Var,
    While,
    assigned,
)
from ..ir.activity import stack_slot
from ..ir.shapes import SHAPE_OF_ARGUMENT, same_shape, shapes_of
from ..lowering.templates import lower_rule, rule_env
from ..rules import REGISTRY
from ..rules.elementwise import UNBOUNDED
from .control import EXACT, UNKNOWN, ZERO, ControlFlow, _Scope

_REFUSAL_HINT = "write the recursion as a loop to differentiate it twice"

# Arguments broadcast into a part of the result (v in x[index] = v): their contribution has
# the shape of that part, not of the result.
_PART_OF_RESULT = {("setitem", "v")}


def _other_args_are_scalar_constants(op: Op, position: int) -> bool:
    return all(
        isinstance(a, Const) and isinstance(a.value, (int, float))
        for i, a in enumerate(op.args)
        if i != position
    )


class _Adjoint(ControlFlow):
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
                if prim.refusal:
                    raise UnsupportedSyntaxError(prim.refusal, op.loc, _REFUSAL_HINT)
                if prim.user:
                    raise MissingRuleError(
                        f"{prim.spelling} has no VJP rule for its argument {argname!r}",
                        op.loc, "give it one with s2sad.defvjp")
                continue  # an argument that only supplies a shape: zero derivative
            if prim.variadic:  # one rule for every element: g[its position]
                env.update(prim.element_env(op, position))
            strong = unbounded and argname in prim.vjp_strong
            template = prim.template("vjp_strong" if strong else "vjp", argname)
            stmts = ()
            if prim.vjp_all:
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
            if _summed_down_to(stmts, contribution, arg.name):
                # The rule sums its contribution down itself (polygamma's unbroadcast(g * d,
                # x)): it has the argument's shape, whatever the cotangent's was.
                shape = EXACT
            elif (prim.name, argname) in _PART_OF_RESULT:
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


def _summed_down_to(stmts, contribution, name: str) -> bool:
    """Whether `contribution` is made among `stmts` by an operation whose result has the
    shape of its argument `name` (``unbroadcast(..., name)``; see shapes.SHAPE_OF_ARGUMENT)."""
    if not isinstance(contribution, Var):
        return False
    for stmt in stmts:
        if isinstance(stmt, Op) and stmt.target == contribution.name:
            position = SHAPE_OF_ARGUMENT.get(stmt.prim.name)
            return position is not None and stmt.args[position:position + 1] == (Var(name),)
    return False


def _may_be_unbounded(prim, stmts) -> bool:
    """Whether the contribution `prim`'s rule made (in `stmts`) may be inf where the values
    are finite: a rule of an UNBOUNDED function, or ``scaled_pow(c, x, p)`` with a power that
    may be negative (one known to be >= 0 is lowered to ``c * x ** p``)."""
    return prim.name in UNBOUNDED or any(
        isinstance(s, Op) and s.prim.name == "scaled_pow" for s in stmts)
