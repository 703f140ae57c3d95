"""Seed 002 (a student project proposal): reverse accumulation for f(x, y) = xy + e^(xy) at
(x, y) = (1, 2).

Run it: ``python examples/proposal_xy.py``. The proposal's forward trace is

    v1 = x1 x2 = 2,   v2 = exp(v1) = e^2,   v3 = v1 + v2 = 2 + e^2

and its reverse pass sums the two children of v1: v1' = 1 * 1 + 1 * e^2 = 1 + e^2, so
df/dx = (1 + e^2) x2 = 2 + 2e^2 and df/dy = (1 + e^2) x1 = 1 + e^2. Written with v1 named,
as the proposal writes it, s2sad's trace shows exactly these rows; written in one line,
``x * y + np.exp(x * y)``, the product is computed twice (two nodes, two adjoints) and the
gradient is the same.
"""

import math

import numpy as np

import s2sad


def f(x, y):
    v1 = x * y
    return v1 + np.exp(v1)


def f_one_line(x, y):
    return x * y + np.exp(x * y)


def main():
    e2 = math.exp(2.0)
    trace = s2sad.trace(f, 1.0, 2.0)
    print(trace)
    v1_bar, dx, dy = trace.adjoint("v1"), trace.adjoint("x"), trace.adjoint("y")
    v3 = f(1.0, 2.0)
    print(f"\nv3 = 2 + e^2 = {v3:.6f}")
    print(f"v1' = 1 + e^2 = {v1_bar:.6f}   (1 through v3 = v1 + v2, e^2 through v2 = exp(v1))")
    print(f"df/dx = 2 + 2e^2 = {dx:.6f}")
    print(f"df/dy = 1 + e^2 = {dy:.6f}")
    for got, expected in ((v3, 2 + e2), (v1_bar, 1 + e2), (dx, 2 + 2 * e2), (dy, 1 + e2)):
        assert math.isclose(got, expected, rel_tol=1e-15), (got, expected)

    print("\nThe generated adjoint code (v1_bar gets its two contributions):\n")
    print(s2sad.source(f, wrt=(0, 1)))
    same = s2sad.grad(f_one_line, wrt=(0, 1))(1.0, 2.0)
    print(f"written in one line: df/dx, df/dy = {same[0]:.6f}, {same[1]:.6f}")
    assert np.allclose(same, (2 + 2 * e2, 1 + e2), rtol=1e-15, atol=0)


if __name__ == "__main__":
    main()
