"""Gradient programs specialised on their arguments' signature (api/signatures.py,
transforms/known_shapes.py, the concrete shapes of ir/shapes.py)."""

import re
import types

import numpy as np
import pytest

import s2sad
from s2sad.api import signatures
from s2sad.api.build import build
from s2sad.ir.shapes import concrete_shape, shapes_of
from s2sad.transform import Request, lower, parse_function

rng = np.random.default_rng(11)


def logreg(w, X, y):
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def column_times_row(a, b):
    return np.sum(np.tanh(a * b) + a)


def reductions(A, v):
    s = np.sum(A, axis=1, keepdims=True)
    m = np.mean(A.T, axis=0)
    return np.sum(s * A) + np.sum(m * v) + np.max(A[1:, :2])


def softmax(W, b, X, labels):
    z = X @ W + b
    z = z - np.max(z, axis=1, keepdims=True)
    log_p = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(log_p[np.arange(len(labels)), labels])


def scaled(w, lam, X):
    return lam * np.sum((X @ w) ** 2) + lam * lam


def looped(x, n):
    total = 0.0
    for i in range(n):
        total = total + np.sum(np.sin(x * i))
    return total


def lecture(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def three_way(a, b, c):
    return np.sum(np.sin(a * b + c) * np.max(a, axis=2, keepdims=True))


def _logreg_args(n=20, d=4):
    return (rng.normal(size=d), rng.normal(size=(n, d)),
            (rng.random(n) > 0.5).astype(float))


CASES = [
    (logreg, 0, _logreg_args()),
    (column_times_row, (0, 1), (rng.normal(size=(3, 1)), rng.normal(size=(1, 4)))),
    (reductions, (0, 1), (rng.normal(size=(3, 4)), rng.normal(size=3))),
    (softmax, (0, 1), (rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(6, 4)),
                       rng.integers(0, 3, 6))),
    (scaled, (0, 1), (rng.normal(size=3), 0.7, rng.normal(size=(5, 3)))),
    (looped, 0, (rng.normal(size=3), 4)),
    (lecture, (0, 1), (np.array(2.0), np.array(5.0))),
    (three_way, (0, 1, 2), (rng.normal(size=(2, 3, 4)), rng.normal(size=(3, 1)),
                            rng.normal(size=4))),
]
IDS = [fn.__name__ for fn, _, _ in CASES]


def _fresh(fn):
    """A new function object of `fn`'s code: gradient functions of its own, no calls yet."""
    return types.FunctionType(fn.__code__, fn.__globals__, fn.__name__)


def mean_of_product(x, y):
    return np.mean(x * y)


def _variants(g):
    """The Variants object of gradient function `g`."""
    (found,) = [c.cell_contents for c in g.__closure__
                if isinstance(c.cell_contents, signatures.Variants)]
    return found


def _same(a, b):
    for x, y in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
        assert type(x) is type(y)
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize(("fn", "wrt", "args"), CASES, ids=IDS)
def test_the_specialised_program_gives_the_general_programs_numbers(fn, wrt, args):
    g = s2sad.grad(_fresh(fn), wrt)
    general = g.__s2sad_built__.function
    first = g(*args)  # the general path, which checks the signature
    second = g(*args)  # builds the variant and runs it
    third = g(*args)
    want = general(*args)
    for got in (first, second, third):
        _same(got, want)
    table = _variants(g).table
    assert len(table) == 1
    (program,) = table.values()
    assert callable(program)


@pytest.mark.parametrize(("fn", "wrt", "args"), CASES, ids=IDS)
def test_value_and_grad_takes_the_variant_too(fn, wrt, args):
    vg = s2sad.value_and_grad(_fresh(fn), wrt)
    want_value, want_grads = vg(*args)
    for _ in range(3):
        value, grads = vg(*args)
        assert value == want_value
        _same(grads, want_grads)
    assert np.isclose(want_value, fn(*args))


def test_the_first_call_of_a_signature_takes_the_general_path_and_the_second_builds():
    g = s2sad.grad(_fresh(logreg))
    args = _logreg_args()
    g(*args)
    variants = _variants(g)
    (mark,) = variants.table.values()
    assert mark == signatures.SEEN
    g(*args)
    (program,) = variants.table.values()
    assert program is not signatures.SEEN


def test_another_shape_is_another_signature_and_gets_its_own_program():
    g = s2sad.grad(_fresh(logreg))
    small, large = _logreg_args(5, 3), _logreg_args(40, 3)
    for args in (small, small, large, large, small, large):
        want = g.__s2sad_built__.function(*args)
        np.testing.assert_array_equal(g(*args), want)
    programs = list(_variants(g).table.values())
    assert len(programs) == 2 and programs[0] is not programs[1]


def test_signatures_kept_are_bounded():
    g = s2sad.grad(_fresh(column_times_row), (0, 1))
    for n in range(1, signatures.LIMIT + 6):
        a, b = rng.normal(size=(n, 1)), rng.normal(size=(1, 3))
        for _ in range(2):
            got = g(a, b)
            want = g.__s2sad_built__.function(a, b)
            _same(got, want)
    assert len(_variants(g).table) == signatures.LIMIT


def test_arguments_outside_a_signature_take_the_general_path():
    g = s2sad.grad(_fresh(logreg))
    w, X, y = _logreg_args()
    for args in ((w.astype(np.float32), X, y), (np.round(w).astype(int), X, y)):
        for _ in range(2):
            got = g(*args)
            assert got.dtype == (np.float32 if args[0].dtype == np.float32 else np.float64)
            np.testing.assert_allclose(got, g.__s2sad_built__.function(
                args[0].astype(float), X, y), rtol=1e-6)
    assert _variants(g).table == {}
    assert signatures.signature((1, X, y), (True, False, False)) is None  # an int wrt
    assert signatures.signature((w, X, y), (True, False, False)) == (
        ((4,), np.dtype(float)), ((20, 4), np.dtype(float)), ((20,), np.dtype(float)))


def test_a_gradient_that_is_an_argument_is_returned_as_a_copy():
    def f(x, y):
        return np.sum(x * y)

    g = s2sad.grad(f)
    x, y = rng.normal(size=3), rng.normal(size=3)
    keep_x, keep_y = x.copy(), y.copy()
    for _ in range(3):
        gx = g(x, y)
        np.testing.assert_array_equal(gx, y)
        assert not np.shares_memory(gx, y)
        gx[:] = 0.0
    np.testing.assert_array_equal(x, keep_x)
    np.testing.assert_array_equal(y, keep_y)


def test_errors_from_the_specialised_program_are_the_general_ones():
    def f(x, k):
        return np.sum(x[k] * x)

    g = s2sad.grad(f)
    x = rng.normal(size=3)
    g(x, 1)
    g(x, 1)  # the variant is built
    with pytest.raises(IndexError):
        g(x, 7)


def test_the_signature_is_in_the_cache_key_and_source_shows_the_general_program():
    args = _logreg_args()
    general = s2sad.source(logreg)
    assert "unbroadcast(" in general and "reduced_size(" in general
    special = s2sad.source(logreg, args=args, specialized=True)
    assert "unbroadcast(" not in special and "reduced_size(" not in special
    assert "unbroadcast(" in s2sad.source(mean_of_product)
    assert "unbroadcast(" not in s2sad.source(
        mean_of_product, args=(args[2], args[2]), specialized=True)
    summed = s2sad.source(  # (20, 1) * (20,) is (20, 20): summed down, by the one np.sum
        mean_of_product, args=(args[2][:, None], args[2]), specialized=True)
    assert "unbroadcast(" not in summed
    assert "np.add.reduce(x_bar, axis=(1,), keepdims=True)" in summed
    other = s2sad.source(logreg, args=_logreg_args(7, 4), specialized=True)
    assert other != special  # the size folded in: 1 / 7 of the mean, not 1 / 20
    assert s2sad.source(logreg) == general
    keys = {Request("grad", ("w",), shapes=shapes).key() for shapes in (
        (("w", (4,), "f8"),), (("w", (5,), "f8"),), ())}
    assert len(keys) == 3


def test_specialized_source_needs_arrays_and_numbers():
    with pytest.raises(s2sad.S2sadError, match="specialized=True needs args"):
        s2sad.source(logreg, specialized=True)
    w, X, y = _logreg_args()
    with pytest.raises(s2sad.S2sadError, match="specialized=True needs args"):
        s2sad.source(logreg, args=(w.astype(np.float32), X, y), specialized=True)


def test_the_float_program_folds_the_seed_and_multiplies_by_no_one():
    text = s2sad.source(lecture, wrt=(0, 1), args=(2.0, 5.0), specialized=True)
    assert not re.search(r"(?<![-\d.])1\.0 \*", text) and "_bar = 1.0" not in text
    g = s2sad.grad(lecture, (0, 1))
    for _ in range(3):
        got = g(2.0, 5.0)
        assert got == (1.0 / 2.0 + 5.0, 2.0 - np.cos(5.0))


def _shape_of(fn, shapes, name):
    ir = lower(parse_function(fn)).replace(param_shapes=shapes)
    return concrete_shape(shapes_of(ir), name)


def test_concrete_shapes_follow_broadcasting_products_reductions_and_indexing():
    def f(A, x, c):
        a = A @ x
        b = a * c
        d = np.sum(A, axis=1, keepdims=True)
        e = np.mean(A, axis=-1)
        h = A.T[1:, None, 0]
        k = x @ x
        m = A * d
        return a, b, d, e, h, k, m

    shapes = (("A", (3, 4), "f8"), ("x", (4,), "f8"), ("c", (3,), "f8"))
    want = {"a": (3,), "b": (3,), "d": (3, 1), "e": (3,), "h": (3, 1), "k": (), "m": (3, 4)}
    for name, shape in want.items():
        assert _shape_of(f, shapes, name) == shape, name


def test_shapes_that_do_not_fit_are_not_known():
    def f(A, x):
        bad = A @ x
        also = A * x
        fine = np.sum(A, axis=5)
        return bad, also, fine

    shapes = (("A", (3, 4), "f8"), ("x", (3,), "f8"))
    for name in ("bad", "also", "fine"):
        assert _shape_of(f, shapes, name) is None, name


def test_a_variant_built_for_one_process_is_fetched_from_the_disk_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("S2SAD_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("S2SAD_CACHE", "1")
    args = _logreg_args()
    _, shapes = signatures.facts(("w", "X", "y"), signatures.signature(
        args, (True, False, False)))
    s2sad.clear_cache()
    first = build(logreg, "grad", 0, shapes=shapes).loaded.source
    s2sad.clear_cache()
    again = build(logreg, "grad", 0, shapes=shapes).loaded.source
    assert first == again and "unbroadcast(" not in first
    assert any(tmp_path.rglob("*"))


def cancelled(a, c):
    u = -a
    v = u * c
    w = -v
    k = 2.0 + (-w)
    return np.sum(k * c)


def not_cancelled(a, c):
    u = -a
    v = u * c
    x = v / c
    return np.sum(x * x) + np.sum(u)


def _programs(fn, mode, args, wrt):
    general = build(fn, mode, wrt)
    _, shapes = signatures.facts(general.params, signatures.signature(
        args, (True,) * len(args)))
    return general, build(fn, mode, wrt, shapes=shapes)


@pytest.mark.parametrize("fn", [cancelled, not_cancelled])
@pytest.mark.parametrize(("mode", "wrt"), [("jvp", (0, 1)), ("grad", 0), ("grad", (0, 1))])
def test_negations_that_cancel_go_and_the_others_keep_their_sign(fn, mode, wrt):
    a, c = rng.normal(size=4), rng.uniform(0.5, 2.0, size=4)
    general, special = _programs(fn, mode, (a, c), wrt)
    extra = (rng.normal(size=4), rng.normal(size=4)) if mode == "jvp" else ()
    _same(special.function(a, c, *extra), general.function(a, c, *extra))
    fewer = special.loaded.source.count(" = -") < general.loaded.source.count(" = -")
    assert fewer or fn is not_cancelled


def test_hvp_runs_a_tangent_program_specialised_on_the_signature():
    from s2sad.api.fast_products import _HVP

    f = _fresh(logreg)
    w, X, y = _logreg_args()
    v = rng.normal(size=w.size)
    results = [s2sad.hvp(f, w, v, X, y) for _ in range(3)]
    for r in results[1:]:
        _same(r, results[0])
    H = s2sad.hessian(f)(w, X, y)
    np.testing.assert_allclose(results[0], H @ v, rtol=1e-12, atol=1e-14)
    (program,) = s2sad.grad(f, 0).__dict__[_HVP].values()
    assert callable(program)
    # another shape: its own entry; float32 and lists take the general path
    w2, X2, y2 = _logreg_args(9, 4)
    for _ in range(2):
        np.testing.assert_allclose(s2sad.hvp(f, w2, v, X2, y2),
                                   s2sad.hessian(f)(w2, X2, y2) @ v, rtol=1e-12, atol=1e-14)
    assert len(s2sad.grad(f, 0).__dict__[_HVP]) == 2
    for _ in range(2):
        s2sad.hvp(f, w.astype(np.float32), v.astype(np.float32), X, y)
    assert len(s2sad.grad(f, 0).__dict__[_HVP]) == 2


def test_gradients_never_share_memory_with_each_other_or_the_arguments():
    def f(x, y):
        return np.sum(x + y)

    def g_of(x, y):
        return np.sum(x * y)

    x, y = rng.normal(size=3), rng.normal(size=3)
    for fn in (f, g_of):
        g, vg = s2sad.grad(fn, (0, 1)), s2sad.value_and_grad(fn, (0, 1))
        for _ in range(3):
            for gx, gy in (g(x, y), vg(x, y)[1]):
                assert not np.shares_memory(gx, gy)
                for a in (x, y):
                    assert not np.shares_memory(gx, a) and not np.shares_memory(gy, a)
        g1 = s2sad.value_and_grad(fn, 0)
        for _ in range(3):
            value, gx = g1(x, y)
            assert type(value) in (float, np.float64) and not np.shares_memory(gx, y)


SCALE = np.float32(0.5) * np.ones(3, dtype=np.float32)


def mean_times_scale(x):
    return np.mean(x * SCALE)


def test_a_mean_seed_stays_a_number_where_it_meets_full_arrays():
    w, X, y = _logreg_args()
    text = s2sad.source(logreg, args=(w, X, y), specialized=True)
    assert "broadcast_reduced" not in text and "-0.05 * t7" in text  # the mean over 20
    general = s2sad.source(logreg)
    assert "broadcast_reduced(" in general


@pytest.mark.parametrize("narrow", ["parameter", "global"])
def test_no_seed_stays_a_number_where_a_value_may_be_float32(narrow):
    x = rng.normal(size=3)
    if narrow == "parameter":
        f, args = mean_of_product, (x, x.astype(np.float32))
    else:
        f, args = mean_times_scale, (x,)
    text = s2sad.source(f, args=args, specialized=True)
    assert "broadcast_reduced(" in text  # float32 * 0.33 stays float32; the seed array not
    g = s2sad.grad(_fresh(f))
    results = [g(*args) for _ in range(3)]
    for r in results[1:]:
        _same(r, results[0])


def sum_of_float32_range(x):
    return np.sum(x * np.arange(3, dtype=np.float32))


def test_an_operation_given_a_dtype_keeps_the_seed_an_array():
    from s2sad.transforms.splats import _wide

    x = rng.normal(size=3)
    _, shapes = signatures.facts(("x",), signatures.signature((x,), (True,)))
    ir = lower(parse_function(sum_of_float32_range)).replace(param_shapes=shapes)
    assert not _wide(ir)
    ir = lower(parse_function(mean_of_product)).replace(param_shapes=shapes + (
        ("y", (3,), "f8"),))
    assert _wide(ir)
    g = s2sad.grad(_fresh(sum_of_float32_range))
    results = [g(x) for _ in range(3)]
    for r in results[1:]:
        _same(r, results[0])


def scaled_sines(x, a):
    return np.sum(np.sin(x * a) ** 2)


def test_second_derivatives_take_the_specialised_path_too():
    x, a = np.array(0.3), rng.normal(size=4)
    second = s2sad.grad(s2sad.grad(_fresh(scaled_sines)))
    got = [second(x, a) for _ in range(3)]
    for r in got[1:]:
        _same(r, got[0])
    h = 1e-5
    first = s2sad.grad(scaled_sines)
    fd = (first(np.array(0.3 + h), a) - first(np.array(0.3 - h), a)) / (2 * h)
    assert np.isclose(got[0], fd, rtol=1e-6)
    assert np.isclose(got[0], s2sad.hessian(scaled_sines)(x, a), rtol=1e-12)


def reduced_everywhere(A):
    return np.sum(A) * np.max(A) + np.prod(np.min(A, axis=0)) + np.sum(A, axis=(0, 1))


def test_reductions_are_called_as_ufunc_reductions_on_the_same_axes():
    A = rng.uniform(0.5, 1.5, size=(3, 4))
    text = s2sad.source(reduced_everywhere, args=(A,), specialized=True)
    assert "np.add.reduce(A, axis=None)" in text and "np.maximum.reduce(A, axis=None)" in text
    assert "np.sum(" not in text and "np.max(" not in text
    g = s2sad.grad(_fresh(reduced_everywhere))
    results = [g(A) for _ in range(3)]
    for r in results[1:]:
        _same(r, results[0])
    assert "np.sum(A)" in s2sad.source(reduced_everywhere)  # the general program as written


def test_a_reduction_kept_with_its_axes_is_not_spread_before_a_product():
    W, b, X, labels = [c for c in CASES if c[0] is softmax][0][2]
    text = s2sad.source(softmax, wrt=(0, 1), args=(W, b, X, labels), specialized=True)
    assert "keepdims=True)\n" in text and "broadcast_reduced(t4_bar" not in text
    assert "broadcast_reduced(t4_bar, t3, axis=1, keepdims=True)" in s2sad.source(
        softmax, wrt=(0, 1))


# Seeds and spreads (transforms/splats.py) on reductions of broadcasting expressions: the
# specialised program must give the general program's bits.
def seed_mean_of_tanh(a, b):
    return np.mean(np.tanh(a * b) + a)


def seed_half_squares(a, b):
    return np.sum((a - b) ** 2) * 0.5


def seed_kept_axis(a, b):
    return np.mean(np.sum(a * b, axis=-1, keepdims=True) * a)


def seed_leading_axis(a, b):
    return np.sum(np.exp(np.sum(a, axis=0) - b) / 3.0)


def seed_max_and_min(a, b):
    return np.sum(np.max(a * b, axis=1, keepdims=True) - a) - np.min(a - b) * 2.0


def seed_divided(a, b):
    return np.mean(1.0 / (1.0 + a * a) - b / 4.0) * 3.0


SEEDED = [seed_mean_of_tanh, seed_half_squares, seed_kept_axis, seed_leading_axis,
          seed_max_and_min, seed_divided]
SHAPES = [((3, 4), (4,)), ((2, 3, 4), (3, 4)), ((5, 1), (1, 6))]


@pytest.mark.parametrize("fn", SEEDED)
@pytest.mark.parametrize(("shape_a", "shape_b"), SHAPES)
def test_seeds_and_spreads_give_the_general_programs_bits(fn, shape_a, shape_b):
    a, b = rng.normal(size=shape_a), rng.normal(size=shape_b)
    try:
        np.broadcast_shapes(shape_a, shape_b)
        fn(a, b)
    except ValueError:
        pytest.skip("these shapes do not fit this function")
    for wrt in (0, (0, 1)):
        g = s2sad.grad(_fresh(fn), wrt)
        general = g.__s2sad_built__.function(a, b)
        for _ in range(3):
            _same(g(a, b), general)
        vg = s2sad.value_and_grad(_fresh(fn), wrt)
        for _ in range(3):
            value, grads = vg(a, b)
            _same(grads, general)


def test_values_the_shapes_settle_are_folded_and_spreads_follow():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
    import gmm

    args = gmm.make_problem(n=30, d=4, k=3, seed=2)
    text = s2sad.source(gmm.gmm_objective, wrt=(0, 1, 2), args=args, specialized=True)
    assert "np.zeros((3, 4, 4))" in text  # x.shape, icf.shape, a list of them: all known
    assert "np.expand_dims(" in text and "x.shape" not in text
    assert "x.shape" in s2sad.source(gmm.gmm_objective, wrt=(0, 1, 2))
    g = s2sad.grad(_fresh(gmm.gmm_objective), (0, 1, 2))
    general = g.__s2sad_built__.function(*args)
    for _ in range(3):
        _same(g(*args), general)
