"""What the verbs share: the examples of ``--help``, finding a function by its address, parsing
``--wrt`` and ``--at``, the ``--backend`` option, and running a verb's work with errors printed
as one line."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys

EXAMPLES = """\
examples:
  s2sad show examples/lecture.py:f                 adjoint (gradient) code of f
  s2sad show examples/lecture.py:f --wrt x1,x2     gradient with respect to x1 and x2
  s2sad show examples/lecture.py:f --ssa           the SSA trace of f itself
  s2sad show examples/lecture.py:f --no-optimize   the adjoint before optimization
  s2sad show examples/lecture.py:f --teaching      forward and reverse sweeps, for a student
  s2sad show examples/lecture.py:f --mode forward  tangent (forward-mode) code
  s2sad show mypackage.model:loss --mode vjp       vector-Jacobian product code
  s2sad show examples/loops.py:huber --backend numba  the code numba compiles
  s2sad trace examples/lecture.py:f --at 2,5       forward, tangent and adjoint tables
  s2sad trace examples/lecture.py:f --at 2,5 --format markdown  as Markdown tables
  s2sad graph examples/lecture.py:f                the computational graph (Graphviz DOT)
  s2sad graph examples/lecture.py:f --at 2,5       ... with values and adjoints on the nodes
  s2sad graph examples/lecture.py:f --png f.png    ... drawn by Graphviz (when installed)
  s2sad check examples/lecture.py:f --at 2,5       derivatives vs finite differences
  s2sad check examples/lecture.py:f --at 2.0,5.0 --backend numba  ... compiled with numba
  s2sad emit examples/lecture.py:f --out g.py      f and f_grad in g.py, which needs NumPy only
  s2sad cache info                                 the disk cache: folder, entries, key
  s2sad cache clear                                remove every cached derivative
"""



def examples_of(verb: str) -> str:
    """The lines of :data:`EXAMPLES` that use `verb`, for that verb's ``--help``."""
    lines = [line for line in EXAMPLES.splitlines()[1:] if line.split()[1] == verb]
    return "\n".join(["examples:", *lines]) + "\n"

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


def add_backend_option(parser, what: str) -> None:
    """``--backend NAME``: the backend `what` is written for (the names registered when the
    parser is made are listed; an unknown one is refused by :func:`backend_of`)."""
    from ..backends import BACKENDS, DEFAULT

    names = ", ".join(sorted(BACKENDS))
    parser.add_argument("--backend", metavar="NAME", default=DEFAULT,
                        help=f"the backend {what} is written for: {names} (default {DEFAULT})")


def backend_of(args) -> str:
    """The backend ``--backend`` names; an unknown one is an S2sadError listing the known
    ones (exit status 1, as for any error s2sad reports)."""
    from ..backends import get_backend

    return get_backend(args.backend).name


def parse_wrt(text: str | None):
    if not text:
        return 0
    items = [item.strip() for item in text.split(",") if item.strip()]
    parsed = tuple(int(i) if i.lstrip("-").isdigit() else i for i in items)
    return parsed[0] if len(parsed) == 1 else parsed


def report_errors(work) -> int:
    """Run `work` (returns the text to print); usage errors exit 2, s2sad's errors 1."""
    from ..errors import S2sadError

    try:
        text = work()
    except CliError as exc:
        print(f"s2sad: error: {exc}", file=sys.stderr)
        return 2
    except S2sadError as exc:
        print(f"s2sad: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(text)
    return 0
