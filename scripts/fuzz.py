"""The long form of tests/test_random_programs.py: many random programs, counted by outcome.

    python scripts/fuzz.py -n 10000 [--mode grad|jvp|vjp|hessian|jacobian|all] [--seed S]
                           [--backend numpy|array_api] [--arrays numpy|strict|jax]

Each program from tests/progen.py is differentiated by s2sad and checked against finite
differences (or, for `jacobian`, reverse mode against forward mode). The first failures are
shrunk by Hypothesis to a small program and printed in full (`--shrink`, 5 by default); later
ones are counted, and their unshrunk programs go to `--log` when given (with the original of
each shrunk failure: shrinking may turn a wrong answer into another failure, in which case
the original is printed as well). The summary counts
programs checked, refused by s2sad (by error type), discarded (a finite-difference step would
cross a branch), wrong and internal errors. The exit status is 1 when anything was wrong.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

# The generator lives with the tests, which import it the same way.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
os.environ.setdefault("S2SAD_CACHE", "0")  # one-off programs: keep them out of the disk cache

from hypothesis import HealthCheck, Phase, given, reject, settings  # noqa: E402
from hypothesis import seed as hypothesis_seed  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.errors import FlakyFailure  # noqa: E402
from progen import (  # noqa: E402
    ARRAY_MODES,
    ARRAYS,
    LIBRARY_FUNCTIONS,
    MODES,
    OUTPUTS,
    InternalFailure,
    InvalidProgram,
    Refused,
    Unusable,
    WrongDerivative,
    arguments,
    check,
    programs,
)

BATCH = 200  # examples per Hypothesis run; a failure ends its run (after shrinking it)


FAILURES = (WrongDerivative, InternalFailure, InvalidProgram)


def failure_kind(failure: AssertionError) -> str:
    if isinstance(failure, WrongDerivative):
        return "wrong"
    if isinstance(failure, InternalFailure):
        return "internal error"
    return "generator error"  # the generated program itself failed: a bug of tests/progen.py


class Tally:
    """Outcome counts of one mode, and the failures seen."""

    def __init__(self, mode: str):
        self.mode = mode
        self.counts: Counter = Counter()
        self.refusals: Counter = Counter()
        self.failures: list = []  # (kind, message)
        self.functions: Counter = Counter()  # library functions in the checked programs
        self.shrinking = False  # after a batch's first failure, runs are Hypothesis shrinking
        self.shrink_next = True  # whether the next failure is shrunk (or only counted)
        self.found = ("", "")  # the failure being shrunk, as first found: (kind, message)

    @property
    def run(self) -> int:
        return sum(self.counts.values())

    @property
    def bad(self) -> int:
        return (self.counts["wrong"] + self.counts["internal error"]
                + self.counts["generator error"])


def fuzz_mode(mode: str, total: int, seed: int, shrink_budget: list, log, started: float,
              in_place: bool, backend: str = "numpy", arrays: str = "numpy") -> Tally:
    """Run `total` programs of one mode; `shrink_budget` is a one-item list shared by modes."""
    tally = Tally(mode)
    batch_index = 0
    while tally.run < total:
        tally.shrinking = False
        tally.shrink_next = shrink_budget[0] > 0
        examples = min(BATCH, total - tally.run)

        @hypothesis_seed(seed * 100_003 + batch_index)
        @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
                  report_multiple_bugs=False, phases=[Phase.generate, Phase.shrink],
                  suppress_health_check=list(HealthCheck))
        @given(st.data())
        def run(data):
            program = data.draw(programs(OUTPUTS[mode], in_place), label="program")
            args = data.draw(arguments(program), label="arguments")
            direction_seed = data.draw(st.integers(0, 2**16), label="seed of the directions")
            counting = not tally.shrinking
            try:
                check(mode, program, args, direction_seed, backend, arrays)
            except Refused as refusal:
                if counting:
                    tally.counts["refused"] += 1
                    key = f"{refusal.error_type} ({refusal.api.split('(')[0]})"
                    message = str(refusal).split(": ", 2)[-1].splitlines()[0]
                    if refusal.error_type in ("MissingRuleError", "UnsupportedSyntaxError"):
                        key += ": " + message[:120]
                    elif " backend cannot run " in message:  # what a backend cannot spell
                        key += ": " + message.split(" (")[0][:120]
                    tally.refusals[key] += 1
                return
            except Unusable:
                if counting:
                    tally.counts["discarded"] += 1
                reject()
            except FAILURES as failure:
                if counting:
                    kind = failure_kind(failure)
                    tally.counts[kind] += 1
                    if not tally.shrink_next:
                        tally.failures.append((kind, str(failure)))
                        if log is not None:
                            log.write(f"==== {mode}: {kind}\n{failure}\n\n")
                        return
                    # Shrinking keeps any failure, not necessarily of this kind (a wrong
                    # answer can shrink into an internal error): the original is kept too.
                    tally.found = (kind, str(failure))
                    if log is not None:
                        log.write(f"==== {mode}: {kind} (as found, before shrinking)\n"
                                  f"{failure}\n\n")
                    tally.shrinking = True
                raise
            if counting:
                tally.counts["checked"] += 1
                tally.functions.update(program.features & LIBRARY_FUNCTIONS)
                if tally.run % 100 == 0:
                    progress(tally, started)

        try:
            try:
                run()
            except FlakyFailure as flaky:
                # The failure did not replay the same way (so it is reported as found): an
                # s2sad that answers differently the second time is a bug of its own.
                failures = [e for e in flaky.exceptions if isinstance(e, FAILURES)]
                if not failures:
                    raise
                print(f"\n==== {mode}: a failure did not replay the same way ====", flush=True)
                raise failures[0] from flaky
        except FAILURES as failure:
            # Hypothesis re-raises the smallest failing example it found.
            shrink_budget[0] -= 1
            kind = failure_kind(failure)
            tally.failures.append((kind, str(failure)))
            print(f"\n==== {mode}: {kind} (shrunk) ====\n{failure}\n", flush=True)
            if log is not None:
                log.write(f"==== {mode}: {kind} (shrunk)\n{failure}\n\n")
            if tally.found[0] != kind:
                tally.failures.append(tally.found)
                print(f"==== {mode}: {tally.found[0]} (as found; it shrank into the failure "
                      f"above) ====\n{tally.found[1]}\n", flush=True)
        batch_index += 1
    return tally


def progress(tally: Tally, started: float) -> None:
    counts = ", ".join(f"{k} {v}" for k, v in sorted(tally.counts.items()))
    print(f"[{tally.mode}] {tally.run} programs ({counts}) {time.time() - started:.0f} s",
          flush=True)


def summary(tallies: list) -> None:
    print("\n==== summary ====")
    for tally in tallies:
        print(f"{tally.mode}: {tally.run} programs: checked {tally.counts['checked']}, "
              f"refused {tally.counts['refused']}, discarded {tally.counts['discarded']}, "
              f"wrong {tally.counts['wrong']}, internal errors {tally.counts['internal error']}"
              + (f", generator errors {tally.counts['generator error']}"
                 if tally.counts["generator error"] else ""))
        for refusal, count in tally.refusals.most_common():
            print(f"    refused: {refusal}: {count}")
        if tally.functions:
            least = ", ".join(f"{name} {count}" for name, count in sorted(
                tally.functions.items(), key=lambda item: (item[1], item[0]))[:8])
            print(f"    library functions in checked programs: {len(tally.functions)} of "
                  f"{len(LIBRARY_FUNCTIONS)} (least often: {least})")
        for kind, message in tally.failures:
            print(f"    {kind}: {message.splitlines()[0]}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="programs per mode")
    parser.add_argument("--mode", choices=[*MODES, "all"], default="all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shrink", type=int, default=5,
                        help="how many failures to shrink and print in full")
    parser.add_argument("--log", type=Path, help="append every failure's report to this file")
    parser.add_argument("--no-in-place", action="store_true",
                        help="generate no in-place updates of shared arrays (x += v on an "
                        "alias), to look past that bug class")
    parser.add_argument("--backend", choices=sorted(ARRAYS), default="numpy",
                        help="the s2sad backend that computes the derivatives")
    parser.add_argument("--arrays", choices=sorted(ARRAY_MODES), default="numpy",
                        help="the arrays given to it: NumPy's, array_api_strict's or JAX's "
                        "(array_api backend; modes grad, jvp and vjp)")
    options = parser.parse_args(argv)
    if options.arrays not in ARRAYS[options.backend]:
        parser.error(f"the {options.backend} backend takes {' or '.join(ARRAYS[options.backend])}"
                     " arrays")
    modes = ARRAY_MODES[options.arrays] if options.mode == "all" else (options.mode,)
    if any(mode not in ARRAY_MODES[options.arrays] for mode in modes):
        parser.error(f"{options.arrays} arrays run the modes "
                     f"{', '.join(ARRAY_MODES[options.arrays])}")
    started = time.time()
    shrink_budget = [options.shrink]
    log = options.log.open("a") if options.log else None
    tallies = []
    try:
        for mode in modes:
            tallies.append(fuzz_mode(mode, options.n, options.seed, shrink_budget, log, started,
                                     not options.no_in_place, options.backend, options.arrays))
            progress(tallies[-1], started)
    finally:
        if log is not None:
            log.close()
    summary(tallies)
    print(f"{time.time() - started:.0f} s")
    return 1 if any(tally.bad for tally in tallies) else 0


if __name__ == "__main__":
    sys.exit(main())
