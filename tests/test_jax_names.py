"""jacfwd, jacrev (JAX), elementwise_grad (autograd) and linearize (JAX) against central finite
differences, at points that take every branch, and against each other (forward and reverse
mode must agree).
"""

import numpy as np
import pytest
from fd import directional_fd, inner, random_like

import s2sad

RNG = np.random.default_rng(7)
A = RNG.standard_normal((2, 3))


def scalar_to_scalar(x):
    return np.sin(x) * x ** 2


def vector_to_scalar(x):
    return np.sum(np.tanh(x) * x)


def vector_to_vector(x):
    return A @ np.exp(x)  # (3,) -> (2,)


def matrix_to_matrix(m):
    return np.sin(m) @ m.T  # (2, 3) -> (2, 2)


def scalar_to_matrix(s):
    return np.cos(s * A)


def matrix_to_scalar(m):
    return np.sum(m ** 3) / (1.0 + np.sum(m * m))


def with_branch(x):
    if np.sum(x) > 0.0:
        return np.exp(x) * x[0]
    return np.sin(x) * x[-1]


CASES = [
    (scalar_to_scalar, 0.7),
    (vector_to_scalar, np.array([0.3, -0.8, 1.1])),
    (vector_to_vector, np.array([0.3, -0.8, 1.1])),
    (matrix_to_matrix, RNG.standard_normal((2, 3))),
    (scalar_to_matrix, -0.4),
    (matrix_to_scalar, RNG.standard_normal((2, 3))),
    (with_branch, np.array([0.5, 0.2, 0.4])),     # sum > 0
    (with_branch, np.array([-0.5, 0.2, -0.4])),   # sum <= 0
]
IDS = [f"{f.__name__}-{np.shape(x)}" for f, x in CASES]


def numeric_jacobian(f, args, index):
    """The Jacobian d f(args) / d args[index] by central differences, with JAX's shape:
    the output's shape followed by the input's."""
    out_shape, in_shape = np.shape(f(*args)), np.shape(args[index])
    jac = np.zeros(out_shape + in_shape)
    for i in np.ndindex(in_shape):
        e = np.zeros(in_shape)
        e[i] = 1.0
        for o in np.ndindex(out_shape):
            c = np.zeros(out_shape)
            c[o] = 1.0
            jac[o + i] = directional_fd(f, args, index, e if in_shape else 1.0,
                                        c if out_shape else 1.0)
    return jac


@pytest.mark.parametrize("f, x", CASES, ids=IDS)
@pytest.mark.parametrize("maker", [s2sad.jacfwd, s2sad.jacrev], ids=["jacfwd", "jacrev"])
def test_jacobian_has_jax_shape_and_matches_fd(maker, f, x):
    got = maker(f)(x)
    expected = numeric_jacobian(f, (x,), 0)
    assert np.shape(got) == np.shape(f(x)) + np.shape(x)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f, x", CASES, ids=IDS)
def test_jacfwd_and_jacrev_agree(f, x):
    np.testing.assert_allclose(s2sad.jacfwd(f)(x), s2sad.jacrev(f)(x), rtol=1e-12, atol=1e-12)


def two_inputs(w, b, x):
    return np.tanh(x @ w + b)  # (4, 3) @ (3,) + () -> (4,)


def two_outputs(x, y):
    return x * y, np.sin(x) + y ** 2


@pytest.mark.parametrize("maker", [s2sad.jacfwd, s2sad.jacrev], ids=["jacfwd", "jacrev"])
def test_a_tuple_of_argnums_gives_a_tuple_over_the_inputs(maker):
    w, b, x = np.array([0.2, -0.1, 0.4]), 0.3, RNG.standard_normal((4, 3))
    got = maker(two_inputs, argnums=(0, 1))(w, b, x)
    assert isinstance(got, tuple) and len(got) == 2
    assert np.shape(got[0]) == (4, 3) and np.shape(got[1]) == (4,)
    for k, index in enumerate((0, 1)):
        np.testing.assert_allclose(got[k], numeric_jacobian(two_inputs, (w, b, x), index),
                                   rtol=1e-6, atol=1e-8)
    only_x = maker(two_inputs, argnums=2)(w, b, x)
    np.testing.assert_allclose(only_x, numeric_jacobian(two_inputs, (w, b, x), 2),
                               rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("maker", [s2sad.jacfwd, s2sad.jacrev], ids=["jacfwd", "jacrev"])
def test_a_tuple_output_gives_a_tuple_over_the_outputs(maker):
    x, y = np.array([0.5, -1.0]), np.array([2.0, 0.25])
    got = maker(two_outputs, argnums=(0, 1))(x, y)
    for k in range(2):
        def output_k(a, b, k=k):
            return two_outputs(a, b)[k]
        for j in range(2):
            np.testing.assert_allclose(got[k][j], numeric_jacobian(output_k, (x, y), j),
                                       rtol=1e-6, atol=1e-8)


# ------------------------------------------------------------------------ elementwise_grad
def softplus(x):
    return np.log1p(np.exp(x))


def piecewise(x):
    return np.where(x > 0.0, x * x, np.sin(x))


def scaled(x, s):
    return s * np.tanh(x) ** 2


@pytest.mark.parametrize("f", [softplus, piecewise], ids=lambda f: f.__name__)
@pytest.mark.parametrize("x", [np.array([-1.5, -0.2, 0.3, 2.0]),
                               np.array([[0.5, -0.7], [1.2, -2.1]]), 0.4, -0.4],
                         ids=["vector", "matrix", "positive", "negative"])
def test_elementwise_grad_is_the_derivative_of_every_entry(f, x):
    eps = 1e-6
    expected = (f(x + eps) - f(x - eps)) / (2 * eps)  # elementwise f: one difference for all
    got = s2sad.elementwise_grad(f)(x)
    assert np.shape(got) == np.shape(x)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)
    # forward mode, a tangent of ones, gives the same for an elementwise function
    ones = np.ones(np.shape(x)) if np.ndim(x) else 1.0
    np.testing.assert_allclose(s2sad.jvp(f, (x,), (ones,))[1], got, rtol=1e-12)


def test_elementwise_grad_of_other_arguments_and_of_a_tuple_of_them():
    x, s = np.array([0.3, -1.1, 0.8]), 1.7
    got = s2sad.elementwise_grad(scaled, argnum=(0, 1))(x, s)
    assert isinstance(got, tuple) and len(got) == 2
    entrywise = (scaled(x + 1e-6, s) - scaled(x - 1e-6, s)) / 2e-6  # scaled is elementwise in x
    np.testing.assert_allclose(got[0], entrywise, rtol=1e-6)
    assert got[1] == pytest.approx(directional_fd(scaled, (x, s), 1, 1.0, np.ones(3)), rel=1e-6)
    assert s2sad.elementwise_grad(scaled, 1)(x, s) == pytest.approx(got[1])


def test_elementwise_grad_of_a_function_that_is_not_elementwise_is_the_gradient_of_the_sum():
    x = np.array([0.3, -0.8, 1.1])
    got = s2sad.elementwise_grad(vector_to_vector)(x)
    for k in range(3):
        e = np.eye(3)[k]
        assert got[k] == pytest.approx(
            directional_fd(vector_to_vector, (x,), 0, e, np.ones(2)), rel=1e-6)


def test_elementwise_grad_reports_errors_in_the_code_when_it_is_made():
    def uses_try(x):
        try:
            return np.sin(x)
        except ValueError:
            return x

    with pytest.raises(s2sad.UnsupportedSyntaxError, match="try"):
        s2sad.elementwise_grad(uses_try)


# ------------------------------------------------------------------------------ linearize
def model(w, x, n):
    total = 0.0
    for i in range(n):  # a loop with a branch inside: both sides are taken below
        if x[i] * w[0] > 0.0:
            total = total + np.sin(w[1] * x[i])
        else:
            total = total + w[0] * x[i] ** 2
    return total * w


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_linearize_matches_fd_and_the_transposed_vjp(seed):
    rng = np.random.default_rng(seed)
    w, x = rng.standard_normal(2), np.array([1.0, -1.0, 0.5, -0.25])
    value, f_jvp = s2sad.linearize(model, w, x, 4)
    np.testing.assert_allclose(value, model(w, x, 4))
    for _ in range(3):
        tw, tx = random_like(rng, w), random_like(rng, x)
        cotangent = random_like(rng, value)
        got = f_jvp(tw, tx, None)
        numeric = (directional_fd(model, (w, x, 4), 0, tw, cotangent)
                   + directional_fd(model, (w, x, 4), 1, tx, cotangent))
        assert inner(cotangent, got) == pytest.approx(numeric, rel=1e-6, abs=1e-9)
        _, vjp_fn = s2sad.vjp(model, w, x, 4, wrt=(0, 1))
        back = vjp_fn(cotangent)  # <c, J t> = <J^T c, t>
        assert inner(cotangent, got) == pytest.approx(inner(back[0], tw) + inner(back[1], tx),
                                                      rel=1e-10, abs=1e-12)


def test_linearize_holds_its_primals_even_when_the_caller_changes_them():
    x = np.array([0.2, 0.9])
    value, f_jvp = s2sad.linearize(vector_to_scalar, x)
    before = f_jvp(np.array([1.0, 0.0]))
    x[0] = 5.0
    assert f_jvp(np.array([1.0, 0.0])) == before
    assert before == pytest.approx(
        directional_fd(vector_to_scalar, (np.array([0.2, 0.9]),), 0, np.array([1.0, 0.0]), 1.0),
        rel=1e-6)
    assert value == pytest.approx(vector_to_scalar(np.array([0.2, 0.9])))


def test_linearize_wants_one_tangent_per_primal():
    _, f_jvp = s2sad.linearize(two_outputs, 0.5, 2.0)
    with pytest.raises(s2sad.S2sadError, match="one tangent per primal: 2, got 1"):
        f_jvp(1.0)
    value, tangent = two_outputs(0.5, 2.0), f_jvp(1.0, 0.0)
    assert isinstance(tangent, tuple) and len(tangent) == len(value)
    assert tangent[0] == pytest.approx(2.0) and tangent[1] == pytest.approx(np.cos(0.5))


def test_linearize_reports_errors_in_the_code_when_it_is_made():
    def uses_try(x):
        try:
            return np.sin(x)
        except ValueError:
            return x

    with pytest.raises(s2sad.UnsupportedSyntaxError, match="try"):
        s2sad.linearize(uses_try, 1.0)
