"""s2sad's gradient of logistic regression on a chunked dask array, against a hand-written dask
gradient (issue 15, "a distributed engine").

The loss is the mean cross-entropy of sigmoid(X @ w) against labels y. s2sad's gradient,
``s2sad.grad(loss)(w, X, y)``, is a dask array built without computing anything; the hand
gradient is ``X.T @ (sigmoid(X @ w) - y) / n``. Both are computed (checked equal first) on the
same data, which dask generates chunk by chunk (random X, labels from a known w): the data is
never held whole, and the client's memory is the few chunks the scheduler's threads hold at
once. Printed for each: the time of the call that builds the graph, of its compute (the best
of --repeat), and the peak memory traced during a compute (tracemalloc, which sees NumPy's
allocations), in chunks; then the ratio of the computes (target: <= 1.5x).

Run: ``python scripts/bench_dask.py`` (10^6 x 100 in 10^5-row chunks, under a minute here);
the issue's size is ``--rows 10000000`` (10^7 x 100: 8 GB of data, streamed; about ten times
as long). ``--chunk``, ``--columns``, ``--threads`` (default 2), ``--repeat`` (default 3),
``--distributed`` (a ``dask.distributed`` LocalCluster, one process per thread, instead of
the threaded scheduler; memory is then the workers', not traced here).
Needs dask (``pip install "s2sad[dask]"``).
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc

import numpy as np

import s2sad

try:
    import dask
    import dask.array as da
except ImportError:  # pragma: no cover - the script's one requirement
    sys.exit('bench_dask.py needs dask: pip install "s2sad[dask]"')


def loss(w, X, y):
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def hand_gradient(w, X, y):
    """The gradient of `loss`, written by hand: X.T @ (sigmoid(X @ w) - y) / n."""
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return X.T @ (p - y) / X.shape[0]


def make_data(rows: int, columns: int, chunk: int):
    """X (rows x columns, standard normal) and labels y drawn from the logistic model of a
    known w, both generated lazily, chunk by chunk."""
    rng = da.random.default_rng(15)
    X = rng.standard_normal((rows, columns), chunks=(chunk, columns))
    truth = np.linspace(-1.0, 1.0, columns)
    y = (rng.random(rows, chunks=chunk) < 1.0 / (1.0 + np.exp(-(X @ truth)))).astype(float)
    return X, y


def timed_compute(array, repeat: int, trace: bool) -> tuple:
    """(best seconds of `repeat` computes, peak traced bytes of the first, the result)."""
    best, peak, result = float("inf"), None, None
    for k in range(repeat):
        if trace and k == 0:
            tracemalloc.start()
        start = time.perf_counter()
        result = array.compute()
        best = min(best, time.perf_counter() - start)
        if trace and k == 0:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    return best, peak, result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--columns", type=int, default=100)
    parser.add_argument("--chunk", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--distributed", action="store_true")
    args = parser.parse_args(argv)

    X, y = make_data(args.rows, args.columns, args.chunk)
    w = np.zeros(args.columns)
    chunk_bytes = args.chunk * args.columns * 8
    print(f"logistic regression, X {args.rows} x {args.columns} in {X.numblocks[0]} chunks of "
          f"{args.chunk} rows ({chunk_bytes / 2**20:.0f} MiB each; "
          f"{X.nbytes / 2**30:.2f} GiB in all), {args.threads} threads"
          + (", dask.distributed LocalCluster" if args.distributed else ""))

    cluster = client = None
    if args.distributed:
        import logging

        from distributed import Client, LocalCluster

        # Both gradients contain the task `-(X @ w)` under the same key, fused differently
        # into each graph; the scheduler warns about it at every alternation of the two.
        logging.getLogger("distributed.scheduler").setLevel(logging.ERROR)
        cluster = LocalCluster(n_workers=args.threads, threads_per_worker=1,
                               dashboard_address=None)
        client = Client(cluster)
        settings = dask.config.set({})
    else:
        settings = dask.config.set(scheduler="threads", num_workers=args.threads)
    try:
        with settings:
            start = time.perf_counter()
            ours = s2sad.grad(loss)(w, X, y)
            build = time.perf_counter() - start  # the first call: s2sad's build, then graph
            start = time.perf_counter()
            ours = s2sad.grad(loss)(w, X, y)
            graph = time.perf_counter() - start
            start = time.perf_counter()
            hand = hand_gradient(w, X, y)
            hand_graph = time.perf_counter() - start

            # checked equal first (and warm: the first compute pays for imports and pools)
            got, want = dask.compute(ours, hand)
            error = float(np.max(np.abs(got - want)))
            assert error < 1e-10 * max(1.0, float(np.max(np.abs(want)))), error

            trace = not args.distributed
            rows = []
            for name, array, made in (("s2sad.grad", ours, graph), ("hand-written", hand,
                                                                    hand_graph)):
                seconds, peak, _ = timed_compute(array, args.repeat, trace)
                rows.append((name, made, seconds, peak))
    finally:
        if client is not None:
            client.close()
            cluster.close()

    print(f"first call (build + graph): {build * 1e3:.1f} ms;  max |difference| {error:.1e}")
    print(f"{'gradient':<14}{'graph':>10}{'compute':>11}{'peak memory':>24}")
    for name, made, seconds, peak in rows:
        memory = "" if peak is None else (
            f"{peak / 2**20:.0f} MiB = {peak / chunk_bytes:.1f} chunks")
        print(f"{name:<14}{made * 1e3:>8.1f}ms{seconds:>10.2f}s{memory:>24}")
    ratio = rows[0][2] / rows[1][2]
    verdict = "OK" if ratio <= 1.5 else "over"
    print(f"s2sad / hand-written: {ratio:.2f}x (target <= 1.5x: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
