"""Logistic regression as in seed 001 (the autograd tutorial), written with np.logaddexp.

Run it: ``python examples/logistic_logaddexp.py``. Seed 001 trains a logistic neuron,
``sigmoid(inputs @ weights)``, by minimising the negative log-likelihood of its labels with
100 gradient steps of 0.01 from zero weights. It leaves the data out ("... (load the data)
..."); we use the four points of autograd's README, where that code comes from.

The log-likelihood is written the numerically safe way: ``-log sigmoid(z) = logaddexp(0, -z)``,
so a label's negative log-probability is ``logaddexp(0, -s z)`` with s = +1 for a true label
and -1 for a false one, which never takes the log of 0. An L2 penalty is added; with
``l2 = 0`` it is the seed's loss exactly (the program checks that, then the gradient against
finite differences, then trains).
"""

import numpy as np

import s2sad

INPUTS = np.array([[0.52, 1.12, 0.77],
                   [0.88, -1.08, 0.15],
                   [0.52, 0.06, -1.30],
                   [0.74, -2.49, 1.39]])
TARGETS = np.array([True, True, False, True])


def training_loss(weights, inputs, targets, l2):
    """Negative log-likelihood of the labels, plus 0.5 * l2 * |weights|^2."""
    signs = np.where(targets, 1.0, -1.0)
    z = inputs @ weights
    return np.sum(np.logaddexp(0.0, -signs * z)) + 0.5 * l2 * np.sum(weights ** 2)


def seed_loss(weights, inputs, targets):
    """The seed's own formulation, through the sigmoid written with tanh."""
    preds = 0.5 * (np.tanh(inputs @ weights) + 1.0)
    label_probabilities = preds * targets + (1 - preds) * (1 - targets)
    return -np.sum(np.log(label_probabilities))


def finite_difference_gradient(f, x, *data, eps=1e-6):
    grad = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = eps
        grad[i] = (f(x + e, *data) - f(x - e, *data)) / (2 * eps)
    return grad


def main():
    # The seed's sigmoid, 0.5 (tanh(z) + 1), is sigmoid(2 z): the same model with the weights
    # doubled, so the two losses agree at w and w / 2.
    w = np.array([0.3, -0.2, 0.5])
    assert np.isclose(training_loss(w, INPUTS, TARGETS, 0.0), seed_loss(w / 2, INPUTS, TARGETS))

    l2 = 0.1
    gradient = s2sad.grad(training_loss)
    g = gradient(w, INPUTS, TARGETS, l2)
    fd = finite_difference_gradient(training_loss, w, INPUTS, TARGETS, l2)
    print("gradient at w = [0.3, -0.2, 0.5]:", np.round(g, 6))
    print("finite differences:              ", np.round(fd, 6))
    assert np.allclose(g, fd, rtol=1e-6, atol=1e-8)

    # The seed's training loop: 100 steps of 0.01 from zero weights (here with the L2 term).
    weights = np.array([0.0, 0.0, 0.0])
    print(f"Initial loss: {training_loss(weights, INPUTS, TARGETS, l2):.6f}"
          "   (4 log 2: every label has probability 1/2)")
    for _ in range(100):
        weights -= gradient(weights, INPUTS, TARGETS, l2) * 0.01
    print(f"Trained loss: {training_loss(weights, INPUTS, TARGETS, l2):.6f}"
          f"   weights {np.round(weights, 4)}")
    print("\nThe generated gradient code:\n")
    print(s2sad.source(training_loss))


if __name__ == "__main__":
    main()
