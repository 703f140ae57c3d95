"""``s2sad check FILE.py:FUNC --at ...``: s2sad's derivatives (reverse mode: the gradient or
VJP; forward mode: the JVP) against central finite differences, with the worst relative error
per argument. The exit status is 1 when an error is above ``--tol``: a test or a CI step can
run it. The engine is :func:`s2sad.check_grad`'s."""

from __future__ import annotations

import argparse
import sys
from contextlib import redirect_stdout

import numpy as np

from ..errors import S2sadError
from .arguments import parse_at
from .common import (
    CliError,
    add_backend_option,
    backend_of,
    examples_of,
    load_function,
    parse_wrt,
    report_errors,
)
from .failures import user_failure

DEFAULT_TOL = 1e-6  # central differences with eps = 1e-6 agree to ~1e-9 on smooth functions
NOISE_FACTOR = 10  # an error within this many rounding errors of the difference may be its own


def register(sub) -> None:
    """Add the ``check`` verb to the subparsers `sub`."""
    check = sub.add_parser("check", help="compare the derivatives with finite differences",
                           epilog=examples_of("check"),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    check.add_argument("function", help="FILE.py:FUNC or package.module:FUNC")
    check.add_argument("--at", required=True,
                       help="the arguments as Python values, positional or named: --at 2,5, "
                       "--at x1=2,x2=5, --at '[1, 2], n=3'")
    check.add_argument("--wrt", help="comma-separated parameter names or positions (default: "
                       "every number and array of numbers that can be differentiated)")
    check.add_argument("--tol", type=float, default=DEFAULT_TOL,
                       help=f"largest relative error accepted (default {DEFAULT_TOL:g})")
    check.add_argument("--eps", type=float, default=1e-6,
                       help="step of the central differences (default 1e-6)")
    check.add_argument("--seed", type=int, default=0,
                       help="seed of the random directions and cotangent (default 0)")
    add_backend_option(check, "the derivatives checked")
    check.set_defaults(run=run)


def run(args) -> int:
    """Print the comparison; returns 0 when every error is within ``--tol``, else 1."""
    verdict = {}

    def work() -> str:
        if not args.tol > 0 or not args.eps > 0:
            raise CliError("--tol and --eps must be positive numbers")
        backend_of(args)  # an unknown name: before the file is imported
        fn = load_function(args.function)
        values = parse_at(args.at, fn)
        try:
            with redirect_stdout(sys.stderr):  # the function's prints: not in the report
                checks = _compare(fn, values, args)
        except (CliError, S2sadError):
            raise
        except Exception as exc:  # noqa: BLE001 - the user's function failed at --at
            raise user_failure(exc, fn) from None
        text, verdict["ok"] = report(fn, values, checks, args.tol, args.eps)
        return text

    status = report_errors(work)
    return status if status or verdict.get("ok", True) else 1


def _compare(fn, values: tuple, args) -> list:
    """The comparisons for ``--wrt``; by default every number, or only the floating ones
    when an integer turns out to be a count or an index (as ``s2sad trace`` does)."""
    from ..api.checking import compare_derivatives
    from ..errors import NonDifferentiableError
    from ..values import is_float_like, is_integer_like

    options = {"eps": args.eps, "seed": args.seed, "backend": args.backend}
    if args.wrt:
        return compare_derivatives(fn, *values, wrt=parse_wrt(args.wrt), **options)
    floats = tuple(i for i, v in enumerate(values) if is_float_like(v))
    numbers = tuple(i for i, v in enumerate(values) if is_float_like(v) or is_integer_like(v))
    if numbers != floats:
        try:
            return compare_derivatives(fn, *values, wrt=numbers, **options)
        except NonDifferentiableError:
            pass
    if not floats:
        raise CliError("--at gives no number to differentiate; pass floats (2.0) or name "
                       "them with --wrt")
    return compare_derivatives(fn, *values, wrt=floats, **options)


def report(fn, values: tuple, checks: list, tol: float, eps: float) -> tuple:
    """The table of worst relative errors per argument and mode, and whether all pass."""
    import inspect

    try:
        names = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        names = [f"argument {i}" for i in range(len(values))]
    rows = [("argument", "reverse (grad/vjp)", "forward (jvp)")]
    worst = max(checks, key=lambda c: _error(c.relative), default=None)
    for position, value in enumerate(values):
        name = names[position] if position < len(names) else f"argument {position}"
        mine = {c.mode: c.relative for c in checks if c.position == position}
        if mine:
            rows.append((name, f"{mine['reverse']:.1e}", f"{mine['forward']:.1e}"))
        else:
            rows.append((name, f"not differentiated ({_kind(value)})", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    lines = [f"relative errors of {getattr(fn, '__name__', 'f')}'s derivatives against central "
             f"finite differences (eps {eps:g})"]
    lines += ["  " + "  ".join([row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2]])
              .rstrip() for row in rows]
    if worst is None:
        lines.append("nothing differentiated")
        return "\n".join(lines) + "\n", True
    ok = _error(worst.relative) <= tol
    verdict = "ok" if ok else "FAILED"
    sign = "<=" if ok else ">"
    lines.append(f"{verdict}: worst relative error {worst.relative:.1e} {sign} tol {tol:g}")
    lines.append(f"  {worst.name}, {worst.mode} mode: s2sad {worst.got:.10g}, finite "
                 f"differences {worst.expected:.10g}")
    if not ok and abs(worst.got - worst.expected) <= NOISE_FACTOR * worst.noise:
        floor = worst.noise / max(abs(worst.expected), 1e-300)
        lines.append(f"note: rounding in f's values may put the finite differences off by about "
                     f"{floor:.0e} here;\n      try a larger --eps (1e-4, 1e-2) or a --tol "
                     f"above that")
    return "\n".join(lines) + "\n", ok


def _error(relative: float) -> float:
    """A relative error to compare: NaN (a derivative or difference that is not a number)
    counts as infinitely wrong."""
    return relative if relative == relative else float("inf")


def _kind(value) -> str:
    if isinstance(value, np.ndarray):
        return f"{value.dtype} array"
    return type(value).__name__
