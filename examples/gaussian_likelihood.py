"""Maximum likelihood for a multivariate Gaussian, with np.linalg.slogdet and np.linalg.solve.

Run it: ``python examples/gaussian_likelihood.py``. The covariance is parametrised as
``A @ A.T + 0.1 I`` (symmetric positive definite for any A), and the log-likelihood of the
data is written as one writes it in NumPy: ``slogdet`` for the log-determinant (never the
determinant itself, which under- or overflows) and ``solve`` rather than an inverse. The
program checks the gradient with respect to the mean and to A against finite differences
and against the closed form, then fits both by gradient ascent.
"""

import numpy as np

import s2sad


def log_likelihood(mu, A, X):
    """sum over the rows x of X of log N(x; mu, A A^T + 0.1 I)."""
    n, d = X.shape
    sigma = A @ A.T + 0.1 * np.eye(d)
    sign, logdet = np.linalg.slogdet(sigma)
    centered = X - mu
    mahalanobis = np.sum(centered.T * np.linalg.solve(sigma, centered.T))
    return -0.5 * (n * logdet + mahalanobis + n * d * np.log(2.0 * np.pi))


def closed_form_gradient(mu, A, X):
    """d/dmu = Sigma^-1 sum(x - mu); d/dA = (Sigma^-1 S Sigma^-1 - n Sigma^-1) A, where S is
    the scatter matrix sum (x - mu)(x - mu)^T."""
    n, d = X.shape
    sigma_inv = np.linalg.inv(A @ A.T + 0.1 * np.eye(d))
    centered = X - mu
    scatter = centered.T @ centered
    return (sigma_inv @ centered.sum(axis=0),
            (sigma_inv @ scatter @ sigma_inv - n * sigma_inv) @ A)


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
    rng = np.random.default_rng(0)
    true_A = np.array([[1.0, 0.0, 0.0], [0.8, 0.5, 0.0], [-0.3, 0.2, 0.4]])
    X = np.array([1.0, -2.0, 0.5]) + rng.normal(size=(500, 3)) @ true_A.T
    mu, A = np.zeros(3), np.eye(3)

    gradient = s2sad.grad(log_likelihood, wrt=("mu", "A"))
    grads = gradient(mu, A, X)
    for index, (name, got, closed) in enumerate(zip(("mu", "A"), grads,
                                                    closed_form_gradient(mu, A, X))):
        expected = finite_differences(log_likelihood, [mu, A, X], index)
        error = np.max(np.abs(got - expected)) / np.max(np.abs(expected))
        print(f"d/d{name}: largest relative difference from finite differences {error:.1e}, "
              f"from the closed form {np.max(np.abs(got - closed)):.1e}")
        assert error < 1e-6 and np.allclose(got, closed, rtol=1e-10, atol=1e-9)

    for step in range(301):
        dmu, dA = gradient(mu, A, X)
        if step % 100 == 0:
            print(f"step {step:3d}   mean log-likelihood {log_likelihood(mu, A, X) / len(X):.5f}")
        mu, A = mu + 0.3 * dmu / len(X), A + 0.05 * dA / len(X)
    print("fitted mean", np.round(mu, 3), "(sample mean", np.round(X.mean(axis=0), 3), ")")
    print("fitted covariance\n", np.round(A @ A.T + 0.1 * np.eye(3), 3))
    print("sample covariance\n", np.round(np.cov(X.T, bias=True), 3))
    print("\nThe generated gradient code:\n")
    print(s2sad.source(log_likelihood, wrt=("mu", "A")))


if __name__ == "__main__":
    main()
