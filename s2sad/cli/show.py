"""``s2sad show FILE.py:FUNC``: print the generated derivative (or SSA) code of a function."""

from __future__ import annotations

import argparse

from .common import (
    add_backend_option,
    backend_of,
    examples_of,
    load_function,
    parse_wrt,
    report_errors,
)


def register(sub) -> None:
    """Add the ``show`` verb to the subparsers `sub`."""
    show = sub.add_parser("show", help="print the generated code of a function",
                          epilog=examples_of("show"),
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    show.add_argument("function", help="FILE.py:FUNC or package.module:FUNC")
    show.add_argument("--mode", choices=("reverse", "forward", "vjp"), default="reverse",
                      help="reverse: gradient code (default); forward: tangent (JVP) code; "
                      "vjp: reverse mode with an explicit cotangent")
    show.add_argument("--wrt", help="comma-separated parameter names or positions (default 0)")
    show.add_argument("--ssa", action="store_true", help="print the SSA trace of the function")
    show.add_argument("--no-optimize", action="store_true", help="print unoptimized code")
    show.add_argument("--teaching", action="store_true",
                      help="the view for a student: the whole program (forward sweep, then "
                      "reverse sweep), each adjoint update on one line")
    add_backend_option(show, "the code")
    show.set_defaults(run=run)


def run(args) -> int:
    """Print the code `args` asks for; returns the exit status."""
    from .. import api

    def work() -> str:
        backend = backend_of(args)  # an unknown name: before the file is imported
        fn = load_function(args.function)
        return api.source(fn, mode=args.mode, wrt=parse_wrt(args.wrt),
                          optimize=not args.no_optimize, ssa=args.ssa,
                          teaching=args.teaching, backend=backend)

    return report_errors(work)
