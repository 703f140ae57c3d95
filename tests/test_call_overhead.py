"""The fast paths of a derivative call (issue 13: a call costs a lookup).

``s2sad.grad(f)(x)`` finds its gradient function by identity checks, a gradient function
called with floats runs its program directly, and jvp at floats skips binding and seeding.
These tests hold the fast paths to the general ones (the same numbers, the same errors, both
checked against central differences) and check that everything that invalidated a build
still does: the function's code, a closure value, a global it reads, a user rule,
clear_cache. No timings here: scripts/bench_calls.py measures them.
"""

import sys
import threading

import numpy as np
import pytest
from fd import directional_fd, numeric_grad

import s2sad


def square(x):
    return x * x


def lecture(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def scaled(x, a):
    return np.sum(a) * x * x


def pair(x):
    return np.array([x, x])


def picks(x, n):
    return x * [1.0, 2.0][n]


def _squaring():
    def changing(x):
        return x * x

    return changing


def _cubing():
    def changing(x):
        return x * x * x

    return changing


_activation = np.sin


def activated(x):
    return _activation(x) * x


CASES = [
    (square, (3.0,), 0),
    (square, (-0.5,), 0),
    (lecture, (2.0, 5.0), (0, 1)),
    (lecture, (0.5, -1.0), (0, 1)),
    (lecture, (2.0, 5.0), 1),
    (scaled, (1.5, np.array([1.0, 2.0])), 0),
]


def _by_name(f, args) -> dict:
    """The same call with keywords: it takes the general path."""
    names = f.__code__.co_varnames[:len(args)]
    return dict(zip(names, args))


def _numeric(f, args, wrt):
    if isinstance(wrt, tuple):
        return tuple(numeric_grad(f, args, i) for i in wrt)
    return numeric_grad(f, args, wrt)


@pytest.mark.parametrize(("f", "args", "wrt"), CASES)
def test_a_gradient_at_floats_is_the_general_paths_and_matches_differences(f, args, wrt):
    g = s2sad.grad(f, wrt)
    fast, general = g(*args), g(**_by_name(f, args))
    assert fast == general
    np.testing.assert_allclose(fast, _numeric(f, args, wrt), rtol=1e-6, atol=1e-8)
    value, gradient = s2sad.value_and_grad(f, wrt)(*args)
    assert (value, gradient) == s2sad.value_and_grad(f, wrt)(**_by_name(f, args))
    assert value == f(*args) and gradient == fast
    assert s2sad.differentiate(f).grad(*args, wrt=wrt) == fast
    assert s2sad.differentiate(f).value_and_grad(*args, wrt=wrt) == (value, gradient)


@pytest.mark.parametrize(("f", "args"), [(square, (3.0,)), (lecture, (2.0, 5.0)),
                                         (lecture, (0.5, -1.0))])
def test_a_jvp_at_floats_is_the_general_paths_and_matches_differences(f, args):
    tangents = tuple(0.5 + i for i in range(len(args)))
    value, tangent = s2sad.jvp(f, args, tangents)
    # np.float64 tangents take the general path
    assert (value, tangent) == s2sad.jvp(f, args, tuple(map(np.float64, tangents)))
    assert value == f(*args)
    expected = sum(directional_fd(f, args, i, t, 1.0) for i, t in enumerate(tangents))
    assert tangent == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(("f", "args"), [(square, (3.0,)), (lecture, (2.0, 5.0)),
                                         (lecture, (0.5, -1.0))])
def test_a_vjp_at_floats_is_the_general_paths_and_matches_differences(f, args):
    value, vjp_fn = s2sad.vjp(f, *args)
    assert value == f(*args)
    fast = vjp_fn(0.7)
    assert fast == vjp_fn(np.float64(0.7))  # an np.float64 cotangent takes the general path
    assert fast == s2sad.vjp(f, *args, wrt=tuple(range(len(args))))[1](0.7)
    expected = tuple(0.7 * numeric_grad(f, args, i) for i in range(len(args)))
    np.testing.assert_allclose(fast, expected, rtol=1e-6)


def test_a_vjp_with_an_integer_argument_gives_it_none():
    assert s2sad.vjp(picks, 3.0, 1)[1](1.0) == (2.0, None)


def half_norm(w):
    return 0.5 * np.sum(w * w)


def first_two(w, v):
    return np.sum(w[:2] * v)


def test_an_array_gradient_shares_no_memory_with_the_arguments():
    w = np.array([1.0, -2.0, 3.0])
    for gradient in (s2sad.grad(half_norm)(w), s2sad.value_and_grad(half_norm)(w)[1]):
        np.testing.assert_array_equal(gradient, w)
        assert not np.may_share_memory(gradient, w)
    v = np.array([0.5, 4.0])
    gradient = s2sad.grad(first_two, 1)(w, v)
    np.testing.assert_array_equal(gradient, w[:2])
    assert not np.may_share_memory(gradient, w) and not np.may_share_memory(gradient, v)
    gradient[:] = 0.0
    np.testing.assert_array_equal(w, [1.0, -2.0, 3.0])
    np.testing.assert_allclose(s2sad.grad(first_two)(w, v), numeric_grad(first_two, (w, v), 0))


def test_a_result_that_is_or_views_an_argument_is_copied():
    from s2sad.api.gradient_calls import _unshared

    w, fresh = np.arange(4.0), np.ones(3)
    for result in (w, w[1:], w.reshape(2, 2)):
        copied = _unshared(result, (fresh, w, 2.0))
        np.testing.assert_array_equal(copied, result)
        assert not np.may_share_memory(copied, w)
    assert _unshared(fresh, (w, 2.0)) is fresh
    inside = _unshared(w, (fresh, [w]))  # an argument holding it: the walk through containers
    assert not np.may_share_memory(inside, w)


def test_the_reverse_and_forward_fast_paths_agree():
    gradient = s2sad.grad(lecture, (0, 1))(2.0, 5.0)
    for i, direction in enumerate(((1.0, 0.0), (0.0, 1.0))):
        assert s2sad.jvp(lecture, (2.0, 5.0), direction)[1] == pytest.approx(gradient[i])


def test_float_results_keep_their_types_and_other_arguments_take_the_general_path():
    assert type(s2sad.grad(square)(3.0)) is float
    assert s2sad.grad(square)(3) == 6.0 and type(s2sad.grad(square)(3)) is float
    narrow = s2sad.grad(square)(np.float32(3.0))
    assert narrow == 6.0 and narrow.dtype == np.float32
    assert s2sad.grad(lecture, (0, 1))(2, 5) == s2sad.grad(lecture, (0, 1))(2.0, 5.0)


def test_a_non_scalar_output_is_refused_at_floats_as_in_general():
    for call in (lambda: s2sad.grad(pair)(3.0), lambda: s2sad.grad(pair)(x=3.0),
                 lambda: s2sad.value_and_grad(pair)(3.0)):
        with pytest.raises(s2sad.NonScalarOutputError):
            call()


def test_a_failure_at_floats_is_explained_as_in_general():
    g = s2sad.grad(picks)
    with pytest.raises(Exception) as fast:
        g(3.0, 5)
    with pytest.raises(Exception) as general:
        g(x=3.0, n=5)
    assert type(fast.value) is type(general.value)
    assert str(fast.value) == str(general.value)


def test_rebinding_a_global_the_function_reads_rebuilds_every_way_of_calling(monkeypatch):
    module = sys.modules[__name__]
    x = 0.7
    g = s2sad.grad(activated)
    assert s2sad.grad(activated) is g  # the lookup finds it again
    assert g(x) == pytest.approx(np.sin(x) + x * np.cos(x))
    monkeypatch.setattr(module, "_activation", np.cos)
    expected = np.cos(x) - x * np.sin(x)
    assert s2sad.grad(activated) is not g
    assert s2sad.grad(activated)(x) == pytest.approx(expected)
    assert s2sad.value_and_grad(activated)(x)[1] == pytest.approx(expected)
    assert s2sad.differentiate(activated).grad(x) == pytest.approx(expected)
    assert s2sad.jvp(activated, (x,), (1.0,))[1] == pytest.approx(expected)


def test_a_new_user_rule_rebuilds_gradients_and_tangents_found_by_the_lookup():
    @s2sad.primitive
    def bump(x):
        return x * x * x

    def uses(x):
        return bump(x) * 1.0

    s2sad.defvjp(bump, x="g * 2.0")  # deliberately wrong
    s2sad.defjvp(bump, x="x_dot * 2.0")
    for _ in range(2):  # the second call takes the lookup
        assert s2sad.grad(uses)(2.0) == pytest.approx(2.0)
        assert s2sad.jvp(uses, (2.0,), (1.0,))[1] == pytest.approx(2.0)
    s2sad.defvjp(bump, x="g * 3.0 * x * x")
    s2sad.defjvp(bump, x="x_dot * 3.0 * x * x")
    assert s2sad.grad(uses)(2.0) == pytest.approx(12.0)
    assert s2sad.differentiate(uses).grad(2.0) == pytest.approx(12.0)
    assert s2sad.jvp(uses, (2.0,), (1.0,))[1] == pytest.approx(12.0)


def test_clear_cache_makes_new_gradient_functions():
    def local_square(x):
        return x * x

    g = s2sad.grad(local_square)
    assert s2sad.grad(local_square) is g
    s2sad.clear_cache()
    fresh = s2sad.grad(local_square)
    assert fresh is not g and fresh(3.0) == 6.0
    assert s2sad.jvp(local_square, (3.0,), (1.0,)) == (9.0, 6.0)


def test_new_code_or_a_new_closure_value_rebuilds():
    changing = _squaring()
    assert s2sad.grad(changing)(2.0) == 4.0
    changing.__code__ = _cubing().__code__
    assert s2sad.grad(changing)(2.0) == pytest.approx(12.0)
    assert s2sad.jvp(changing, (2.0,), (1.0,))[1] == pytest.approx(12.0)

    act = np.sin

    def closed(x):
        return act(x) * x

    assert s2sad.grad(closed)(0.7) == pytest.approx(np.sin(0.7) + 0.7 * np.cos(0.7))
    act = np.cos
    assert s2sad.grad(closed)(0.7) == pytest.approx(np.cos(0.7) - 0.7 * np.sin(0.7))
    assert s2sad.jvp(closed, (0.7,), (1.0,))[1] == pytest.approx(
        np.cos(0.7) - 0.7 * np.sin(0.7))


@pytest.mark.parametrize("wrt", [True, 1.0, (True,), [1.0]])
def test_a_wrt_equal_to_a_position_is_refused_after_that_position_is_built(wrt):
    def two(x, y):
        return x * x * y

    assert s2sad.grad(two, 1)(3.0, 2.0) == 9.0
    assert s2sad.grad(two, (1,))(3.0, 2.0) == (9.0,)
    with pytest.raises(s2sad.NonDifferentiableError, match="position or name"):
        s2sad.grad(two, wrt)
    with pytest.raises(s2sad.NonDifferentiableError, match="position or name"):
        s2sad.differentiate(two).grad(3.0, 2.0, wrt=wrt)
    with pytest.raises(s2sad.NonDifferentiableError, match="position or name"):
        s2sad.source(two, wrt=wrt)


def test_every_thread_gets_one_gradient_function_and_the_same_numbers():
    def threaded(x1, x2):
        return np.log(x1) + x1 * x2 - np.sin(x2)

    made, results = [], []
    start = threading.Barrier(6)

    def work():
        start.wait()
        for _ in range(50):
            g = s2sad.grad(threaded, (0, 1))
            made.append(g)
            results.append(g(2.0, 5.0))

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(g) for g in made}) == 1
    assert set(results) == {s2sad.grad(lecture, (0, 1))(2.0, 5.0)}


def test_a_decorated_function_sees_every_change_its_fast_path_could_hide(monkeypatch):
    module = sys.modules[__name__]
    decorated = s2sad.differentiate(activated)
    x = 0.7
    for _ in range(2):  # the second call takes the instance's own fast path
        assert decorated.grad(x) == pytest.approx(np.sin(x) + x * np.cos(x))
    monkeypatch.setattr(module, "_activation", np.cos)
    assert decorated.grad(x) == pytest.approx(np.cos(x) - x * np.sin(x))
    assert decorated.grad(x, wrt=0) == pytest.approx(np.cos(x) - x * np.sin(x))
    changing = s2sad.differentiate(_squaring())
    assert changing.grad(2.0) == changing.grad(2.0) == 4.0
    changing.__s2sad_function__.__code__ = _cubing().__code__
    assert changing.grad(2.0) == pytest.approx(12.0)
