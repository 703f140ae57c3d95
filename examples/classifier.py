"""Seed 002's benchmark idea: a small neural network for classification, trained with s2sad
gradients and, when PyTorch is installed, compared with the same model trained by
torch.autograd.

Run it: ``python examples/classifier.py``. The data are three interleaved spirals in the
plane (300 points, from a fixed seed); the model is one tanh hidden layer of 16 units and a
softmax output, its loss the mean cross-entropy, its parameters a dict of four arrays (s2sad's
gradient of a dict is a dict). The program checks the gradient against central finite
differences, then trains with 300 steps of gradient descent with momentum.

When ``import torch`` works, the same model is trained by PyTorch in double precision from
the same initial weights with the same steps; the two loss curves agree to 1e-8 at every
step (the program asserts it) and the time per step of each is printed. PyTorch is never
required: without it the program says so and skips that part.
"""

import importlib.util
import time

import numpy as np

import s2sad

STEPS, RATE, MOMENTUM = 300, 0.5, 0.9


def make_spirals(n_per_class=100, classes=3, seed=0):
    """`classes` spirals of `n_per_class` noisy points each; returns (X, labels)."""
    rng = np.random.default_rng(seed)
    radius = np.tile(np.linspace(0.05, 1.0, n_per_class), classes)
    labels = np.repeat(np.arange(classes), n_per_class)
    angle = labels * 2 * np.pi / classes + 4.0 * radius + 0.2 * rng.normal(size=radius.size)
    X = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    return X, labels


def init_params(hidden=16, classes=3, seed=1):
    rng = np.random.default_rng(seed)
    return {"W1": rng.normal(size=(2, hidden)), "b1": np.zeros(hidden),
            "W2": rng.normal(size=(hidden, classes)) / np.sqrt(hidden), "b2": np.zeros(classes)}


def loss(params, X, labels):
    """Mean cross-entropy of the labels under softmax(tanh(X W1 + b1) W2 + b2)."""
    h = np.tanh(X @ params["W1"] + params["b1"])
    z = h @ params["W2"] + params["b2"]
    z = z - np.max(z, axis=1, keepdims=True)
    log_p = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(log_p[np.arange(len(labels)), labels])


def accuracy(params, X, labels):
    h = np.tanh(X @ params["W1"] + params["b1"])
    return np.mean(np.argmax(h @ params["W2"] + params["b2"], axis=1) == labels)


def check_against_finite_differences(params, X, labels, eps=1e-6):
    """The largest difference between s2sad's gradient and central differences."""
    gradient = s2sad.grad(loss)(params, X, labels)
    worst = 0.0
    for name, value in params.items():
        for index in np.ndindex(value.shape):
            shifted = {k: v.copy() for k, v in params.items()}
            shifted[name][index] += eps
            up = loss(shifted, X, labels)
            shifted[name][index] -= 2 * eps
            down = loss(shifted, X, labels)
            worst = max(worst, abs(gradient[name][index] - (up - down) / (2 * eps)))
    return worst


def train_s2sad(params, X, labels):
    """Gradient descent with momentum; returns (losses, final params, seconds per step)."""
    value_and_grad = s2sad.value_and_grad(loss)
    value_and_grad(params, X, labels)  # builds (or loads) the gradient code before timing
    params = {k: v.copy() for k, v in params.items()}
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    losses = []
    for step in range(STEPS):
        value, gradient = value_and_grad(params, X, labels)
        losses.append(value)
        for k in params:
            velocity[k] = MOMENTUM * velocity[k] - RATE * gradient[k]
            params[k] = params[k] + velocity[k]
        if step == 0:  # the time per step leaves out the first, as for PyTorch
            start = time.perf_counter()
    return np.array(losses), params, (time.perf_counter() - start) / (STEPS - 1)


def train_torch(params, X, labels):
    """The same model and steps with torch.autograd in float64; returns (losses, s/step)."""
    import torch

    weights = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
               for k, v in params.items()}
    velocity = {k: torch.zeros_like(v) for k, v in weights.items()}
    inputs = torch.tensor(X, dtype=torch.float64)
    targets = torch.tensor(labels, dtype=torch.int64)
    losses = []
    for step in range(STEPS):
        h = torch.tanh(inputs @ weights["W1"] + weights["b1"])
        z = h @ weights["W2"] + weights["b2"]
        value = torch.nn.functional.cross_entropy(z, targets)
        for w in weights.values():
            w.grad = None
        value.backward()
        losses.append(value.item())
        with torch.no_grad():
            for k, w in weights.items():
                velocity[k] = MOMENTUM * velocity[k] - RATE * w.grad
                w += velocity[k]
        if step == 0:  # the first step also sets up autograd's engine: not timed
            start = time.perf_counter()
    return np.array(losses), (time.perf_counter() - start) / (STEPS - 1)


def main():
    X, labels = make_spirals()
    params = init_params()

    worst = check_against_finite_differences(params, X, labels)
    print(f"gradient vs central differences: largest difference {worst:.1e}")
    assert worst < 1e-7

    losses, trained, step_time = train_s2sad(params, X, labels)
    for step in (0, 50, 100, 200, STEPS - 1):
        print(f"step {step:3d}   loss {losses[step]:.6f}")
    final = accuracy(trained, X, labels)
    print(f"training accuracy {final:.3f}, {1e6 * step_time:.0f} us per step with s2sad")
    assert losses[-1] < 0.5 * losses[0] and final > 0.8

    if importlib.util.find_spec("torch") is None:
        print("\nPyTorch is not installed: the comparison with torch.autograd is skipped.")
        return
    torch_losses, torch_step_time = train_torch(params, X, labels)
    print("\nstep   s2sad loss        torch.autograd loss")
    for step in (0, 50, 100, 200, STEPS - 1):
        print(f"{step:4d}   {losses[step]:.12f}   {torch_losses[step]:.12f}")
    difference = np.max(np.abs(losses - torch_losses))
    print(f"largest difference over {STEPS} steps: {difference:.1e}")
    print(f"time per step: s2sad {1e6 * step_time:.0f} us, torch {1e6 * torch_step_time:.0f} us "
          f"(s2sad / torch = {step_time / torch_step_time:.2f})")
    assert difference < 1e-8


if __name__ == "__main__":
    main()
