"""Code written for JAX (or autograd) runs with s2sad once its imports are changed."""

import textwrap

import numpy as np
import pytest
from fresh_import import import_file

JAX_STYLE = '''
import jax.numpy as jnp
from jax import grad, value_and_grad


def predict(params, x):
    hidden = jnp.tanh(jnp.dot(params["W1"], x) + params["b1"])
    return jnp.dot(params["W2"], hidden) + params["b2"]


def loss(params, x, y):
    error = predict(params, x) - y
    mse = jnp.mean(error ** 2)
    return mse, {"mse": mse, "max_error": jnp.max(jnp.abs(error))}


def train_step(params, x, y, rate=0.1):
    grads, aux = grad(loss, argnums=0, has_aux=True)(params, x, y)
    new = {name: params[name] - rate * grads[name] for name in params}
    return new, aux


def value(params, x, y):
    (mse, aux), grads = value_and_grad(loss, argnums=0, has_aux=True)(params, x, y)
    return mse, grads
'''

AUTOGRAD_STYLE = '''
import autograd.numpy as np
from autograd import grad, elementwise_grad


def loss(w, b, x, y):
    return np.sum((np.tanh(w * x + b) - y) ** 2)


gradient_of_b = grad(loss, argnum=1)
slope = elementwise_grad(np.tanh)
'''


def ported(tmp_path, text, imports):
    for old, new in imports.items():
        text = text.replace(old, new)
    path = tmp_path / "ported.py"
    path.write_text(textwrap.dedent(text))
    return import_file(path)


def test_a_jax_training_step_runs_after_changing_the_imports(tmp_path):
    module = ported(tmp_path, JAX_STYLE, {"import jax.numpy as jnp": "import numpy as jnp",
                                          "from jax import": "from s2sad import"})
    rng = np.random.default_rng(3)
    params = {"W1": rng.standard_normal((4, 3)), "b1": np.zeros(4),
              "W2": rng.standard_normal((2, 4)), "b2": np.zeros(2)}
    x, y = rng.standard_normal(3), rng.standard_normal(2)
    new, aux = module.train_step(params, x, y)
    assert set(new) == set(params) and set(aux) == {"mse", "max_error"}
    assert module.loss(new, x, y)[0] < module.loss(params, x, y)[0]
    mse, grads = module.value(params, x, y)
    assert mse == pytest.approx(module.loss(params, x, y)[0])
    eps = 1e-6
    bumped = {**params, "b2": params["b2"] + np.array([eps, 0.0])}
    lowered = {**params, "b2": params["b2"] - np.array([eps, 0.0])}
    fd = (module.loss(bumped, x, y)[0] - module.loss(lowered, x, y)[0]) / (2 * eps)
    assert grads["b2"][0] == pytest.approx(fd, rel=1e-6)


def test_autograd_code_runs_after_changing_the_imports(tmp_path):
    module = ported(tmp_path, AUTOGRAD_STYLE, {"import autograd.numpy as np":
                                               "import numpy as np",
                                               "from autograd import": "from s2sad import"})
    w, b, x, y = 0.7, -0.2, np.array([0.5, 1.5]), np.array([0.1, 0.3])
    r = np.tanh(w * x + b) - y
    expected = np.sum(2 * r * (1 - np.tanh(w * x + b) ** 2))
    assert module.gradient_of_b(w, b, x, y) == pytest.approx(expected)


@pytest.mark.parametrize("function, x", [
    (np.tanh, 0.4), (np.sin, np.array([0.0, 1.0, 2.0])), (np.exp, -0.3),
    (np.log1p, np.array([[0.5, 1.0], [2.0, 3.0]])),
])
def test_numpy_functions_are_differentiated_directly(function, x):
    import s2sad
    eps = 1e-6
    expected = (function(x + eps) - function(x - eps)) / (2 * eps)
    np.testing.assert_allclose(s2sad.elementwise_grad(function)(x), expected, rtol=1e-7)
    _, tangent = s2sad.jvp(function, (x,), (np.ones_like(x),))
    np.testing.assert_allclose(tangent, expected, rtol=1e-7)
    if np.ndim(x) == 0:
        assert s2sad.grad(function)(x) == pytest.approx(expected, rel=1e-7)
    assert f"t1 = np.{function.__name__}(x)" in s2sad.source(function, ssa=True)


def test_a_binary_numpy_function_takes_wrt():
    import s2sad
    g = s2sad.grad(np.arctan2, argnums=(0, 1))(1.0, 2.0)
    assert g == pytest.approx((2.0 / 5.0, -1.0 / 5.0))
