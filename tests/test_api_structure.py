"""The API's shape (issue 11, items 5 and 6): a package of one job per module that reaches the
compiler only through ``s2sad.transform``; builds for a backend of their own; one parse, one
fence and one desugaring per function per build; one version number.
"""

import ast
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import s2sad
from s2sad import backends, runtime
from s2sad.api import build as api_build
from s2sad.backends import Backend
from s2sad.frontend import desugar as desugar_module
from s2sad.frontend import fence
from s2sad.frontend import parse as parse_module

API = Path(s2sad.__file__).parent / "api"
ROOT = Path(s2sad.__file__).parent.parent
COMPILER_STAGES = {"frontend", "lowering", "ir", "transforms"}
TOY = "api-structure-toy"


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def loss(w, x):
    return np.sum(sigmoid(x * w)) + sigmoid(w[0])


def first_above(x, t):
    for i in range(3):
        if x[i] > t:
            return x[i] * x[i]
    return x[0]


def calls_first_above_twice(x):
    return first_above(x, 0.5) + first_above(x * 2.0, 0.5)


def square_plus_sin(x):
    return x * x + np.sin(x)


def calls_and_differentiates(x):
    return square_plus_sin(x) * s2sad.grad(square_plus_sin)(x)


def sin_cos(x):
    return np.sin(x) * np.cos(x) + x


def numeric_derivative(f, x, eps=1e-6):
    return (f(x + eps) - f(x - eps)) / (2 * eps)


@pytest.fixture
def memory_only(monkeypatch):
    """No disk cache and empty memory caches: every build runs the pipeline."""
    monkeypatch.setenv("S2SAD_CACHE", "0")
    s2sad.clear_cache()
    yield
    s2sad.clear_cache()


@pytest.fixture
def counted(monkeypatch):
    """Counters of the front end's work, by function name: sources parsed, fence walks,
    desugarings."""
    counts = {"parse": Counter(), "fence": Counter(), "desugar": Counter()}
    real_parse, real_check, real_exit = (parse_module._parse, fence._check,
                                         desugar_module.single_exit)

    def parse(fn):
        counts["parse"][fn.__name__] += 1
        return real_parse(fn)

    def check(parsed, inlined):
        counts["fence"][parsed.node.name] += 1
        return real_check(parsed, inlined)

    def single_exit(fn, locate=None):
        counts["desugar"][fn.name] += 1
        return real_exit(fn, locate)

    monkeypatch.setattr(parse_module, "_parse", parse)
    monkeypatch.setattr(fence, "_check", check)
    monkeypatch.setattr(desugar_module, "single_exit", single_exit)
    return counts


@pytest.fixture
def toy():
    backend = backends.register(Backend(TOY, spellings={"sin": "math.sin", "cos": "math.cos"},
                                        modules={"math": math}, helpers=runtime.HELPERS))
    yield backend
    backends.unregister(TOY)


# ------------------------------------------------------------------------- the package
def _imported_modules(path: Path) -> list:
    """The s2sad modules `path` imports, as dotted names relative to the package root."""
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.append(node.module or "")
            else:  # from ..x import y inside s2sad/api/: relative to s2sad
                parts = ["s2sad", "api"][: 2 - (node.level - 1)]
                found.append(".".join([*parts, *(node.module or "").split(".")]))
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("path", sorted(API.glob("*.py")), ids=lambda p: p.name)
def test_the_api_reaches_the_compiler_only_through_transform(path):
    for name in _imported_modules(path):
        parts = name.split(".")
        assert not (parts[0] == "s2sad" and len(parts) > 1 and parts[1] in COMPILER_STAGES), (
            f"{path.name} imports {name}")


@pytest.mark.parametrize("path", sorted(API.glob("*.py")), ids=lambda p: p.name)
def test_each_api_module_and_function_is_small(path):
    text = path.read_text()
    assert len(text.splitlines()) <= 400
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            assert node.end_lineno - node.lineno + 1 <= 60, f"{path.name}: {node.name}"


def test_the_public_names_are_the_same():
    assert sorted(s2sad.__all__) == sorted([
        "CacheWarning", "Differentiable", "InternalError", "MissingRuleError", "NoSourceError",
        "NonDifferentiableError", "NonScalarOutputError", "S2sadError", "StaleSourceError",
        "UnsupportedSyntaxError", "check_grad", "checkpoint", "clear_cache", "defjvp", "defvjp",
        "differentiate", "elementwise_grad", "emit", "grad", "graph", "hessian", "hvp", "jacfwd",
        "jacobian", "jacrev", "jvp", "linearize", "primitive", "source", "stop_gradient", "trace",
        "value_and_grad", "vjp"])
    for name in s2sad.__all__:
        assert getattr(s2sad, name) is getattr(s2sad, name)  # each one is there
    assert s2sad.api.grad is s2sad.grad and s2sad.api.source is s2sad.source


def test_generated_lives_with_emit():
    from s2sad.backends.emit import Generated
    from s2sad.loading import loader
    from s2sad.transform import Request, generate, parse_function

    assert loader.Generated is Generated
    assert isinstance(generate(parse_function(sin_cos), Request("grad", ("x",))), Generated)


# ----------------------------------------------------------------------------- backends
def test_source_writes_for_the_backend_asked(toy, memory_only):
    text = s2sad.source(sin_cos, backend=TOY)
    assert "math.sin(" in text and "np.sin(" not in text
    # The numpy build is another build: the toy one is never served for it, nor back.
    assert "np.sin(" in s2sad.source(sin_cos)
    assert "math.sin(" in s2sad.source(sin_cos, backend=TOY)
    assert "math.cos(" in s2sad.source(sin_cos, mode="forward", backend=TOY)
    assert s2sad.differentiate(sin_cos).source(backend=TOY) == text


def test_the_build_memo_keeps_builds_for_each_backend_apart(toy, memory_only):
    numpy_built = api_build.build(sin_cos, "grad", 0)
    toy_built = api_build.build(sin_cos, "grad", 0, backend=TOY)
    assert toy_built is not numpy_built
    assert toy_built.loaded.meta["backend"] == TOY
    assert numpy_built.loaded.meta["backend"] == "numpy"
    assert api_build.build(sin_cos, "grad", 0) is numpy_built
    assert api_build.build(sin_cos, "grad", 0, backend=TOY) is toy_built
    x = 0.7
    assert toy_built.function(x) == pytest.approx(numpy_built.function(x), rel=1e-12)


def test_an_unknown_backend_is_refused_before_anything_is_parsed(counted):
    with pytest.raises(s2sad.S2sadError, match="unknown backend 'numba-ish'") as info:
        s2sad.source(sin_cos, backend="numba-ish")
    assert info.value.hint is not None and "numpy" in info.value.hint
    assert not counted["parse"]
    # Even for what has no source to read (which would be a NoSourceError otherwise).
    with pytest.raises(s2sad.S2sadError, match="unknown backend"):
        s2sad.source(len, backend="numba-ish")
    with pytest.raises(s2sad.S2sadError, match="unknown backend"):
        api_build.build(sin_cos, "vjp", 0, backend="numba-ish")
    assert not counted["parse"]


# ----------------------------------------------------------------- one parse per build
def test_one_build_parses_fences_and_desugars_each_function_once(memory_only, counted):
    w, x = np.array([0.2, -0.3]), np.array([1.0, 2.0])
    s2sad.grad(loss)(w, x)
    assert counted["parse"] == {"loss": 1, "sigmoid": 1}
    assert counted["fence"] == {"loss": 1, "sigmoid": 1}
    assert counted["desugar"] == {"loss": 1, "sigmoid": 1}


def test_a_second_build_parses_again():
    """The memo of parses lasts one build: a new build reads the source again (it may have
    changed, which the build's checks see)."""
    counts = Counter()
    real = parse_module._parse

    def parse(fn):
        counts[fn.__name__] += 1
        return real(fn)

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("S2SAD_CACHE", "0")
        patch.setattr(parse_module, "_parse", parse)
        s2sad.clear_cache()
        s2sad.source(loss, mode="forward")
        s2sad.source(loss, mode="vjp")
    s2sad.clear_cache()
    assert counts == {"loss": 2, "sigmoid": 2}


def test_a_callee_inlined_twice_shares_one_parse_and_stays_right(memory_only, counted):
    x = np.array([0.3, 0.6, 0.9])
    gradient = s2sad.grad(calls_first_above_twice)(x)
    assert counted["parse"]["first_above"] == 1
    assert counted["desugar"]["first_above"] == 1
    expected = [numeric_derivative(
        lambda v, i=i: calls_first_above_twice(np.where(np.arange(3) == i, v, x)), x[i])
        for i in range(3)]
    np.testing.assert_allclose(gradient, expected, rtol=1e-6, atol=1e-8)


def test_a_callee_both_called_and_differentiated_is_fenced_as_each(memory_only, counted):
    x = 0.4
    got = s2sad.grad(calls_and_differentiates)(x)
    assert counted["parse"]["square_plus_sin"] == 1
    # Once inlined at the call, once as a program of its own (s2sad.grad of it).
    assert counted["fence"]["square_plus_sin"] == 2
    assert got == pytest.approx(numeric_derivative(calls_and_differentiates, x), rel=1e-6)


def test_parsing_once_outside_a_build_parses_every_time(counted):
    parse_module.parse_function(sigmoid)
    parse_module.parse_function(sigmoid)
    assert counted["parse"]["sigmoid"] == 2
    with parse_module.parsing_once():
        first = parse_module.parse_function(sigmoid)
        assert parse_module.parse_function(sigmoid) is first
        with parse_module.parsing_once(fresh=True):
            assert parse_module.parse_function(sigmoid) is not first
    assert counted["parse"]["sigmoid"] == 4


# ------------------------------------------------------------------------------ version
def test_the_version_has_one_home():
    from s2sad.loading import diskcache, loader
    from s2sad.version import __version__

    assert s2sad.__version__ == __version__
    assert diskcache.__version__ == __version__ and loader.__version__ == __version__


def test_the_packaging_reads_the_version_from_the_package():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" in project["project"]["dynamic"]
    assert "version" not in project["project"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "s2sad.version.__version__"}
