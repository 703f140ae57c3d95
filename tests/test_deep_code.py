"""Deep and long code that Python compiles transforms: long sums, deeply nested calls and
negations, long chains of comparisons and boolean operators, in reverse and forward mode. Code
deeper than s2sad transforms is refused with a located UnsupportedSyntaxError, never a
RecursionError; Python's recursion limit is the same after a transform as before.

Each function is generated as source text into a module of its own (in a temporary folder), as
a user's file would hold it.
"""

import importlib.util
import sys
import threading
import time

import numpy as np
import pytest

import s2sad
from s2sad.errors import MAX_NESTING


@pytest.fixture
def load(tmp_path, monkeypatch):
    """load(name, body) -> the function `f` of a new module holding `body` after numpy's
    import; the module leaves sys.modules with the test."""

    def load_module(name, body):
        path = tmp_path / f"{name}.py"
        path.write_text("import numpy as np\n\n\n" + body)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, name, module)
        spec.loader.exec_module(module)
        return module.f

    return load_module


def _both_modes(f, x):
    """(gradient, (value, tangent)) of `f` at `x`: reverse and forward mode."""
    return s2sad.grad(f)(x), s2sad.jvp(f, (x,), (np.ones_like(x),))


def test_a_2000_term_sum_transforms_in_both_modes(load):
    n = 2000
    f = load("deep_sum_2000", "def f(x):\n    return "
             + " + ".join(f"x * {i}.0" for i in range(1, n + 1)) + "\n")
    start = time.perf_counter()
    grad, (value, tangent) = _both_modes(f, 0.5)
    elapsed = time.perf_counter() - start
    total = n * (n + 1) / 2
    assert grad == pytest.approx(total)
    assert value == pytest.approx(0.5 * total)
    assert tangent == pytest.approx(total)
    assert elapsed < 120, f"the two transforms took {elapsed:.1f} s"


def test_a_long_sum_of_calls_on_an_array(load):
    n = 300
    f = load("deep_sum_calls", "def f(x):\n    return np.sum("
             + " + ".join(f"np.sin(x * {i}.0)" for i in range(1, n + 1)) + ")\n")
    x = np.array([0.1, -0.3, 0.7])
    weights = np.arange(1.0, n + 1)
    expected = (weights[:, None] * np.cos(weights[:, None] * x)).sum(axis=0)
    grad, (value, tangent) = _both_modes(f, x)
    np.testing.assert_allclose(grad, expected, rtol=1e-10)
    np.testing.assert_allclose(value, np.sin(weights[:, None] * x).sum(), rtol=1e-10)
    np.testing.assert_allclose(tangent, expected.sum(), rtol=1e-10)


def test_calls_nested_as_deep_as_python_allows(load):
    # Python's parser accepts at most 200 nested parentheses.
    depth = 199
    f = load("deep_sin", "def f(x):\n    return " + "np.sin(" * depth + "x" + ")" * depth + "\n")
    x = 0.8
    value, derivative = x, 1.0
    for _ in range(depth):
        derivative *= np.cos(value)
        value = np.sin(value)
    grad, (primal, tangent) = _both_modes(f, x)
    assert grad == pytest.approx(derivative, rel=1e-12)
    assert primal == pytest.approx(value, rel=1e-12)
    assert tangent == pytest.approx(derivative, rel=1e-12)


@pytest.mark.parametrize("depth", [500, 2000])
def test_deeply_nested_negations(load, depth):
    f = load(f"deep_neg_{depth}", "def f(x):\n    return " + "-" * depth + "(x * x)\n"
             "\n\ndef g(x):\n    return " + "-" * (depth + 1) + "np.exp(x)\n")
    sign = (-1) ** depth
    grad, (value, tangent) = _both_modes(f, 1.5)
    assert grad == sign * 3.0 and value == sign * 2.25 and tangent == sign * 3.0
    g = sys.modules[f"deep_neg_{depth}"].g
    assert s2sad.grad(g)(0.5) == pytest.approx(-sign * np.exp(0.5))


def test_long_chains_of_comparisons_and_boolean_operators(load):
    body = ("def f(x):\n"
            "    if " + " < ".join(["x"] + [f"{k}.0" for k in range(1, 301)]) + ":\n"
            "        y = x * 2.0\n"
            "    else:\n"
            "        y = x * 3.0\n"
            "    if " + " and ".join(f"x > {-k}.0" for k in range(300)) + ":\n"
            "        y = y * x\n"
            "    if " + " or ".join(f"x < {-k}.0" for k in range(1, 300)) + ":\n"
            "        y = y * 10.0\n"
            "    return y\n")
    f = load("deep_chains", body)
    # 0 < x < 1: y = 2 x^2; x >= 1: y = 3 x^2; x < -1: y = 20 x.
    for x, derivative in ((0.5, 2.0), (2.5, 15.0), (-1.5, 20.0)):
        grad, (value, tangent) = _both_modes(f, x)
        assert grad == pytest.approx(derivative)
        assert tangent == pytest.approx(derivative)
        assert value == pytest.approx(f(x))


def test_code_deeper_than_s2sad_transforms_is_refused_with_its_location(load):
    n = MAX_NESTING + 100
    f = load("too_deep", "def f(x):\n    y = x + 1.0\n    return "
             + " + ".join(["x"] * n) + "\n")
    with pytest.raises(s2sad.UnsupportedSyntaxError) as info:
        s2sad.grad(f)
    message = str(info.value)
    assert "levels deep" in message and f"at most {MAX_NESTING}" in message
    assert "too_deep.py:6:4" in message, message
    assert "      return x + x + x" in message
    assert "hint: split the expression over several assignments" in message


def test_the_recursion_limit_is_restored(load):
    f = load("deep_restore", "def f(x):\n    return " + "-" * 1500 + "x\n")
    before = sys.getrecursionlimit()
    assert s2sad.grad(f)(2.0) == 1.0
    assert sys.getrecursionlimit() == before


def test_deep_code_transforms_in_a_thread_with_a_small_stack(load):
    """A secondary thread's stack may be 512 KiB (macOS): the deep walks run on a stack of
    their own."""
    f = load("deep_thread", "def f(x):\n    return " + " + ".join(["x * x"] * 1200) + "\n")
    results = []

    def work():
        try:
            results.append(s2sad.grad(f)(0.5))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            results.append(exc)

    previous = threading.stack_size(512 * 1024)
    try:
        worker = threading.Thread(target=work)
        worker.start()
    finally:
        threading.stack_size(previous)
    worker.join()
    assert results == [pytest.approx(1200.0)]


def _chain_of_conditional_expressions(n):
    """x * k if x < k for k = 1 .. n - 1, else x * 1000.0: n - 1 nested branches."""
    return ("def f(x):\n    return "
            + " ".join(f"x * {k}.0 if x < {k}.0 else" for k in range(1, n)) + " x * 1000.0\n")


def test_a_chain_of_80_conditional_expressions_transforms(load):
    f = load("chain_80", _chain_of_conditional_expressions(80))
    for x, slope in ((0.5, 1.0), (40.5, 41.0), (200.0, 1000.0)):
        grad, (value, tangent) = _both_modes(f, x)
        assert grad == slope and tangent == slope and value == f(x)


def test_a_chain_of_conditional_expressions_too_deep_to_compile_is_refused(load):
    from s2sad.lowering.function import MAX_BLOCK_NESTING

    f = load("chain_120", _chain_of_conditional_expressions(120))
    for build in (s2sad.grad, lambda fn: s2sad.jvp(fn, (0.5,), (1.0,))):
        with pytest.raises(s2sad.UnsupportedSyntaxError) as info:
            build(f)
        err = info.value
        assert "branches and loops nest 119 levels deep" in err.message
        assert "np.where(condition, a, b)" in err.hint
        line = "    return " + _chain_of_conditional_expressions(120).splitlines()[1][11:]
        col = line.index(f"x * {MAX_BLOCK_NESTING + 1}.0 if")
        assert (err.location.line, err.location.col) == (5, col)
        assert err.location.filename.endswith("chain_120.py")


def test_a_long_attribute_chain_transforms(load):
    f = load("deep_attributes", "def f(x):\n    return np.sum(x" + ".T" * 1000 + " * x)\n")
    x = np.arange(6.0).reshape(2, 3)
    grad, (value, tangent) = _both_modes(f, x)
    np.testing.assert_allclose(grad, 2 * x)
    assert tangent == pytest.approx(2 * x.sum())
