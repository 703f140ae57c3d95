"""``s2sad emit FILE.py:FUNC``: write a derivative as a standalone module (NumPy only)."""

from __future__ import annotations

import argparse
import os

from ..errors import S2sadError
from .common import (
    CliError,
    add_backend_option,
    backend_of,
    examples_of,
    load_function,
    parse_wrt,
    report_errors,
)


def register(sub) -> None:
    """Add the ``emit`` verb to the subparsers `sub`."""
    emit = sub.add_parser(
        "emit", help="write a derivative as a module that needs NumPy only",
        epilog=examples_of("emit"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Write a Python module holding the function (its SSA trace) and its "
        "derivative, with the few helpers they call, importable without s2sad.")
    emit.add_argument("function", help="FILE.py:FUNC or package.module:FUNC")
    emit.add_argument("--mode", choices=("reverse", "forward", "vjp"), default="reverse",
                      help="reverse: gradient f_grad (default); forward: tangent f_jvp; "
                      "vjp: f_vjp with an explicit cotangent")
    emit.add_argument("--wrt", help="comma-separated parameter names or positions (default 0)")
    emit.add_argument("--out", help="the file to write (default: print the module)")
    add_backend_option(emit, "the module")
    emit.set_defaults(run=run)


def command_of(args) -> str:
    """The command line that makes this module, as the header quotes it."""
    parts = ["s2sad emit", args.function, "--mode", args.mode]
    if args.wrt:
        parts += ["--wrt", args.wrt]
    if args.out:
        parts += ["--out", args.out]
    return " ".join(parts)


def refuse_compiled(backend: str) -> None:
    """An emitted module needs NumPy alone: code for another backend (numba's, compiled by
    numba through helpers that live in s2sad) cannot be written as one, so it is refused."""
    if backend != "numpy":
        raise S2sadError(f"s2sad emit writes modules for the numpy backend only: the {backend} "
                         "backend's code runs through s2sad, which compiles it",
                         hint=f"print the {backend} code with s2sad show --backend {backend}, "
                         f"or call s2sad.grad(f, backend={backend!r}) from Python")


def run(args) -> int:
    """Write (or print) the module `args` asks for; returns the exit status."""
    from .. import api

    def work() -> str:
        refuse_compiled(backend_of(args))
        fn = load_function(args.function)
        text = api.emit(fn, mode=args.mode, wrt=parse_wrt(args.wrt), command=command_of(args))
        if not args.out:
            return text
        folder = os.path.dirname(os.path.abspath(args.out))
        if not os.path.isdir(folder):
            raise CliError(f"no such folder: {folder}")
        try:
            with open(args.out, "w", encoding="utf-8") as out:
                out.write(text)
        except OSError as exc:
            raise CliError(f"cannot write {args.out}: {exc.strerror or exc}") from None
        return f"wrote {args.out}\n"

    return report_errors(work)
