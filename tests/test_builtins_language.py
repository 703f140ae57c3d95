"""Builtins on differentiable values (sum, min, max, abs, any, all, len), every loop header
Python allows over range / reversed / enumerate / zip, and small language features (':=',
read-only 'global', a nested def after an early return, try/finally): both modes against
central differences, and clean refusals for what stays out."""

import inspect
import re

import numpy as np
import pytest
from lang_check import assert_both_modes_match_fd

import s2sad

X = np.array([0.3, -1.2, 2.0])
Y = np.array([1.5, 0.5, -0.7])
Z = np.array([0.2, 0.4, 0.6])
M = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]])
OFFSET = 0.75


# ---- builtins ---------------------------------------------------------------------------------
def sum_of_an_array_and_of_a_list(x, m):
    rows = sum(m)                        # a sum of rows, as Python iterates a 2-d array
    return sum(x) * sum([x[0], x[1] * x[2]], 0.5) + np.sum(rows * x) + sum(x, start=1.0)


def min_max_of_several_arguments(x):
    return max(x[0], x[1] * 2.0, np.sin(x[2])) * min(x[0], x[2], 0.5, x[1] * x[1])


def min_max_of_an_iterable(x, m):
    items = [x[0] * x[1], x[2], np.exp(x[1])]
    return max(items) - min(x) + max(x, default=0.0) * min([], default=2.0) + max(m[0])


def abs_any_all_and_len(x):
    items = [abs(v) for v in x]
    scale = 2.0 if any(x > 1.0) and all(x < 5.0) else 3.0
    return scale * sum(items) * len(items)


@pytest.mark.parametrize("fn, point, wrt", [
    (sum_of_an_array_and_of_a_list, (X, M), (0, 1)),
    (min_max_of_several_arguments, (X,), (0,)),
    (min_max_of_several_arguments, (-X,), (0,)),
    (min_max_of_an_iterable, (X, M), (0, 1)),
    (min_max_of_an_iterable, (-X, -M), (0, 1)),
    (abs_any_all_and_len, (X,), (0,)),
    (abs_any_all_and_len, (X / 4.0,), (0,)),
], ids=lambda p: getattr(p, "__name__", None))
def test_builtin_on_differentiable_values_matches_central_differences(fn, point, wrt):
    assert_both_modes_match_fd(fn, *point, wrt=wrt)


def max_of_three(a, b, c):
    return max(a, b, c)


def max_of_a_generator(a, b, c):
    return max(v for v in (a, b, c))


def min_of_three(a, b, c):
    return min(a, b, c)


@pytest.mark.parametrize("fn", [max_of_three, max_of_a_generator, min_of_three])
def test_the_derivative_of_max_follows_the_first_maximal_element(fn):
    # a and c tie: Python returns a, and the whole derivative goes to a, in both modes
    point = (2.0, 1.0 if fn is not min_of_three else 3.0, 2.0)
    grads = s2sad.grad(fn, wrt=(0, 1, 2))(*point)
    assert grads == (1.0, 0.0, 0.0)
    for k in range(3):
        tangents = tuple(1.0 if i == k else 0.0 for i in range(3))
        assert s2sad.jvp(fn, point, tangents)[1] == (1.0 if k == 0 else 0.0)


# ---- loop headers -----------------------------------------------------------------------------
def enumerate_with_a_start_and_zip(x, y):
    s = 0.0
    for i, (a, b) in enumerate(zip(x, y), start=2):
        s = s + i * a * b
    for k, v in enumerate(x, 1):
        s = s + k * v
    return s


def zip_of_ranges_and_arrays(x, y):
    s = 0.0
    for k, a in zip(range(1, 10, 3), x):
        s = s + k * a
    for k, a, b in zip(reversed(range(5)), y, reversed(x)):
        s = s + k * a * b
    for k, a in zip(range(8, 0, -3), y):
        s = s * 0.5 + k * a
    return s


def enumerate_around_reversed_and_ranges(x, y):
    s = 0.0
    for i, v in enumerate(reversed(x)):
        s = s + (i + 1) * v * v
    for i, k in enumerate(range(3, 9, 2), 1):
        s = s + i * k * y[i - 1]
    for (i, a), b in zip(enumerate(x), y):
        s = s * 0.5 + i * a * b
    return s + sum(i * a * b for i, (a, b) in enumerate(zip(x, reversed(y))))


def nested_targets_three_deep(x, y, z):
    s = 0.0
    for i, (a, (b, c)) in enumerate(zip(x, zip(y, z))):
        s = s + (i + 1) * a * b - c
    return s


def reversed_sequences(x, y):
    s = 0.0
    for v in reversed(x):
        s = s * 0.5 + v
    for v in reversed([x[0], y[1], x[2] * y[2]]):
        s = s * 0.5 + v
        if s > 100.0:
            break                                 # a break: the forward loop over x[n-1-i]
    return s


def rows_unpacked_and_tuples_as_values(m, x):
    s = 0.0
    for a, b, c in m:
        s = s + a * b - c
    for pair in zip(x, m[0]):
        s = s + np.sum(np.array(pair)) * pair[1]
    for i, row in enumerate(m):
        s = s + i * np.sum(row * x)
    return s


@pytest.mark.parametrize("fn, point, wrt", [
    (enumerate_with_a_start_and_zip, (X, Y), (0, 1)),
    (zip_of_ranges_and_arrays, (X, Y), (0, 1)),
    (enumerate_around_reversed_and_ranges, (X, Y), (0, 1)),
    (nested_targets_three_deep, (X, Y, Z), (0, 1, 2)),
    (reversed_sequences, (X, Y), (0, 1)),
    (reversed_sequences, (X * 100.0, Y), (0, 1)),
    (rows_unpacked_and_tuples_as_values, (M, X), (0, 1)),
], ids=lambda p: getattr(p, "__name__", None))
def test_loop_header_matches_central_differences(fn, point, wrt):
    assert fn(*point) != 0.0
    assert_both_modes_match_fd(fn, *point, wrt=wrt)


def test_loops_over_zip_and_reversed_stay_loops_with_readable_items():
    text = s2sad.source(reversed_sequences, ssa=True)
    assert "for i in reversed(range(t1)):" in text and re.search(r"v(_\d)? = x\[i\]", text)
    text = s2sad.source(nested_targets_three_deep, ssa=True)
    assert text.count("for ") == 1 and "tuple(" not in text


# ---- ':=' -------------------------------------------------------------------------------------
def walrus_in_an_if_test(x):
    if (y := np.sum(x * x)) > 1.0:
        return y * 2.0
    return y + np.sum(x)


def walrus_in_a_while_test(x):
    s = 0.5
    n = 0
    while (y := s * np.sum(x * x)) < 8.0:
        n += 1
        if n % 2 == 0:
            s = s * 1.5
            continue
        s = s * 1.25
    return y + s


def walrus_in_a_comprehension_and_a_branch(x):
    kept = [y for v in x if (y := v * v) > 0.5]
    return sum(kept) + (x[0] if x[0] > 0.0 else (z := x[1] * 3.0) * z)


@pytest.mark.parametrize("fn, point", [
    (walrus_in_an_if_test, X), (walrus_in_an_if_test, X / 10.0),
    (walrus_in_a_while_test, X), (walrus_in_a_while_test, X / 3.0),
    (walrus_in_a_comprehension_and_a_branch, X), (walrus_in_a_comprehension_and_a_branch, -X),
])
def test_walrus_matches_central_differences(fn, point):
    assert_both_modes_match_fd(fn, point)


def walrus_after_a_read(x):
    y = x
    return y * (y := x * 2.0)


def walrus_after_a_call_that_reads_it(x):
    y = x

    def twice():
        return 2.0 * y

    return twice() * (y := x * 2.0)


# ---- global, nested def after return, try / finally -------------------------------------------
def reads_a_global(x):
    global OFFSET
    return x * x + OFFSET


def nested_def_after_an_early_return(x):
    if x > 1.0:
        return x * x

    def triple(v):
        return v * 3.0

    return triple(x) + x


def try_finally(x):
    try:
        y = np.sin(x)
    finally:
        z = y * x
    return z + y


@pytest.mark.parametrize("fn, point", [
    (reads_a_global, 1.5), (nested_def_after_an_early_return, 2.0),
    (nested_def_after_an_early_return, 0.5), (try_finally, 0.7),
])
def test_small_language_features_match_central_differences(fn, point):
    assert_both_modes_match_fd(fn, point)


def assigns_a_global(x):
    global OFFSET
    OFFSET = x
    return x


def returns_inside_try_finally(x):
    try:
        return x * 2.0
    finally:
        x = x + 1.0


def try_except(x):
    try:
        y = np.log(x)
    except ValueError:
        y = x
    return y


# ---- refusals ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fn, snippet, words", [
    (walrus_after_a_read, "y := x", "read before the assignment expression"),
    (walrus_after_a_call_that_reads_it, "y := x", "read before the assignment expression"),
    (assigns_a_global, "global OFFSET", "assignments to a global variable"),
    (returns_inside_try_finally, "return x * 2.0", "inside 'try' / 'finally'"),
    (try_except, "try:", "'try' statements with 'except'"),
])
def test_refused_language_features_raise_a_located_error_with_a_hint(fn, snippet, words):
    with pytest.raises(s2sad.UnsupportedSyntaxError) as info:
        s2sad.grad(fn)
    message = str(info.value)
    lines, start = inspect.getsourcelines(fn)
    line, col = next((start + i, text.index(snippet)) for i, text in enumerate(lines)
                     if snippet in text)
    assert f":{line}:{col}" in message and words in message and "hint:" in message, message


def zip_with_strict(x, y):
    s = 0.0
    for a, b in zip(x, y, strict=True):
        s = s + a * b
    return s


def reversed_enumerate(x):
    s = 0.0
    for i, v in reversed(enumerate(x)):
        s = s + i * v
    return s


@pytest.mark.parametrize("fn", [zip_with_strict, reversed_enumerate])
def test_loop_headers_python_refuses_or_s2sad_does_not_support_are_refused(fn):
    with pytest.raises(s2sad.UnsupportedSyntaxError) as info:
        s2sad.grad(fn)
    assert info.value.location is not None and "not supported" in str(info.value)
    assert "hint:" in str(info.value)
