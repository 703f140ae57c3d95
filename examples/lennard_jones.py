"""The Lennard-Jones energy of a cluster of atoms; forces are minus its gradient.

Run it: ``python examples/lennard_jones.py``. The positions come as one flat vector (as an
optimiser passes them), ``x.reshape(-1, 3)`` makes them rows, ``np.triu_indices`` lists each
pair once and ``np.linalg.norm`` measures the distances. The program checks the forces against
finite differences and against the textbook formula, then relaxes a perturbed 13-atom cluster
with ``scipy.optimize.minimize``, which takes s2sad's gradient as its ``jac``.
"""

import numpy as np
from scipy.optimize import minimize

import s2sad


def energy(x, epsilon=1.0, sigma=1.0):
    """sum over pairs i < j of 4 epsilon ((sigma / r_ij)^12 - (sigma / r_ij)^6)."""
    positions = x.reshape(-1, 3)
    i, j = np.triu_indices(len(positions), k=1)
    r = np.linalg.norm(positions[i] - positions[j], axis=1)
    sr6 = (sigma / r) ** 6
    return np.sum(4.0 * epsilon * (sr6 ** 2 - sr6))


def forces_by_hand(x, epsilon=1.0, sigma=1.0):
    """-dE/dx from the pair force 24 epsilon (2 (sigma/r)^12 - (sigma/r)^6) / r^2 (x_i - x_j)."""
    positions = x.reshape(-1, 3)
    forces = np.zeros_like(positions)
    for a in range(len(positions)):
        for b in range(a + 1, len(positions)):
            d = positions[a] - positions[b]
            r2 = d @ d
            sr6 = (sigma * sigma / r2) ** 3
            f = 24.0 * epsilon * (2.0 * sr6 * sr6 - sr6) / r2 * d
            forces[a] += f
            forces[b] -= f
    return forces.ravel()


def cluster(seed=0):
    """A 13-atom icosahedron (a centre and 12 vertices) near its equilibrium, perturbed."""
    phi = (1.0 + np.sqrt(5.0)) / 2.0
    vertices = []
    for a in (-1.0, 1.0):
        for b in (-phi, phi):
            vertices += [(0.0, a, b), (a, b, 0.0), (b, 0.0, a)]
    vertices = np.array(vertices) / np.linalg.norm([1.0, phi]) * 1.1
    rng = np.random.default_rng(seed)
    return (np.vstack([np.zeros(3), vertices]) + 0.05 * rng.normal(size=(13, 3))).ravel()


def main():
    x = cluster()
    gradient = s2sad.grad(energy)
    forces = -gradient(x)
    eps = 1e-6
    fd = np.array([(energy(x + eps * e) - energy(x - eps * e)) / (2 * eps)
                   for e in np.eye(x.size)])
    print(f"energy {energy(x):.6f}; largest force {np.max(np.abs(forces)):.4f}")
    print(f"largest difference from finite differences {np.max(np.abs(forces + fd)):.1e}, "
          f"from the textbook forces {np.max(np.abs(forces - forces_by_hand(x))):.1e}")
    assert np.allclose(-forces, fd, rtol=1e-6, atol=1e-6)
    assert np.allclose(forces, forces_by_hand(x), rtol=1e-10, atol=1e-10)

    # Relax the cluster: SciPy's L-BFGS with the energy and s2sad's gradient.
    result = minimize(energy, x, jac=gradient, method="L-BFGS-B")
    print(f"relaxed in {result.nit} iterations: energy {result.fun:.6f}, largest force "
          f"{np.max(np.abs(result.jac)):.1e} (the 13-atom minimum is -44.326801)")
    print("\nThe generated gradient code:\n")
    print(s2sad.source(energy))


if __name__ == "__main__":
    main()
