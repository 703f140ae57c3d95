"""``s2sad trace FILE.py:FUNC --at ...``: the lecture's tables of a function at a point."""

from __future__ import annotations

import argparse

from .common import EXAMPLES, load_function, parse_point, report_errors


def register(sub) -> None:
    """Add the ``trace`` verb to the subparsers `sub`."""
    trace = sub.add_parser("trace", help="print the SSA trace with values and adjoints",
                           epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    trace.add_argument("function", help="FILE.py:FUNC or package.module:FUNC")
    trace.add_argument("--at", required=True,
                       help="comma-separated scalar arguments, e.g. --at 2,5")
    trace.set_defaults(run=run)


def run(args) -> int:
    """Print the trace tables; returns the exit status."""
    from .. import api

    def work() -> str:
        fn = load_function(args.function)
        return str(api.trace(fn, *parse_point(args.at))) + "\n"

    return report_errors(work)
