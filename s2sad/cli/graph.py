"""``s2sad graph FILE.py:FUNC``: the computational graph of a function's SSA trace, as Graphviz
DOT (the default) or Mermaid text, with values and adjoints on its nodes given ``--at``;
``--png FILE`` draws it with Graphviz's ``dot`` program."""

from __future__ import annotations

import argparse
import sys
from contextlib import redirect_stdout

from ..errors import S2sadError
from .arguments import parse_at
from .common import CliError, examples_of, load_function, report_errors
from .failures import user_failure


def register(sub) -> None:
    """Add the ``graph`` verb to the subparsers `sub`."""
    graph = sub.add_parser("graph", help="print the computational graph (Graphviz DOT or "
                           "Mermaid)", epilog=examples_of("graph"),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    graph.add_argument("function", help="FILE.py:FUNC or package.module:FUNC")
    graph.add_argument("--at", help="write values and adjoints at these arguments (Python "
                       "values, positional or named: --at 2,5, --at x1=2,x2=5)")
    graph.add_argument("--format", choices=("dot", "mermaid"), default="dot",
                       help="dot: Graphviz DOT (default); mermaid: a Mermaid flowchart")
    graph.add_argument("--png", metavar="FILE", help="draw the graph into FILE with "
                       "Graphviz's dot program (which must be installed)")
    graph.add_argument("--digits", type=int, default=5,
                       help="significant digits of the values shown (default 5)")
    graph.set_defaults(run=run)


def run(args) -> int:
    """Print (or draw) the graph; returns the exit status."""
    from .. import api

    def work() -> str:
        if args.png and args.format != "dot":
            raise CliError("--png draws the graph with Graphviz; leave out --format mermaid "
                           "(Mermaid text is drawn by the page that shows it)")
        if args.digits < 1:
            raise CliError(f"--digits must be at least 1, got {args.digits}")
        fn = load_function(args.function)
        at = parse_at(args.at, fn) if args.at is not None else ()
        try:
            with redirect_stdout(sys.stderr):  # the function's prints: not in the graph
                drawn = api.graph(fn, *at, format=args.format, digits=args.digits)
        except (CliError, S2sadError):
            raise
        except Exception as exc:  # noqa: BLE001 - the user's function failed at --at
            raise user_failure(exc, fn) from None
        if not args.png:
            return str(drawn) + "\n"
        drawn.render(args.png, "png")
        return f"wrote {args.png}\n"

    return report_errors(work)
