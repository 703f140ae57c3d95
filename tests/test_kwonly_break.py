"""Keyword-only parameters of the functions a differentiated function calls, and ``break``
inside a loop over a reversed or sliced range, in both modes against finite differences."""

import numpy as np
import pytest
from fd import directional_fd, numeric_grad

import s2sad


def scaled_cube(a, *, k=2.0):
    return k * a ** 3


def scaled_sine(a, *rest, k, shift=0.5):
    return k * np.sin(a + shift) + rest[0]


def kwonly_local_def(x):
    def g(a, *, k=2.0, p=1.0):
        return k * a ** p

    return g(x) + g(x, k=3.0) + g(x, p=2.0, k=0.5)


def kwonly_lambda(x):
    h = lambda a, *, k=1.0: np.tanh(k * a)  # noqa: E731
    return h(x) + h(x, k=-2.0) * x


def kwonly_module_level(x):
    return scaled_cube(x) + scaled_cube(x, k=-1.5) + scaled_sine(x, x * x, k=3.0)


def kwonly_closing_over(x):
    k = 10.0  # the keyword-only k of g is its own parameter, not this variable

    def g(a, *, k=2.0):
        return k * a * a

    return g(x) + k * x


KWONLY = [kwonly_local_def, kwonly_lambda, kwonly_module_level, kwonly_closing_over]


@pytest.mark.parametrize("f", KWONLY)
@pytest.mark.parametrize("x", [0.7, np.array([0.3, -1.2, 2.0])])
def test_calls_with_and_without_keyword_only_arguments_match_fd_in_both_modes(f, x):
    expected = numeric_grad(lambda v: np.sum(f(v)), (x,), 0)
    assert s2sad.grad(lambda v: np.sum(f(v)))(x) == pytest.approx(expected, rel=1e-6)
    v = np.ones_like(x) * 0.5 if np.ndim(x) else 0.5
    _, tangent = s2sad.jvp(f, (x,), (v,))
    eps = 1e-6
    assert tangent == pytest.approx((f(x + eps * v) - f(x - eps * v)) / (2 * eps), rel=1e-6)


def kwonly_nested_grad(x):
    return s2sad.grad(lambda a, *, k=3.0: k * a ** 3)(x)


def test_the_gradient_of_a_lambda_with_keyword_only_parameters_is_refused_inside_too():
    with pytest.raises(s2sad.UnsupportedSyntaxError, match="keyword-only") as info:
        s2sad.grad(kwonly_nested_grad)(1.0)
    assert "test_kwonly_break.py" in str(info.value)


def kwonly_missing(x):
    def g(a, *, k):
        return k * a

    return g(x)


def kwonly_unknown(x):
    def g(a, *, k=1.0):
        return k * a

    return g(x, q=2.0)


def kwonly_top_level(x, *, k=2.0):
    return k * x


@pytest.mark.parametrize("f, message", [
    (kwonly_missing, "missing the argument 'k'"),
    (kwonly_unknown, "unexpected keyword 'q'"),
])
def test_a_wrong_keyword_only_call_is_an_s2sad_error_naming_the_parameters(f, message):
    with pytest.raises(s2sad.S2sadError, match=message) as info:
        s2sad.grad(f)(1.0)
    assert "*, k" in str(info.value)


def test_keyword_only_parameters_of_the_differentiated_function_are_still_refused():
    with pytest.raises(s2sad.UnsupportedSyntaxError, match="keyword-only parameters of the"):
        s2sad.grad(kwonly_top_level)


# ---------------------------------------------------------------- break in reversed ranges
def reversed_break(x, n, limit):
    s = 1.0
    for i in reversed(range(n)):
        s = s * x[i] + np.sin(s)
        if s > limit:
            break
    return s


def reversed_step_break(x, limit):
    s = 0.2
    for i in reversed(range(1, 5, 2)):
        s = s + x[i] * s + x[i - 1]
        if s > limit:
            break
    return s


def sliced_break(x, n, m):
    s = 0.5
    for i in range(1, n)[:m]:
        s = s * x[i] + 1.0
        if s > 3.0:
            break
    return s


def reversed_sliced_break_else(x, m):
    s = x[0]
    total = 0.0
    for i in reversed(range(len(x))[:m]):
        total = total + s * x[i]
        if total > 2.0:
            break
        s = s * 0.5
    else:
        total = total * np.cos(s)
    return total


def nested_reversed_break(x, n):
    out = 0.0
    for j in range(2):
        for i in reversed(range(n)):
            out = out + x[i] * x[j]
            if out > 1.5:
                break
    return out


X = np.array([0.5, 1.2, 0.8, 1.5, 0.9])

BREAKING = [
    pytest.param(reversed_break, (X, 5, 1.3), id="reversed-taken"),
    pytest.param(reversed_break, (X, 5, 100.0), id="reversed-not-taken"),
    pytest.param(reversed_break, (X, 0, 1.0), id="reversed-no-trip"),
    pytest.param(reversed_step_break, (X, 1.0), id="reversed-step-taken"),
    pytest.param(reversed_step_break, (X, 50.0), id="reversed-step-not-taken"),
    pytest.param(sliced_break, (X, 5, 3), id="sliced-not-taken"),
    pytest.param(sliced_break, (2.0 * X, 5, 4), id="sliced-taken"),
    pytest.param(sliced_break, (X, 5, -1), id="sliced-negative-stop"),
    pytest.param(reversed_sliced_break_else, (X, 4), id="reversed-sliced-taken"),
    pytest.param(reversed_sliced_break_else, (0.2 * X, 3), id="reversed-sliced-else"),
    pytest.param(nested_reversed_break, (X, 4), id="nested-taken"),
    pytest.param(nested_reversed_break, (0.3 * X, 4), id="nested-not-taken"),
]


@pytest.mark.parametrize("f, args", BREAKING)
def test_break_in_a_reversed_or_sliced_range_matches_fd_in_reverse_mode(f, args):
    expected = numeric_grad(f, args, 0)
    assert s2sad.grad(f)(*args) == pytest.approx(expected, rel=1e-6, abs=1e-9)
    value, pullback = s2sad.vjp(f, *args)
    assert pullback(1.0)[0] == pytest.approx(expected, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("f, args", BREAKING)
def test_break_in_a_reversed_or_sliced_range_matches_fd_in_forward_mode(f, args):
    v = np.array([0.3, -0.8, 0.5, 1.1, -0.4])
    tangents = (v,) + (None,) * (len(args) - 1)
    value, tangent = s2sad.jvp(f, args, tangents)
    assert value == pytest.approx(f(*args))
    assert tangent == pytest.approx(directional_fd(f, args, 0, v, 1.0), rel=1e-6, abs=1e-9)


def test_the_hessian_through_a_reversed_loop_with_break_matches_fd_of_the_gradient():
    args = (X, 5, 1.3)
    hess = s2sad.hessian(reversed_break)(*args)
    g = s2sad.grad(reversed_break)
    for j in range(len(X)):
        e = np.zeros_like(X)
        e[j] = 1e-5
        column = (g(X + e, 5, 1.3) - g(X - e, 5, 1.3)) / 2e-5
        assert hess[:, j] == pytest.approx(column, rel=1e-5, abs=1e-7)


def test_the_reversed_loop_with_break_reads_its_index_from_its_range():
    text = s2sad.source(reversed_break)
    assert "_range = range(n)" in text and "i = _range[" in text
    assert "for i in reversed(range(n))" in s2sad.source(reversed_break, mode="forward")
