"""How long s2sad takes to build a derivative from scratch, and how much of it the optimizer takes.

Run ``python scripts/bench_build.py`` (about 20 s; ``--repeat N`` takes the best of N cold
builds, 3 by default). Every build is cold: the disk cache is off (``S2SAD_CACHE=0``), the
memory caches are cleared (``s2sad.clear_cache()``) and each function lives in a freshly written
module file (s2sad reads source files), so the build really parses, lowers, transforms,
optimizes, emits and compiles. A build that a cache served anyway is reported as an error.

Workloads, each built in reverse mode (``s2sad.source(f)``) and forward mode
(``s2sad.source(f, mode="forward")``):

- ``chain N``: ``t = t * x + 1.0`` repeated N times (N = 40, 400, 2,000 statements);
- ``sum 2000``: one expression ``x * x + x * x + ...`` of 2,000 terms;
- ``loop+branch``: a 30-line function with a ``for`` loop, a branch on the carried value and a
  ``while`` loop.

For each: the cold build time (best of --repeat), the time spent in ``optimize`` during that
build and its share, and the number of lines of generated code.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ["S2SAD_CACHE"] = "0"  # before s2sad is imported: no disk cache at all

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import s2sad  # noqa: E402
from s2sad import transform
from s2sad.loading import loader  # noqa: E402

LOOP_BRANCH = '''\
import numpy as np


def f(x, n):
    s = 0.0
    p = x * 2.0
    q = np.sin(x)
    for i in range(n):
        u = s * x + 1.0
        if u > 3.0:
            s = u * 0.5 - q
        else:
            s = u + p * q
        r = np.exp(-s * s)
        s = s + r
    k = 0
    w = s
    while k < 3:
        w = w * x + np.cos(w)
        k = k + 1
    v = w * w
    a = v + s
    b = a * q
    c = np.tanh(b)
    d = c * p + a
    e = d / (1.0 + x * x)
    g = e - np.log(1.0 + v)
    h = g * g
    return h + d
'''


def chain_source(n: int) -> str:
    body = "".join("    t = t * x + 1.0\n" for _ in range(n))
    return f"def f(x):\n    t = x\n{body}    return t\n"


def sum_source(n: int) -> str:
    return "def f(x):\n    return " + " + ".join(["x * x"] * n) + "\n"


WORKLOADS = [
    ("chain 40", chain_source(40)),
    ("chain 400", chain_source(400)),
    ("chain 2000", chain_source(2000)),
    ("sum 2000", sum_source(2000)),
    ("loop+branch", LOOP_BRANCH),
]


class OptimizerClock:
    """Wraps the optimizer the pipeline calls and adds up the time spent in it."""

    def __init__(self):
        self.seconds = 0.0
        self.inner = transform.run_optimizer

    def __call__(self, fn):
        start = time.perf_counter()
        try:
            return self.inner(fn)
        finally:
            self.seconds += time.perf_counter() - start


_counter = [0]


def fresh_function(folder: Path, text: str):
    """`f` from a new module file (a new function object, a new source file)."""
    _counter[0] += 1
    name = f"bench_build_{os.getpid()}_{_counter[0]}"
    path = folder / f"{name}.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module.f


def cold_build(folder: Path, text: str, mode: str, clock: OptimizerClock):
    fn = fresh_function(folder, text)
    s2sad.clear_cache()
    before = loader.stats["transforms"]
    clock.seconds = 0.0
    start = time.perf_counter()
    code = s2sad.source(fn, mode=mode)
    elapsed = time.perf_counter() - start
    if loader.stats["transforms"] == before:
        raise RuntimeError("a cache served the build: it is not cold")
    return elapsed, clock.seconds, code.count("\n")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="cold builds per row (best kept)")
    args = parser.parse_args(argv)
    clock = OptimizerClock()
    transform.run_optimizer = clock
    with tempfile.TemporaryDirectory(prefix="s2sad-bench-build-") as tmp:
        folder = Path(tmp)
        print(f"{'workload':<14}{'mode':<9}{'build ms':>10}{'optimize ms':>13}{'share':>7}"
              f"{'lines':>7}")
        for label, text in WORKLOADS:
            for mode in ("reverse", "forward"):
                runs = [cold_build(folder, text, mode, clock) for _ in range(args.repeat)]
                total, opt, lines = min(runs)
                print(f"{label:<14}{mode:<9}{total * 1e3:>10.1f}{opt * 1e3:>13.1f}"
                      f"{opt / total:>7.0%}{lines:>7}")


if __name__ == "__main__":
    main()
