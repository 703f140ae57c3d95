"""Shape stand-ins: a forward value the reverse sweep reads only for its shape is not computed
(transforms/shape_standins.py), and the gradient stays right in value, shape and dtype."""

import numpy as np
import pytest
from fd import numeric_grad

import s2sad
from s2sad.runtime.shape import broadcast_stand_in


def logreg(w, X, y):
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def weighted_logs(x, y):
    return np.sum(y * np.log(x) + np.log(1.0 + x * x))


def squared_error(a, b):
    error = a - b
    return np.mean(error * error)


RNG = np.random.default_rng(7)
X = RNG.normal(size=(20, 3))
W = RNG.normal(size=3)
LABELS = (RNG.random(20) < 0.5).astype(float)


def test_logistic_regression_does_not_compute_the_loss_terms_it_reads_only_for_their_shape():
    code = s2sad.source(logreg)
    assert "np.log" not in code and "broadcast_stand_in(" in code
    grad = s2sad.grad(logreg)(W, X, LABELS)
    p = 1.0 / (1.0 + np.exp(-(X @ W)))
    np.testing.assert_allclose(grad, X.T @ (p - LABELS) / LABELS.size, rtol=1e-12)


@pytest.mark.parametrize("y_shape", [(4,), (3, 4), (3, 1), ()])
def test_a_stand_in_of_broadcast_operands_has_the_result_shape(y_shape):
    x = RNG.uniform(0.5, 2.0, size=4)
    y = RNG.normal(size=y_shape) if y_shape else 0.7
    for i in (0, 1):
        got = s2sad.grad(weighted_logs, wrt=i)(x, y)
        expected = numeric_grad(weighted_logs, [x, y], i)
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)
        assert np.shape(got) == np.shape((x, y)[i])


def test_float32_arguments_keep_float32_gradients():
    w32, X32, y32 = W.astype(np.float32), X.astype(np.float32), LABELS.astype(np.float32)
    got = s2sad.grad(logreg)(w32, X32, y32)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, s2sad.grad(logreg)(W, X, LABELS), rtol=1e-5)


def test_integer_labels_give_the_float_gradient():
    got = s2sad.grad(logreg)(W, X, LABELS.astype(int))
    np.testing.assert_allclose(got, s2sad.grad(logreg)(W, X, LABELS), rtol=1e-15)


def test_one_operation_is_not_traded_for_a_helper_call():
    code = s2sad.source(squared_error)
    assert "broadcast_stand_in" not in code and "error * error" in code


def test_forward_mode_and_second_order_agree_with_finite_differences():
    x = RNG.uniform(0.5, 2.0, size=4)
    y = RNG.normal(size=(3, 4))
    v = RNG.normal(size=4)
    hv = s2sad.hvp(weighted_logs, x, v, y)
    grad = s2sad.grad(weighted_logs)
    eps = 1e-6
    expected = (grad(x + eps * v, y) - grad(x - eps * v, y)) / (2 * eps)
    np.testing.assert_allclose(hv, expected, rtol=1e-5, atol=1e-7)


def test_the_helper_returns_an_operand_shaped_and_typed_like_the_result():
    a, b = np.ones(3), np.zeros(3)
    assert broadcast_stand_in(a, b) is a
    c = np.ones((2, 1), dtype=np.float32)
    assert broadcast_stand_in(a.astype(np.float32), c).shape == (2, 3)
    mixed = broadcast_stand_in(np.ones(3, dtype=np.float32), np.ones((2, 3)))
    assert mixed.shape == (2, 3) and mixed.dtype == np.float64
    assert broadcast_stand_in(2.0, 3) == 0.0 and np.ndim(broadcast_stand_in(2.0, 3)) == 0
    spread = broadcast_stand_in(np.ones((2, 1)), np.ones(4), np.ones((1, 4)))
    assert spread.shape == (2, 4) and not spread.flags.writeable


def test_casts_and_writes_are_never_stood_in_for():
    from s2sad.ir import Op, Var
    from s2sad.rules.registry import REGISTRY
    from s2sad.transforms.shape_standins import _elementwise

    def op(name):
        return Op("t", REGISTRY.by_name[name], (Var("x"),))

    assert _elementwise(op("log")) and _elementwise(op("neg"))
    for name in ("float", "float32", "float64", "math.log"):
        assert not _elementwise(op(name)), name
