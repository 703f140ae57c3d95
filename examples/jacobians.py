"""Seed 003: Jacobians in forward mode (one pass per input) and reverse mode (one pass per
output), with the passes counted.

Run it: ``python examples/jacobians.py``. For f: R^n -> R^m, forward mode seeds one input
direction per pass (a JVP, x_dot = e_j) and gets a column of the Jacobian; reverse mode seeds
one output per pass (a VJP, y_bar = e_i) and gets a row. So the Jacobian costs n forward
passes or m reverse passes. The program builds each Jacobian both ways from ``s2sad.jvp`` and
``s2sad.vjp``, counting the passes, and checks it against the seed's closed form and against
``s2sad.jacfwd`` / ``s2sad.jacrev``:

- the lecture's f(x1, x2) = (x1 x2 + sin x1, e^(x1 - x2)), n = m = 2, with Jacobian
  [[x2 + cos x1, x1], [e^(x1 - x2), -e^(x1 - x2)]];
- the homework f(x1, x2, x3) = (x1 x2 + x1 x3, ln(x1 + x2)): 3 forward passes, 2 reverse;
- a loss R^50 -> R, as in machine learning: 50 forward passes, 1 reverse pass (backprop).
"""

import math

import numpy as np

import s2sad


def lecture_f(x1, x2):
    return x1 * x2 + np.sin(x1), np.exp(x1 - x2)


def homework_f(x1, x2, x3):
    return x1 * x2 + x1 * x3, np.log(x1 + x2)


def loss(x):
    return np.sum(np.log(1.0 + x**2))


def unit(k, j):
    """The j-th of k unit seeds, as a tuple of floats (one per scalar argument or output)."""
    return tuple(1.0 if i == j else 0.0 for i in range(k))


def jacobian_forward(f, point):
    """The Jacobian column by column, one JVP per input; returns (J, passes)."""
    columns = [s2sad.jvp(f, point, unit(len(point), j))[1] for j in range(len(point))]
    return np.array(columns).T, len(columns)


def jacobian_reverse(f, point, outputs):
    """The Jacobian row by row, one VJP per output; returns (J, passes)."""
    _, vjp_fn = s2sad.vjp(f, *point)
    rows = [vjp_fn(unit(outputs, i)) for i in range(outputs)]
    return np.array(rows), len(rows)


def compare(name, f, point, outputs, expected):
    forward, n_passes = jacobian_forward(f, point)
    reverse, m_passes = jacobian_reverse(f, point, outputs)
    print(f"{name} at {point}: n = {len(point)} inputs, m = {outputs} outputs")
    print(f"  forward mode, {n_passes} JVP passes: {np.round(forward, 6).tolist()}")
    print(f"  reverse mode, {m_passes} VJP passes: {np.round(reverse, 6).tolist()}")
    assert (n_passes, m_passes) == (len(point), outputs)
    wrt = tuple(range(len(point)))
    for jacobian in (forward, reverse, s2sad.jacfwd(f, wrt)(*point), s2sad.jacrev(f, wrt)(*point)):
        assert np.allclose(jacobian, expected, rtol=1e-14, atol=1e-15)


def main():
    x1, x2 = 1.0, 2.0
    e = math.exp(x1 - x2)
    compare("f(x1, x2) = (x1 x2 + sin x1, e^(x1 - x2))", lecture_f, (x1, x2), 2,
            [[x2 + math.cos(x1), x1], [e, -e]])
    print("\nThe tangent code (one pass carries x1_dot, x2_dot to y1_dot, y2_dot):\n")
    print(s2sad.source(lecture_f, mode="forward", wrt=(0, 1)))

    x1, x2, x3 = 1.0, 2.0, 3.0
    compare("\nhomework f(x1, x2, x3) = (x1 x2 + x1 x3, ln(x1 + x2))", homework_f,
            (x1, x2, x3), 2, [[x2 + x3, x1, x1], [1 / (x1 + x2), 1 / (x1 + x2), 0.0]])

    x = np.linspace(-2.0, 2.0, 50)
    expected = 2 * x / (1 + x**2)
    columns = [s2sad.jvp(loss, (x,), (np.eye(50)[j],))[1] for j in range(50)]
    _, vjp_fn = s2sad.vjp(loss, x)
    (row,) = vjp_fn(1.0)
    print(f"\nloss R^50 -> R: forward mode needs {len(columns)} JVP passes for the gradient, "
          "reverse mode 1 VJP pass")
    print(f"  largest difference between the two: {np.max(np.abs(np.array(columns) - row)):.1e}")
    assert np.allclose(columns, expected, rtol=1e-14, atol=1e-15)
    assert np.allclose(row, expected, rtol=1e-14, atol=1e-15)


if __name__ == "__main__":
    main()
