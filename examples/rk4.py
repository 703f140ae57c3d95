"""Sensitivities of an ODE solution: a classic RK4 integrator, differentiated by s2sad.

Run it: ``python examples/rk4.py``. A damped pendulum, theta'' = -sin(theta) - c theta',
is integrated with fixed-step fourth-order Runge-Kutta on the grid ``np.linspace(0, t_end,
steps + 1)``. The loss is the squared distance of the final state from a target; s2sad gives
its gradient with respect to the initial state (theta, omega) and the damping c in one
reverse pass through the loop (the reverse loop pops the states the forward loop saved).
The program checks it against finite differences, then fits the damping to the target.
"""

import numpy as np

import s2sad


def pendulum(t, y, damping):
    theta, omega = y[0], y[1]
    return np.array([omega, -np.sin(theta) - damping * omega])


def rk4(y0, damping, t_end, steps):
    """The state at t_end, from y0 at t = 0, by `steps` RK4 steps."""
    ts = np.linspace(0.0, t_end, steps + 1)
    y = y0
    for i in range(steps):
        t, h = ts[i], ts[i + 1] - ts[i]
        k1 = pendulum(t, y, damping)
        k2 = pendulum(t + h / 2, y + h / 2 * k1, damping)
        k3 = pendulum(t + h / 2, y + h / 2 * k2, damping)
        k4 = pendulum(t + h, y + h * k3, damping)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y


def loss(y0, damping, target, t_end=5.0, steps=50):
    return np.sum((rk4(y0, damping, t_end, steps) - target) ** 2)


def main():
    y0, damping = np.array([1.0, 0.0]), 0.3
    target = rk4(np.array([1.0, 0.0]), 0.5, 5.0, 50)  # where a damping of 0.5 ends up

    gradient = s2sad.grad(loss, wrt=("y0", "damping"))
    dy0, ddamping = gradient(y0, damping, target)
    eps = 1e-6
    fd_y0 = np.array([(loss(y0 + eps * e, damping, target) - loss(y0 - eps * e, damping, target))
                      / (2 * eps) for e in np.eye(2)])
    fd_damping = (loss(y0, damping + eps, target) - loss(y0, damping - eps, target)) / (2 * eps)
    print(f"d loss / d y0      = {np.round(dy0, 8)}   finite differences {np.round(fd_y0, 8)}")
    print(f"d loss / d damping = {ddamping:.8f}   finite differences {fd_damping:.8f}")
    assert np.allclose(dy0, fd_y0, rtol=1e-6, atol=1e-9)
    assert np.isclose(ddamping, fd_damping, rtol=1e-6, atol=1e-9)

    # Fit the damping alone by Newton's method on the loss (1-D: the second derivative comes
    # from differentiating the gradient once more).
    d_damping = s2sad.grad(loss, wrt="damping")
    d2_damping = s2sad.grad(d_damping, wrt="damping")
    for step in range(6):
        print(f"step {step}   damping {damping:.8f}   loss {loss(y0, damping, target):.3e}")
        damping = damping - d_damping(y0, damping, target) / d2_damping(y0, damping, target)
    print("\nThe generated gradient code:\n")
    print(s2sad.source(loss, wrt=("y0", "damping")))


if __name__ == "__main__":
    main()
