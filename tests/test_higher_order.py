"""Higher order by transforming generated code again: grad of grad, Hessians, HVPs."""

import math

import numpy as np
import pytest
from fd import numeric_grad
from seed_functions import graph_example, lecture_f, logsumexp, rosenbrock, tutorial_cubic

import s2sad


def fd_hessian(f, x, eps=1e-5):
    """Central differences of s2sad's gradient, column by column."""
    g = s2sad.grad(f)
    n = x.size
    H = np.zeros((n, n))
    for i in range(n):
        e = np.zeros(n)
        e[i] = eps
        H[:, i] = (g(x + e) - g(x - e)) / (2 * eps)
    return H


def test_seed000_grad_of_grad_of_the_graph_example():
    # x4 = e^x * (e^x + 1): x4' = 2e^2x + e^x, x4'' = 4e^2x + e^x.
    x = 0.3
    second = s2sad.grad(s2sad.grad(graph_example))(x)
    assert second == pytest.approx(4 * math.exp(2 * x) + math.exp(x), rel=1e-13)


def test_third_derivative_of_the_seed004_cubic_is_18():
    third = s2sad.grad(s2sad.grad(s2sad.grad(tutorial_cubic)))
    assert third(1.5) == pytest.approx(18.0, rel=1e-14)
    assert s2sad.grad(s2sad.grad(tutorial_cubic))(1.5) == pytest.approx(18 * 1.5 - 10)


def test_seed000_hessian_of_the_lecture_function():
    H = s2sad.hessian(lecture_f, wrt=(0, 1))(2.0, 5.0)
    np.testing.assert_allclose(np.array(H, dtype=float),
                               [[-1 / 4.0, 1.0], [1.0, math.sin(5.0)]], rtol=1e-14)


@pytest.mark.parametrize("x", [np.array([-1.2, 1.0, 0.5, 2.0]), np.array([1.0, 1.0, 1.0])])
def test_hessian_of_rosenbrock_matches_differences_of_the_gradient(x):
    H = s2sad.hessian(rosenbrock)(x)
    assert H.shape == (x.size, x.size)
    np.testing.assert_allclose(H, fd_hessian(rosenbrock, x), rtol=1e-6, atol=1e-4)
    np.testing.assert_allclose(H, H.T, rtol=1e-12)


def test_hessian_of_logsumexp_matches_differences_and_the_formula(rng):
    x = rng.standard_normal(5)
    H = s2sad.hessian(logsumexp)(x)
    p = np.exp(x - np.max(x))
    p /= p.sum()
    np.testing.assert_allclose(H, np.diag(p) - np.outer(p, p), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(H, fd_hessian(logsumexp, x), rtol=1e-6, atol=1e-8)


def test_hvp_equals_hessian_times_vector(rng):
    x = np.array([-1.2, 1.0, 0.5, 2.0])
    v = rng.standard_normal(4)
    np.testing.assert_allclose(s2sad.hvp(rosenbrock, x, v), s2sad.hessian(rosenbrock)(x) @ v,
                               rtol=1e-12)


def test_hvp_with_tuple_arguments():
    hv = s2sad.hvp(lecture_f, (2.0, 5.0), (1.0, 0.0))
    np.testing.assert_allclose(hv, (-0.25, 1.0), rtol=1e-14)


def test_jvp_of_a_gradient_is_a_hessian_column():
    g = s2sad.grad(lecture_f, wrt=(0, 1))
    value, tangent = s2sad.jvp(g, (2.0, 5.0), (0.0, 1.0))
    np.testing.assert_allclose(value, (5.5, 2.0 - math.cos(5.0)), rtol=1e-14)
    np.testing.assert_allclose(tangent, (1.0, math.sin(5.0)), rtol=1e-14)


def test_gradient_of_a_gradient_norm_matches_differences(rng):
    def gradient_norm(x):
        return np.sum(s2sad_grad_rosenbrock(x) ** 2)

    x = rng.standard_normal(3)
    g = s2sad.grad(gradient_norm)(x)
    np.testing.assert_allclose(g, numeric_grad(gradient_norm, [x], 0), rtol=1e-6)


s2sad_grad_rosenbrock = s2sad.grad(rosenbrock)


def test_hessian_source_is_forward_over_reverse_code():
    text = s2sad.source(s2sad.grad(lecture_f, wrt=(0, 1)), mode="forward", wrt=(0, 1))
    assert "x1_bar_dot" in text and "x2_dot" in text


def test_no_perturbation_confusion_with_a_closure_over_the_outer_variable():
    # d/dx [x * d/dy (x * y)] = d/dx [x * x] = 2x
    def outer(x):
        def inner(y):
            return x * y

        return x * s2sad.grad(inner)(1.0)

    assert s2sad.grad(outer)(2.5) == pytest.approx(5.0, rel=1e-15)
    assert s2sad.grad(outer)(-1.0) == pytest.approx(-2.0, rel=1e-15)


def test_no_perturbation_confusion_with_a_lambda():
    def outer(x):
        return x * s2sad.grad(lambda y: x * y * y)(3.0)

    # d/dy x y^2 = 2xy = 6x at y = 3; x * 6x = 6x^2; derivative 12x
    assert s2sad.grad(outer)(0.5) == pytest.approx(6.0, rel=1e-15)
    assert s2sad.jvp(outer, (0.5,), (1.0,))[1] == pytest.approx(6.0, rel=1e-15)


def test_gradient_of_module_level_gradient_inside_a_function():
    def uses(x):
        return x * s2sad.grad(tutorial_cubic)(x)

    # x * (9x^2 - 10x) -> 27x^2 - 20x
    assert s2sad.grad(uses)(1.5) == pytest.approx(27 * 1.5**2 - 20 * 1.5, rel=1e-14)


def test_repeated_hvp_calls_do_not_transform_again(rng):
    from s2sad.loading import loader

    x, v = np.array([-1.2, 1.0, 0.5]), rng.standard_normal(3)
    s2sad.hvp(rosenbrock, x, v)
    # The second call builds the program specialised on x's signature (api/signatures.py),
    # at most once; the calls after it transform nothing.
    s2sad.hvp(rosenbrock, x, v)
    before = loader.stats["transforms"]
    for _ in range(5):
        s2sad.hvp(rosenbrock, x, v)
    assert loader.stats["transforms"] == before


def test_hessians_of_loops_transform_the_stacks_again():
    from cf_corpus import branch_in_loop, loop_carries_array, loop_polynomial

    x = 0.7
    expected = sum(k * (k - 1) * x ** (k - 2) for k in range(2, 5))
    assert s2sad.hessian(loop_polynomial)(x, 5) == pytest.approx(expected, rel=1e-12)
    assert s2sad.hessian(branch_in_loop)(0.3) == pytest.approx(12.0, rel=1e-12)
    assert s2sad.hessian(branch_in_loop)(0.8) == pytest.approx(
        (s2sad.grad(branch_in_loop)(0.8 + 1e-6) - s2sad.grad(branch_in_loop)(0.8 - 1e-6))
        / 2e-6, rel=1e-6)
    W = np.array([[0.5, -0.2, 0.1], [0.3, 0.4, -0.6], [0.2, 0.1, 0.9]])
    v = np.array([1.0, 2.0, -1.0])
    point = np.array([0.3, -0.7, 1.1])
    g = s2sad.grad(loop_carries_array)
    fd = (g(point + 1e-6 * v, W) - g(point - 1e-6 * v, W)) / 2e-6
    np.testing.assert_allclose(s2sad.hvp(loop_carries_array, point, v, W), fd, rtol=1e-6)


def test_grad_of_grad_of_loops_agrees_with_the_hessian():
    from cf_corpus import branch_in_loop, loop_break, loop_polynomial

    assert s2sad.grad(s2sad.grad(loop_polynomial))(0.7, 5) == pytest.approx(
        s2sad.hessian(loop_polynomial)(0.7, 5), rel=1e-12)
    for fn, x in ((branch_in_loop, 0.3), (branch_in_loop, 0.8), (loop_break, 0.3)):
        g = s2sad.grad(fn)
        fd = (g(x + 1e-6) - g(x - 1e-6)) / 2e-6
        assert s2sad.grad(g)(x) == pytest.approx(fd, rel=1e-6, abs=1e-8)


def _peak_of(x):
    return np.max(x)


def test_a_hessian_with_respect_to_a_one_tuple_nests_its_block_in_tuples():
    x = np.array([1.0, 1.0, 0.0])
    ((block,),) = s2sad.hessian(_peak_of, wrt=(0,))(x)  # outputs by inputs, as before
    np.testing.assert_array_equal(block, np.zeros((3, 3)))


def scaled_quartic(x, A, scale):
    return scale * np.sum((A @ x) ** 4)


def test_repeated_hvp_calls_agree_with_the_hessian_whatever_path_they_take():
    # Later calls at float64 arrays skip binding, seeding and dtype matching (a fast path);
    # each must still equal H v, and other points and directions still get converted.
    rng = np.random.default_rng(11)
    x, v, A = rng.normal(size=3), rng.normal(size=3), rng.normal(size=(4, 3))
    H = s2sad.hessian(scaled_quartic)(x, A, 0.5)
    for _ in range(2):
        np.testing.assert_allclose(s2sad.hvp(scaled_quartic, x, v, A, 0.5), H @ v, rtol=1e-12)
    integers = np.array([1, 0, 2])
    np.testing.assert_allclose(s2sad.hvp(scaled_quartic, x, integers, A, 0.5),
                               H @ integers, rtol=1e-12)
    x32 = x.astype(np.float32)
    assert s2sad.hvp(scaled_quartic, x32, v.astype(np.float32), A, 0.5).dtype == np.float32
    with pytest.raises(s2sad.S2sadError, match="shape"):
        s2sad.hvp(scaled_quartic, x, v[:2], A, 0.5)
