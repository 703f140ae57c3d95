"""The lecture's running example (CSE599G1, seed 000): f(x1, x2) = ln(x1) + x1*x2 - sin(x2).

Run it: ``python examples/lecture.py`` prints the value and gradient at (2, 5) and the
generated adjoint code; ``s2sad show examples/lecture.py:f`` prints the code alone.
"""

import numpy as np

import s2sad


def f(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


if __name__ == "__main__":
    value, (dx1, dx2) = s2sad.value_and_grad(f, wrt=(0, 1))(2.0, 5.0)
    print(f"f(2, 5) = {value:.3f}; df/dx1 = {dx1:.3f}; df/dx2 = {dx2:.3f}")
    print(s2sad.source(f, wrt=(0, 1)))
