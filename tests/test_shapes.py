"""The static shape analysis that lets reverse mode skip `unbroadcast` only where it is proven.

Each test lowers a function to the IR and asks which names provably share a shape; the
claims are then checked on real inputs of different shapes, since a wrong "same shape" would
make a gradient silently wrong.
"""

import numpy as np
from fd import numeric_grad

import s2sad
from s2sad.frontend.parse import parse_function
from s2sad.ir.shapes import same_shape, shapes_of
from s2sad.lowering.function import lower_function

G = np.ones((2, 3))


def analysed(f):
    ir = lower_function(parse_function(f))
    return ir, shapes_of(ir)


def returned(ir) -> str:
    return ir.body[-1].values[0].name


def test_broadcast_is_commutative_and_idempotent():
    def f(x, y):
        a = x * y
        b = y + x * x
        return a + b

    ir, shapes = analysed(f)
    assert same_shape(shapes, returned(ir), returned(ir))
    names = [s.target for s in ir.body if hasattr(s, "target")]
    a, b = names[0], names[-2]
    assert same_shape(shapes, a, b)
    assert not same_shape(shapes, a, "x")
    assert not same_shape(shapes, "x", "y")


def test_scalar_constants_and_unary_functions_keep_the_shape():
    def f(x):
        return np.exp(-x) * 2.0 + 1.0

    ir, shapes = analysed(f)
    assert same_shape(shapes, returned(ir), "x")


def test_full_reductions_are_scalars_and_partial_ones_are_unknown():
    def f(x):
        a = np.sum(x)
        b = np.mean(x * x)
        c = np.sum(x, axis=0)
        return a + b + np.sum(c)

    ir, shapes = analysed(f)
    a, b, c = (s.target for s in ir.body[:5] if s.prim.name in ("sum", "mean"))
    assert same_shape(shapes, a, b)
    assert not same_shape(shapes, c, a) and not same_shape(shapes, c, "x")


def test_other_full_reductions_are_scalars_too():
    def f(x):
        a = np.max(x) + np.var(x) + np.std(x, ddof=1) + np.median(x) + np.ptp(x)
        b = np.linalg.norm(x) + np.average(x) + np.nansum(x)
        return a * b

    ir, shapes = analysed(f)
    reductions = [s.target for s in ir.body if getattr(s, "prim", None) is not None
                  and s.prim.name in ("amax", "var", "std", "median", "ptp", "norm", "mean",
                                      "nansum")]
    assert len(reductions) == 8
    assert all(same_shape(shapes, r, reductions[0]) for r in reductions)
    x = np.arange(6.0).reshape(2, 3) + 0.5
    np.testing.assert_allclose(s2sad.grad(f)(x), numeric_grad(f, [x], 0), rtol=1e-6)


def test_a_global_array_is_not_assumed_to_have_any_shape():
    def f(x):
        return np.sum(x * G)

    ir, shapes = analysed(f)
    product = ir.body[0].target
    assert not same_shape(shapes, product, "x")


def test_loop_carried_value_that_starts_scalar_has_two_shapes_but_its_product_has_one():
    def f(x, n):
        s = 0.0
        for _i in range(n):
            s = s * x + 1.0
        return s

    ir, shapes = analysed(f)
    loop = next(s for s in ir.body if type(s).__name__ == "For")
    product = loop.body[0].target
    carried = loop.body[0].args[0].name
    assert same_shape(shapes, product, "x")
    assert not same_shape(shapes, carried, "x")


def test_opaque_results_inside_loops_are_unknown():
    def f(x, n):
        s = 0.0
        for i in range(n):
            s = s + np.sum(x[:i + 1])
        return s

    ir, shapes = analysed(f)
    loop = next(s for s in ir.body if type(s).__name__ == "For")
    sliced = next(s.target for s in loop.body if s.prim.name == "getitem")
    assert shapes[sliced] is None


def test_gradients_that_rely_on_the_analysis_match_finite_differences():
    def f(x, y, n):
        s = y
        for _i in range(n):
            s = s * x + np.tanh(x)
        return np.sum(s)

    for x, y in [(0.7, 0.3), (np.array([0.7, -0.2]), 0.3), (0.7, np.array([0.3, 0.1, 0.2])),
                 (np.array([[0.7], [0.1]]), np.array([0.3, 0.1, 0.2]))]:
        s2sad.check_grad(f, x, y, 3, wrt=(0, 1))


def clipped(x, n):
    s = 0.0
    for _ in range(n):
        if np.sum(s) < 1.0:
            s = s + x * x
        else:
            s = s * x
    return np.sum(s)


def test_branches_whose_results_provably_share_a_shape_need_no_unbroadcast():
    # Both branches give s the shape of x (after the first iteration), so the carried
    # adjoint keeps a proven shape and no contribution is summed down inside the loop.
    loop = s2sad.source(clipped, mode="vjp").split("# reverse sweep")[1]
    assert "unbroadcast" not in loop
    for x in (0.6, np.array([0.6, 0.3]), np.array([[0.6], [0.35]])):
        s2sad.check_grad(clipped, x, 5, wrt=0)
