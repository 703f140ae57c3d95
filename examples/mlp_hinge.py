"""A two-layer tanh network trained with the multiclass hinge loss, which uses np.max.

Run it: ``python examples/mlp_hinge.py``. The loss (Crammer and Singer's) asks the right
class's score to beat every other score by a margin of 1:

    mean over samples of  max_j (score_j + [j != label]) - score_label

``np.max`` over the classes picks the most offending score; its derivative goes to the class
that attains the maximum. The program checks the gradients of both layers against finite
differences, then trains on points in the plane labelled by the quadrant they fall in.
"""

import numpy as np

import s2sad


def scores(W1, b1, W2, b2, X):
    hidden = np.tanh(X @ W1 + b1)
    return hidden @ W2 + b2


def hinge_loss(W1, b1, W2, b2, X, labels):
    s = scores(W1, b1, W2, b2, X)
    n, k = s.shape
    margins = 1.0 - np.eye(k)[labels]  # 0 for the right class, 1 for the others
    correct = s[np.arange(n), labels]
    return np.mean(np.max(s + margins, axis=1) - correct)


def make_data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    labels = (X[:, 0] > 0).astype(int) + 2 * (X[:, 1] > 0).astype(int)
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
    hidden = 16
    params = [rng.normal(size=(2, hidden)), 0.1 * rng.normal(size=hidden),
              rng.normal(size=(hidden, 4)) / np.sqrt(hidden), np.zeros(4)]
    names = ("W1", "b1", "W2", "b2")

    value_and_grad = s2sad.value_and_grad(hinge_loss, wrt=names)
    _, grads = value_and_grad(*params, X, labels)
    for index, (name, got) in enumerate(zip(names, grads)):
        expected = finite_differences(hinge_loss, [*params, X, labels], index)
        error = np.max(np.abs(got - expected))
        print(f"d{name}: shape {got.shape}, largest difference from finite differences "
              f"{error:.1e}")
        assert error < 1e-6

    for step in range(301):
        value, grads = value_and_grad(*params, X, labels)
        if step % 75 == 0:
            accuracy = np.mean(np.argmax(scores(*params, X), axis=1) == labels)
            print(f"step {step:3d}   loss {value:.4f}   accuracy {accuracy:.3f}")
        params = [p - 0.5 * g for p, g in zip(params, grads)]
    print("\nThe generated gradient code:\n")
    print(s2sad.source(hinge_loss, wrt=names))


if __name__ == "__main__":
    main()
