"""Backends: the same IR spelled for another target, compiled with that target's one table.

A toy backend, registered for the tests of this file only, writes ``np.sin`` / ``np.cos`` as
``math.sin`` / ``math.cos`` and gives generated code ``math`` and the runtime helpers, but no
``np``: scalar code must then compute the same numbers as the NumPy backend's.
"""

import math
import types
from pathlib import Path

import numpy as np
import pytest
from cf_corpus import branch_if_else, loop_polynomial, loop_while
from seed_functions import lecture_f, neuron_loss

import s2sad
from s2sad import backends, runtime
from s2sad.backends import NUMPY, Backend, get_backend
from s2sad.backends.emit import to_source
from s2sad.loading import loader
from s2sad.transform import Request, generate, lower, parse_function

GOLDEN = Path(__file__).parent / "golden"
TOY = "math-toy"


def sin_cos(x):
    return np.sin(x) * np.cos(x) + x


def looped(x, n):
    s = 0.0
    for _ in range(n):
        s = np.sin(s * x) + np.cos(x)
    return s


@pytest.fixture
def toy():
    backend = backends.register(Backend(TOY, spellings={"sin": "math.sin", "cos": "math.cos"},
                                        modules={"math": math}, helpers=runtime.HELPERS))
    yield backend
    backends.unregister(TOY)
    assert TOY not in backends.BACKENDS


def _build(fn, mode, wrt, backend="numpy"):
    return generate(parse_function(fn), Request(mode, wrt, backend=backend))


def _factory_params(function) -> list:
    """The names compile_generated bound once for `function`: the parameters of the factory
    it was compiled in (whose code holds `function`'s code)."""
    (factory,) = [code for code in loader._compiled.values()
                  if any(const is function.__code__ for const in code.co_consts)]
    return list(factory.co_varnames[:factory.co_argcount])


# ------------------------------------------------------------------------ the NumPy backend
@pytest.mark.parametrize("golden, fn, mode, wrt", [
    ("lecture_ssa", lecture_f, "ssa", ()),
    ("lecture_grad", lecture_f, "grad", ("x1", "x2")),
    ("lecture_vjp", lecture_f, "vjp", ("x1", "x2")),
    ("lecture_jvp", lecture_f, "jvp", ("x1", "x2")),
    ("neuron_grad", neuron_loss, "grad", ("w", "b")),
    ("loop_grad", loop_polynomial, "grad", ("x",)),
    ("while_grad", loop_while, "grad", ("x",)),
    ("branch_grad", branch_if_else, "grad", ("x",)),
])
def test_numpy_backend_output_is_byte_identical_to_the_golden_files(golden, fn, mode, wrt):
    generated = generate(parse_function(fn), Request(mode, wrt))
    assert generated.source == (GOLDEN / f"{golden}.py").read_text()
    assert generated.meta["backend"] == "numpy"
    ir = lower(parse_function(fn))
    assert to_source(ir) == to_source(ir, NUMPY) == to_source(ir, "numpy")


def test_numpy_backend_spells_each_primitive_as_it_is_bound():
    from s2sad.rules import REGISTRY

    assert dict(NUMPY.spellings) == {}
    for prim in REGISTRY.by_name.values():
        assert NUMPY.spelling(prim) == prim.spelling
    assert get_backend() is get_backend("numpy") is NUMPY


def test_the_loaders_namespace_is_the_numpy_backends_table():
    assert loader.base_namespace() == NUMPY.namespace()
    table = NUMPY.namespace()
    assert table["np"] is np and table["math"] is math
    assert set(runtime.HELPERS) <= set(table)


def test_user_primitives_enter_the_table_when_they_are_registered():
    @s2sad.primitive
    def softplus_b(x):
        return np.log1p(np.exp(x))

    s2sad.defvjp(softplus_b, x="g * (1.0 - np.exp(-ans))")
    assert NUMPY.namespace()["softplus_b"] is softplus_b
    assert NUMPY.lookup("softplus_b") is softplus_b


# ------------------------------------------------------------------------ another backend
def test_a_toy_backend_spells_the_same_ir_differently(toy):
    ir = lower(parse_function(sin_cos))
    numpy_text, toy_text = to_source(ir), to_source(ir, toy)
    assert numpy_text != toy_text
    assert "math.sin(x)" in toy_text and "math.cos(x)" in toy_text and "np." not in toy_text
    assert numpy_text.replace("np.sin", "math.sin").replace("np.cos", "math.cos") == toy_text
    assert to_source(ir, TOY) == toy_text  # by name, and deterministic
    assert to_source(ir) == numpy_text  # the other backend left the default alone


@pytest.mark.parametrize("fn, args, wrt", [
    (sin_cos, (0.7,), ("x",)),
    (looped, (0.3, 4), ("x",)),
])
@pytest.mark.parametrize("mode", ["ssa", "grad", "jvp"])
def test_toy_backend_code_compiles_and_gives_the_numpy_backends_numbers(toy, fn, args, wrt,
                                                                       mode):
    wrt = () if mode == "ssa" else wrt
    expected = loader.compile_generated(_build(fn, mode, wrt), {}).function
    generated = _build(fn, mode, wrt, TOY)
    assert generated.meta["backend"] == TOY
    assert "np." not in generated.source
    function = loader.compile_generated(generated, {}).function
    call = args + ((1.0,) if mode == "jvp" else ())
    got, want = function(*call), expected(*call)
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float),
                               rtol=1e-12)


def test_toy_backend_gradient_matches_the_calculus(toy):
    x = 0.7
    gradient = loader.compile_generated(_build(sin_cos, "grad", ("x",), TOY), {}).function
    assert gradient(x) == pytest.approx(math.cos(2 * x) + 1.0, rel=1e-12)


def test_generated_code_is_compiled_with_exactly_the_backends_table(toy):
    loaded = loader.compile_generated(_build(sin_cos, "grad", ("x",), TOY), {})
    assert _factory_params(loaded.function) == sorted(toy.namespace())
    table = toy.namespace()
    code = loaded.function.__code__
    for name, cell in zip(code.co_freevars, loaded.function.__closure__):
        assert cell.cell_contents is table[name]
    assert "np" not in code.co_freevars and "np" not in table

    numpy_loaded = loader.compile_generated(_build(sin_cos, "grad", ("x",)), {"c": 2.0})
    assert _factory_params(numpy_loaded.function) == sorted({*NUMPY.namespace(), "c"})


def test_the_table_is_consulted_when_code_is_compiled(toy):
    """A backend whose ``math`` is a stand-in: the compiled code calls the stand-in."""
    calls = []

    def traced(name):
        def fn(x):
            calls.append(name)
            return getattr(math, name)(x)
        return fn

    fake = types.SimpleNamespace(sin=traced("sin"), cos=traced("cos"))
    spy = toy.extend("math-spy", modules={"math": fake})
    backends.register(spy)
    try:
        assert spy.spellings == toy.spellings and spy.helpers is toy.helpers
        generated = _build(sin_cos, "ssa", (), "math-spy")
        value = loader.compile_generated(generated, {}).function(0.5)
    finally:
        backends.unregister("math-spy")
    assert value == pytest.approx(math.sin(0.5) * math.cos(0.5) + 0.5)
    assert calls == ["sin", "cos"]


def test_the_request_key_carries_the_backend(toy):
    default, other = Request("grad", ("x",)), Request("grad", ("x",), backend=TOY)
    assert default.backend == "numpy" and "numpy" in default.key()
    assert default.key() != other.key()
    assert loader.disk_key(("h", default.key())) != loader.disk_key(("h", other.key()))


def test_an_unknown_backend_is_a_clear_error():
    with pytest.raises(s2sad.S2sadError, match="unknown backend 'numba-ish'") as info:
        Request("grad", ("x",), backend="numba-ish")
    assert info.value.hint is not None and "numpy" in info.value.hint
    with pytest.raises(s2sad.S2sadError, match="unknown backend"):
        to_source(lower(parse_function(sin_cos)), "numba-ish")
    with pytest.raises(s2sad.S2sadError, match="unknown backend"):
        loader.base_namespace("numba-ish")


def test_backends_register_once_and_the_default_stays(toy):
    with pytest.raises(ValueError, match="registered already"):
        backends.register(Backend(TOY))
    assert backends.register(toy) is toy  # the same one again is harmless
    with pytest.raises(ValueError, match="cannot be unregistered"):
        backends.unregister("numpy")
