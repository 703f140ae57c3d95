"""``s2sad trace FILE.py:FUNC --at ...``: the lecture's tables of a function at a point."""

from __future__ import annotations

import argparse

from .arguments import parse_at
from .common import EXAMPLES, load_function, report_errors


def register(sub) -> None:
    """Add the ``trace`` verb to the subparsers `sub`."""
    trace = sub.add_parser("trace", help="print the SSA trace with values and adjoints",
                           epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    trace.add_argument("function", help="FILE.py:FUNC or package.module:FUNC")
    trace.add_argument("--at", required=True,
                       help="the arguments as Python values, positional or named: --at 2,5, "
                       "--at x1=2,x2=5, --at '[1, 2], n=3'")
    trace.set_defaults(run=run)


def run(args) -> int:
    """Print the trace tables; returns the exit status."""
    from .. import api

    def work() -> str:
        fn = load_function(args.function)
        return str(api.trace(fn, *parse_at(args.at, fn))) + "\n"

    return report_errors(work)
