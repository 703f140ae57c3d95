"""Logistic regression trained by plain gradient descent, with gradients from s2sad.

Run it: ``python examples/logistic_regression.py``. It makes a synthetic two-class data set,
checks the generated gradient against finite differences once, then trains the model and
prints the loss going down and the accuracy going up.
"""

import numpy as np

import s2sad


def predict(w, b, X):
    """The probability of class 1 for each row of X."""
    return 1.0 / (1.0 + np.exp(-(X @ w + b)))


def loss(w, b, X, y, l2):
    """Mean cross-entropy of the predictions, plus an L2 penalty on the weights."""
    p = predict(w, b, X)
    cross_entropy = -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
    return cross_entropy + 0.5 * l2 * np.sum(w * w)


def make_data(n=400, seed=0):
    """Two classes in 3-D, separated by a plane (with a few points on the wrong side)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    true_w, true_b = np.array([2.0, -1.0, 0.5]), 0.3
    noise = 0.5 * rng.normal(size=n)
    y = (X @ true_w + true_b + noise > 0).astype(float)
    return X, y


if __name__ == "__main__":
    X, y = make_data()
    w, b, l2 = np.zeros(3), 0.0, 1e-3

    # One function computing the loss and its gradient with respect to w and b (positions 0
    # and 1); X, y and l2 are data. s2sad transforms `loss` (and `predict`, which it inlines)
    # once, here.
    loss_and_grad = s2sad.value_and_grad(loss, wrt=(0, 1))
    print("check_grad: largest relative error",
          f"{s2sad.check_grad(loss, w + 0.1, b, X, y, l2, wrt=(0, 1)):.1e}")

    learning_rate = 0.5
    for step in range(201):
        value, (dw, db) = loss_and_grad(w, b, X, y, l2)
        if step % 25 == 0:
            accuracy = np.mean((predict(w, b, X) > 0.5) == (y == 1.0))
            print(f"step {step:3d}   loss {value:.4f}   accuracy {accuracy:.3f}")
        w = w - learning_rate * dw
        b = b - learning_rate * db

    print("learned w =", np.round(w, 2), " b =", round(b, 2),
          " (the data came from w = [2, -1, 0.5], b = 0.3, up to scale)")
    print("\nThe generated gradient code:\n")
    print(s2sad.source(loss, wrt=(0, 1)))
