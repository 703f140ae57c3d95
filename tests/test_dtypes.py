"""Dtypes: a float32 (or float16) argument gets a gradient of its own dtype, and a float32
output a tangent of its own, in every API; integers are differentiated as float64."""

import numpy as np
import pytest

import s2sad

WIDE = np.array([0.5, 1.5, 2.5])  # float64 data mixed into float32 code


def loss(x):
    return np.sum(np.sin(x) * x + x ** 2) / 3.0


def mixed(x, y):
    return np.mean(np.tanh(x @ y)) + np.sum(np.exp(x) * 2.0)


def widened(x):
    return np.sum(x * WIDE)  # NumPy computes this in float64


def loop(x):
    s = 0.0
    for _ in range(3):
        s = s + np.sum(x * x) * 0.5
    return s


def vector(x):
    return np.sin(x) * 2.0


NARROW = [np.float32, np.float16]


@pytest.mark.parametrize("dtype", NARROW)
@pytest.mark.parametrize("f", [loss, widened, loop])
def test_gradients_keep_the_argument_dtype(f, dtype):
    x = np.array([0.3, 0.7, 1.1], dtype=dtype)
    assert s2sad.grad(f)(x).dtype == dtype
    value, gradient = s2sad.value_and_grad(f)(x)
    assert gradient.dtype == dtype
    expected = s2sad.grad(f)(x.astype(np.float64))
    np.testing.assert_allclose(gradient, expected, rtol=5e-3 if dtype is np.float16 else 1e-5)
    _, vjp_fn = s2sad.vjp(f, x)
    assert vjp_fn(np.asarray(1.0, dtype))[0].dtype == dtype


@pytest.mark.parametrize("dtype", NARROW)
def test_tangents_keep_the_output_dtype(dtype):
    x = np.array([0.3, 0.7, 1.1], dtype=dtype)
    value, tangent = s2sad.jvp(vector, (x,), (np.ones(3, dtype),))
    assert value.dtype == tangent.dtype == dtype
    _, tangent = s2sad.jvp(widened, (x,), (np.ones(3, dtype),))
    assert tangent.dtype == np.float64  # the output itself is float64 here


@pytest.mark.parametrize("dtype", NARROW)
def test_jacobians_hessians_and_hvps_keep_the_dtype(dtype):
    x = np.array([0.3, 0.7, 1.1], dtype=dtype)
    for mode in ("forward", "reverse"):
        assert s2sad.jacobian(vector, mode=mode)(x).dtype == dtype
    assert s2sad.hessian(loss)(x).dtype == dtype
    assert s2sad.hvp(loss, x, np.ones(3, dtype)).dtype == dtype
    a = np.ones((3, 3), dtype)
    assert all(g.dtype == dtype for g in s2sad.grad(mixed, wrt=(0, 1))(a, a))


def test_scalar_float32_arguments_give_float32_scalars():
    x = np.float32(0.4)
    assert type(s2sad.grad(loss)(x)) is np.float32
    assert type(s2sad.hessian(loss)(x)) is np.float32


def test_integers_are_differentiated_as_float64():
    assert s2sad.grad(loss)(np.arange(3)).dtype == np.float64
    assert np.asarray(s2sad.grad(loss)(2)).dtype == np.float64


def splits(x):
    a, b = np.split(x, 2)
    return np.sum(a * b) + np.sum(np.concatenate([a, b * 2.0]))


def test_list_adjoints_keep_float32():
    x = np.arange(4, dtype=np.float32)
    gradient = s2sad.grad(splits)(x)
    assert gradient.dtype == np.float32
    np.testing.assert_allclose(gradient, [3.0, 4.0, 2.0, 3.0])

