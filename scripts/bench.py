"""Benchmark s2sad derivatives against the primal, hand-written NumPy code and peers.

Run ``python scripts/bench.py`` (about 1.5 minutes; 3.5 with autograd, JAX and PyTorch
installed) or ``python scripts/bench.py --quick`` (5 s; about 20 s with the three peers: fewer
and shorter repeats, same workloads and checks).

Workloads (straight-line NumPy, the code s2sad is built for, then loops):

1. lecture  -- ``f(x1, x2) = log(x1) + x1*x2 - sin(x2)`` at (2, 5), gradient wrt x1 and x2;
2. logreg   -- mean cross-entropy of ``sigmoid(X @ w)``, n=100 samples, d=10 features, wrt w;
3. mlp      -- mean squared error of a 10 -> 32 -> 1 tanh network, n=100, wrt W1 and W2;
   then three of the programs in examples/ (issue 9), written the same way, gradients only:
   softmax  -- cross-entropy of ``softmax(X @ W + b)`` with the max shift, n=100, d=10,
               5 classes, wrt W and b (examples/softmax_classifier.py);
   mlp_hinge -- multiclass hinge loss (``np.max`` over classes) of a 10 -> 32 -> 5 tanh
               network, n=100, wrt W1, b1, W2, b2 (examples/mlp_hinge.py);
   gmm      -- the ADBench Gaussian mixture objective, n=1000 points, d=10, k=5 components,
               wrt alphas, means and icf (examples/gmm.py);
   lstm     -- the ADBench LSTM objective, 2 layers, b=14, a sequence of 20 steps (a loop over
               time around a loop over the layers), wrt the main and extra parameters; the
               program and its hand-written gradient are examples/lstm.py's, imported;
4. rosenbrock -- ``sum(100 (x[1:] - x[:-1]**2)**2 + (1 - x[:-1])**2)``, n=100 (HVP only);
5. tanh_map -- ``tanh(A @ x)``, A of shape (m, n), n=20, m=5 and m=50 (Jacobians only);
6. poly, clipped -- scalar loops of N=100 and N=1000 trips, the second with a branch on the
   carried value, gradient wrt x (control flow).

What is measured, per workload, in one process and one run:

- the time per call of the primal ``f(*args)``, of a hand-written NumPy gradient, and of
  ``s2sad.grad(f, wrt)(*args)`` (built once beforehand). The hand gradient is checked against
  s2sad's with ``np.allclose`` before anything is timed. Times come from :mod:`timeit`: each
  statement is calibrated so one measurement lasts at least ``--min-time`` seconds, the
  statements of a table are then measured in turn ``--repeat`` times (interleaved, so slow
  drift of the machine hits them alike), and the minimum is reported in microseconds per call;
- the ratios grad/primal and grad/hand, and the project's target (s2sad grad <= 1.5x hand);
- the build time of ``s2sad.grad(f, wrt)``: cold (``s2sad.clear_cache()`` and
  ``S2SAD_CACHE=0``, so it really transforms), from the disk cache (a temporary
  ``S2SAD_CACHE_DIR``, so the user's cache is not touched) and from the memory cache;
- the warm overhead of ``@s2sad.differentiate``: the decorated ``f(*args)`` against ``f``
  itself, and ``f.grad(*args, wrt=...)`` against the ``s2sad.grad(f, wrt)`` function;
- forward mode: ``s2sad.jvp(f, primals, tangents)`` (value and tangent, along the weights,
  data held constant) against a hand-written tangent; target jvp <= 1.3x hand;
- Hessian-vector products: ``s2sad.hvp(f, x, v, *data)`` against a hand-written H v, and the
  same forward-over-reverse product with ``s2sad.grad(f)`` built once; target hvp <= 2x hand;
- Jacobians: ``s2sad.jacobian(f, mode=...)`` in reverse, forward and auto modes against the
  hand Jacobian ``diag(1 - tanh^2) @ A``; s2sad runs one generated call per row or column, so
  the target compares one of its passes with one hand-written VJP row / JVP column (<= 1.5x);
- control flow: ``s2sad.grad`` of the loops against a hand-written reverse pass (a forward
  pass storing the carried values in a list, then the reverse pass); target <= 1.5x hand;
- the same quantities from autograd, JAX (jitted, float64; not jitted for the loops, whose
  Python branches need concrete values) and PyTorch (float64) when they can be imported,
  checked against the hand-written results and timed against them;
- tape memory of the loops: the peak memory (tracemalloc) of one gradient call at N=100,000
  trips, in bytes per trip, s2sad's against the hand-written reverse pass's; target <= 2x;
- the numba backend (when numba can be imported; never required): ``s2sad.grad(f,
  backend="numba")`` of the loops at N=1,000 and N=100,000, its build + compile time (cold:
  transform, njit, first call) and its time per call, next to the NumPy backend's and the
  hand-written pass's; with JAX installed, ``jax.jit(jax.grad(f))`` too, where it can jit
  (poly: the loop is unrolled; clipped's ``if`` on a traced value cannot be jitted). Target:
  build + compile under 2 s. ``--numba-only`` runs this section alone.

Every s2sad result is checked against the hand-written one (``np.allclose``) before timing.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import statistics
import sys
import tempfile
import time
import timeit
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

try:  # SciPy is an optional extra: without it the Gaussian mixture row is left out
    from scipy.special import logsumexp, multigammaln
except ImportError:  # pragma: no cover
    logsumexp = multigammaln = None

import s2sad
from s2sad.loading.loader import stats


def _load_example(name: str):
    """The module examples/NAME.py (not a package: loaded from its file)."""
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "examples", f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"s2sad_example_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # inspect.getsource finds the functions' source through it
    spec.loader.exec_module(module)
    return module


lstm_example = _load_example("lstm")

try:
    import autograd
    import autograd.numpy as anp
except ImportError:
    autograd = anp = None

try:
    import jax
    import jax.numpy as jnp
except ImportError:
    jax = jnp = None
else:
    jax.config.update("jax_enable_x64", True)  # compare float64 with float64

try:
    import torch
except ImportError:
    torch = None

TARGET = 1.5  # s2sad grad may take at most this many times the hand-written gradient
TARGET_JVP = 1.3  # s2sad.jvp against a hand-written tangent (value and JVP)
TARGET_HVP = 2.0  # s2sad.hvp against a hand-written Hessian-vector product
TARGET_JACOBIAN = 1.5  # s2sad.jacobian per pass against one hand-written VJP row / JVP column
TARGET_LOOP = TARGET  # gradients of loops: same as straight-line code
TARGET_TAPE = 2.0  # bytes per loop trip of a gradient's tape against the hand-written tape
TARGET_NUMBA_BUILD = 2.0  # seconds: build + compile of a numba-backend gradient, cold


def import_numba():
    """numba, or None when it cannot be imported. scripts/ (first on sys.path when this file
    runs) holds a coverage.py that numba's optional coverage support would take for the
    coverage package, so numba is imported with scripts/ left out of the path."""
    here = os.path.dirname(os.path.abspath(__file__))
    saved = sys.path[:]
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    try:
        import numba
    except ImportError:
        return None
    finally:
        sys.path[:] = saved
    return numba


# --------------------------------------------------------------------------------- workloads
def lecture(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def lecture_hand(x1, x2):
    return 1.0 / x1 + x2, x1 - np.cos(x2)


def logreg(w, X, y):
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def logreg_hand(w, X, y):
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return X.T @ (p - y) / y.size


def mlp(W1, W2, X, y):
    h = np.tanh(X @ W1)
    return np.mean((h @ W2 - y) ** 2)


def mlp_hand(W1, W2, X, y):
    h = np.tanh(X @ W1)
    out_bar = (h @ W2 - y) * (2.0 / y.size)
    h_bar = out_bar @ W2.T
    return X.T @ (h_bar * (1.0 - h * h)), h.T @ out_bar


# The programs of examples/ (issue 9): the same code as there, with hand-written gradients.
def softmax(W, b, X, labels):
    z = X @ W + b
    z = z - np.max(z, axis=1, keepdims=True)
    log_p = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(log_p[np.arange(len(labels)), labels])


def softmax_hand(W, b, X, labels):
    z = X @ W + b
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    z_bar = e / np.sum(e, axis=1, keepdims=True)  # softmax(z), minus one-hot(labels), over n
    z_bar[np.arange(len(labels)), labels] -= 1.0
    z_bar /= len(labels)
    return X.T @ z_bar, np.sum(z_bar, axis=0)


def mlp_hinge(W1, b1, W2, b2, X, labels):
    hidden = np.tanh(X @ W1 + b1)
    s = hidden @ W2 + b2
    n, k = s.shape
    margins = 1.0 - np.eye(k)[labels]
    correct = s[np.arange(n), labels]
    return np.mean(np.max(s + margins, axis=1) - correct)


def mlp_hinge_hand(W1, b1, W2, b2, X, labels):
    """d/ds is one-hot(argmax(s + margins)) - one-hot(labels), over n (no ties here)."""
    hidden = np.tanh(X @ W1 + b1)
    s = hidden @ W2 + b2
    n, k = s.shape
    rows = np.arange(n)
    s_bar = np.zeros_like(s)
    s_bar[rows, np.argmax(s + 1.0 - np.eye(k)[labels], axis=1)] += 1.0 / n
    s_bar[rows, labels] -= 1.0 / n
    a_bar = (s_bar @ W2.T) * (1.0 - hidden * hidden)
    return X.T @ a_bar, np.sum(a_bar, axis=0), hidden.T @ s_bar, np.sum(s_bar, axis=0)


def gmm_factors(icf, d):
    """Lower-triangular Q per component: exp(icf[:, :d]) on the diagonal, icf[:, d:] below it,
    column by column (ADBench's order)."""
    k = icf.shape[0]
    Q = np.zeros((k, d, d))
    diagonal = np.arange(d)
    Q[:, diagonal, diagonal] = np.exp(icf[:, :d])
    upper_rows, upper_cols = np.triu_indices(d, 1)
    Q[:, upper_cols, upper_rows] = icf[:, d:]
    return Q


def gmm(alphas, means, icf, x, wishart_gamma, wishart_m):
    n, d = x.shape
    k = icf.shape[0]
    Q = gmm_factors(icf, d)
    sum_qs = np.sum(icf[:, :d], axis=1)
    centered = x[:, None, :] - means[None, :, :]
    Qx = np.einsum("kij,nkj->nki", Q, centered)
    inner = alphas + sum_qs - 0.5 * np.sum(Qx ** 2, axis=2)
    constant = -n * d * 0.5 * np.log(2.0 * np.pi)
    frobenius = np.sum(np.exp(icf[:, :d]) ** 2, axis=1) + np.sum(icf[:, d:] ** 2, axis=1)
    prior = np.sum(0.5 * wishart_gamma ** 2 * frobenius - wishart_m * sum_qs)
    m = d + wishart_m + 1
    C = m * d * (np.log(wishart_gamma) - 0.5 * np.log(2.0)) - multigammaln(0.5 * m, d)
    return (constant + np.sum(logsumexp(inner, axis=1)) - n * logsumexp(alphas)
            + prior - k * C)


def gmm_hand(alphas, means, icf, x, wishart_gamma, wishart_m):
    """Responsibilities R = softmax_k(inner); d/dinner = R, d/dQx = -R Qx, then back through
    Q (x - mu) to Q and mu, and from Q to icf (exp on the diagonal, the prior's terms). The
    forward part is the primal's code; the contractions of the reverse part go through BLAS."""
    n, d = x.shape
    Q = gmm_factors(icf, d)
    sum_qs = np.sum(icf[:, :d], axis=1)
    centered = x[:, None, :] - means[None, :, :]
    Qx = np.einsum("kij,nkj->nki", Q, centered)
    inner = alphas + sum_qs - 0.5 * np.sum(Qx ** 2, axis=2)
    R = np.exp(inner - logsumexp(inner, axis=1, keepdims=True))
    r = np.sum(R, axis=0)
    Qx_bar = -R[:, :, None] * Qx
    Q_bar = np.einsum("nki,nkj->kij", Qx_bar, centered, optimize=True)  # through BLAS
    means_bar = -np.einsum("kij,ki->kj", Q, np.sum(Qx_bar, axis=0))  # sum over n first
    alphas_bar = r - n * np.exp(alphas - logsumexp(alphas))
    diagonal = np.exp(icf[:, :d])
    upper_rows, upper_cols = np.triu_indices(d, 1)
    icf_bar = np.empty_like(icf)
    icf_bar[:, :d] = (np.diagonal(Q_bar, axis1=1, axis2=2) * diagonal + r[:, None] - wishart_m
                      + wishart_gamma ** 2 * diagonal ** 2)
    icf_bar[:, d:] = Q_bar[:, upper_cols, upper_rows] + wishart_gamma ** 2 * icf[:, d:]
    return alphas_bar, means_bar, icf_bar


# Forward mode: each hand tangent returns (value, tangent), as s2sad.jvp does.
def lecture_tangent(x1, x2, x1_dot, x2_dot):
    value = np.log(x1) + x1 * x2 - np.sin(x2)
    return value, x1_dot / x1 + x1_dot * x2 + x1 * x2_dot - np.cos(x2) * x2_dot


def logreg_tangent(w, X, y, w_dot):
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    value = -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
    return value, np.mean((p - y) * (X @ w_dot))


def mlp_tangent(W1, W2, X, y, W1_dot, W2_dot):
    h = np.tanh(X @ W1)
    r = h @ W2 - y
    h_dot = (X @ W1_dot) * (1.0 - h * h)
    return np.mean(r ** 2), 2.0 * np.mean(r * (h_dot @ W2 + h @ W2_dot))


# Hessian-vector products.
def logreg_hvp_hand(w, v, X, y):
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return X.T @ (p * (1.0 - p) * (X @ v)) / y.size


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_hvp_hand(x, v):
    """The Hessian is tridiagonal: -400 x[i] off the diagonal, and on it
    1200 x[i]^2 - 400 x[i+1] + 2 (all but the last entry) + 200 (all but the first)."""
    a, b = x[:-1], x[1:]
    off = -400.0 * a
    diagonal = np.zeros_like(x)
    diagonal[:-1] = 1200.0 * a * a - 400.0 * b + 2.0
    diagonal[1:] += 200.0
    hv = diagonal * v
    hv[:-1] += off * v[1:]
    hv[1:] += off * v[:-1]
    return hv


def hvp_with_built_grad(grad_fn, x, v, *data):
    """What s2sad.hvp computes, over a ``grad_fn = s2sad.grad(f)`` the caller built once."""
    return s2sad.jvp(grad_fn, (x, *data), (v, *[None] * len(data)))[1]


# Jacobians of a map R^n -> R^m.
def tanh_map(x, A):
    return np.tanh(A @ x)


def tanh_map_jacobian(x, A):
    t = np.tanh(A @ x)
    return (1.0 - t * t)[:, None] * A


def tanh_map_vjp_hand(x, A, u):
    """One row of the Jacobian (`u` one-hot), as a reverse-mode Jacobian computes it."""
    t = np.tanh(A @ x)
    return (u * (1.0 - t * t)) @ A


def tanh_map_jvp_hand(x, A, v):
    """One column of the Jacobian (`v` one-hot), as a forward-mode Jacobian computes it."""
    t = np.tanh(A @ x)
    return (1.0 - t * t) * (A @ v)


# Control flow: scalar loops, gradient wrt x, and their gradients written by hand (a forward
# pass that stores what the reverse pass needs in a list, then the reverse pass).
def poly(x, n):
    s = 0.0
    for i in range(n):  # noqa: B007 - the loop written as a user writes it
        s = s * x + 1.0
    return s


def poly_hand(x, n):
    s, saved = 0.0, []
    for _ in range(n):
        saved.append(s)
        s = s * x + 1.0
    s_bar, x_bar = 1.0, 0.0
    for s in reversed(saved):
        x_bar += s_bar * s
        s_bar *= x
    return x_bar


def clipped(x, n):
    s = 0.0
    for i in range(n):  # noqa: B007
        if s < 1.0:
            s = s + x * x
        else:
            s = s * x
    return s


def clipped_hand(x, n):
    s, saved = 0.0, []
    for _ in range(n):
        below = s < 1.0
        saved.append((s, below))
        s = s + x * x if below else s * x
    s_bar, x_bar = 1.0, 0.0
    for s, below in reversed(saved):
        if below:
            x_bar += 2.0 * x * s_bar
        else:
            x_bar += s_bar * s
            s_bar *= x
    return x_bar


def peer_functions(xp) -> dict:
    """The workloads again, written against the NumPy-like module `xp` of a peer (the loops
    are plain Python arithmetic: the same functions serve every peer)."""

    def lecture(x1, x2):
        return xp.log(x1) + x1 * x2 - xp.sin(x2)

    def logreg(w, X, y):
        p = 1.0 / (1.0 + xp.exp(-(X @ w)))
        return -xp.mean(y * xp.log(p) + (1.0 - y) * xp.log(1.0 - p))

    def mlp(W1, W2, X, y):
        h = xp.tanh(X @ W1)
        return xp.mean((h @ W2 - y) ** 2)

    def rosenbrock(x):
        return xp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    def tanh_map(x, A):
        return xp.tanh(A @ x)

    return {"lecture": lecture, "logreg": logreg, "mlp": mlp, "rosenbrock": rosenbrock,
            "tanh_map": tanh_map, "poly": poly, "clipped": clipped}


@dataclass
class Workload:
    name: str
    label: str
    fn: Callable
    hand: Callable
    args: tuple
    wrt: int | tuple


def make_workloads(seed: int = 0) -> list[Workload]:
    rng = np.random.default_rng(seed)
    n, d, hidden = 100, 10, 32
    X = rng.normal(size=(n, d))
    w = rng.normal(size=d) * 0.3
    labels = (rng.random(n) < 0.5).astype(float)
    W1 = rng.normal(size=(d, hidden)) / np.sqrt(d)
    W2 = rng.normal(size=(hidden, 1)) / np.sqrt(hidden)
    targets = rng.normal(size=(n, 1))
    return [
        Workload("lecture", "lecture f(x1, x2)", lecture, lecture_hand, (2.0, 5.0), (0, 1)),
        Workload("logreg", f"logreg n={n} d={d}", logreg, logreg_hand, (w, X, labels), 0),
        Workload("mlp", f"mlp {d}-{hidden}-1 n={n}", mlp, mlp_hand, (W1, W2, X, targets),
                 ("W1", "W2")),
        *program_workloads(rng, n, d, hidden),
    ]


def program_workloads(rng, n: int, d: int, hidden: int, classes: int = 5) -> list[Workload]:
    """The classifier, the hinge MLP, the Gaussian mixture (issue 9) and the LSTM of
    examples/."""
    X = rng.normal(size=(n, d))
    labels = rng.integers(classes, size=n)
    W = rng.normal(size=(d, classes)) / np.sqrt(d)
    b = 0.1 * rng.normal(size=classes)
    W1 = rng.normal(size=(d, hidden)) / np.sqrt(d)
    b1 = 0.1 * rng.normal(size=hidden)
    W2 = rng.normal(size=(hidden, classes)) / np.sqrt(hidden)
    b2 = 0.1 * rng.normal(size=classes)
    lstm_args = lstm_example.make_problem(layers=2, length=20, b=14, seed=4)
    gmm_n, gmm_d, gmm_k = 1000, 10, 5  # ADBench's gmm_d10_K5 (1k points)
    gmm_args = (rng.normal(size=gmm_k), rng.normal(size=(gmm_k, gmm_d)),
                0.3 * rng.normal(size=(gmm_k, gmm_d + gmm_d * (gmm_d - 1) // 2)),
                rng.normal(size=(gmm_n, gmm_d)), 1.0, 0)
    return [
        Workload("softmax", f"softmax n={n} d={d} c={classes}", softmax, softmax_hand,
                 (W, b, X, labels), ("W", "b")),
        Workload("mlp_hinge", f"hinge mlp {d}-{hidden}-{classes}", mlp_hinge, mlp_hinge_hand,
                 (W1, b1, W2, b2, X, labels), ("W1", "b1", "W2", "b2")),
        *([Workload("gmm", f"gmm n={gmm_n} d={gmm_d} k={gmm_k}", gmm, gmm_hand, gmm_args,
                    ("alphas", "means", "icf"))] if logsumexp is not None else []),
        Workload("lstm", "lstm l=2 b=14 c=20", lstm_example.lstm_objective,
                 lstm_example.lstm_objective_grad, lstm_args, ("main_params", "extra_params")),
    ]


@dataclass
class Case:
    """One row of the forward-mode, Hessian-vector-product and loop tables: the same quantity
    from the primal (for scale), written by hand, and through s2sad's public API."""

    name: str  # the key of peer_functions
    label: str
    primal: tuple  # (fn, args): the function itself
    hand: tuple  # (fn, args): hand-written NumPy
    s2sad: tuple  # (fn, args): s2sad
    peers: Callable | None = None  # peer name -> {label: (run, args)}, the same quantity
    extra: dict = field(default_factory=dict)  # more s2sad variants: label -> (fn, args)


def make_forward_cases(workloads: list[Workload], seed: int = 1) -> list[Case]:
    """s2sad.jvp along a random tangent of the weights (lecture: of x1 and x2); data fixed.
    Only the first three workloads: the programs of examples/ have no hand tangent here."""
    rng = np.random.default_rng(seed)
    hands = {"lecture": lecture_tangent, "logreg": logreg_tangent, "mlp": mlp_tangent}
    cases = []
    for work in [work for work in workloads if work.name in hands]:
        wrt = positions(work)
        tangents = tuple((rng.normal(size=np.shape(a)) if np.ndim(a) else float(rng.normal()))
                         if i in wrt else None for i, a in enumerate(work.args))
        dots = tuple(t for t in tangents if t is not None)
        cases.append(Case(work.name, work.label, (work.fn, work.args),
                          (hands[work.name], (*work.args, *dots)),
                          (s2sad.jvp, (work.fn, work.args, tangents)),
                          peers=functools.partial(peer_jvp, name=work.name, primals=work.args,
                                                  tangents=tangents)))
    return cases


def make_hvp_cases(workloads: list[Workload], seed: int = 2) -> list[Case]:
    """s2sad.hvp(f, x, v, *data) for logreg (wrt w) and the Rosenbrock function (n=100)."""
    rng = np.random.default_rng(seed)
    w, X, y = next(work for work in workloads if work.name == "logreg").args
    x = 1.0 + 0.5 * rng.normal(size=100)
    cases = []
    for name, label, fn, hand, point, data in (
            ("logreg", f"logreg n={y.size} d={w.size}", logreg, logreg_hvp_hand, w, (X, y)),
            ("rosenbrock", f"rosenbrock n={x.size}", rosenbrock, rosenbrock_hvp_hand, x, ())):
        v = rng.normal(size=point.shape)
        cases.append(Case(name, label, (fn, (point, *data)), (hand, (point, v, *data)),
                          (s2sad.hvp, (fn, point, v, *data)),
                          peers=functools.partial(peer_hvp, name=name, args=(point, v, *data)),
                          extra={"jvp(grad f), grad built once":
                                 (hvp_with_built_grad, (s2sad.grad(fn), point, v, *data))}))
    return cases


def make_loop_cases(sizes=(100, 1000), x: float = 0.9) -> list[Case]:
    """Gradients wrt x of the scalar loops, for N trips (clipped: both branches are taken)."""
    cases = []
    for name, fn, hand in (("poly", poly, poly_hand), ("clipped", clipped, clipped_hand)):
        for n in sizes:
            cases.append(Case(name, f"{name} N={n}", (fn, (x, n)), (hand, (x, n)),
                              (s2sad.grad(fn), (x, n)),
                              peers=functools.partial(peer_loop_grad, name=name, x=x, n=n)))
    return cases


def peak_bytes(fn, *args) -> int:
    """The peak memory, in bytes above what was allocated before, of one call ``fn(*args)``."""
    tracemalloc.start()
    try:
        fn(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def bench_tapes(n: int = 100_000, x: float = 0.9) -> None:
    """Bytes per loop trip of the gradients' tapes (their peak memory over n trips)."""
    print(f"tape memory of the loop gradients: peak bytes per trip over N={n:,} trips")
    print(f"target: s2sad tape <= {TARGET_TAPE:g}x the hand-written tape")
    print(f"{'workload':<22}{'hand B':>9}{'s2sad B':>9}{'s2sad/hand':>12}  target")
    for name, fn, hand in (("poly", poly, poly_hand), ("clipped", clipped, clipped_hand)):
        grad_fn = s2sad.grad(fn)
        grad_fn(x, 10)  # built before measuring
        ours, theirs = peak_bytes(grad_fn, x, n) / n, peak_bytes(hand, x, n) / n
        ratio = ours / theirs
        print(f"{name:<22}{theirs:>9.1f}{ours:>9.1f}{ratio:>11.2f}x  "
              f"{'OK' if ratio <= TARGET_TAPE else 'over'}")


def as_arrays(result) -> tuple:
    """A gradient (one array or float, or a tuple of them) as a tuple of float64 arrays."""
    parts = result if isinstance(result, (tuple, list)) else (result,)
    return tuple(np.asarray(p, dtype=float) for p in parts)


def check_close(name: str, got, expected) -> None:
    got, expected = as_arrays(got), as_arrays(expected)
    assert len(got) == len(expected), f"{name}: {len(got)} gradients, expected {len(expected)}"
    for i, (g, e) in enumerate(zip(got, expected)):
        assert g.shape == e.shape, f"{name}: gradient {i} has shape {g.shape}, not {e.shape}"
        assert np.allclose(g, e, rtol=1e-7, atol=1e-10), f"{name}: gradient {i} differs"


# ------------------------------------------------------------------------------------ timing
@dataclass
class Timing:
    min_time: float  # seconds one measurement lasts at least
    repeat: int  # measurements per statement; the minimum is kept


def calibrate(timer: timeit.Timer, min_time: float) -> int:
    """The number of calls (1, 2, 5, 10, 20, ...) one measurement needs to last `min_time`."""
    scale = 1
    while True:
        for factor in (1, 2, 5):
            number = scale * factor
            if timer.timeit(number) >= min_time:
                return number
        scale *= 10


def measure(calls: dict[str, tuple], timing: Timing) -> dict[str, float]:
    """Microseconds per call of each ``fn(*args, **kwargs)`` in `calls`, measured interleaved.

    `calls` maps a name to ``(fn, args)`` or ``(fn, args, kwargs)``.
    """
    timers = {}
    for name, (fn, args, *kwargs) in calls.items():
        scope = {"fn": fn, "args": args, "kwargs": kwargs[0] if kwargs else {}}
        timers[name] = timeit.Timer("fn(*args, **kwargs)", globals=scope)
    numbers = {name: calibrate(timer, timing.min_time) for name, timer in timers.items()}
    best = dict.fromkeys(timers, float("inf"))
    for _ in range(timing.repeat):
        for name, timer in timers.items():
            best[name] = min(best[name], timer.timeit(numbers[name]) / numbers[name])
    return {name: seconds * 1e6 for name, seconds in best.items()}


# ------------------------------------------------------------------------------------- peers
# Each returns (run, args, to_numpy): the gradient is ``run(*args)`` (inputs converted once,
# outside the timed region) and ``to_numpy`` turns it into what the hand gradient returns.
def autograd_gradient(work: Workload):
    f = peer_functions(anp)[work.name]
    return autograd.grad(f, argnum=argnums(work)), work.args, lambda grads: grads


def jax_gradient(work: Workload):
    f = peer_functions(jnp)[work.name]
    g = jax.jit(jax.grad(f, argnums=argnums(work)))
    args = tuple(jnp.asarray(a, dtype=jnp.float64) for a in work.args)
    run = lambda *a: jax.block_until_ready(g(*a))
    run(*args)  # compile outside the timed region
    return run, args, lambda grads: jax.tree_util.tree_map(np.asarray, grads)


def torch_gradient(work: Workload):
    f = peer_functions(torch)[work.name]
    args = [torch.tensor(a, dtype=torch.float64) for a in work.args]
    inputs = [args[i].requires_grad_() for i in positions(work)]
    run = lambda *a: torch.autograd.grad(f(*a), inputs)
    single = not isinstance(work.wrt, tuple)
    to_numpy = lambda grads: (grads[0].numpy() if single
                              else tuple(g.numpy() for g in grads))
    return run, tuple(args), to_numpy


def positions(work: Workload) -> list[int]:
    """The argument positions `work.wrt` names (positions or parameter names)."""
    wrt = work.wrt if isinstance(work.wrt, tuple) else (work.wrt,)
    params = work.fn.__code__.co_varnames[:work.fn.__code__.co_argcount]
    return [w if isinstance(w, int) else params.index(w) for w in wrt]


def argnums(work: Workload) -> int | tuple:
    """`work.wrt` as autograd's argnum / JAX's argnums: a position or a tuple of them."""
    return tuple(positions(work)) if isinstance(work.wrt, tuple) else positions(work)[0]


PEERS = {"autograd": (autograd, autograd_gradient), "jax": (jax, jax_gradient),
         "torch": (torch, torch_gradient)}


# The peers of the forward-mode, HVP, Jacobian and loop tables. Each returns {label: (run,
# args)}: the quantity is ``run(*args)`` (inputs converted once, outside the timed region) and
# `to_numpy` turns it into what the hand-written code returns. JAX is jitted and float64.
def peer_module(peer: str):
    return {"autograd": anp, "jax": jnp, "torch": torch}[peer]


def peer_args(peer: str, args: tuple) -> tuple:
    """`args` as `peer`'s arrays (float64); ints (loop trip counts) stay ints."""
    if peer == "jax":
        convert = lambda a: jnp.asarray(a, dtype=jnp.float64)
    elif peer == "torch":
        convert = lambda a: torch.tensor(a, dtype=torch.float64)
    else:
        convert = lambda a: a
    return tuple(a if isinstance(a, int) else convert(a) for a in args)


def to_numpy(result):
    """A peer's result (an array, a tensor, or a tuple of them) as NumPy arrays."""
    if isinstance(result, (tuple, list)):
        return tuple(to_numpy(r) for r in result)
    if torch is not None and isinstance(result, torch.Tensor):
        return result.detach().numpy()
    return np.asarray(result)


def jax_compiled(fn, args: tuple) -> tuple:
    """(run, args) for a jitted JAX function, compiled here, outside the timed region."""
    run = lambda *a: jax.block_until_ready(fn(*a))
    run(*args)
    return run, args


def merged(f, wrt: list[int], arity: int):
    """`f` as ``g(params, data)``: `params` go to the positions `wrt`, `data` to the others."""

    def g(params, data):
        params, data = iter(params), iter(data)
        return f(*[next(params) if i in wrt else next(data) for i in range(arity)])

    return g


def peer_jvp(peer: str, name: str, primals: tuple, tangents: tuple) -> dict:
    wrt = [i for i, t in enumerate(tangents) if t is not None]
    args = peer_args(peer, primals)
    params = tuple(args[i] for i in wrt)
    dots = peer_args(peer, tuple(tangents[i] for i in wrt))
    data = tuple(a for i, a in enumerate(args) if i not in wrt)
    g = merged(peer_functions(peer_module(peer))[name], wrt, len(args))
    if peer == "autograd":  # make_jvp perturbs one argument: the tuple of the weights
        return {peer: (lambda p, d, data: autograd.make_jvp(lambda q: g(q, data))(p)(d),
                       (params, dots, data))}
    if peer == "jax":
        return {peer: jax_compiled(jax.jit(lambda p, d, data: jax.jvp(
            lambda *q: g(q, data), p, d)), (params, dots, data))}
    return {peer: (lambda p, d, data: torch.func.jvp(lambda *q: g(q, data), p, d),
                   (params, dots, data))}


def peer_hvp(peer: str, name: str, args: tuple) -> dict:
    """Forward over reverse where the peer has forward mode (autograd: reverse over reverse)."""
    f = peer_functions(peer_module(peer))[name]
    x, v, *data = peer_args(peer, args)
    args = (x, v, tuple(data))
    if peer == "autograd":
        hvp = autograd.hessian_vector_product(f)
        return {peer: (lambda x, v, data: hvp(x, *data, v), args)}
    if peer == "jax":
        return {peer: jax_compiled(jax.jit(lambda x, v, data: jax.jvp(
            lambda z: jax.grad(f)(z, *data), (x,), (v,))[1]), args)}
    return {peer: (lambda x, v, data: torch.func.jvp(
        lambda z: torch.func.grad(f)(z, *data), (x,), (v,))[1], args)}


def peer_jacobian(peer: str, name: str, args: tuple) -> dict:
    """autograd: one VJP per row on one tape; JAX and PyTorch: vmapped jacrev and jacfwd."""
    f = peer_functions(peer_module(peer))[name]
    args = peer_args(peer, args)
    if peer == "autograd":
        return {peer: (autograd.jacobian(f), args)}
    if peer == "jax":
        return {"jax rev": jax_compiled(jax.jit(jax.jacrev(f)), args),
                "jax fwd": jax_compiled(jax.jit(jax.jacfwd(f)), args)}
    return {"torch rev": (torch.func.jacrev(f), args), "torch fwd": (torch.func.jacfwd(f), args)}


def peer_loop_grad(peer: str, name: str, x: float, n: int) -> dict:
    """Python loops and branches on values: taped (autograd, PyTorch), JAX not jitted
    (``if s < 1.0`` on a traced value cannot be jitted without rewriting it with lax.cond)."""
    f = peer_functions(peer_module(peer))[name]
    if peer == "autograd":
        return {peer: (autograd.grad(f), (x, n))}
    if peer == "jax":
        return {peer: (lambda x, n: jax.block_until_ready(jax.grad(f)(x, n)),
                       (jnp.asarray(x, dtype=jnp.float64), n))}
    leaf = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    return {peer: (lambda x, n: torch.autograd.grad(f(x, n), x)[0], (leaf, n))}


# ---------------------------------------------------------------------------- the benchmark
@dataclass
class Row:
    work: Workload
    primal: float
    hand: float
    s2sad: float


def bench_gradients(workloads: list[Workload], timing: Timing) -> list[Row]:
    rows = []
    for work in workloads:
        grad_fn = s2sad.grad(work.fn, wrt=work.wrt)
        check_close(f"{work.name}: s2sad vs hand", grad_fn(*work.args), work.hand(*work.args))
        times = measure({"primal": (work.fn, work.args), "hand": (work.hand, work.args),
                         "s2sad": (grad_fn, work.args)}, timing)
        rows.append(Row(work, times["primal"], times["hand"], times["s2sad"]))
    return rows


def print_gradients(rows: list[Row]) -> None:
    print(f"target: s2sad grad <= {TARGET}x hand gradient")
    print(f"{'workload':<22}{'primal us':>11}{'hand us':>11}{'s2sad us':>11}"
          f"{'grad/primal':>13}{'grad/hand':>11}  target")
    for row in rows:
        ratio = row.s2sad / row.hand
        print(f"{row.work.label:<22}{row.primal:>11.2f}{row.hand:>11.2f}{row.s2sad:>11.2f}"
              f"{row.s2sad / row.primal:>12.2f}x{ratio:>10.2f}x  "
              f"{'OK' if ratio <= TARGET else 'over'}")


def available_peers() -> list[str]:
    """The peers that can be imported; says which cannot."""
    available = [name for name, (module, _) in PEERS.items() if module is not None]
    skipped = [name for name in PEERS if name not in available]
    if skipped:
        print(f"peers skipped (not installed): {', '.join(skipped)}")
    return available


def small(ratio: float) -> str:
    """`ratio` with two decimals, or two significant digits when that would show 0.00."""
    return f"{ratio:.2f}" if ratio >= 0.095 else f"{ratio:.2g}"


def print_peer_header() -> None:
    print(f"{'workload':<22}{'peer':<10}{'peer us':>11}{'hand us':>11}{'s2sad us':>11}"
          f"{'peer/hand':>11}{'s2sad/peer':>12}")


def bench_peers(workloads: list[Workload], timing: Timing) -> None:
    available = available_peers()
    if not available:
        return
    written = peer_functions(np)
    skipped = [work.name for work in workloads if work.name not in written]
    if skipped:
        print(f"peers: not written for {', '.join(skipped)} (the programs of examples/)")
    print_peer_header()
    for work in [work for work in workloads if work.name in written]:
        expected = work.hand(*work.args)
        calls = {"hand": (work.hand, work.args),
                 "s2sad": (s2sad.grad(work.fn, wrt=work.wrt), work.args)}
        for name in available:
            run, args, to_numpy = PEERS[name][1](work)
            check_close(f"{work.name}: {name} vs hand", to_numpy(run(*args)), expected)
            calls[name] = (run, args)
        times = measure(calls, timing)
        for name in available:
            print(f"{work.label:<22}{name:<10}{times[name]:>11.2f}{times['hand']:>11.2f}"
                  f"{times['s2sad']:>11.2f}{times[name] / times['hand']:>10.2f}x"
                  f"{small(times['s2sad'] / times[name]):>11}x")


def bench_cases(cases: list[Case], timing: Timing, what: str, target: float) -> None:
    """Check each case's s2sad result (and its extra variants) against the hand-written one,
    time them all interleaved, and print the ratios against the primal and the hand code."""
    print(f"target: s2sad {what} <= {target:g}x hand {what}")
    print(f"{'workload':<22}{'primal us':>11}{'hand us':>11}{'s2sad us':>11}"
          f"{what + '/primal':>13}{what + '/hand':>11}  target")
    for case in cases:
        expected = case.hand[0](*case.hand[1])
        calls = {"primal": case.primal, "hand": case.hand, "s2sad": case.s2sad, **case.extra}
        for label in ("s2sad", *case.extra):
            fn, args = calls[label]
            check_close(f"{case.name}: {label} vs hand", fn(*args), expected)
        times = measure(calls, timing)
        ratio = times["s2sad"] / times["hand"]
        print(f"{case.label:<22}{times['primal']:>11.2f}{times['hand']:>11.2f}"
              f"{times['s2sad']:>11.2f}{times['s2sad'] / times['primal']:>12.2f}x"
              f"{ratio:>10.2f}x  {'OK' if ratio <= target else 'over'}")
        for label in case.extra:
            ratio = times[label] / times["hand"]
            print(f"  {label + ':':<42}{times[label]:>11.2f}{'':>13}{ratio:>10.2f}x  "
                  f"{'OK' if ratio <= target else 'over'}")


def bench_case_peers(cases: list[Case], timing: Timing, note: str = "") -> None:
    """The peers of `cases`, checked against the hand-written result and timed against it."""
    available = available_peers()
    if not available:
        return
    if note:
        print(note)
    print_peer_header()
    for case in cases:
        expected = case.hand[0](*case.hand[1])
        calls = {"hand": case.hand, "s2sad": case.s2sad}
        for name in available:
            for label, (run, args) in case.peers(name).items():
                check_close(f"{case.name}: {label} vs hand", to_numpy(run(*args)), expected)
                calls[label] = (run, args)
        times = measure(calls, timing)
        for label in [label for label in calls if label not in ("hand", "s2sad")]:
            print(f"{case.label:<22}{label:<10}{times[label]:>11.2f}{times['hand']:>11.2f}"
                  f"{times['s2sad']:>11.2f}{times[label] / times['hand']:>10.2f}x"
                  f"{small(times['s2sad'] / times[label]):>11}x")


def bench_jacobians(timing: Timing, sizes=((20, 5), (20, 50)), seed: int = 3) -> list[Case]:
    """s2sad.jacobian of tanh(A @ x), A of shape (m, n), in each mode; returns the cases of
    the peer table (s2sad: mode='auto')."""
    rng = np.random.default_rng(seed)
    print(f"target: s2sad jacobian per pass <= {TARGET_JACOBIAN:g}x one hand-written pass "
          "(reverse: a VJP row, forward: a JVP column)")
    print(f"{'workload':<18}{'mode':<9}{'passes':>6}{'hand J us':>11}{'s2sad us':>11}"
          f"{'J/hand J':>10}{'us/pass':>9}{'hand pass':>11}{'pass/hand':>11}  target")
    cases = []
    for n, m in sizes:
        A = rng.normal(size=(m, n)) / np.sqrt(n)
        x = rng.normal(size=n)
        expected = tanh_map_jacobian(x, A)
        u, v = np.eye(m)[0], np.eye(n)[0]
        check_close("tanh_map: hand VJP vs row 0", tanh_map_vjp_hand(x, A, u), expected[0])
        check_close("tanh_map: hand JVP vs column 0", tanh_map_jvp_hand(x, A, v), expected[:, 0])
        calls = {"hand": (tanh_map_jacobian, (x, A)),
                 "reverse pass": (tanh_map_vjp_hand, (x, A, u)),
                 "forward pass": (tanh_map_jvp_hand, (x, A, v))}
        for mode in ("reverse", "forward", "auto"):
            jac = s2sad.jacobian(tanh_map, wrt=0, mode=mode)
            check_close(f"tanh_map: jacobian mode={mode} vs hand", jac(x, A), expected)
            calls[mode] = (jac, (x, A))
        times = measure(calls, timing)
        label = f"tanh(A@x) {n}->{m}"
        for mode in ("reverse", "forward", "auto"):
            chosen = mode if mode != "auto" else "forward" if n <= m else "reverse"
            passes = m if chosen == "reverse" else n
            per_pass = times[mode] / passes
            ratio = per_pass / times[f"{chosen} pass"]
            name = mode if mode != "auto" else "auto/" + chosen[:3].replace("for", "fwd")
            print(f"{label:<18}{name:<9}{passes:>6}{times['hand']:>11.2f}{times[mode]:>11.2f}"
                  f"{times[mode] / times['hand']:>9.2f}x{per_pass:>9.2f}"
                  f"{times[f'{chosen} pass']:>11.2f}{ratio:>10.2f}x  "
                  f"{'OK' if ratio <= TARGET_JACOBIAN else 'over'}")
        cases.append(Case("tanh_map", label, (tanh_map, (x, A)), calls["hand"], calls["auto"],
                          peers=functools.partial(peer_jacobian, name="tanh_map", args=(x, A))))
    print("note: s2sad.jacobian loops in Python over rows or columns, one pass each. Reverse "
          "mode: one\ngenerated call (loop-free code), one forward sweep, then a loop of m "
          "reverse sweeps over an\nidentity batch of cotangents; forward mode: a loop of n "
          "generated JVP calls, one per column.\nNo pass is vectorised across rows or columns, "
          "as the hand Jacobian is (J/hand J); the target\ncompares one pass with one "
          "hand-written pass (pass/hand), which recomputes tanh(A @ x).")
    return cases


@contextlib.contextmanager
def environment(**values: str):
    """Set environment variables for the duration of a ``with`` block, then restore them."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def timed_build(work: Workload, counter: str | None) -> float:
    """Seconds to build ``s2sad.grad(work.fn, work.wrt)``; `counter` ("transforms" or
    "disk_hits") must go up by one and the other not at all; None: neither may (a memory hit,
    which s2sad's API may serve without asking the loader, so no counter counts it)."""
    before = {name: stats[name] for name in ("transforms", "disk_hits")}
    start = time.perf_counter()
    s2sad.grad(work.fn, wrt=work.wrt)
    elapsed = time.perf_counter() - start
    counted = {name: stats[name] - before[name] for name in before}
    expected = {name: int(name == counter) for name in before}
    assert counted == expected, \
        f"{work.name}: the build was not a {counter or 'memory hit'} ({counted})"
    return elapsed


def bench_builds(workloads: list[Workload], rounds: int) -> None:
    print(f"build time of s2sad.grad(f, wrt), ms (min / median of {rounds})")
    print(f"{'workload':<22}{'cold transform':>18}{'disk cache hit':>18}{'memory hit':>14}")
    with environment(S2SAD_CACHE="0"):
        s2sad.clear_cache()
        timed_build(workloads[0], "transforms")  # pay one-time costs outside the measurements
    for work in workloads:
        cold, disk, memory = [], [], []
        for _ in range(rounds):
            with environment(S2SAD_CACHE="0"):
                s2sad.clear_cache()
                cold.append(timed_build(work, "transforms"))
                memory.append(timed_build(work, None))
            with tempfile.TemporaryDirectory() as folder, \
                    environment(S2SAD_CACHE="1", S2SAD_CACHE_DIR=folder):
                s2sad.clear_cache()
                timed_build(work, "transforms")  # writes the disk cache
                s2sad.clear_cache()
                disk.append(timed_build(work, "disk_hits"))
        cells = [f"{min(t) * 1e3:.2f} / {statistics.median(t) * 1e3:.2f}"
                 for t in (cold, disk, memory)]
        print(f"{work.label:<22}{cells[0]:>18}{cells[1]:>18}{cells[2]:>14}")


def bench_decorator(workloads: list[Workload], timing: Timing) -> None:
    print("warm @s2sad.differentiate overhead, us per call")
    print(f"{'workload':<22}{'f':>9}{'@diff f':>9}{'extra':>8}"
          f"{'grad(f)':>10}{'f.grad':>9}{'extra':>8}")
    for work in workloads:
        decorated = s2sad.differentiate(work.fn)
        grad_fn = s2sad.grad(work.fn, wrt=work.wrt)
        wrt = {"wrt": work.wrt}
        check_close(f"{work.name}: f.grad vs grad(f)", decorated.grad(*work.args, **wrt),
                    grad_fn(*work.args))
        times = measure({"plain": (work.fn, work.args), "decorated": (decorated, work.args),
                         "grad": (grad_fn, work.args),
                         ".grad": (decorated.grad, work.args, wrt)}, timing)
        print(f"{work.label:<22}{times['plain']:>9.2f}{times['decorated']:>9.2f}"
              f"{times['decorated'] - times['plain']:>+8.2f}{times['grad']:>10.2f}"
              f"{times['.grad']:>9.2f}{times['.grad'] - times['grad']:>+8.2f}")


def cold_grad(fn, x: float, n: int, backend: str) -> tuple:
    """``(gradient function, seconds)``: ``s2sad.grad(fn, backend=backend)`` built cold (no
    cache, a real transform) and called once (numba compiles at the first call)."""
    with environment(S2SAD_CACHE="0"):
        s2sad.clear_cache()
        start = time.perf_counter()
        grad_fn = s2sad.grad(fn, backend=backend)
        grad_fn(x, n)
        return grad_fn, time.perf_counter() - start


def jax_loop_grad(name: str, x: float, n: int):
    """``(run, args, seconds to compile)`` of ``jax.jit(jax.grad(f))``, or None where jax.jit
    cannot compile the loop (clipped branches on a traced value) or would unroll 100,000
    trips."""
    if jax is None or name != "poly" or n > 1000:
        return None
    f = peer_functions(jnp)[name]
    g = jax.jit(jax.grad(f), static_argnums=1)
    args = (jnp.asarray(x, dtype=jnp.float64), n)
    start = time.perf_counter()
    run, args = jax_compiled(g, args)
    return run, args, time.perf_counter() - start


def bench_numba(timing: Timing, sizes=(1000, 100_000), x: float = 0.999999) -> None:
    """The loops' gradients on the numba backend against the NumPy backend and the hand-written
    pass: build + compile time (cold) and time per call.

    x is close to 1: with the other sections' 0.9, the reverse sweep's factor 0.9**k sinks
    below the smallest normal float after 6,700 trips and stays at the smallest subnormal one
    (0.9 times it rounds back to it), so compiled code beyond that measures the CPU's
    subnormal arithmetic (60 ns a trip instead of 3), not the gradient."""
    start = time.perf_counter()
    numba = import_numba()
    imported = time.perf_counter() - start
    if numba is None:
        print("numba backend: skipped (numba is not installed: pip install \"s2sad[numba]\")")
        return
    print(f"numba backend (numba {numba.__version__}): s2sad.grad(f, backend='numba')(x, N) of "
          "the scalar loops;\nbuild = cold build + first call (numba compiles then), ms; "
          f"target build <= {TARGET_NUMBA_BUILD:g} s")
    start = time.perf_counter()
    cold_grad(lambda x, n: x * n, x, 1, "numba")  # numba's one-time set-up, not a workload's
    print(f"(once per process: importing numba {imported * 1e3:.0f} ms, its first compile "
          f"{(time.perf_counter() - start) * 1e3:.0f} ms)")
    columns = ["hand", "numpy", "numba"] + (["jax.jit"] if jax is not None else [])
    print(f"{'workload':<16}{'numpy build':>12}{'numba build':>12}"
          + "".join(f"{c + ' us':>12}" for c in columns) + f"{'numba/hand':>11}  target")
    for name, fn, hand in (("poly", poly, poly_hand), ("clipped", clipped, clipped_hand)):
        for n in sizes:
            numpy_grad, numpy_build = cold_grad(fn, x, n, "numpy")
            numba_grad, numba_build = cold_grad(fn, x, n, "numba")
            expected = hand(x, n)
            check_close(f"{name} N={n}: numba", numba_grad(x, n), expected)
            check_close(f"{name} N={n}: numpy", numpy_grad(x, n), expected)
            calls = {"hand": (hand, (x, n)), "numpy": (numpy_grad, (x, n)),
                     "numba": (numba_grad, (x, n))}
            jitted = jax_loop_grad(name, x, n)
            if jitted is not None:
                check_close(f"{name} N={n}: jax.jit", to_numpy(jitted[0](*jitted[1])), expected)
                calls["jax.jit"] = jitted[:2]
            times = measure(calls, timing)
            cells = "".join(f"{times[c]:>12.1f}" if c in times else f"{'-':>12}"
                            for c in columns)
            ok = numba_build <= TARGET_NUMBA_BUILD
            print(f"{f'{name} N={n:,}':<16}{numpy_build * 1e3:>12.1f}{numba_build * 1e3:>12.1f}"
                  f"{cells}{small(times['numba'] / times['hand']):>10}x  "
                  f"{'OK' if ok else 'over'}")
            if jitted is not None:
                print(f"{'':<16}jax.jit(jax.grad(f)) compile: {jitted[2] * 1e3:.0f} ms")
    if jax is not None:
        print("jax.jit: '-' where it cannot jit (clipped: a Python if on a traced value) or "
              "would unroll N=100,000 trips")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a fast smoke run: short, few measurements")
    parser.add_argument("--repeat", type=int, help="measurements per statement (min is kept)")
    parser.add_argument("--min-time", type=float, help="seconds one measurement lasts at least")
    parser.add_argument("--show-source", action="store_true",
                        help="print the code s2sad generates for each workload")
    parser.add_argument("--numba-only", action="store_true",
                        help="only the numba backend's section (the scalar loops)")
    args = parser.parse_args(argv)

    timing = Timing(min_time=0.01, repeat=3) if args.quick else Timing(min_time=0.1, repeat=7)
    timing.repeat = args.repeat or timing.repeat
    timing.min_time = args.min_time or timing.min_time
    if args.numba_only:
        bench_numba(timing)
        return 0
    workloads = make_workloads()

    print(f"s2sad {s2sad.__version__}, numpy {np.__version__}, Python "
          f"{sys.version.split()[0]}; timeit min of {timing.repeat} x >= "
          f"{timing.min_time * 1e3:g} ms{' (quick)' if args.quick else ''}")
    if args.show_source:
        print("# s2sad.grad runs the vjp code below and drops the value it also returns")
        for work in workloads:
            print(s2sad.source(work.fn, mode="vjp", wrt=work.wrt))
        print("# s2sad.jvp runs the tangent code")
        for work in workloads:
            print(s2sad.source(work.fn, mode="forward", wrt=tuple(positions(work))))
        print("# s2sad.hvp runs the tangent code of the gradient code")
        for fn in (logreg, rosenbrock):
            print(s2sad.source(s2sad.grad(fn), mode="forward"))
        print("# s2sad.jacobian runs these once per row (reverse) or column (forward)")
        print(s2sad.source(tanh_map, mode="vjp"))
        print(s2sad.source(tanh_map, mode="forward"))
        print("# gradients of the loops (vjp code, seeded with 1.0)")
        for fn in (poly, clipped):
            print(s2sad.source(fn, mode="vjp"))
    print()
    rows = bench_gradients(workloads, timing)
    print_gradients(rows)
    print()
    bench_peers(workloads, timing)
    print()
    bench_builds(workloads, rounds=3 if args.quick else 10)
    print()
    bench_decorator(workloads, timing)
    print()
    print("forward mode: s2sad.jvp(f, primals, tangents) -> (value, tangent) against a hand-written"
          "\ntangent returning both; tangents of the weights (lecture: x1 and x2), data fixed")
    cases = make_forward_cases(workloads)
    bench_cases(cases, timing, "jvp", TARGET_JVP)
    bench_case_peers(cases, timing)
    print()
    print("Hessian-vector products: s2sad.hvp(f, x, v, *data) against a hand-written H v")
    cases = make_hvp_cases(workloads)
    bench_cases(cases, timing, "hvp", TARGET_HVP)
    bench_case_peers(cases, timing)
    print()
    print("Jacobians: s2sad.jacobian(f, wrt=0, mode=...) of f(x, A) = tanh(A @ x), x in R^n, "
          "A of shape (m, n),\nagainst the hand Jacobian diag(1 - tanh^2) @ A")
    cases = bench_jacobians(timing)
    bench_case_peers(cases, timing, note="peers: s2sad us is s2sad.jacobian(mode='auto')")
    print()
    print("control flow: s2sad.grad(f)(x, N) of scalar loops (wrt x) against a hand-written "
          "reverse pass\n(forward pass storing s in a list, then the reverse pass)")
    cases = make_loop_cases()
    bench_cases(cases, timing, "grad", TARGET_LOOP)
    bench_case_peers(cases, timing)
    print()
    bench_tapes()
    print()
    bench_numba(timing)
    return 0


if __name__ == "__main__":
    sys.exit(main())
