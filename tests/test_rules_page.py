"""docs/rules.md is generated from the registry (scripts/rules_page.py) and must be current."""

import importlib.util
import re
from pathlib import Path

import pytest

from s2sad.rules import REGISTRY

# The page lists SciPy's functions: it is generated, and checked, with SciPy installed (CI).
pytest.importorskip("scipy")

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def _script(name):
    spec = importlib.util.spec_from_file_location(f"_test_script_{name}", SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def page():
    return _script("rules_page")


def _built_in():
    """The registered primitives of s2sad itself (not those a test registered by
    @s2sad.primitive, nor the opaque calls run as written)."""
    return [p for p in REGISTRY.by_name.values()
            if not getattr(p, "user", False) and not p.opaque]


def test_rules_page_is_current(page):
    assert page.check(), "docs/rules.md is stale: run python scripts/rules_page.py"


def test_every_family_primitive_is_found(page):
    found = {name for names in page.families().values() for name in names}
    missing = sorted(p.name for p in _built_in() if p.name not in found)
    assert not missing, f"primitives in no rules module: {missing}"


def test_every_registered_primitive_appears_on_the_page(page):
    text = page.PAGE.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    helpers = text[text.index("## Runtime helpers"):text.index("## Coverage")]
    objects, names = page._objects(), page._names_by_object()
    absent = []
    for prim in _built_in():
        spelled = page.spellings(prim, objects.get(prim.name, []), names)
        if spelled:
            first = f"| `{spelled[0]}`"
            if not any(row.startswith(first) for row in rows):
                absent.append(prim.name)
        elif f"`{prim.name}`" not in helpers:
            absent.append(prim.name)
    assert not absent, f"registered but not on docs/rules.md: {absent}"


def test_page_lists_aliases_methods_and_zero_derivatives(page):
    text = page.PAGE.read_text()
    row = next(line for line in text.splitlines() if line.startswith("| `np.amax`"))
    assert "`np.max`" in row and "`x.max()`" in row and "reverse / forward" in row
    row = next(line for line in text.splitlines() if line.startswith("| `np.floor`"))
    assert "zero derivative" in row
    row = next(line for line in text.splitlines() if line.startswith("| `np.where`"))
    assert "| `x`, `y` | `condition` |" in row


def test_coverage_on_the_page_matches_the_script(page):
    covered, missing = _script("coverage").coverage()
    text = page.PAGE.read_text()
    total = len(covered) + len(missing)
    assert f"**{len(covered)} of {total}**" in text
    listed = re.findall(r"^- `([\w.]+)`: ", text, flags=re.M)
    assert listed == [name for name, _ in missing]


def test_coverage_counts_piecewise_constant_functions_only_as_zero(page):
    cov = _script("coverage")
    assert cov.why_missing("numpy.floor", True) == ""
    assert cov.why_missing("numpy.floor", False) == "registered with a zero derivative"
    assert cov.why_missing("numpy.no_such_function", False).startswith("not in")
