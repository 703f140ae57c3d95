"""Seed 001 (the autograd tutorial): a logistic neuron with squared loss, its sequence of
primitive operations, its VJPs, a primitive with its own VJP, and the training loop.

Run it: ``python examples/logistic_neuron.py``. The tutorial writes the neuron

    z = w x + b,   y = 1 / (1 + exp(-z)),   L = (y - t)^2 / 2

as a sequence of primitives, t1 = w x, z = t1 + b, t3 = -z, t4 = exp(t3), t5 = 1 + t4,
y = 1 / t5, t6 = y - t, t7 = t6^2, L = t7 / 2. s2sad's SSA trace is that sequence (the names
of the unnamed intermediates are numbered in order of appearance). The backward pass sends
each node's adjoint to its parents through the primitive's VJP; the program checks the
result against backprop written by hand, makes the sigmoid a primitive with its own VJP
(``defvjp``, as the tutorial registers VJPs), and runs the tutorial's training loop: 100
gradient steps of 0.01 from zero weights on the negative log-likelihood of a logistic model.
The tutorial leaves the data out ("... (load the data) ..."); we use four points, fixed below.
"""

import math

import numpy as np

import s2sad


def neuron_loss(w, x, b, t):
    z = w * x + b
    y = 1 / (1 + np.exp(-z))
    return (y - t) ** 2 / 2


@s2sad.primitive
def sigmoid(z):
    return 0.5 * (np.tanh(z / 2) + 1)


# The VJP of a primitive: the output's adjoint g times dy/dz = y (1 - y), with y = ans.
s2sad.defvjp(sigmoid, z="g * ans * (1.0 - ans)")
s2sad.defjvp(sigmoid, z="z_dot * ans * (1.0 - ans)")


def neuron_loss_primitive(w, x, b, t):
    return (sigmoid(w * x + b) - t) ** 2 / 2


INPUTS = np.array([[0.52, 1.12, 0.77],
                   [0.88, -1.08, 0.15],
                   [0.52, 0.06, -1.30],
                   [0.74, -2.49, 1.39]])
TARGETS = np.array([1.0, 1.0, 0.0, 1.0])


def training_loss(weights, inputs, targets):
    """The tutorial's negative log-likelihood of the labels under a logistic model."""
    preds = 0.5 * (np.tanh(inputs @ weights) + 1)
    label_probabilities = preds * targets + (1 - preds) * (1 - targets)
    return -np.sum(np.log(label_probabilities))


def main():
    print("The neuron as a sequence of primitive operations (s2sad's SSA trace):\n")
    ssa = s2sad.source(neuron_loss, ssa=True)
    print(ssa)
    operations = [line.split(" = ", 1)[1] for line in ssa.splitlines()[1:-1]]
    assert operations == ["w * x", "t1 + b", "-z", "np.exp(t2)", "1 + t3", "1 / t4", "y - t",
                          "t5 ** 2", "t6 / 2"]

    w, x, b, t = 1.0, 1.5, 0.0, 1.0  # z = 1.5, the tutorial's logistic(1.5)
    print(s2sad.trace(neuron_loss, w, x, b, t))
    grads = s2sad.grad(neuron_loss, wrt=(0, 1, 2))(w, x, b, t)
    # Backprop by hand: L_bar = 1, y_bar = y - t, z_bar = y_bar * y (1 - y),
    # w_bar = z_bar * x, x_bar = z_bar * w, b_bar = z_bar.
    y = 1 / (1 + math.exp(-(w * x + b)))
    z_bar = (y - t) * y * (1 - y)
    by_hand = (z_bar * x, z_bar * w, z_bar)
    print(f"\ny = logistic(1.5) = {y:.6f}")
    print("w_bar, x_bar, b_bar =", ", ".join(f"{g:.6f}" for g in grads))
    print("by hand:              " + ", ".join(f"{g:.6f}" for g in by_hand))
    assert round(y, 6) == 0.817574
    assert np.allclose(grads, by_hand, rtol=1e-13, atol=0)
    # The tutorial's grad is make_vjp's backward pass seeded with L_bar = 1; so is s2sad's.
    loss_value, vjp_fn = s2sad.vjp(neuron_loss, w, x, b, t)
    w_bar, x_bar, b_bar, t_bar = vjp_fn(1.0)
    print(f"vjp_fn(1.0) = ({w_bar:.6f}, {x_bar:.6f}, {b_bar:.6f}, {t_bar:.6f}) at L = "
          f"{loss_value:.6f}")
    assert np.allclose((w_bar, x_bar, b_bar), grads, rtol=1e-15, atol=0)
    assert np.isclose(t_bar, -(y - t), rtol=1e-13, atol=0)

    print("\nThe sigmoid as a primitive with its own VJP, g * ans * (1 - ans):\n")
    print(s2sad.source(neuron_loss_primitive, wrt=(0, 1, 2)))
    grads_primitive = s2sad.grad(neuron_loss_primitive, wrt=(0, 1, 2))(w, x, b, t)
    assert np.allclose(grads_primitive, by_hand, rtol=1e-13, atol=0)
    assert s2sad.check_grad(neuron_loss_primitive, w, x, b, t, wrt=(0, 1, 2)) < 1e-6

    print("Training: 100 steps of 0.01 from zero weights, as in the tutorial\n")
    training_gradient_fun = s2sad.grad(training_loss)
    weights = np.array([0.0, 0.0, 0.0])
    initial = training_loss(weights, INPUTS, TARGETS)
    print(f"Initial loss: {initial:.6f}")
    assert math.isclose(initial, 4 * math.log(2), rel_tol=1e-15)  # every label at 1/2
    losses = [initial]
    for _ in range(100):
        weights -= training_gradient_fun(weights, INPUTS, TARGETS) * 0.01
        losses.append(training_loss(weights, INPUTS, TARGETS))
    print(f"Trained loss: {losses[-1]:.6f}   weights {np.round(weights, 4).tolist()}")
    assert all(later < earlier for earlier, later in zip(losses, losses[1:]))


if __name__ == "__main__":
    main()
