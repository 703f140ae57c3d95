"""``s2sad trace FILE.py:FUNC --at ...``: the lecture's tables of a function at a point."""

from __future__ import annotations

import argparse
import sys

from .arguments import parse_at
from .common import CliError, load_function, report_errors

TRACE_EXAMPLES = """\
examples:
  s2sad trace examples/lecture.py:f --at 2,5                   the three tables at (2, 5)
  s2sad trace examples/lecture.py:f --at x1=2,x2=5 --seed x2   tangents with respect to x2
  s2sad trace examples/loops.py:horner --at '0.5, [2, -3, 1]'  one row per statement run
  s2sad trace FILE.py:f --at '[1, 2, 3], n=3'                  an array and an integer
  s2sad trace FILE.py:f --at 2,5 --max-iterations 2            first 2 iterations of a loop
  s2sad trace FILE.py:f --at 2,5 --format json                 for a program (every row)

The tables: the forward primal trace (every SSA variable, its operation and value, the
output), the forward tangent trace seeded with one input (v_dot), and the reverse adjoint
trace (each update of an adjoint v_bar, with its formula and value, in the order the reverse
sweep runs). Rows run in a loop show [the iteration]; a branch shows its condition and the
arm taken. An error raised while tracing (a division by zero) ends the table at the row that
raised it, and the exit status is 1.
"""


def register(sub) -> None:
    """Add the ``trace`` verb to the subparsers `sub`."""
    trace = sub.add_parser("trace", help="print the forward, tangent and adjoint traces at a "
                           "point", description="Print the lecture's tables of a function at "
                           "a point, with the values the generated code computes.",
                           epilog=TRACE_EXAMPLES,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    trace.add_argument("function", help="FILE.py:FUNC or package.module:FUNC")
    trace.add_argument("--at", required=True, metavar="VALUES",
                       help="the arguments as Python values, positional or named: --at 2,5, "
                       "--at x1=2,x2=5, --at '[1, 2], n=3' (ints stay ints, lists and "
                       "np.ones(3) give arrays)")
    trace.add_argument("--seed", metavar="INPUT",
                       help="the input (name or position) whose tangent the forward tangent "
                       "trace follows (default: the first differentiated)")
    trace.add_argument("--digits", type=int, default=3, metavar="N",
                       help="decimals of the values (default 3, as the lecture)")
    trace.add_argument("--max-iterations", type=int, metavar="K",
                       help="show the first K iterations of each loop and a '… N more' row")
    trace.add_argument("--format", choices=("text", "markdown", "json", "html"),
                       default="text", help="text tables (default), markdown, json or html")
    trace.set_defaults(run=run)


def run(args) -> int:
    """Print the trace tables; returns the exit status (1 when an error stopped the trace)."""
    from .. import api

    failed = []

    def work() -> str:
        if args.digits < 0:
            raise CliError(f"--digits takes a number >= 0, got {args.digits}")
        if args.max_iterations is not None and args.max_iterations < 1:
            raise CliError(f"--max-iterations takes a number >= 1, got {args.max_iterations}")
        fn = load_function(args.function)
        seed = int(args.seed) if args.seed and args.seed.isdigit() else args.seed
        result = api.trace(fn, *parse_at(args.at, fn), seed=seed, digits=args.digits,
                           max_iterations=args.max_iterations)
        if result.error is not None:
            failed.append(result.error)
        return result.render(args.format) + "\n"

    status = report_errors(work)
    if status == 0 and failed:
        print(f"s2sad: the trace stopped at an error: {failed[0]}", file=sys.stderr)
        return 1
    return status
