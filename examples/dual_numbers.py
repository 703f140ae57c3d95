"""Seed 004 (a tutorial): numerical differentiation, dual numbers, and PyTorch's autograd
examples, reproduced with s2sad.

Run it: ``python examples/dual_numbers.py``. Three of the tutorial's numbers:

- func(x) = 3x^3 - 5x^2 has derivative 9x^2 - 10x = 5.25 at x = 1.5. Finite differences
  approach it with an error of order h (one-sided) or h^2 (central); a dual number
  1.5 + 1 eps, pushed through func with eps^2 = 0, carries it exactly in its eps part; s2sad's
  forward mode generates that same arithmetic as code (``x_dot`` is the eps coefficient).
- o = mean(3 (x + 2)^2) at x = ones((2, 2)) has do/dx_i = 3/2 (x_i + 2) = 4.5.
- A vector-Jacobian product: y = 2x doubled while its norm is under 1000 (here 2^10 x), and
  v = (0.1, 1, 0.0001) give v^T J = 1024 v = (102.4, 1024, 0.1024), as the tutorial prints.
  The tutorial's x is random; we take its printed y divided by 1024.
"""

import numpy as np

import s2sad


def func(x):
    return 3 * x**3 - 5 * x**2


class Dual:
    """x + eps * dx with eps^2 = 0: enough arithmetic for func (+, -, * and integer powers)."""

    def __init__(self, x, dx=0.0):
        self.x, self.dx = x, dx

    def __add__(self, other):
        other = lift(other)
        return Dual(self.x + other.x, self.dx + other.dx)

    def __sub__(self, other):
        return self + lift(other) * -1.0

    def __mul__(self, other):
        other = lift(other)
        return Dual(self.x * other.x, self.dx * other.x + self.x * other.dx)

    __radd__, __rmul__ = __add__, __mul__

    def __pow__(self, n):
        return Dual(self.x**n, n * self.x ** (n - 1) * self.dx)


def lift(value):
    return value if isinstance(value, Dual) else Dual(value)


def o(x):
    y = x + 2
    z = y * y * 3
    return np.mean(z)


def doubling(x):
    y = x * 2
    while np.linalg.norm(y) < 1000:
        y = y * 2
    return y


def main():
    print("func(x) = 3x^3 - 5x^2 at x = 1.5")
    for h in (1e-1, 1e-2, 1e-3):
        one_sided = (func(1.5 + h) - func(1.5)) / h
        central = (func(1.5 + h) - func(1.5 - h)) / (2 * h)
        print(f"  h = {h:g}: (f(x+h) - f(x)) / h = {one_sided:.6f}   "
              f"(f(x+h) - f(x-h)) / 2h = {central:.6f}")
        assert abs(central - 5.25) < abs(one_sided - 5.25)
    dual = func(Dual(1.5, 1.0))
    print(f"  dual number: func(1.5 + 1 eps) = {dual.x} + {dual.dx} eps")
    value, derivative = s2sad.jvp(func, (1.5,), (1.0,))
    print(f"  s2sad forward mode: func = {value}, derivative {derivative}")
    print(f"  s2sad reverse mode: derivative {s2sad.grad(func)(1.5)}")
    assert dual.dx == derivative == s2sad.grad(func)(1.5) == 5.25
    assert dual.x == value == func(1.5)
    print("\nThe tangent code: the dual-number arithmetic, written out (x_dot is the eps part)\n")
    print(s2sad.source(func, mode="forward"))

    x = np.ones((2, 2))
    grad_o = s2sad.grad(o)(x)
    print(f"o = mean(3 (x + 2)^2) = {o(x)} at x = ones((2, 2)); do/dx = {grad_o.tolist()}")
    assert o(x) == 27.0 and np.array_equal(grad_o, np.full((2, 2), 4.5))

    x = np.array([-1639.2830, -348.2585, 651.4445]) / 1024
    y, vjp_fn = s2sad.vjp(doubling, x)
    (x_grad,) = vjp_fn(np.array([0.1, 1.0, 0.0001]))
    print(f"\ny = {np.round(y, 4).tolist()}")
    print(f"v^T J = {x_grad.tolist()}")
    assert np.allclose(y, 1024 * x, rtol=1e-15, atol=0)
    assert np.allclose(x_grad, [102.4, 1024.0, 0.1024], rtol=1e-15, atol=0)
    print("\nThe VJP code: the loop's trip count is recorded, the reverse sweep runs it back\n")
    print(s2sad.source(doubling, mode="vjp"))


if __name__ == "__main__":
    main()
