"""The README shows real output: its generated-code blocks are what s2sad prints today, its
tour runs and computes what its comments say, and its links work from the PyPI page."""

import ast
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()

LOOP = '''def f(x, n):
    s = 0.0
    for i in range(n):
        s = s * x + 1.0
    return s
'''


def show(*args, cwd=ROOT):
    done = subprocess.run([sys.executable, "-m", "s2sad", "show", *args], cwd=cwd,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_readme_shows_the_real_lecture_gradient_code():
    assert show("examples/lecture.py:f", "--wrt", "x1,x2") in README


def test_readme_shows_the_real_loop_gradient_code(tmp_path):
    (tmp_path / "f.py").write_text(LOOP)
    assert LOOP.strip() in README
    assert show("f.py:f", cwd=tmp_path) in README


# The 30-second tour: it runs as pasted, and the values its comments give are what it computes.

def tour_source():
    """The python block after the README's <!-- tour --> marker."""
    match = re.search(r"<!-- tour -->\n```python\n(.*?)^```", README, re.S | re.M)
    assert match, "README.md has no <!-- tour --> python block"
    return match.group(1)


def test_readme_tour_runs_as_pasted_into_a_file(tmp_path):
    (tmp_path / "tour.py").write_text(tour_source())
    done = subprocess.run([sys.executable, "tour.py"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "def f_grad(x1, x2):" in done.stdout and "def loss_grad(w, x, y):" in done.stdout


NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:\.\.\.)?")


def flatten(value):
    if isinstance(value, (tuple, list)):
        return [item for part in value for item in flatten(part)]
    return [float(item) for item in np.ravel(value)]


def agrees(got, written):
    """`written` is exact, or with a trailing '...' rounded to the digits it shows."""
    if written.endswith("..."):
        digits = written[:-3].partition(".")[2]
        return abs(got - float(written[:-3])) <= 10.0 ** -len(digits)
    return math.isclose(got, float(written), rel_tol=1e-12, abs_tol=1e-12)


def commented_values(path):
    """Run the tour (compiled from `path`, so s2sad can read the functions' source), then
    yield (expression, value, numbers written in its comment) for each commented line."""
    source = path.read_text()
    lines = source.splitlines()
    namespace = {"__name__": "tour"}
    exec(compile(source, str(path), "exec"), namespace)
    for statement in ast.parse(source).body:
        code, _, comment = lines[statement.end_lineno - 1].partition("  # ")
        expression, arrow, values = comment.partition(" -> ")
        if not arrow:
            expression, values = code.strip(), comment
        values = re.match(r"[-\d.,() ]*", values).group(0)
        if isinstance(statement, (ast.Expr, ast.Assign)) and re.search(r"\d", values):
            value = eval(compile(expression.strip(), str(path), "eval"), namespace)
            yield expression.strip(), value, NUMBER.findall(values)


def test_readme_tour_comments_give_the_values_it_computes(tmp_path, capsys):
    path = tmp_path / "tour.py"
    path.write_text(tour_source())
    checked = 0
    for expression, value, written in commented_values(path):
        got = flatten(value)
        assert len(got) == len(written), (expression, got, written)
        for g, w in zip(got, written):
            assert agrees(g, w), f"{expression} gives {got}, its comment says {written}"
        checked += 1
    assert checked >= 6  # grad, grad wrt both, value_and_grad, vjp_fn, jvp, hessian
    capsys.readouterr()


def test_readme_tour_gradient_comment_is_the_formula(tmp_path, capsys):
    path = tmp_path / "tour.py"
    path.write_text(tour_source())
    namespace = {"__name__": "tour"}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    capsys.readouterr()
    w, x, y = namespace["w"], namespace["x"], namespace["y"]
    np.testing.assert_allclose(namespace["loss"].grad(w, x, y),
                               2 * x.T @ (x @ w - y) / len(y), rtol=1e-13)


# Links: PyPI shows the README without the repository, so README links are absolute URLs into
# the repository named in pyproject.toml; docs pages link to each other relatively. Both kinds
# must name a file that exists.

REPOSITORY = re.search(r'^Repository = "([^"]+)"', (ROOT / "pyproject.toml").read_text(),
                       re.M).group(1)
LINK = re.compile(r"\]\(([^)\s]+)\)")


def links(page):
    """The link targets of a markdown page, outside its code blocks."""
    text = re.sub(r"^( *)```.*?^\1```", "", page.read_text(), flags=re.S | re.M)
    return LINK.findall(text)


def test_readme_links_are_absolute_urls_of_files_in_the_repository():
    targets = links(ROOT / "README.md")
    assert len(targets) >= 10
    for target in targets:
        assert target.startswith(REPOSITORY + "/"), f"README link {target} is not absolute"
        kind, _, path = target[len(REPOSITORY) + 1:].partition("/main/")
        assert kind in ("blob", "tree"), target
        path = path.partition("#")[0]
        assert (ROOT / path).is_file() if kind == "blob" else (ROOT / path).is_dir(), target


DOCS = sorted((ROOT / "docs").rglob("*.md"))


@pytest.mark.parametrize("page", DOCS, ids=[str(p.relative_to(ROOT)) for p in DOCS])
def test_docs_relative_links_name_files_that_exist(page):
    for target in links(page):
        if target.startswith(("http://", "https://", "#")):
            continue
        path = target.partition("#")[0]
        assert (page.parent / path).exists(), f"{page.name} links to missing {target}"
