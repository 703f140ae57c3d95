"""Reverse: the adjoint transformation (gradients and vector-Jacobian products).

The adjoint program is the primal trace (the *forward sweep*, which keeps every intermediate
because the trace is in SSA form), followed by the *reverse sweep*: the trace walked backwards,
each primitive's VJP template spliced in to add its contribution to the adjoint of each active
argument (``x_bar = x_bar + <contribution>``; a new value, never an in-place update, so caller
arrays are never written). Adjoints are named after their primals: ``t4_bar``, ``x1_bar``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import MissingRuleError
from .ir import Comment, Const, Copy, Function, NameSource, Op, Return, Var, walk
from .lower import lower_template
from .rules import REGISTRY


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


def active_names(body, wrt) -> set:
    """Names whose value depends differentiably on `wrt`."""
    active = set(wrt)
    for stmt in walk(body):
        if isinstance(stmt, Op):
            if stmt.prim.differentiable and any(
                isinstance(a, Var) and a.name in active for a in stmt.args
            ):
                active.add(stmt.target)
        elif isinstance(stmt, Copy):
            if isinstance(stmt.value, Var) and stmt.value.name in active:
                active.add(stmt.target)
    return active


def _other_args_are_scalar_constants(op: Op, position: int) -> bool:
    return all(
        isinstance(a, Const) and isinstance(a.value, (int, float))
        for i, a in enumerate(op.args)
        if i != position
    )


class _Adjoint:
    def __init__(self, fn: Function, names: NameSource, active: set):
        self.fn = fn
        self.names = names
        self.active = active
        self.adjoint: dict = {}  # primal name -> name of the variable holding its adjoint
        # Adjoints that may still carry broadcast dimensions. Elementwise VJPs accept them
        # (summing later is the same by linearity), so `unbroadcast` runs only where the exact
        # shape matters: before a non-elementwise VJP and for the adjoints returned.
        self.oversized: set = set()
        self.out: list = []

    def exact(self, name: str, loc=None) -> Var:
        """The adjoint of `name`, summed down to `name`'s shape if it might be larger."""
        bar = self.adjoint[name]
        if name in self.oversized:
            self.oversized.discard(name)
            self.out.append(Op(bar, REGISTRY.by_name["unbroadcast"], (Var(bar), Var(name)),
                               (), loc))
        return Var(bar)

    def accumulate(self, name: str, contribution, loc=None, oversized=False):
        if oversized:
            self.oversized.add(name)
        if name not in self.adjoint:
            bar = self.names.derived(f"{name}_bar")
            self.adjoint[name] = bar
            self.out.append(Copy(bar, contribution, loc))
        else:
            bar = self.adjoint[name]
            self.out.append(Op(bar, REGISTRY.by_name["add"], (Var(bar), contribution), (), loc))

    def op(self, op: Op):
        if op.target not in self.adjoint or op.target not in self.active:
            return
        prim = op.prim
        if prim.elementwise:
            g = Var(self.adjoint[op.target])
            g_oversized = op.target in self.oversized
        else:
            g = self.exact(op.target, op.loc)
            g_oversized = False
        for position, arg in enumerate(op.args):
            if not (isinstance(arg, Var) and arg.name in self.active):
                continue
            argname = "x" if prim.form == "array" else prim.argnames[position]
            if argname not in prim.vjp:
                if getattr(prim, "user", False):
                    raise MissingRuleError(
                        f"{prim.spelling} has no VJP rule for its argument {argname!r}",
                        op.loc, "give it one with s2sad.defvjp")
                continue  # an argument that only supplies a shape: zero derivative
            env = {"g": g, "ans": Var(op.target)}
            env.update(zip(prim.argnames, op.args))
            for pname, default in prim.params:
                env[pname] = op.kwarg(pname, Const(default))
            if prim.form == "array":
                env["x"] = arg
                env["index"] = Const(op.kwarg("layout").value[position])
            stmts, contribution = lower_template(prim.template("vjp", argname), env,
                                                 self.names, op.loc)
            self.out.extend(stmts)
            oversized = g_oversized or (
                prim.broadcasts and not _other_args_are_scalar_constants(op, position))
            self.accumulate(arg.name, contribution, op.loc, oversized)

    def copy(self, stmt: Copy):
        if stmt.target in self.adjoint and isinstance(stmt.value, Var) and (
            stmt.value.name in self.active
        ):
            self.accumulate(stmt.value.name, Var(self.adjoint[stmt.target]), stmt.loc,
                            stmt.target in self.oversized)


def reverse(fn: Function, spec: AdjointSpec) -> Function:
    """The adjoint program of `fn` as described by `spec`."""
    names = NameSource(fn.source_names | set(fn.params))
    for stmt in walk(fn.body):
        target = getattr(stmt, "target", None)
        if isinstance(target, str):
            names.reserve(target)
    ret = fn.body[-1]
    assert isinstance(ret, Return), "lowering guarantees a final return"
    primal = fn.body[:-1]
    active = active_names(primal, spec.wrt)
    adj = _Adjoint(fn, names, active)
    params = list(fn.params)

    if spec.kind == "grad":
        out = ret.values[0]
        if isinstance(out, Var) and out.name in active:
            seed = names.derived(f"{out.name}_bar")
            adj.adjoint[out.name] = seed
            adj.out.append(Copy(seed, Const(1.0)))
    else:
        for i, out in enumerate(ret.values):
            base = out.name if isinstance(out, Var) else f"out{i}"
            seed = names.derived(f"{base}_bar")
            params.append(seed)
            if isinstance(out, Var) and out.name in active:
                adj.accumulate(out.name, Var(seed))

    for stmt in reversed(primal):
        if isinstance(stmt, Op):
            adj.op(stmt)
        elif isinstance(stmt, Copy):
            adj.copy(stmt)

    results = []
    for w in spec.wrt:
        if w in adj.adjoint:
            results.append(adj.exact(w))
        else:
            zero = names.derived(f"{w}_bar")
            adj.out.append(Op(zero, REGISTRY.by_name["zeros_like"], (Var(w),)))
            results.append(Var(zero))

    body = [Comment("forward sweep"), *primal, Comment("reverse sweep"), *adj.out]
    if spec.kind == "grad":
        body.append(Return(tuple(results), len(results) > 1))
    else:
        body.append(Return(tuple(ret.values) + tuple(results), True))
    suffix = "_grad" if spec.kind == "grad" else "_vjp"
    # Cotangent parameters follow the primal ones, so only the gradient keeps the defaults.
    defaults = fn.defaults if spec.kind == "grad" else ()
    result = Function(spec.name or fn.name + suffix, params, body, defaults)
    result.source_names = names.taken
    result.globals_used = getattr(fn, "globals_used", {})
    return result
