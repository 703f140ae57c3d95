"""Real programs from examples/, differentiated end to end (issue 9, section 5).

Each program is the example's own function, on a small problem: its gradient (reverse mode)
with respect to every parameter against central finite differences, entry by entry; a JVP
(forward mode) along a random direction against a directional difference; and for the
Gaussian mixture and the Gaussian likelihood, a Hessian-vector product against differences
of the gradient (and the logistic loss's Hessian against its closed form).
"""

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from fd import directional_fd, numeric_grad

import s2sad

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def example(name):
    """The module examples/<name>.py (examples/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Program:
    name: str
    fn: object
    args: tuple
    wrt: tuple  # positions of the parameters (the others are data)


def programs():
    rng = np.random.default_rng(0)
    logistic = example("logistic_logaddexp")
    softmax = example("softmax_classifier")
    mlp = example("mlp_hinge")
    gmm = example("gmm")
    lj = example("lennard_jones")
    rk4 = example("rk4")
    gauss = example("gaussian_likelihood")
    X3, labels3 = softmax.make_data(n_per_class=3)
    X_mlp, labels_mlp = mlp.make_data(n=8)
    return [
        Program("logistic", logistic.training_loss,
                (np.array([0.3, -0.2, 0.5]), logistic.INPUTS, logistic.TARGETS, 0.1), (0,)),
        Program("softmax", softmax.loss,
                (0.5 * rng.normal(size=(2, 3)), 0.1 * rng.normal(size=3), X3, labels3), (0, 1)),
        Program("mlp_hinge", mlp.hinge_loss,
                (rng.normal(size=(2, 4)), 0.1 * rng.normal(size=4), rng.normal(size=(4, 4)),
                 0.1 * rng.normal(size=4), X_mlp, labels_mlp), (0, 1, 2, 3)),
        Program("gmm", gmm.gmm_objective, gmm.make_problem(n=6, d=3, k=2), (0, 1, 2)),
        Program("lennard_jones", lj.energy, (lj.cluster()[:5 * 3],), (0,)),
        Program("rk4", rk4.loss, (np.array([1.0, 0.0]), 0.3, np.array([0.2, 0.1]), 1.0, 5),
                (0, 1)),
        Program("gaussian", gauss.log_likelihood,
                (rng.normal(size=3), np.eye(3) + 0.3 * rng.normal(size=(3, 3)),
                 rng.normal(size=(6, 3))), (0, 1)),
    ]


PROGRAMS = programs()
BY_NAME = {p.name: p for p in PROGRAMS}


def close(got, expected, rtol=1e-6):
    """Equal up to rtol relative to the largest entry (finite differences lose digits)."""
    got, expected = np.asarray(got, float), np.asarray(expected, float)
    assert got.shape == expected.shape
    scale = max(1.0, float(np.max(np.abs(expected))))
    error = float(np.max(np.abs(got - expected))) / scale
    assert error < rtol, f"relative error {error:.2e}"


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_gradient_matches_finite_differences(program):
    grads = s2sad.grad(program.fn, wrt=program.wrt)(*program.args)
    assert len(grads) == len(program.wrt)
    for position, got in zip(program.wrt, grads):
        close(got, numeric_grad(program.fn, program.args, position))


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_jvp_matches_finite_differences(program):
    rng = np.random.default_rng(1)
    for position in program.wrt:
        x = program.args[position]
        direction = rng.normal(size=np.shape(x)) if np.ndim(x) else float(rng.normal())
        tangents = [direction if i == position else None for i in range(len(program.args))]
        value, tangent = s2sad.jvp(program.fn, program.args, tangents)
        assert np.isclose(value, program.fn(*program.args), rtol=1e-12)
        close(tangent, directional_fd(program.fn, program.args, position, direction, 1.0))


def test_reverse_and_forward_agree_on_one_direction():
    """<grad f, v> = J v, for every program and parameter at once (one direction each)."""
    rng = np.random.default_rng(2)
    for program in PROGRAMS:
        grads = s2sad.grad(program.fn, wrt=program.wrt)(*program.args)
        tangents = [None] * len(program.args)
        expected = 0.0
        for position, g in zip(program.wrt, grads):
            x = program.args[position]
            tangents[position] = rng.normal(size=np.shape(x)) if np.ndim(x) else 1.0
            expected += float(np.sum(g * tangents[position]))
        _, tangent = s2sad.jvp(program.fn, program.args, tangents)
        assert np.isclose(tangent, expected, rtol=1e-10), program.name


@pytest.mark.parametrize("name", ["gmm", "gaussian"])
def test_hessian_vector_product_matches_differences_of_the_gradient(name):
    """H v over all parameters at once (mixed second derivatives included)."""
    program = BY_NAME[name]
    n = len(program.wrt)
    assert program.wrt == tuple(range(n))  # the parameters come first, then the data
    params, data = program.args[:n], program.args[n:]
    rng = np.random.default_rng(3)
    v = tuple(rng.normal(size=np.shape(p)) for p in params)
    hv = s2sad.hvp(program.fn, tuple(params), v, *data)
    gradient = s2sad.grad(program.fn, wrt=program.wrt)
    eps = 1e-5
    up = gradient(*[p + eps * d for p, d in zip(params, v)], *data)
    down = gradient(*[p - eps * d for p, d in zip(params, v)], *data)
    assert len(hv) == n
    for got, a, b in zip(hv, up, down):
        close(got, (a - b) / (2 * eps))


def test_hessian_of_the_logistic_loss_is_the_textbook_one():
    """X^T diag(p (1 - p)) X + l2 I, with p the model's probabilities."""
    program = BY_NAME["logistic"]
    w, X, targets, l2 = program.args
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    expected = X.T @ ((p * (1.0 - p))[:, None] * X) + l2 * np.eye(3)
    assert np.allclose(s2sad.hessian(program.fn)(*program.args), expected, rtol=1e-12)


def test_max_shift_does_not_change_the_softmax_gradient():
    """The max shift's contributions cancel: the same gradient as without it."""
    program = BY_NAME["softmax"]

    def unshifted(W, b, X, labels):
        z = X @ W + b
        log_p = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
        return -np.mean(log_p[np.arange(len(labels)), labels])

    shifted = s2sad.grad(program.fn, wrt=(0, 1))(*program.args)
    plain = s2sad.grad(unshifted, wrt=(0, 1))(*program.args)
    for a, b in zip(shifted, plain):
        assert np.allclose(a, b, rtol=1e-12, atol=1e-15)
