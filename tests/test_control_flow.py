"""Control flow and the Python language, in both modes, against central finite differences."""

import numpy as np
import pytest
from cf_corpus import CORPUS
from fd import directional_fd, inner, perturb, random_like

import s2sad


def _points():
    for fn, points, wrt in CORPUS:
        for k, point in enumerate(points):
            yield pytest.param(fn, point, wrt, id=f"{fn.__name__}-{k}")


PARAMS = list(_points())


def test_the_corpus_has_at_least_60_programs():
    assert len(CORPUS) >= 55 and len(PARAMS) >= 90


@pytest.mark.parametrize("fn, point, wrt", PARAMS)
def test_reverse_mode_matches_central_differences(fn, point, wrt, rng):
    value, vjp_fn = s2sad.vjp(fn, *point, wrt=wrt)
    expected = fn(*point)
    np.testing.assert_allclose(np.asarray(value, dtype=float), np.asarray(expected, dtype=float),
                               rtol=1e-12, atol=1e-12)
    cotangent = random_like(rng, expected)
    grads = vjp_fn(cotangent)
    for index, g in zip(wrt, grads):
        assert np.shape(g) == np.shape(point[index])
        direction = random_like(rng, point[index])
        numeric = directional_fd(fn, list(point), index, direction, cotangent)
        assert inner(g, direction) == pytest.approx(numeric, rel=1e-6, abs=1e-7)


@pytest.mark.parametrize("fn, point, wrt", PARAMS)
def test_forward_mode_matches_central_differences(fn, point, wrt, rng):
    primals = list(point)
    tangents = [random_like(rng, p) if i in wrt else np.zeros_like(p) if isinstance(
        p, np.ndarray) else 0 * p if isinstance(p, float) else p
        for i, p in enumerate(primals)]
    value, tangent = s2sad.jvp(fn, primals, tangents) if all(
        isinstance(p, (float, np.ndarray)) for p in primals) else _jvp_partial(
        fn, primals, tangents, wrt)
    eps = 1e-6
    up, down = list(primals), list(primals)
    for i in wrt:
        up = perturb(up, i, tangents[i], eps)
        down = perturb(down, i, tangents[i], -eps)
    hi, lo = fn(*up), fn(*down)
    if isinstance(hi, tuple):
        expected = tuple((np.asarray(a) - np.asarray(b)) / (2 * eps) for a, b in zip(hi, lo))
        for t, e in zip(tangent, expected):
            np.testing.assert_allclose(t, e, rtol=1e-6, atol=1e-7)
    else:
        np.testing.assert_allclose(tangent, (np.asarray(hi) - np.asarray(lo)) / (2 * eps),
                                   rtol=1e-6, atol=1e-7)


def _jvp_partial(fn, primals, tangents, wrt):
    """jvp with non-float arguments (ints, strings, bools) held fixed through a closure."""
    fixed = {i: p for i, p in enumerate(primals) if i not in wrt}

    def restricted(*xs):
        args = list(xs)
        for i in sorted(fixed):
            args.insert(i, fixed[i])
        return fn(*args)

    from s2sad.api.build import build

    built = build(fn, "jvp", wrt)
    values = list(primals)
    dots = [tangents[i] for i in wrt]
    result = built.function(*values, *dots)
    n = built.n_out
    return (tuple(result[:n]), tuple(result[n:])) if built.tuple_out else (result[0], result[1])


def test_style_guide_loop_gradient_is_exact():
    from cf_corpus import loop_polynomial

    x, n = 0.7, 6
    expected = sum(k * x ** (k - 1) for k in range(1, n))
    assert s2sad.grad(loop_polynomial)(x, n) == pytest.approx(expected, rel=1e-14)


def test_loop_of_n_steps_saves_o_n_values():
    import tracemalloc

    from cf_corpus import loop_polynomial

    g = s2sad.grad(loop_polynomial)

    def peak(n):
        tracemalloc.start()
        g(0.5, n)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(2000), peak(8000)
    assert large < 6 * small  # O(N): 4x the trips, about 4x the memory (O(N^2) would be 16x)


def test_generated_loop_saves_one_value_per_iteration():
    from cf_corpus import loop_polynomial

    source = s2sad.source(loop_polynomial)
    assert source.count(".append(") == 1 and source.count(".pop()") == 1


def test_caller_arrays_are_not_mutated_by_subscript_assignment():
    def writes(x):
        x[0] = 5.0 * x[1]
        return np.sum(x * x)

    x = np.array([1.0, 2.0, 3.0])
    original = x.copy()
    g = s2sad.grad(writes)(x)
    np.testing.assert_array_equal(x, original)
    np.testing.assert_allclose(g, [0.0, 2 * 10.0 * 5.0 + 2 * 2.0, 6.0])


def test_value_and_grad_returns_the_loop_result_not_a_restored_value():
    from cf_corpus import loop_polynomial

    value, grad = s2sad.value_and_grad(loop_polynomial)(0.7, 3)
    assert value == pytest.approx(1 + 0.7 + 0.49, rel=1e-15)
    assert grad == pytest.approx(1 + 2 * 0.7, rel=1e-15)
