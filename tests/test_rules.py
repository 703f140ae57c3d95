"""Every derivative rule against central finite differences, on the shared shape table."""

import numpy as np
import pytest
from fd import directional_fd, inner, random_like
from rule_table import CASES

import s2sad
from s2sad.ir import NameSource, Op, Var, walk
from s2sad.lowering.templates import lower_template
from s2sad.rules import REGISTRY


def draw(rng, shape, domain):
    size = shape if shape else None
    if domain == "pos":
        x = rng.uniform(0.5, 2.0, size)
    elif domain == "unit":
        x = rng.uniform(-0.8, 0.8, size)
    elif domain == "nonzero":
        x = rng.uniform(0.4, 1.5, size) * rng.choice([-1.0, 1.0], size)
    else:
        x = rng.standard_normal(size)
    return float(x) if not shape else x


PARAMS = [
    pytest.param(case, shapes, id=f"{case.fn.__name__}-{'x'.join(map(str, shapes))}")
    for case in CASES
    for shapes in case.shapes
]


@pytest.mark.parametrize("case, shapes", PARAMS)
def test_vjp_matches_central_differences(case, shapes, rng):
    args = [draw(rng, shape, case.domain) for shape in shapes]
    value, vjp_fn = s2sad.vjp(case.fn, *args)
    expected = case.fn(*args)
    np.testing.assert_allclose(value, expected, rtol=1e-12, atol=1e-12)
    cotangent = random_like(rng, expected)
    grads = vjp_fn(cotangent)
    assert len(grads) == len(args)
    for index, (arg, g) in enumerate(zip(args, grads)):
        assert np.shape(g) == np.shape(arg), f"adjoint of argument {index} has the wrong shape"
        for _ in range(2):
            direction = random_like(rng, arg)
            numeric = directional_fd(case.fn, args, index, direction, cotangent)
            assert inner(g, direction) == pytest.approx(numeric, rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("case, shapes", PARAMS[::5])
def test_unoptimized_vjp_agrees_with_optimized(case, shapes, rng):
    args = [draw(rng, shape, case.domain) for shape in shapes]
    cotangent = random_like(rng, case.fn(*args))
    optimized = s2sad.vjp(case.fn, *args)[1](cotangent)
    namespace = {}
    source = s2sad.source(case.fn, mode="vjp", wrt=tuple(range(len(args))), optimize=False)
    from s2sad.loading.loader import base_namespace

    namespace.update(case.fn.__globals__)
    namespace.update(base_namespace())
    exec(source, namespace)
    raw = namespace[case.fn.__name__ + "_vjp"](*args, cotangent)[1:]
    for a, b in zip(optimized, raw):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_every_differentiable_primitive_is_in_the_rule_table():
    covered = {case.name for case in CASES}
    # Runtime helpers: their rules are checked through the derivatives of derivatives they
    # appear in (scatter_add: tests/test_scatter_accumulation.py).
    helpers = {"unbroadcast", "broadcast_like", "broadcast_reduced", "scatter_like", "scatter_add",
               "matmul_adjoint_x", "matmul_adjoint_y", "dot_adjoint_x", "dot_adjoint_y"}
    wanted = {p.name for p in REGISTRY.by_name.values()
              if p.differentiable and not getattr(p, "user", False)} - helpers
    assert wanted - covered == set()


@pytest.mark.parametrize("prim", sorted(REGISTRY.by_name.values(), key=lambda p: p.name),
                         ids=lambda p: p.name)
def test_rule_templates_only_call_registered_primitives(prim):
    """Closure under differentiation: lowering a template fails on any unregistered call."""
    for kind, table in (("vjp", prim.vjp), ("jvp", prim.jvp), ("vjp_strong", prim.vjp_strong)):
        for argname in table:
            env = {name: Var(name) for name in (*prim.signature, "g", "ans", "index")}
            env.update({f"{a}_dot": Var(f"{a}_dot") for a in prim.argnames})
            stmts, _ = lower_template(prim.template(kind, argname), env, NameSource(env))
            for stmt in walk(stmts):
                if isinstance(stmt, Op):
                    assert stmt.prim.name in REGISTRY.by_name


def test_every_vjp_rule_has_a_jvp_rule():
    for prim in REGISTRY.by_name.values():
        if prim.variadic or getattr(prim, "user", False):
            continue  # variadic: linear, its tangent is itself of the elements' tangents
        assert set(prim.vjp) <= set(prim.jvp), prim.name
