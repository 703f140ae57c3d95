"""Loops and branches: s2sad differentiates ordinary Python control flow.

Run it: ``python examples/loops.py`` prints the gradients of a loop (Horner's rule) and of a
branch (the Huber loss), compares them with the derivatives worked out by hand and with
finite differences, and prints the code s2sad generates for each. ``docs/control-flow.md``
explains such code line by line.
"""

import numpy as np

import s2sad


def horner(x, coefficients):
    """c[0] x^(n-1) + c[1] x^(n-2) + ... + c[n-1], evaluated by Horner's rule: a loop."""
    s = 0.0
    for c in coefficients:
        s = s * x + c
    return s


def huber(r, delta):
    """Quadratic for small residuals, linear for large ones: a branch."""
    if abs(r) <= delta:
        return 0.5 * r * r
    return delta * (abs(r) - 0.5 * delta)


if __name__ == "__main__":
    # The loop: 2x^3 - 3x^2 + 0.5x + 1, differentiated with respect to x and to the
    # coefficients at once (wrt=(0, 1) gives a tuple of gradients).
    coefficients = np.array([2.0, -3.0, 0.5, 1.0])
    x = 1.5
    dx, dc = s2sad.grad(horner, wrt=(0, 1))(x, coefficients)
    print(f"horner:  d/dx = {dx}   (by hand: 6x^2 - 6x + 0.5 = {6 * x**2 - 6 * x + 0.5})")
    print(f"         d/dc = {dc}   (by hand: x^3, x^2, x, 1)")

    # The branch: the derivative is the one of the branch taken at that point.
    for r in (0.3, -2.0):
        expected = r if abs(r) <= 1.0 else np.sign(r)
        print(f"huber:   d/dr at r = {r:4} is {s2sad.grad(huber)(r, 1.0):5}"
              f"   (by hand: {expected})")

    # check_grad compares both modes with central finite differences (largest relative error).
    print("check_grad(horner):", f"{s2sad.check_grad(horner, x, coefficients):.1e}")
    print("check_grad(huber): ", f"{s2sad.check_grad(huber, -2.0, 1.0):.1e}")

    print("\nGenerated gradient of horner: the loop is still a loop, and the reverse loop")
    print("pops from a stack the values the forward loop overwrote.\n")
    print(s2sad.source(horner, wrt=(0, 1)))
    print("Generated gradient of huber: the branch is still a branch.\n")
    print(s2sad.source(huber))
