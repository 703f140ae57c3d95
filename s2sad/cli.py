"""The command line: ``s2sad show FILE.py:FUNC`` prints generated derivative code, ``s2sad
cache info|clear`` looks after the disk cache.

Functions are addressed as ``path/to/file.py:FUNC`` or ``package.module:FUNC``. Errors print one
message with its location and hint, and exit with status 1 (2 for bad usage); never a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
import warnings

from .errors import S2sadError

EXAMPLES = """\
examples:
  s2sad show examples/lecture.py:f                 adjoint (gradient) code of f
  s2sad show examples/lecture.py:f --wrt x1,x2     gradient with respect to x1 and x2
  s2sad show examples/lecture.py:f --ssa           the SSA trace of f itself
  s2sad show examples/lecture.py:f --no-optimize   the adjoint before optimization
  s2sad show examples/lecture.py:f --mode forward  tangent (forward-mode) code
  s2sad show mypackage.model:loss --mode vjp       vector-Jacobian product code
  s2sad trace examples/lecture.py:f --at 2,5       forward values and adjoints at (2, 5)
  s2sad cache info                                 the disk cache: folder, entries, key
  s2sad cache clear                                remove every cached derivative
"""


class CliError(Exception):
    """A usage problem (bad address, missing file); printed without a traceback."""


def load_function(address: str):
    """The function named by ``FILE.py:FUNC`` or ``package.module:FUNC``."""
    if ":" not in address:
        raise CliError(f"expected FILE.py:FUNC or package.module:FUNC, got {address!r}")
    target, _, name = address.rpartition(":")
    if not target or not name:
        raise CliError(f"expected FILE.py:FUNC or package.module:FUNC, got {address!r}")
    if target.endswith(".py") or os.sep in target or "/" in target or os.path.exists(target):
        path = os.path.abspath(target)
        if not os.path.exists(path):
            raise CliError(f"no such file: {target}")
        if not os.path.isfile(path) or not path.endswith(".py"):
            raise CliError(f"{target} is not a Python file (FILE.py:FUNC)")
        module_name = "_s2sad_cli_" + os.path.splitext(os.path.basename(path))[0]
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        sys.path.insert(0, os.path.dirname(path))
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # noqa: BLE001 - the user's module failed to import
            raise CliError(f"importing {target} failed: {type(exc).__name__}: {exc}") from None
        finally:
            sys.path.pop(0)
    else:
        if os.getcwd() not in sys.path:  # the console script does not put it there itself
            sys.path.insert(0, os.getcwd())
        try:
            module = importlib.import_module(target)
        except Exception as exc:  # noqa: BLE001 - any failure of the user's module
            raise CliError(f"cannot import {target!r}: {type(exc).__name__}: {exc}") from None
    obj = module
    for part in name.split("."):
        if not hasattr(obj, part):
            raise CliError(f"{target} has no function {name!r}")
        obj = getattr(obj, part)
    return obj


def _wrt(text: str | None):
    if not text:
        return 0
    items = [item.strip() for item in text.split(",") if item.strip()]
    parsed = tuple(int(i) if i.lstrip("-").isdigit() else i for i in items)
    return parsed[0] if len(parsed) == 1 else parsed


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="s2sad", description="Source-to-source automatic differentiation for Python and "
        "NumPy: print the derivative code s2sad generates.", epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    show = sub.add_parser("show", help="print the generated code of a function",
                          epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    show.add_argument("function", help="FILE.py:FUNC or package.module:FUNC")
    show.add_argument("--mode", choices=("reverse", "forward", "vjp"), default="reverse",
                      help="reverse: gradient code (default); forward: tangent (JVP) code; "
                      "vjp: reverse mode with an explicit cotangent")
    show.add_argument("--wrt", help="comma-separated parameter names or positions (default 0)")
    show.add_argument("--ssa", action="store_true", help="print the SSA trace of the function")
    show.add_argument("--no-optimize", action="store_true", help="print unoptimized code")
    trace = sub.add_parser("trace", help="print the SSA trace with values and adjoints",
                           epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    trace.add_argument("function", help="FILE.py:FUNC or package.module:FUNC")
    trace.add_argument("--at", required=True,
                       help="comma-separated scalar arguments, e.g. --at 2,5")
    cache = sub.add_parser("cache", help="show or clear the disk cache of generated code",
                           epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    cache.add_argument("action", choices=("info", "clear"),
                       help="info: the folder, its entries and key; clear: remove the entries")
    return parser


def _cache_command(action: str) -> int:
    """``s2sad cache info`` / ``s2sad cache clear``."""
    from .loading import diskcache

    try:
        if action == "clear":
            folder, removed, freed = diskcache.clear()
            print(f"removed {removed} file{'s' * (removed != 1)} ({freed} bytes) from {folder}")
            return 0
        details = diskcache.info()
    except diskcache.FolderError as exc:
        print(f"s2sad: error: {exc}", file=sys.stderr)
        return 1
    age = f"{details['max_age_days']:g}"
    print(f"folder:   {details['folder']}\n"
          f"state:    {details['state']}\n"
          f"key:      {details['key']}\n"
          f"entries:  {details['entries']} ({details['bytes']} bytes)\n"
          f"other:    {details['other_versions']} entries of other s2sad versions, "
          f"{details['temporary']} temporary files\n"
          f"limits:   {details['max_bytes']} bytes (S2SAD_CACHE_MAX_BYTES), entries unused for "
          f"{age} days are removed (S2SAD_CACHE_MAX_AGE_DAYS)")
    return 0


def _point(text: str) -> tuple:
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise CliError(f"--at takes comma-separated numbers, got {text!r}") from None


def main(argv=None) -> int:
    """Entry point of the ``s2sad`` command; returns the exit status."""
    from . import api

    parser = build_parser()
    args = parser.parse_args(argv)
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        if args.command == "cache":
            return _cache_command(args.action)
        return _run(api, args)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """s2sad's own warnings (an unusable disk cache) as one line, like its errors."""
    text = str(message)
    if not text.startswith("s2sad"):
        text = f"{filename}:{lineno}: {category.__name__}: {text}"
    print(text, file=sys.stderr)


def _run(api, args) -> int:
    try:
        fn = load_function(args.function)
        if args.command == "trace":
            text = str(api.trace(fn, *_point(args.at))) + "\n"
        else:
            text = api.source(fn, mode=args.mode, wrt=_wrt(args.wrt),
                              optimize=not args.no_optimize, ssa=args.ssa)
    except CliError as exc:
        print(f"s2sad: error: {exc}", file=sys.stderr)
        return 2
    except S2sadError as exc:
        print(f"s2sad: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(text)
    return 0
