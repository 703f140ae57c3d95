"""The lecture notes' worked examples (../shared/seeds), as the functions a student writes."""

import math

import numpy as np


def lecture_f(x1, x2):
    """Seed 000 (CSE599G1): y = ln(x1) + x1*x2 - sin(x2)."""
    return np.log(x1) + x1 * x2 - np.sin(x2)


def proposal_f(x, y):
    """Seed 002: f(x, y) = xy + e^(xy)."""
    return x * y + math.exp(x * y)


def tutorial_cubic(x):
    """Seed 004: func(x) = 3x^3 - 5x^2."""
    return 3 * x**3 - 5 * x**2


def tutorial_mean(x):
    """Seed 004 (PyTorch part): o = mean(3 (x + 2)^2)."""
    return np.mean(3 * (x + 2) ** 2)


def neuron_loss(w, x, b, t):
    """Seed 001: logistic neuron with squared loss, z = wx + b, y = sigma(z), L = (y - t)^2 / 2."""
    z = w * x + b
    y = 1 / (1 + np.exp(-z))
    return (y - t) ** 2 / 2


def logistic_regression_loss(weights, inputs, targets):
    """Seed 001: negative log-likelihood of a logistic model (the training example)."""
    preds = 1.0 / (1.0 + np.exp(-np.dot(inputs, weights)))
    label_probabilities = preds * targets + (1 - preds) * (1 - targets)
    return -np.sum(np.log(label_probabilities))


def jacobian_example(x1, x2):
    """Seed 003: f(x1, x2) = (x1*x2 + sin x1, e^(x1 - x2))."""
    return x1 * x2 + np.sin(x1), np.exp(x1 - x2)


def jacobian_homework(x1, x2, x3):
    """Seed 003 homework: f(x1, x2, x3) = (x1*x2 + x1*x3, ln(x1 + x2))."""
    return x1 * x2 + x1 * x3, np.log(x1 + x2)


def graph_example(x1):
    """Seed 000's computation graph: x2 = exp(x1), x3 = x2 + 1, x4 = x2 * x3."""
    x2 = np.exp(x1)
    x3 = x2 + 1
    x4 = x2 * x3
    return x4


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def logsumexp(x):
    m = 0.5
    return m + np.log(np.sum(np.exp(x - m)))


def vector_function(x, A):
    """A vector-valued map for Jacobian tests: R^3 -> R^(2,2)."""
    return np.reshape(np.tanh(A @ x), (2, 2)) * np.sum(x * x)
