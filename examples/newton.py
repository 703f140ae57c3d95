"""Newton's method on the Rosenbrock function, with second derivatives from s2sad.

Run it: ``python examples/newton.py``. Part 1 minimises the 2-D Rosenbrock function from the
classic start (-1.2, 1) with Newton steps that solve H p = -g, the Hessian H coming from
``s2sad.hessian``. Part 2 minimises the 20-D Rosenbrock function with Newton-CG, which never
forms H: conjugate gradients only need Hessian-vector products, from ``s2sad.hvp``.
"""

import numpy as np

import s2sad


def rosenbrock(x):
    """sum of 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2; its minimum is 0, at x = (1, ..., 1)."""
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


gradient = s2sad.grad(rosenbrock)
hessian = s2sad.hessian(rosenbrock)


def backtrack(x, p, g):
    """Halve the step until the function decreases enough (Armijo's condition)."""
    t, fx = 1.0, rosenbrock(x)
    while rosenbrock(x + t * p) > fx + 1e-4 * t * (g @ p) and t > 1e-10:
        t = t / 2.0
    return t


def newton(x, tol=1e-10, max_steps=100):
    for step in range(max_steps):
        g = gradient(x)
        print(f"  step {step:2d}   f = {rosenbrock(x):.3e}   |g| = {np.linalg.norm(g):.3e}")
        if np.linalg.norm(g) < tol:
            break
        H = hessian(x)
        p = np.linalg.solve(H, -g)
        if g @ p >= 0:  # H not positive definite here: fall back to steepest descent
            p = -g
        x = x + backtrack(x, p, g) * p
    return x


def conjugate_gradient(x, g, max_iter):
    """Approximately solve H p = -g with CG, using only products H v = s2sad.hvp(f, x, v)."""
    p = np.zeros_like(g)
    r = -g
    d = r.copy()
    for _ in range(max_iter):
        Hd = s2sad.hvp(rosenbrock, x, d)
        curvature = d @ Hd
        if curvature <= 0:  # negative curvature: stop with what we have
            return p if p.any() else -g
        alpha = (r @ r) / curvature
        p = p + alpha * d
        r_new = r - alpha * Hd
        if np.linalg.norm(r_new) < 0.1 * min(1.0, np.linalg.norm(g)) * np.linalg.norm(g):
            return p
        d = r_new + (r_new @ r_new) / (r @ r) * d
        r = r_new
    return p


def newton_cg(x, tol=1e-8, max_steps=200):
    steps, g = 0, gradient(x)
    while np.linalg.norm(g) >= tol and steps < max_steps:
        p = conjugate_gradient(x, g, max_iter=len(x))
        x = x + backtrack(x, p, g) * p
        steps, g = steps + 1, gradient(x)
    return x, steps


if __name__ == "__main__":
    print("Part 1: Newton with s2sad.hessian, 2-D Rosenbrock from (-1.2, 1)")
    x = newton(np.array([-1.2, 1.0]))
    print("  minimum found at", x)
    print("  Hessian there:\n", hessian(x))

    print("\nPart 2: Newton-CG with s2sad.hvp, 20-D Rosenbrock from x = 0")
    v = np.linspace(-1.0, 1.0, 20)
    start = np.zeros(20)
    print("  check: hvp(f, x, v) equals hessian(f)(x) @ v:",
          np.allclose(s2sad.hvp(rosenbrock, start, v), hessian(start) @ v))
    x, steps = newton_cg(start)
    print(f"  {steps} Newton steps: f = {rosenbrock(x):.2e}, "
          f"max |x - 1| = {np.abs(x - 1).max():.1e}")
