"""Forward mode: every JVP rule against finite differences and against reverse mode."""

import math

import numpy as np
import pytest
from fd import inner, perturb, random_like
from rule_table import CASES
from seed_functions import (
    jacobian_example,
    jacobian_homework,
    lecture_f,
    tutorial_cubic,
    vector_function,
)
from test_rules import PARAMS, draw

import s2sad


def directional_fd_all(f, args, directions, eps=1e-6):
    up, down = list(args), list(args)
    for i, d in enumerate(directions):
        up = perturb(up, i, d, eps)
        down = perturb(down, i, d, -eps)
    hi, lo = f(*up), f(*down)
    if isinstance(hi, tuple):
        return tuple((np.asarray(a) - np.asarray(b)) / (2 * eps) for a, b in zip(hi, lo))
    return (np.asarray(hi) - np.asarray(lo)) / (2 * eps)


@pytest.mark.parametrize("case, shapes", PARAMS)
def test_jvp_matches_central_differences(case, shapes, rng):
    args = [draw(rng, shape, case.domain) for shape in shapes]
    tangents = [random_like(rng, a) for a in args]
    value, tangent = s2sad.jvp(case.fn, args, tangents)
    np.testing.assert_allclose(value, case.fn(*args), rtol=1e-12, atol=1e-12)
    expected = directional_fd_all(case.fn, args, tangents)
    assert np.shape(tangent) == np.shape(expected)
    np.testing.assert_allclose(tangent, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case, shapes", PARAMS)
def test_jvp_and_vjp_agree_on_the_dot_product_test(case, shapes, rng):
    """<u, J v> from forward mode equals <J^T u, v> from reverse mode."""
    args = [draw(rng, shape, case.domain) for shape in shapes]
    tangents = [random_like(rng, a) for a in args]
    value, tangent = s2sad.jvp(case.fn, args, tangents)
    cotangent = random_like(rng, value)
    cotangents = s2sad.vjp(case.fn, *args)[1](cotangent)
    forward = inner(cotangent, tangent)
    reverse = sum(inner(c, t) for c, t in zip(cotangents, tangents))
    assert forward == pytest.approx(reverse, rel=1e-10, abs=1e-12)


def test_every_rule_table_case_runs_in_forward_mode():
    assert {case.name for case in CASES}  # the table drives both modes


@pytest.mark.parametrize("case, shapes", PARAMS[::4])
def test_jvp_equals_reverse_jacobian_contracted_with_tangent(case, shapes, rng):
    args = [draw(rng, shape, case.domain) for shape in shapes]
    tangents = [random_like(rng, a) for a in args]
    _, tangent = s2sad.jvp(case.fn, args, tangents)
    wrt = tuple(range(len(args)))
    jac = s2sad.jacobian(case.fn, wrt=wrt, mode="reverse")(*args)
    contracted = sum(
        np.tensordot(j, t, axes=np.ndim(t)) for j, t in zip(jac, tangents)
    )
    np.testing.assert_allclose(tangent, contracted, rtol=1e-10, atol=1e-12)


def test_seed000_forward_trace_gives_dy_dx1_5_5():
    value, dot = s2sad.jvp(lecture_f, (2.0, 5.0), (1.0, 0.0))
    assert (round(value, 3), round(dot, 3)) == (11.652, 5.5)


def test_seed004_dual_number_derivative_of_cubic_is_5_25():
    value, dot = s2sad.jvp(tutorial_cubic, (1.5,), (1.0,))
    assert value == pytest.approx(3 * 1.5**3 - 5 * 1.5**2)
    assert dot == pytest.approx(5.25, rel=1e-14)


def analytic_jacobian_example(x1, x2):
    e = math.exp(x1 - x2)
    return np.array([[x2 + math.cos(x1), x1], [e, -e]])


def analytic_jacobian_homework(x1, x2, x3):
    return np.array([[x2 + x3, x1, x1], [1 / (x1 + x2), 1 / (x1 + x2), 0.0]])


@pytest.mark.parametrize("mode", ["reverse", "forward", "auto"])
def test_seed003_jacobian_matches_the_analytic_one_in_every_mode(mode):
    point = (0.7, -1.3)
    jac = s2sad.jacobian(jacobian_example, wrt=(0, 1), mode=mode)(*point)
    got = np.array([[jac[0][0], jac[0][1]], [jac[1][0], jac[1][1]]])
    np.testing.assert_allclose(got, analytic_jacobian_example(*point), rtol=1e-14)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_seed003_homework_jacobian_matches_the_analytic_one(mode):
    point = (1.5, 0.5, -2.0)
    jac = s2sad.jacobian(jacobian_homework, wrt=(0, 1, 2), mode=mode)(*point)
    got = np.array([[jac[k][j] for j in range(3)] for k in range(2)])
    np.testing.assert_allclose(got, analytic_jacobian_homework(*point), rtol=1e-14)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_jacobian_shape_is_output_shape_plus_input_shape(mode, rng):
    x = rng.standard_normal(3)
    A = rng.standard_normal((4, 3))
    jac = s2sad.jacobian(vector_function, mode=mode)(x, A)
    assert jac.shape == (2, 2, 3)
    eps = 1e-6
    for i in range(3):
        e = np.zeros(3)
        e[i] = eps
        column = (vector_function(x + e, A) - vector_function(x - e, A)) / (2 * eps)
        np.testing.assert_allclose(jac[..., i], column, rtol=1e-6, atol=1e-8)
    jac_A = s2sad.jacobian(vector_function, wrt="A", mode=mode)(x, A)
    assert jac_A.shape == (2, 2, 4, 3)


def test_forward_and_reverse_jacobians_agree_to_1e_10(rng):
    x = rng.standard_normal(3)
    A = rng.standard_normal((4, 3))
    fwd = s2sad.jacobian(vector_function, wrt=(0, 1), mode="forward")(x, A)
    rev = s2sad.jacobian(vector_function, wrt=(0, 1), mode="reverse")(x, A)
    for a, b in zip(fwd, rev):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


def test_jvp_of_tuple_output_gives_tuple_tangent():
    value, tangent = s2sad.jvp(jacobian_example, (0.7, -1.3), (1.0, 0.0))
    assert isinstance(value, tuple) and isinstance(tangent, tuple)
    np.testing.assert_allclose(tangent, analytic_jacobian_example(0.7, -1.3)[:, 0])


def test_jvp_rejects_a_tangent_of_the_wrong_shape():
    with pytest.raises(s2sad.S2sadError, match="shape"):
        s2sad.jvp(vector_function, (np.ones(3), np.ones((4, 3))), (np.ones(2), np.ones((4, 3))))


def test_decorated_function_has_jvp_and_forward_source():
    f = s2sad.differentiate(tutorial_cubic)
    assert f.jvp((1.5,), (1.0,))[1] == pytest.approx(5.25)
    assert "x_dot" in f.source(mode="forward")


def test_reverse_jacobian_uses_one_forward_sweep_for_loop_free_code(rng):
    from s2sad.api.build import build

    x, A = rng.standard_normal(3), rng.standard_normal((4, 3))
    batch = build(vector_function, "vjp_batch", 0)
    assert "for k in range(" in batch.loaded.source
    rows = s2sad.jacobian(vector_function, mode="reverse")(x, A)
    columns = s2sad.jacobian(vector_function, mode="forward")(x, A)
    np.testing.assert_allclose(rows, columns, rtol=1e-12, atol=1e-14)


def test_reverse_jacobian_of_a_loop_falls_back_to_one_vjp_per_row():
    from cf_corpus import loop_carries_array

    W = np.array([[0.5, -0.2, 0.1], [0.3, 0.4, -0.6], [0.2, 0.1, 0.9]])
    x = np.array([0.3, -0.7, 1.1])

    def vector_loop(v):
        return np.tanh(W @ v) * loop_carries_array(v, W)

    rows = s2sad.jacobian(vector_loop, mode="reverse")(x)
    columns = s2sad.jacobian(vector_loop, mode="forward")(x)
    np.testing.assert_allclose(rows, columns, rtol=1e-10, atol=1e-12)


def test_jvp_promotes_an_integer_with_a_tangent_and_holds_zero_tangent_integers_constant():
    value, dot = s2sad.jvp(lecture_f, (2, 5.0), (1.0, 0.0))
    assert dot == pytest.approx(5.5)

    def power(x, n):
        return x ** n

    assert s2sad.jvp(power, (-2.0, 3), (1.0, 0))[1] == pytest.approx(12.0)
    assert s2sad.jvp(power, (-2.0, 3.0), (1.0, None))[1] == pytest.approx(12.0)


def logistic_loss(w, X, y, scale):
    p = 1.0 / (1.0 + np.exp(-(X @ w) * scale))
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def test_repeated_jvp_calls_agree_whatever_path_they_take():
    # The first call binds and checks (the general path); later calls with float64 arrays
    # and Python floats take a fast path that skips both. Every mix must agree with the first
    # call and with finite differences, and float32 and integer arguments still get theirs.
    rng = np.random.default_rng(3)
    w, X = rng.normal(size=4), rng.normal(size=(6, 4))
    y = (rng.random(6) < 0.5).astype(float)
    dw, dX = rng.normal(size=4), rng.normal(size=(6, 4))
    for tangents in [(dw, None, None, None), (dw, dX, None, 0.5), (None, dX, None, None),
                     (None, None, None, 1.0)]:
        first = s2sad.jvp(logistic_loss, (w, X, y, 2.0), tangents)
        again = s2sad.jvp(logistic_loss, (w, X, y, 2.0), tangents)
        assert first == again
        eps = 1e-6
        moved = [(a if t is None else a + eps * np.asarray(t)) for a, t in
                 zip((w, X, y, 2.0), tangents)]
        back = [(a if t is None else a - eps * np.asarray(t)) for a, t in
                zip((w, X, y, 2.0), tangents)]
        fd = (logistic_loss(*moved) - logistic_loss(*back)) / (2 * eps)
        assert abs(again[1] - fd) < 1e-7
    w32, X32, y32 = w.astype(np.float32), X.astype(np.float32), y.astype(np.float32)
    value, tangent = s2sad.jvp(logistic_loss, (w32, X32, y32, 2.0), (w32, None, None, None))
    assert np.asarray(value).dtype == np.asarray(tangent).dtype == np.float32
    with pytest.raises(s2sad.S2sadError, match="shape"):
        s2sad.jvp(logistic_loss, (w, X, y, 2.0), (dw[:3], None, None, None))
