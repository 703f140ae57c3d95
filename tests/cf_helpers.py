"""Functions in another module, called from the control-flow corpus (calls across modules)."""

import numpy as np

OFFSET = 0.25


def affine(W, x, b=0.0):
    return W @ x + b


def scaled_norm(v, scale=2.0):
    return scale * np.sqrt(np.sum(v * v) + OFFSET)


def shift(x):
    return np.sum(x) + OFFSET
