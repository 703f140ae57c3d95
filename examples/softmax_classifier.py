"""A linear softmax classifier: cross-entropy with the max shift, gradients from s2sad.

Run it: ``python examples/softmax_classifier.py``. The logits ``X @ W + b`` are shifted by their
row maximum before ``exp`` (``np.max(z, axis=1, keepdims=True)``), the usual way to keep the
exponentials finite; the shift does not change the loss, and s2sad differentiates through it
(its contributions cancel). The program checks the gradient against finite differences, then
trains on three Gaussian blobs.
"""

import numpy as np

import s2sad


def log_softmax(z):
    z = z - np.max(z, axis=1, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))


def loss(W, b, X, labels):
    """Mean cross-entropy of integer labels under softmax(X @ W + b)."""
    log_p = log_softmax(X @ W + b)
    return -np.mean(log_p[np.arange(len(labels)), labels])


def make_data(n_per_class=50, seed=0):
    rng = np.random.default_rng(seed)
    centers = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    X = np.concatenate([c + rng.normal(size=(n_per_class, 2)) for c in centers])
    labels = np.repeat(np.arange(3), n_per_class)
    return X, labels


def finite_differences(f, args, index, eps=1e-6):
    x = args[index]
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = list(args), list(args)
        up[index], down[index] = x.copy(), x.copy()
        up[index][i] += eps
        down[index][i] -= eps
        grad[i] = (f(*up) - f(*down)) / (2 * eps)
    return grad


def main():
    X, labels = make_data()
    rng = np.random.default_rng(1)
    W, b = 0.5 * rng.normal(size=(2, 3)), 0.1 * rng.normal(size=3)

    gradient = s2sad.grad(loss, wrt=("W", "b"))
    dW, db = gradient(W, b, X, labels)
    for name, got, index in (("dW", dW, 0), ("db", db, 1)):
        error = np.max(np.abs(got - finite_differences(loss, [W, b, X, labels], index)))
        print(f"{name} = {np.round(got, 5).tolist()}   largest difference from finite "
              f"differences {error:.1e}")
        assert error < 1e-7

    for step in range(101):
        value = loss(W, b, X, labels)
        dW, db = gradient(W, b, X, labels)
        if step % 25 == 0:
            accuracy = np.mean(np.argmax(X @ W + b, axis=1) == labels)
            print(f"step {step:3d}   loss {value:.4f}   accuracy {accuracy:.3f}")
        W, b = W - 0.5 * dW, b - 0.5 * db
    print("\nThe generated gradient code:\n")
    print(s2sad.source(loss, wrt=("W", "b")))


if __name__ == "__main__":
    main()
