"""Benchmark s2sad gradients against the primal, hand-written NumPy gradients and peers.

Run ``python scripts/bench.py`` (30-60 s) or ``python scripts/bench.py --quick`` (a few
seconds: fewer and shorter repeats, same workloads and checks).

Workloads (all straight-line NumPy, the code s2sad is built for):

1. lecture  -- ``f(x1, x2) = log(x1) + x1*x2 - sin(x2)`` at (2, 5), gradient wrt x1 and x2;
2. logreg   -- mean cross-entropy of ``sigmoid(X @ w)``, n=100 samples, d=10 features, wrt w;
3. mlp      -- mean squared error of a 10 -> 32 -> 1 tanh network, n=100, wrt W1 and W2.

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
- the gradients of autograd, JAX (jitted, float64) and PyTorch (float64) when they can be
  imported, checked against the hand gradient and timed against it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import s2sad
from s2sad.loader import stats

try:
    import autograd
    import autograd.numpy as anp
except ImportError:
    autograd = None

try:
    import jax
    import jax.numpy as jnp
except ImportError:
    jax = None
else:
    jax.config.update("jax_enable_x64", True)  # compare float64 with float64

try:
    import torch
except ImportError:
    torch = None

TARGET = 1.5  # s2sad grad may take at most this many times the hand-written gradient


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


def peer_functions(xp) -> dict:
    """The three workloads again, written against the NumPy-like module `xp` of a peer."""

    def lecture(x1, x2):
        return xp.log(x1) + x1 * x2 - xp.sin(x2)

    def logreg(w, X, y):
        p = 1.0 / (1.0 + xp.exp(-(X @ w)))
        return -xp.mean(y * xp.log(p) + (1.0 - y) * xp.log(1.0 - p))

    def mlp(W1, W2, X, y):
        h = xp.tanh(X @ W1)
        return xp.mean((h @ W2 - y) ** 2)

    return {"lecture": lecture, "logreg": logreg, "mlp": mlp}


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
    ]


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


def bench_peers(workloads: list[Workload], timing: Timing) -> None:
    available = [name for name, (module, _) in PEERS.items() if module is not None]
    skipped = [name for name in PEERS if name not in available]
    if skipped:
        print(f"peers skipped (not installed): {', '.join(skipped)}")
    if not available:
        return
    print(f"{'workload':<22}{'peer':<10}{'peer us':>11}{'hand us':>11}{'s2sad us':>11}"
          f"{'peer/hand':>11}{'s2sad/peer':>12}")
    for work in workloads:
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
                  f"{times['s2sad'] / times[name]:>11.2f}x")


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


def timed_build(work: Workload, counter: str) -> float:
    """Seconds to build ``s2sad.grad(work.fn, work.wrt)``; `counter` must go up by one."""
    before = stats[counter]
    start = time.perf_counter()
    s2sad.grad(work.fn, wrt=work.wrt)
    elapsed = time.perf_counter() - start
    assert stats[counter] == before + 1, f"{work.name}: the build was not a {counter[:-1]}"
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
                memory.append(timed_build(work, "memory_hits"))
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a fast smoke run: short, few measurements")
    parser.add_argument("--repeat", type=int, help="measurements per statement (min is kept)")
    parser.add_argument("--min-time", type=float, help="seconds one measurement lasts at least")
    parser.add_argument("--show-source", action="store_true",
                        help="print the code s2sad generates for each workload")
    args = parser.parse_args(argv)

    timing = Timing(min_time=0.01, repeat=3) if args.quick else Timing(min_time=0.1, repeat=7)
    timing.repeat = args.repeat or timing.repeat
    timing.min_time = args.min_time or timing.min_time
    workloads = make_workloads()

    print(f"s2sad {s2sad.__version__}, numpy {np.__version__}, Python "
          f"{sys.version.split()[0]}; timeit min of {timing.repeat} x >= "
          f"{timing.min_time * 1e3:g} ms{' (quick)' if args.quick else ''}")
    if args.show_source:
        print("# s2sad.grad runs the vjp code below and drops the value it also returns")
        for work in workloads:
            print(s2sad.source(work.fn, mode="vjp", wrt=work.wrt))
    print()
    rows = bench_gradients(workloads, timing)
    print_gradients(rows)
    print()
    bench_peers(workloads, timing)
    print()
    bench_builds(workloads, rounds=3 if args.quick else 10)
    print()
    bench_decorator(workloads, timing)
    return 0


if __name__ == "__main__":
    sys.exit(main())
