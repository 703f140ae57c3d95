"""The command line: ``s2sad VERB ...``. Each verb is one module of this package with a
``register(subparsers)`` that adds its parser and sets ``run`` (``args -> exit status``).

Functions are addressed as ``path/to/file.py:FUNC`` or ``package.module:FUNC``. Errors print one
message with its location and hint, and exit with status 1 (2 for bad usage); never a
traceback.
"""

from __future__ import annotations

import argparse
import sys
import warnings

from . import cache, check, emit, graph, show, trace
from .common import EXAMPLES, CliError, load_function

__all__ = ["CliError", "build_parser", "load_function", "main"]

VERBS = (show, trace, graph, check, emit, cache)


def build_parser() -> argparse.ArgumentParser:
    """The parser of every verb."""
    parser = argparse.ArgumentParser(
        prog="s2sad", description="Source-to-source automatic differentiation for Python and "
        "NumPy: print the derivative code s2sad generates.", epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for verb in VERBS:
        verb.register(sub)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``s2sad`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        return args.run(args)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """s2sad's own warnings (an unusable disk cache) as one line, like its errors."""
    text = str(message)
    if not text.startswith("s2sad"):
        text = f"{filename}:{lineno}: {category.__name__}: {text}"
    print(text, file=sys.stderr)
