"""Central finite differences, the reference every derivative is checked against."""

import numpy as np

EPS = 1e-6


def as_float(x):
    return float(x) if np.ndim(x) == 0 and not isinstance(x, np.ndarray) else np.asarray(x, float)


def perturb(args, index, direction, step):
    out = list(args)
    x = args[index]
    if isinstance(x, np.ndarray):
        out[index] = x + step * direction
    else:
        out[index] = x + step * float(direction)
    return out


def inner(a, b):
    if isinstance(a, tuple):
        return sum(inner(x, y) for x, y in zip(a, b))
    return float(np.sum(np.asarray(a) * np.asarray(b)))


def directional_fd(f, args, index, direction, cotangent, eps=EPS):
    """d/dh <cotangent, f(args[index] + h * direction)> at h = 0, by central differences."""
    up = f(*perturb(args, index, direction, eps))
    down = f(*perturb(args, index, direction, -eps))
    return (inner(cotangent, up) - inner(cotangent, down)) / (2 * eps)


def numeric_grad(f, args, index, eps=EPS):
    """The full gradient of scalar f with respect to args[index], entry by entry."""
    x = np.asarray(args[index], dtype=float)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = 1.0
        grad[i] = directional_fd(f, args, index, e if x.ndim else 1.0, 1.0, eps)
    return grad if x.ndim else float(grad)


def random_like(rng, value):
    if isinstance(value, tuple):
        return tuple(random_like(rng, v) for v in value)
    if np.ndim(value) == 0:
        return float(rng.standard_normal())
    return rng.standard_normal(np.shape(value))
