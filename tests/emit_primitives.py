"""A function made a primitive by test_emit.py (its rule is registered inside the test, so
that no other test sees it), and a function calling it."""

import numpy as np


def softplus(x):
    return np.log1p(np.exp(x))


def uses_softplus(x):
    return np.sum(softplus(x) * x)
