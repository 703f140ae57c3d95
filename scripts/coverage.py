"""How many of the functions autograd differentiates s2sad covers, in both modes.

    python scripts/coverage.py

Reads ``autograd_functions.txt`` (dotted names such as ``numpy.linalg.norm`` or
``scipy.stats.norm.logpdf``), imports each object and looks it up in s2sad's registry. A
function is covered when its primitive has a reverse (VJP) and a forward (JVP) rule for every
differentiable argument, or when it is piecewise constant (the list's "piecewise constant"
section) and its primitive has a zero derivative. Prints the count and the missing functions
with the reason; docs/rules.md shows the same (scripts/rules_page.py).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIST = Path(__file__).with_name("autograd_functions.txt")
CONSTANT_SECTION = "# piecewise constant (zero derivative)"
sys.path.insert(0, str(ROOT))

from s2sad.rules import REGISTRY  # noqa: E402


def read_list(path: Path = LIST) -> list[tuple[str, bool]]:
    """(name, piecewise constant) for each name of the list, in its order."""
    out, constant = [], False
    for line in path.read_text().splitlines():
        line = line.strip()
        if line.startswith("#"):  # a comment starts a section
            constant = line == CONSTANT_SECTION
        elif line:
            out.append((line, constant))
    return out


def resolve(name: str):
    """The object a dotted name denotes (the longest importable module, then attributes), or
    None if this NumPy / SciPy has no such thing."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def differentiable_args(prim) -> list[str]:
    """The arguments a derivative flows through: those with a rule in either mode (the
    condition of np.where has none: it is a mask)."""
    if getattr(prim, "vjp_all", None) or getattr(prim, "jvp_all", None):
        return list(prim.argnames)
    return [arg for arg in prim.argnames if arg in prim.vjp or arg in prim.jvp]


def has_rules(prim, kind: str) -> bool:
    """Whether `prim` has `kind` ('vjp' or 'jvp') rules for all its differentiable arguments.
    forward.py differentiates np.array([a, b]) (form 'array') element by element itself."""
    if getattr(prim, f"{kind}_all", None) or (kind == "jvp" and prim.form == "array"):
        return True
    args = differentiable_args(prim)
    return bool(args) and all(arg in getattr(prim, kind) for arg in args)


def why_missing(name: str, piecewise_constant: bool) -> str:
    """'' if `name` is covered in both modes, else the reason it is not."""
    obj = resolve(name)
    if obj is None:
        return "not in the installed NumPy / SciPy"
    prim = REGISTRY.lookup(obj)
    if prim is None or prim.opaque:
        return "no rule"
    if not prim.differentiable:
        return "" if piecewise_constant else "registered with a zero derivative"
    lacking = [mode for kind, mode in (("vjp", "reverse"), ("jvp", "forward"))
               if not has_rules(prim, kind)]
    return f"no {' or '.join(lacking)} rule" if lacking else ""


def coverage(path: Path = LIST) -> tuple[list[str], list[tuple[str, str]]]:
    """(covered names, [(missing name, reason)]), each sorted."""
    covered, missing = [], []
    for name, constant in read_list(path):
        reason = why_missing(name, constant)
        if reason:
            missing.append((name, reason))
        else:
            covered.append(name)
    return sorted(covered), sorted(missing)


def main() -> int:
    covered, missing = coverage()
    total = len(covered) + len(missing)
    print(f"s2sad covers {len(covered)} of the {total} functions autograd differentiates "
          f"({100 * len(covered) / total:.0f} %), in both modes.")
    if missing:
        print(f"missing ({len(missing)}):")
        for name, reason in missing:
            print(f"  {name}: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
