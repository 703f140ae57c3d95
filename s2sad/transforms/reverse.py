"""Reverse: the adjoint transformation (gradients and vector-Jacobian products).

This module builds the program (seeds, sweeps, results); ``adjoint`` holds the rules of
straight-line code and ``control`` those of branches and loops.

The adjoint program is the primal trace (the *forward sweep*) followed by the *reverse sweep*:
the trace walked backwards, each primitive's VJP template spliced in to add its contribution to
the adjoint of each active argument (``x_bar = x_bar + <contribution>``: a new value, never an
in-place update, so caller arrays are never written). Adjoints are named after their primals.

Control flow stays structured. A branch is replayed by testing the same condition again (it is
never overwritten, or it is restored from the loop's stack). A loop is replayed backwards: in
the forward sweep each iteration pushes the values its reverse needs and that the loop
overwrites onto an explicit stack (the values of each iteration, so O(N) for N trips), and the
reverse loop pops them; a loop that may ``break`` (and every ``while``) also counts its trips.

Strong zeros where they are needed only. Some rules send back an adjoint that may be inf where
every value of the program is finite (sqrt's at 0: ``rules.elementwise.UNBOUNDED``, and the
``scaled_pow`` of ``x ** 0.5``'s rule). Such an adjoint is *unbounded*, and so is everything
computed from it; the products it meets differentiate with their strong-zero rules
(``Primitive.vjp_strong``: ``safe_mul(g, y)``, where inf * 0 = 0), so ``sqrt(x * x + y * y)``
has derivative 0 at the origin. Every other product keeps its plain, cheaper rule ``g * y``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UnsupportedSyntaxError
from ..ir import (
    Comment,
    Const,
    Copy,
    For,
    Function,
    NameSource,
    Op,
    Pop,
    Return,
    Var,
    walk,
    without_loop_else,
)
from ..ir.activity import active_names, refuse_missing_rules
from ..ir.ssa import normalize
from ..rules import REGISTRY
from ..rules.fft import may_be_complex
from .adjoint import _Adjoint
from .breaking import indexed_breaking_loops


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
    aux: int = 0  # the last `aux` outputs are returned, not differentiated (has_aux)


def _batched(sweep, results, batch, names):
    """Wrap a reverse sweep in a loop over a batch of cotangents, stacking the adjoints.
    `batch` is (the cotangents' parameter, the seed each row is given to)."""
    batch, seed = batch
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
    fn = fn.replace(body=indexed_breaking_loops(without_loop_else(fn.body, names), names))
    ret = fn.body[-1]
    assert isinstance(ret, Return), "lowering guarantees a final return"
    primal = fn.body[:-1]
    active = active_names(primal, spec.wrt)
    refuse_missing_rules(fn.body, spec.wrt, active)
    adj = _Adjoint(fn, names, active)
    params = list(fn.params)
    scalar_if, batch = _seed(adj, spec, ret, params)
    forward = adj.block(primal)
    adj.settle_zeros()
    forward = adj.stacks + forward
    if spec.kind == "grad":  # only the aux outputs (has_aux) come back with a gradient
        outputs = _kept(adj, ret.values[len(ret.values) - spec.aux:], forward) if spec.aux \
            else ()
    else:
        outputs = _kept(adj, ret.values, forward)
    results = _results(adj, spec.wrt, may_be_complex(fn))
    reverse_sweep = adj.out
    if spec.kind == "vjp_batch":
        if adj.stacks:
            raise UnsupportedSyntaxError("a batch of cotangents needs loop-free code", None,
                                         "use one vjp per cotangent")
        reverse_sweep, results = _batched(reverse_sweep, results, batch, names)
    body = [Comment("forward sweep"), *forward, Comment("reverse sweep"), *reverse_sweep]
    if spec.kind == "grad":
        values = tuple(results) + outputs  # aux (has_aux) after the gradients
        body.append(Return(values, len(values) > 1))
    else:
        body.append(Return(outputs + tuple(results), True))
    suffix = {"grad": "_grad", "vjp": "_vjp", "vjp_batch": "_vjp_batch"}[spec.kind]
    # Cotangent parameters follow the primal ones, so only the gradient keeps the defaults.
    defaults = fn.defaults if spec.kind == "grad" else ()
    return Function(spec.name or fn.name + suffix, params, body, defaults,
                    source_names=names.taken, globals_used=fn.globals_used, ssa=False,
                    scalar_if=scalar_if, scalar_params=fn.scalar_params,
                    param_shapes=fn.param_shapes)


def _seed(adj: _Adjoint, spec: AdjointSpec, ret: Return, params: list):
    """Seed the outputs' adjoints; add the cotangent parameters to `params`. Returns the
    gradient's `scalar_if` and, for a batch, (its parameter, the seed it indexes)."""
    names, active = adj.names, adj.active
    if spec.kind == "grad":
        out = ret.values[0]
        scalar_if = _scalar_when(adj.static, out, params)
        if isinstance(out, Var) and (out.name in active or scalar_if is None):
            seed = names.derived(f"{out.name}_bar")
            if out.name in active:
                adj.adjoint[out.name] = seed
            if scalar_if is None:  # the output's shape is known only when it runs: check it
                adj.out.append(Op(seed, REGISTRY.by_name["scalar_seed"], (out,)))
            else:
                adj.out.append(Copy(seed, Const(1.0)))
        return scalar_if, None
    if spec.kind == "vjp_batch":
        # One forward sweep, then the reverse sweep once per cotangent of a batch (the rows of
        # a Jacobian): `cotangents` stacks them along a new first axis.
        out = ret.values[0]
        batch = names.derived("cotangents")
        params.append(batch)
        seed = names.derived(f"{out.name if isinstance(out, Var) else 'out'}_bar")
        if isinstance(out, Var) and out.name in active:
            adj.adjoint[out.name] = seed
        return None, (batch, seed)
    for i, out in enumerate(ret.values[:len(ret.values) - spec.aux]):
        base = out.name if isinstance(out, Var) else f"out{i}"
        seed = names.derived(f"{base}_bar")
        params.append(seed)
        if isinstance(out, Var) and out.name in active:
            adj.accumulate(out.name, Var(seed))
    return None, None


def _kept(adj: _Adjoint, outputs: tuple, forward: list) -> tuple:
    """The outputs a VJP returns: copies of those the reverse sweep pops loop values back
    into (appended to `forward`), the others as they are."""
    restored = {t for stmt in walk(adj.out) if isinstance(stmt, Pop) for t in stmt.targets}
    kept = []
    for out in outputs:
        if isinstance(out, Var) and out.name in restored:
            name = adj.names.derived(f"{out.name}_out")
            forward.append(Copy(name, out))
            out = Var(name)
        kept.append(out)
    return tuple(kept)


def _results(adj: _Adjoint, wrt: tuple, project: bool) -> list:
    """The adjoints of `wrt`, exact (zeros for an input nothing flowed into); with `project`,
    a real input sees the real part of a complex adjoint."""
    results = []
    for w in wrt:
        if w in adj.adjoint:
            bar = adj.exact(w)
            if project:
                adj.out.append(Op(bar.name, REGISTRY.by_name["real_like"], (bar, Var(w))))
            results.append(bar)
        else:
            zero = adj.names.derived(f"{w}_bar")
            adj.out.append(Op(zero, REGISTRY.by_name["zeros_like"], (Var(w),)))
            results.append(Var(zero))
    return results


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
