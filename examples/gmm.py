"""The ADBench Gaussian mixture objective, and its gradient from s2sad.

Run it: ``python examples/gmm.py``. ADBench (Srajer, Kukelova and Fitzgibbon, "A benchmark of
selected algorithmic differentiation tools on some problems in computer vision and machine
learning", 2018) uses this log-likelihood of a mixture of k Gaussians in d dimensions, plus a
Wishart prior on the precision matrices, as its first benchmark. Each component's inverse
covariance is ``Q^T Q`` with Q lower triangular, built from a parameter vector: the
first d entries of a row of `icf` are the logs of Q's diagonal, the remaining d(d-1)/2 fill
the part below the diagonal, column by column (ADBench's order). The parameters are
unconstrained: ``exp`` keeps the diagonal positive and ``logsumexp`` of `alphas` normalises
the weights.

The program checks the gradient with respect to every parameter (alphas, means, icf) against
finite differences and prints the objective for a small problem.
"""

import numpy as np
from scipy.special import logsumexp, multigammaln

import s2sad


def triangular_factors(icf, d):
    """The k lower-triangular d x d matrices Q: exp of the first d entries of each row of
    `icf` on the diagonal, the rest below it, column by column."""
    k = icf.shape[0]
    Q = np.zeros((k, d, d))
    diagonal = np.arange(d)
    Q[:, diagonal, diagonal] = np.exp(icf[:, :d])
    upper_rows, upper_cols = np.triu_indices(d, 1)  # (0, 1), (0, 2) ...: transposed, column-major
    Q[:, upper_cols, upper_rows] = icf[:, d:]
    return Q


def log_wishart_prior(d, wishart_gamma, wishart_m, sum_qs, icf):
    k = icf.shape[0]
    n = d + wishart_m + 1
    frobenius = np.sum(np.exp(icf[:, :d]) ** 2, axis=1) + np.sum(icf[:, d:] ** 2, axis=1)
    out = np.sum(0.5 * wishart_gamma ** 2 * frobenius - wishart_m * sum_qs)
    C = n * d * (np.log(wishart_gamma) - 0.5 * np.log(2.0)) - multigammaln(0.5 * n, d)
    return out - k * C


def gmm_objective(alphas, means, icf, x, wishart_gamma, wishart_m):
    """ADBench's objective: the log-likelihood of the n points `x` (n x d) under the mixture
    (the weights normalised by logsumexp of `alphas`), plus the log Wishart prior."""
    n, d = x.shape
    Q = triangular_factors(icf, d)
    sum_qs = np.sum(icf[:, :d], axis=1)  # log det Q of each component
    centered = x[:, None, :] - means[None, :, :]  # n x k x d
    Qx = np.einsum("kij,nkj->nki", Q, centered)
    inner = alphas + sum_qs - 0.5 * np.sum(Qx ** 2, axis=2)  # n x k
    constant = -n * d * 0.5 * np.log(2.0 * np.pi)
    return (constant + np.sum(logsumexp(inner, axis=1)) - n * logsumexp(alphas)
            + log_wishart_prior(d, wishart_gamma, wishart_m, sum_qs, icf))


def make_problem(n=20, d=3, k=4, seed=0):
    rng = np.random.default_rng(seed)
    alphas = rng.normal(size=k)
    means = rng.normal(size=(k, d))
    icf = 0.5 * rng.normal(size=(k, d + d * (d - 1) // 2))
    x = rng.normal(size=(n, d))
    return alphas, means, icf, x, 1.0, 0


def finite_differences(f, args, index, eps=1e-6):
    x = args[index]
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = list(args), list(args)
        up[index], down[index] = x.copy(), x.copy()
        up[index][i] += eps
        down[index][i] -= eps
        grad[i] = (f(*up) - f(*down)) / (2 * eps)
    return grad


def main():
    args = make_problem()
    value, grads = s2sad.value_and_grad(gmm_objective, wrt=(0, 1, 2))(*args)
    print(f"objective (n=20, d=3, k=4): {value:.6f}")
    for index, (name, got) in enumerate(zip(("alphas", "means", "icf"), grads)):
        expected = finite_differences(gmm_objective, list(args), index)
        error = np.max(np.abs(got - expected)) / np.max(np.abs(expected))
        print(f"d/d{name}: shape {got.shape}, largest relative difference from finite "
              f"differences {error:.1e}")
        assert error < 1e-6
    print("\nThe generated gradient code:\n")
    print(s2sad.source(gmm_objective, wrt=(0, 1, 2)))


if __name__ == "__main__":
    main()
