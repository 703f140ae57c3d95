"""Time the runtime helpers that generated gradients call, on their common cases.

Run ``python scripts/bench_runtime.py`` (about 10 s; ``--quick``: 2 s). Each row is one call
of a helper of ``s2sad.runtime`` as generated code makes it (an unbroadcast of a float, a
scatter of a row into a zero matrix, the adjoint of an inner product with a scalar
cotangent ...), in nanoseconds per call: the minimum over ``--repeat`` measurements of a
calibrated number of calls. The ``bare`` column times the NumPy expression the helper
amounts to in that case (``g * y`` for the adjoint of an inner product), the floor a helper
can reach; ``-`` where the helper has nothing to do but return its argument.

It prints the timings of the helpers as they are; to compare two versions, run it against
each (check the other version out in a git worktree and point PYTHONPATH at it). No timing
is asserted: tests/test_runtime_fast_paths.py checks that the fast paths agree exactly with
the general ones.
"""

from __future__ import annotations

import argparse
import sys
import timeit

import numpy as np

from s2sad.runtime import (
    broadcast_reduced,
    dot_adjoint_x,
    dot_adjoint_y,
    matmul_adjoint_x,
    matmul_adjoint_y,
    scatter_like,
    unbroadcast,
    zeros_like,
)


def cases() -> list[tuple[str, object, tuple, object]]:
    """(label, helper, args, bare) rows; `bare` is a zero-argument callable or None."""
    rng = np.random.default_rng(0)
    v100, w100 = rng.normal(size=100), rng.normal(size=100)
    v32 = v100.astype(np.float32)
    M = rng.normal(size=(3, 14))
    A, x, u = rng.normal(size=(50, 20)), rng.normal(size=20), rng.normal(size=50)
    X = rng.normal(size=(100, 10))
    row = rng.normal(size=14)
    return [
        ("unbroadcast(float, float)", unbroadcast, (0.5, 2.0), None),
        ("unbroadcast(a, a) (100,)", unbroadcast, (v100, w100), None),
        ("unbroadcast(a, a) f32 (100,)", unbroadcast, (v32, v32), None),
        ("unbroadcast (100,10) -> (10,)", unbroadcast, (X, X[0]),
         lambda: np.sum(X, axis=0)),
        ("scatter_like(float, 1, (3,14))", scatter_like, (0.5, 1, M), None),
        ("scatter_like(row, 2, (3,14))", scatter_like, (row, 2, M), None),
        ("scatter_like(v, 1:3, (3,14))", scatter_like, (M[1:], slice(1, 3), M), None),
        ("dot_adjoint_x(float, (100,), (100,))", dot_adjoint_x, (0.5, v100, w100),
         lambda: 0.5 * w100),
        ("dot_adjoint_y(float, (100,), (100,))", dot_adjoint_y, (0.5, v100, w100),
         lambda: 0.5 * v100),
        ("matmul_adjoint_x(0-d, (100,), (100,))", matmul_adjoint_x,
         (np.float64(0.5), v100, w100), lambda: 0.5 * w100),
        ("matmul_adjoint_x(g, A, x) A (50,20)", matmul_adjoint_x, (u, A, x),
         lambda: u[:, None] * x),
        ("matmul_adjoint_y(g, A, x) A (50,20)", matmul_adjoint_y, (u, A, x), lambda: u @ A),
        ("matmul_adjoint_x(g, x, A) x (50,)", matmul_adjoint_x, (x, u, A), lambda: A @ x),
        ("matmul_adjoint_y(g, x, A) x (50,)", matmul_adjoint_y, (x, u, A),
         lambda: u[:, None] * x),
        ("broadcast_reduced(float, (100,))", broadcast_reduced, (0.5, v100),
         lambda: np.full(100, 0.5)),
        ("broadcast_reduced(float, f32 (100,))", broadcast_reduced, (0.5, v32), None),
        ("broadcast_reduced(g, (100,10), axis=1)", broadcast_reduced, (v100, X, 1),
         lambda: np.repeat(v100[:, None], 10, axis=1)),
        ("broadcast_reduced(g, (100,10), axis=0)", broadcast_reduced, (X[0], X, 0), None),
        ("zeros_like(float)", zeros_like, (0.5,), None),
        ("zeros_like((100,))", zeros_like, (v100,), lambda: np.zeros(100)),
        ("zeros_like(f32 (100,))", zeros_like, (v32,), None),
    ]


def per_call_ns(fn, args: tuple, repeat: int, min_time: float) -> float:
    """Nanoseconds per ``fn(*args)``: the best of `repeat` calibrated measurements."""
    timer = timeit.Timer("fn(*args)", globals={"fn": fn, "args": args})
    number, _ = timer.autorange()
    number = max(1, int(number * min_time / 0.2))
    return min(timer.repeat(repeat, number)) / number * 1e9


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter measurements")
    parser.add_argument("--repeat", type=int, default=None, help="measurements per row")
    args = parser.parse_args(argv)
    repeat = args.repeat or (3 if args.quick else 7)
    min_time = 0.02 if args.quick else 0.1
    print(f"numpy {np.__version__}, Python {sys.version.split()[0]}; ns per call, "
          f"min of {repeat}")
    print(f"{'helper, case':<42}{'ns':>10}{'bare ns':>10}")
    for label, fn, call_args, bare in cases():
        helper = per_call_ns(fn, call_args, repeat, min_time)
        floor = f"{per_call_ns(bare, (), repeat, min_time):>10.0f}" if bare else f"{'-':>10}"
        print(f"{label:<42}{helper:>10.0f}{floor}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
