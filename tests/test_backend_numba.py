"""The numba backend: the control-flow corpus compiled with numba gives the NumPy backend's
numbers (to 1e-12); what it cannot compile is refused with an S2sadError saying what, never a
numba traceback; without numba installed, the error names the extra."""

import math
import sys

import numpy as np
import pytest
from cf_corpus import CORPUS
from fd import random_like

import s2sad
from s2sad.backends import numba as numba_backend
from s2sad.errors import S2sadError

pytest.importorskip("numba")

# Corpus programs the numba backend refuses, each with the reason its error gives: a change
# in what is supported shows up here.
ARRAYS = "arrays need the numpy backend"
REFUSED = {
    "branch_on_array_reduction": "a call of np.sum",
    "branch_string_flag": "a call of np.sum",
    "branch_where_elementwise": "a call of np.where",
    "loop_range_from_shape": "the attribute or method 'shape'",
    "loop_range_from_len": "a call of len",
    "loop_over_rows": "a call of len",
    "loop_enumerate": "a call of len",
    "loop_zip": "a call of len",
    "loop_carries_array": f"the operator @ ({ARRAYS})",
    "loop_fills_array": "a call of np.zeros",
    "loop_increments_array": "a call of np.zeros",
    "loop_list_append": "a list",
    "loop_list_stack": "reading the array 'M23'",
    "loop_running_max": "a call of len",
    "index_scalar_and_pairs": f"indexing ({ARRAYS})",
    "index_slices": f"indexing ({ARRAYS})",
    "index_with_integer_array": "a call of np.array",
    "index_negative": f"indexing ({ARRAYS})",
    "index_with_argmax": "a call of np.argmax",
    "index_variable": f"indexing ({ARRAYS})",
    "shapes_are_ints": "the attribute or method 'shape'",
    "integer_arithmetic_passes_through": "the attribute or method 'shape'",
    "call_other_module": f"the operator @ ({ARRAYS})",
    "call_methods": "a call of np.sum",
    "power_recursive": "a call of power_recursive",
    "halve_recursive": "a call of halve_recursive",
    "call_recursive": "a call of power_recursive",
    "index_with_list_literal": "a call of np.array",
}


def _points(refused: bool):
    for fn, points, wrt in CORPUS:
        if (fn.__name__ in REFUSED) == refused:
            for k, point in enumerate(points):
                yield pytest.param(fn, point, wrt, id=f"{fn.__name__}-{k}")


SUPPORTED = list(_points(refused=False))


def test_the_corpus_is_mostly_supported():
    names = {fn.__name__ for fn, _, _ in CORPUS}
    assert set(REFUSED) <= names  # no stale entry
    assert len(names) - len(REFUSED) >= 40 and len(SUPPORTED) >= 70


def _close(got, expected):
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("fn, point, wrt", SUPPORTED)
def test_reverse_mode_gives_the_numpy_backends_numbers(fn, point, wrt, rng):
    value, vjp_fn = s2sad.vjp(fn, *point, wrt=wrt, backend="numba")
    expected, numpy_vjp = s2sad.vjp(fn, *point, wrt=wrt)
    _close(value, expected)
    cotangent = random_like(rng, expected)
    grads, numpy_grads = vjp_fn(cotangent), numpy_vjp(cotangent)
    assert len(grads) == len(numpy_grads) == len(wrt)
    for g, e in zip(grads, numpy_grads):
        _close(g, e)


@pytest.mark.parametrize("fn, point, wrt", SUPPORTED)
def test_forward_mode_gives_the_numpy_backends_numbers(fn, point, wrt, rng):
    tangents = [random_like(rng, p) if i in wrt else None for i, p in enumerate(point)]
    value, tangent = s2sad.jvp(fn, point, tangents, backend="numba")
    expected, numpy_tangent = s2sad.jvp(fn, point, tangents)
    _close(value, expected)
    _close(tangent, numpy_tangent)


@pytest.mark.parametrize("fn, point, wrt", list(_points(refused=True)))
def test_what_numba_cannot_compile_is_refused_when_built(fn, point, wrt):
    with pytest.raises(S2sadError) as info:
        s2sad.vjp(fn, *point, wrt=wrt, backend="numba")
    error = info.value
    assert error.message.startswith("the numba backend cannot compile "), error.message
    assert REFUSED[fn.__name__] in error.message
    assert "backend='numpy'" in error.hint
    assert error.__cause__ is None and "numba.core" not in str(error)


# ---- the workloads of the benchmark: a scalar loop, and one with a data-dependent branch
def poly(x, n):
    s = 0.0
    for i in range(n):  # noqa: B007
        s = s * x + 1.0
    return s


def clipped(x, n):
    s = 0.0
    for i in range(n):  # noqa: B007
        if s < 1.0:
            s = s + x * x
        else:
            s = s * x
    return s


def newton_sqrt(a):
    """A while loop whose trip count depends on the data, with a break."""
    x = a
    while True:
        x_next = 0.5 * (x + a / x)
        if abs(x_next - x) < 1e-12:
            break
        x = x_next
    return x


@pytest.mark.parametrize("fn", [poly, clipped])
@pytest.mark.parametrize("n", [0, 1, 7, 1000])
def test_loop_gradients_match_the_numpy_backend(fn, n):
    got = s2sad.grad(fn, backend="numba")(0.9, n)
    assert type(got) is float
    _close(got, s2sad.grad(fn)(0.9, n))
    value, gradient = s2sad.value_and_grad(fn, backend="numba")(0.9, n)
    _close(value, fn(0.9, n))
    _close(gradient, got)


def test_poly_gradient_is_the_derivative_of_the_geometric_sum():
    # poly(x, n) = 1 + x + ... + x**(n-1), whose derivative is sum(k x**(k-1))
    x, n = 0.7, 12
    expected = sum(k * x ** (k - 1) for k in range(1, n))
    assert s2sad.grad(poly, backend="numba")(x, n) == pytest.approx(expected, rel=1e-14)


def test_a_data_dependent_while_loop_with_break():
    g = s2sad.grad(newton_sqrt, backend="numba")
    for a in (0.3, 2.0, 50.0):
        assert g(a) == pytest.approx(0.5 / math.sqrt(a), rel=1e-9)


def test_hessian_and_jvp_of_a_loop_on_the_numba_backend():
    h = s2sad.hessian(clipped, backend="numba")(0.9, 10)
    _close(h, s2sad.hessian(clipped)(0.9, 10))
    _, tangent = s2sad.jvp(clipped, (0.9, 10), (1.0, None), backend="numba")
    _close(tangent, s2sad.grad(clipped)(0.9, 10))


def test_several_parameters_and_math_functions():
    def f(x, y):
        return math.sin(x) * y + np.exp(x * y) / y - np.tanh(x)

    got = s2sad.grad(f, (0, 1), backend="numba")(0.3, 1.7)
    expected = s2sad.grad(f, (0, 1))(0.3, 1.7)
    for g, e in zip(got, expected):
        _close(g, e)
    _close(s2sad.hessian(f, (0, 1), backend="numba")(0.3, 1.7),
           s2sad.hessian(f, (0, 1))(0.3, 1.7))


def scalar_functions(x, y):
    return (np.maximum(x, y) * np.minimum(x, y) + np.square(x) + np.arcsinh(x)
            + np.deg2rad(y) + np.rad2deg(x) + np.arctanh(x / 3.0) + np.arccosh(y + 2.0)
            + np.sign(x) * np.abs(y) + math.log1p(x * x))


@pytest.mark.parametrize("point", [(0.3, 0.7), (0.7, -0.3), (0.5, 0.5)])  # 0.5: a tie
def test_numpy_functions_on_floats_are_written_with_math(point):
    got = s2sad.grad(scalar_functions, (0, 1), backend="numba")(*point)
    for g, e in zip(got, s2sad.grad(scalar_functions, (0, 1))(*point)):
        _close(g, e)
    _close(s2sad.jvp(scalar_functions, point, (1.0, 0.5), backend="numba")[1],
           s2sad.jvp(scalar_functions, point, (1.0, 0.5))[1])


def test_generated_code_is_what_numba_compiles():
    text = s2sad.source(clipped, backend="numba")
    # one typed tape per saved value, a plain range backwards, no NumPy in the loop
    assert "_stack_s.append(s)" in text and "_stack_t1.append(t1)" in text
    assert "s = _stack_s.pop()" in text and "t1 = _stack_t1.pop()" in text
    assert "for i in range(n - 1, -1, -1):" in text and "reversed" not in text
    sines = s2sad.source(lambda x: np.sin(x) * np.cos(x), backend="numba")
    assert "math.sin(x)" in sines and "np." not in sines


def test_the_numba_build_is_cached_with_the_derivative():
    g = s2sad.grad(poly, backend="numba")
    assert s2sad.grad(poly, backend="numba") is g  # the same function, compiled once
    assert s2sad.grad(poly) is not g  # backends are kept apart
    g(0.5, 3)
    assert len(g.__s2sad_built__.function.dispatcher().signatures) == 1
    g(0.25, 4)
    assert len(g.__s2sad_built__.function.dispatcher().signatures) == 1


@pytest.mark.parametrize("start, stop, step", [(0, 5, 1), (2, 9, 3), (9, 2, -2), (3, 3, 1),
                                               (5, 0, 1), (-4, 4, 3), (10, -1, -1)])
@pytest.mark.parametrize("limit", [-1, 0, 1, 2, 10])
def test_range_helpers_agree_with_python_ranges(start, stop, step, limit):
    values = list(range(start, stop, step))
    if limit >= 0:
        values = values[:limit]
    last = numba_backend._range_last(start, stop, step, limit)
    assert list(range(last, start - step, -step)) == values[::-1]
    assert list(range(start, numba_backend._range_stop(start, stop, step, limit), step)) == (
        values)


def test_reversed_and_cut_ranges_in_generated_code():
    def stepped(x):
        s = x
        for i in range(7, 1, -2):
            s = s * x + i
            if s > 50.0:
                break
        return s

    for x in (0.5, 3.0):
        _close(s2sad.grad(stepped, backend="numba")(x), s2sad.grad(stepped)(x))


def test_the_generated_text_comes_back_from_the_disk_cache():
    from s2sad.loading.loader import stats

    def stepped_poly(x, n=5):
        s = 0.0
        for i in range(n):  # noqa: B007
            s = s * x + 1.0
        return s

    assert s2sad.grad(stepped_poly, backend="numba")(1, 5) == 10.0  # 1 + 2 + 3 + 4
    s2sad.clear_cache()
    hits = stats["disk_hits"]
    g = s2sad.grad(stepped_poly, backend="numba")  # the text read back, compiled again
    assert stats["disk_hits"] == hits + 1
    assert g(0.5, n=3) == 2.0 == s2sad.grad(stepped_poly)(0.5, n=3)  # 1 + 2x


SCALE = 2.0
TABLE = np.array([1.0, 2.0])


def scaled(x):
    return SCALE * x * x


def reads_a_global_array(x):
    return TABLE[0] * x


def test_rebinding_a_global_is_seen_as_by_the_numpy_backend(monkeypatch):
    g = s2sad.grad(scaled, backend="numba")
    assert g(1.0) == 4.0
    monkeypatch.setattr(sys.modules[__name__], "SCALE", 5.0)  # numba compiled 2.0 in
    assert g(1.0) == 10.0 == s2sad.grad(scaled)(1.0)


# ---- errors
def test_a_global_array_is_refused_where_it_is_read():
    with pytest.raises(S2sadError) as info:
        s2sad.grad(reads_a_global_array, backend="numba")
    error = info.value
    assert "reading the array 'TABLE'" in error.message
    assert "TABLE[0] * x" in error.location.source_line


def test_arrays_are_refused_at_the_first_call_with_a_location():
    def f(x):
        return x * x + np.sin(x)

    _, vjp_fn = s2sad.vjp(f, np.ones(3), backend="numba")
    with pytest.raises(S2sadError) as info:
        vjp_fn(np.ones(3))
    error = info.value
    assert "numba could not compile f_vjp (it was given ndarray)" in error.message
    assert error.location is not None and error.location.filename.startswith("<s2sad f_vjp")
    assert "backend='numpy'" in error.hint
    assert error.__cause__ is None and error.__suppress_context__


def test_a_division_by_zero_raises_as_in_the_numpy_backends_code():
    def inverse(x):
        return 1.0 / x

    for backend in ("numpy", "numba"):
        with pytest.raises(ZeroDivisionError):
            s2sad.grad(inverse, backend=backend)(0.0)


def test_containers_and_aux_are_refused():
    def f(p):
        return p * 2.0

    with pytest.raises(S2sadError, match="numba backend does not take containers"):
        s2sad.grad(f, backend="numba")({"a": 1.0})
    with pytest.raises(S2sadError, match="cannot compile indexing"):  # p["a"]: at the build
        s2sad.grad(lambda p: p["a"] * 2.0, backend="numba")
    with pytest.raises(S2sadError, match="does not take has_aux=True"):
        s2sad.grad(lambda x: (x * x, 1.0), has_aux=True, backend="numba")


def test_an_unknown_backend_lists_numba():
    with pytest.raises(S2sadError) as info:
        s2sad.grad(poly, backend="numbaa")
    assert "numba" in info.value.hint


def test_without_numba_the_error_names_the_extra(monkeypatch):
    def fresh(x):  # never built before: the build itself must ask for numba
        return x * 3.0

    monkeypatch.setitem(sys.modules, "numba", None)  # `import numba` now fails
    with pytest.raises(S2sadError) as info:
        s2sad.grad(fresh, backend="numba")(1.0)
    assert "needs numba, which is not installed" in info.value.message
    assert 'pip install "s2sad[numba]"' in info.value.hint
    assert s2sad.grad(fresh)(1.0) == 3.0  # the NumPy backend does not need it


# ---- random programs (tests/progen.py): the numba backend's numbers are the NumPy backend's,
# or the program is refused with an S2sadError; never another exception, never other numbers
def test_random_programs_give_the_numpy_backends_numbers_or_are_refused(monkeypatch):
    from hypothesis import HealthCheck, given, reject, settings
    from hypothesis import strategies as st
    from progen import Loaded, arguments, programs

    monkeypatch.setenv("S2SAD_CACHE", "0")  # one-off programs: kept out of the disk cache
    outcomes = {"same": 0, "refused": 0}

    @settings(max_examples=80, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                     HealthCheck.data_too_large])
    @given(st.data())
    def run(data):
        program = data.draw(programs("scalar"), label="program")
        if any(shape != () for shape in program.param_shapes):
            reject()  # functions of floats: what the numba backend is for
        args = data.draw(arguments(program), label="arguments")
        loaded = Loaded(program)
        try:
            wrt = tuple(range(len(args)))
            with np.errstate(all="ignore"):
                try:
                    expected = s2sad.value_and_grad(loaded.fn, wrt)(*args)
                except Exception:  # noqa: BLE001 - the NumPy backend's own refusals
                    return
                try:
                    got = s2sad.value_and_grad(loaded.fn, wrt, backend="numba")(*args)
                except S2sadError:
                    outcomes["refused"] += 1
                    return
            for g, e in zip((got[0], *got[1]), (expected[0], *expected[1])):
                np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12, err_msg=program.source)
            outcomes["same"] += 1
        finally:
            loaded.close()

    run()
    assert outcomes["same"] >= 10, outcomes  # the sample is not all refusals
