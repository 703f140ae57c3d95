"""Long-running processes: what s2sad keeps in memory goes with the functions it was built for.

A differentiated function and its module are freed once dropped; the loader's lock table and
the linecache entries of generated code shrink with them; a function far down a file costs no
more than one at its top; closures of one source share one transform; concurrent calls build
each key once.
"""

import gc
import linecache
import threading
import tracemalloc
import weakref

import numpy as np
import pytest
from fresh_import import import_file
from test_checkpoint import two_carries_taped

import s2sad
from s2sad.api import build as api_build
from s2sad.errors import S2sadError
from s2sad.frontend import parse as frontend
from s2sad.loading import loader


@pytest.fixture
def memory_only(monkeypatch):
    """No disk cache and empty memory caches: every build is counted where it happens."""
    monkeypatch.setenv("S2SAD_CACHE", "0")
    s2sad.clear_cache()
    yield
    s2sad.clear_cache()


def generated_entries() -> set:
    return {name for name in linecache.cache if name.startswith("<s2sad ")}


MODULE = """\
import numpy as np

BIG = np.zeros(1000)


def f(x):
    return np.sum(np.sin(x) + BIG[:3]) + x[0] ** 2


def uses_f(x):
    return f(x) * 2.0
"""


def test_a_differentiated_module_level_function_and_its_module_are_freed(tmp_path):
    path = tmp_path / "big_module.py"
    path.write_text(MODULE)
    module = import_file(path)
    x = np.array([0.1, 0.2, 0.3])
    g = s2sad.grad(module.f)
    assert g(x) == pytest.approx(np.cos(x) + [0.2, 0, 0])
    s2sad.value_and_grad(module.uses_f)(x)
    s2sad.jvp(module.f, (x,), (x,))
    s2sad.vjp(module.f, x)[1](1.0)
    s2sad.hessian(module.f)(x)
    s2sad.jacobian(module.f, mode="reverse")(x)
    s2sad.source(module.f, mode="forward")
    refs = [weakref.ref(module), weakref.ref(module.f), weakref.ref(module.uses_f),
            weakref.ref(g)]
    del module, g
    gc.collect()
    assert [r() for r in refs] == [None] * 4


def test_clear_cache_forgets_the_gradient_functions_too():
    def f(x):
        return x * x * 3.0

    g = s2sad.grad(f)
    assert s2sad.grad(f) is g
    assert loader.TABLE in f.__dict__
    s2sad.clear_cache()
    assert loader.TABLE not in f.__dict__  # the wrappers, builds and compiled code are gone
    again = s2sad.grad(f)
    assert again is not g and again(2.0) == g(2.0) == 12.0


def test_clear_cache_reaches_the_caches_of_a_decorated_function():
    def f(x):
        return x * x * 3.0

    decorated = s2sad.differentiate(f)
    assert decorated.grad(2.0) == 12.0
    assert loader.TABLE in f.__dict__ and loader.TABLE not in decorated.__dict__
    s2sad.clear_cache()
    assert loader.TABLE not in f.__dict__ and loader.TABLE not in decorated.__dict__
    assert decorated.grad(1.0) == 6.0


def many_functions_source(count: int) -> str:
    # Distinct bodies: each gets its own generated text, hence its own linecache entry.
    defs = [f"def f{i}(x):\n    return np.sin(x) * {i + 1}.0 + x ** {i + 2}\n"
            for i in range(count)]
    lambdas = [f"l{i} = lambda x: np.cos(x) * {i + 1}.0\n" for i in range(count)]
    return "import numpy as np\n\n" + "\n".join(defs) + "".join(lambdas)


def test_the_lock_table_and_linecache_shrink_when_the_functions_are_gone(tmp_path,
                                                                          memory_only):
    count = 30
    path = tmp_path / "many_functions.py"
    path.write_text(many_functions_source(count))
    gc.collect()
    entries_before = generated_entries()
    module = import_file(path)
    gradients = []
    for i in range(count):
        for fn in (getattr(module, f"f{i}"), getattr(module, f"l{i}")):
            gradients.append(s2sad.grad(fn))
            assert gradients[-1](0.5) == pytest.approx(_numeric(fn, 0.5), rel=1e-6)
    assert not loader._locks  # only builds in progress hold a lock
    new = generated_entries() - entries_before
    assert len(new) >= 2 * count
    # While the gradients live, tracebacks into their generated code show its lines.
    gc.collect()
    assert all(linecache.getline(name, 2) for name in new)
    del module, gradients, fn
    gc.collect()
    assert not generated_entries() & new
    assert not loader._locks


def _numeric(fn, x, eps=1e-6):
    return (fn(x + eps) - fn(x - eps)) / (2 * eps)


FAR_FUNCTION = """\
def far(x):
    y = x * 2.0
    return y * not_defined_anywhere
"""


def test_memory_per_function_does_not_grow_with_its_line_number(tmp_path):
    near_path, far_path = tmp_path / "near.py", tmp_path / "far.py"
    near_path.write_text(FAR_FUNCTION)
    far_path.write_text("# filler\n" * 20_000 + FAR_FUNCTION)
    near, far = import_file(near_path), import_file(far_path)
    # Warm up what is cached once per file (linecache's copy of the file, imported names).
    frontend.parse_function(near.far)
    frontend.parse_function(far.far)
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        kept_near = frontend.parse_function(near.far)
        middle = tracemalloc.get_traced_memory()[0]
        kept_far = frontend.parse_function(far.far)
        end = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # A padding list as long as the line number would be 160 kB here.
    assert (end - middle) - (middle - start) < 8_000
    assert kept_near.line_offset == 0 and kept_far.line_offset == 20_000


def test_errors_in_a_function_far_down_a_file_point_at_its_line(tmp_path):
    path = tmp_path / "far_error.py"
    path.write_text("# filler\n" * 10_000 + FAR_FUNCTION)
    module = import_file(path)
    with pytest.raises(S2sadError) as info:
        s2sad.grad(module.far)(1.0)
    location = info.value.location
    assert (location.filename, location.line) == (str(path), 10_003)
    assert location.source_line.strip() == "return y * not_defined_anywhere"
    assert f"{path}:10003:" in str(info.value)


def make_closure(scale, weights):
    def model(x):
        return scale * np.sum(np.sin(x) * weights)

    return model


def test_closures_differing_only_in_captured_floats_and_arrays_share_one_transform(
        memory_only, monkeypatch):
    transforms = []
    real_generate = api_build.generate
    monkeypatch.setattr(api_build, "generate", lambda parsed, request: transforms.append(
        request.mode) or real_generate(parsed, request))
    x = np.array([0.3, -0.4, 1.1])
    first = make_closure(2.0, np.array([1.0, 2.0, 3.0]))
    assert s2sad.grad(first)(x) == pytest.approx(2.0 * np.cos(x) * [1.0, 2.0, 3.0])
    assert transforms == ["grad"]
    # The second closure is a lookup: its own values are read when it runs.
    second = make_closure(-0.5, np.array([4.0, 0.0, -1.0]))
    assert s2sad.grad(second)(x) == pytest.approx(-0.5 * np.cos(x) * [4.0, 0.0, -1.0])
    _, tangent = s2sad.jvp(second, (x,), (np.ones(3),))
    assert tangent == pytest.approx(np.sum(-0.5 * np.cos(x) * [4.0, 0.0, -1.0]))
    assert transforms == ["grad", "jvp"]
    third = make_closure(7.0, np.array([1.0, 1.0, 1.0]))
    _, tangent = s2sad.jvp(third, (x,), (np.ones(3),))
    assert tangent == pytest.approx(np.sum(7.0 * np.cos(x)))
    assert transforms == ["grad", "jvp"]
    assert loader.stats["shared_hits"] >= 2


def test_a_closure_capturing_a_complex_array_gets_its_own_transform(memory_only):
    before = loader.stats["transforms"]
    x = np.array([0.3, -0.4])
    real = make_closure(1.0, np.array([1.0, 2.0]))
    s2sad.grad(real)(x)
    assert loader.stats["transforms"] == before + 1
    complex_weights = np.array([1.0 + 1.0j, 2.0 - 1.0j])
    mixed = make_closure(1.0, complex_weights)
    got = s2sad.grad(mixed)(x)
    assert loader.stats["transforms"] == before + 2
    # Had it reused the real closure's code, the real input's gradient would be complex.
    assert np.isrealobj(got)
    assert got == pytest.approx(np.real(np.cos(x) * complex_weights))


def test_concurrent_calls_transform_each_key_once_and_share_one_gradient_function(
        memory_only, monkeypatch):
    counts: dict = {}
    lock = threading.Lock()
    real_generate = api_build.generate

    def counting(parsed, request):
        with lock:
            key = (parsed.source_hash, request.key())
            counts[key] = counts.get(key, 0) + 1
        return real_generate(parsed, request)

    monkeypatch.setattr(api_build, "generate", counting)
    f = make_closure(1.5, np.array([1.0, -2.0]))
    x = np.array([0.2, 0.7])
    threads_count = 32
    barrier = threading.Barrier(threads_count)
    gradients, results, errors = [None] * threads_count, [None] * threads_count, []

    def work(i):
        try:
            barrier.wait()
            gradients[i] = s2sad.grad(f)
            results[i] = (gradients[i](x), s2sad.hessian(f)(x), s2sad.jvp(f, (x,), (x,))[1],
                          s2sad.jacobian(f)(x), s2sad.value_and_grad(f)(x)[1])
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({id(g) for g in gradients}) == 1
    assert counts and set(counts.values()) == {1}
    expected_hessian = np.diag(-1.5 * np.sin(x) * [1.0, -2.0])
    for gradient, hessian, tangent, jacobian, value_and_grad in results:
        assert gradient == pytest.approx(1.5 * np.cos(x) * [1.0, -2.0])
        assert hessian == pytest.approx(expected_hessian)
        assert tangent == pytest.approx(np.dot(gradient, x))
        assert jacobian == pytest.approx(gradient)
        assert value_and_grad == pytest.approx(gradient)
    assert not loader._locks


def test_the_tape_of_a_loop_holds_its_values_and_no_tuple_per_trip():
    # Each trip saves 4 floats (8-byte slots, and the 3 new float objects the trip made:
    # 104 bytes); a tuple per trip added 48 more.
    g = s2sad.grad(two_carries_taped)
    assert "_stack.extend((" in s2sad.source(two_carries_taped)
    g(0.3, 10)
    trips = 100_000
    tracemalloc.start()
    try:
        g(0.3, trips)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak / trips < 120
