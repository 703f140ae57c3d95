"""List comprehensions and generator expressions: loops before the statement that uses them,
in both modes against central differences, readable in generated code; what stays refused."""

import inspect

import numpy as np
import pytest
from lang_check import assert_both_modes_match_fd

import s2sad

X = np.array([0.3, -1.2, 2.0])
Y = np.array([1.5, 0.5, -0.7])
W = np.array([[[0.2, -0.1, 0.4], [0.3, 0.1, -0.2], [0.0, 0.5, 0.1]],
              [[-0.3, 0.2, 0.1], [0.1, 0.1, 0.1], [0.4, -0.2, 0.3]]])


# ---- the forms NumPy users write --------------------------------------------------------------
def sum_of_list_of_squares(x):
    return sum([xi * xi for xi in x])


def sum_of_generator(x):
    return sum(np.sin(v) * v for v in x)


def layers_applied(h, layers):
    hs = [np.tanh(layer @ h) for layer in layers]
    return np.sum(np.stack(hs) ** 2)


def array_of_comprehension(x):
    return np.sum(np.array([v * v + 1.0 for v in x]) * x)


def two_fors_and_filters(x, y):
    return sum(a * np.exp(b) for a in x if a > -1.0 for b in y if b < a)


def over_range_zip_and_enumerate(x, y):
    evens = [x[i] * i for i in range(0, len(x), 2)]
    pairs = [a * b for a, b in zip(x, y)]
    ranked = [k * v for k, v in enumerate(y, 1)]
    return sum(evens) + sum(pairs) * sum(ranked)


def nested_comprehension(x, y):
    table = np.array([[a * b - a for b in y] for a in x])
    return np.sum(np.sin(table))


def over_a_list_literal(x):
    return sum(np.cos(t) for t in [x[0], x[1] * x[2], 2.0])


def min_max_any_all(x):
    biggest = max(v * v for v in x)
    smallest = min(np.sin(v) for v in x)
    if all(v > -5.0 for v in x) and any(v > 1.5 for v in x):
        return biggest - smallest
    return biggest * smallest


def list_and_tuple_of_generators(x):
    squares = list(v * v for v in x)
    pair = tuple(np.exp(v) for v in x[:2])
    return squares[0] * pair[1] + squares[2]


def sum_with_a_start(x):
    return sum((v * v for v in x), x[0])


@pytest.mark.parametrize("fn, point, wrt", [
    (sum_of_list_of_squares, (X,), (0,)),
    (sum_of_generator, (X,), (0,)),
    (layers_applied, (X, W), (0, 1)),
    (array_of_comprehension, (X,), (0,)),
    (two_fors_and_filters, (X, Y), (0, 1)),
    (over_range_zip_and_enumerate, (X, Y), (0, 1)),
    (nested_comprehension, (X, Y), (0, 1)),
    (over_a_list_literal, (X,), (0,)),
    (min_max_any_all, (X,), (0,)),
    (min_max_any_all, (X / 2.0,), (0,)),       # no element above 1.5: the other branch
    (list_and_tuple_of_generators, (X,), (0,)),
    (sum_with_a_start, (X,), (0,)),
], ids=lambda p: getattr(p, "__name__", None))
def test_comprehension_matches_central_differences_in_both_modes(fn, point, wrt):
    assert_both_modes_match_fd(fn, *point, wrt=wrt)


def test_min_max_any_all_takes_both_branches_at_the_test_points():
    assert any(v > 1.5 for v in X) and not any(v > 1.5 for v in X / 2.0)


# ---- evaluation order: only what Python evaluates ---------------------------------------------
def in_a_conditional_expression(x):
    first = x[0]
    return first * 2.0 if first > 0.0 else sum(v * v for v in x) / first


def in_and_or(x):
    big = x[0] > 0.0 and sum(v * v for v in x) > 1.0
    small = x[1] > 0.0 or min(v for v in x) > -1.0
    return np.sum(x) * (1.0 + big) * (2.0 + small)


def in_a_while_test(x):
    s = 0.1
    n = 0
    while sum(s * v * v for v in x) < 4.0 and n < 50:
        n += 1
        if n < 2:
            continue
        s = s * 1.5
    return s * np.sum(x)


def guarded_by_the_branch(x, k):
    # the comprehension indexes x[k] only when k is in range, as Python does
    return np.sum(x) if k >= len(x) else sum(x[j] * x[k] for j in range(k + 1))


@pytest.mark.parametrize("fn, point", [
    (in_a_conditional_expression, (X,)), (in_a_conditional_expression, (-X,)),
    (in_and_or, (X,)), (in_and_or, (-X,)), (in_and_or, (X / 10.0,)),
    (in_a_while_test, (X,)), (in_a_while_test, (X * 3.0,)),
])
def test_comprehension_in_a_condition_runs_only_when_python_runs_it(fn, point):
    assert_both_modes_match_fd(fn, *point)


def test_comprehension_in_an_untaken_branch_is_not_evaluated():
    assert_both_modes_match_fd(lambda x: guarded_by_the_branch(x, 5), X)
    assert_both_modes_match_fd(lambda x: guarded_by_the_branch(x, 1), X)


# ---- scopes: comprehension variables do not leak ----------------------------------------------
def variable_named_like_an_outer_one(x):
    v = x[0] * 3.0
    squares = [v * v for v in x]
    return sum(squares) + v


def variable_named_like_its_iterable(x):
    return sum(x * x for x in x)


def nested_comprehensions_rebinding_a_name(x):
    return sum(sum(v * w for v in x) + v for v in x for w in [2.0])


def inner_function_sees_the_outer_variable(x):
    v = x[2]

    def scaled(t):
        return t * v

    return sum(scaled(v) for v in x)


@pytest.mark.parametrize("fn", [variable_named_like_an_outer_one, variable_named_like_its_iterable,
                                nested_comprehensions_rebinding_a_name,
                                inner_function_sees_the_outer_variable])
def test_comprehension_variables_are_local_to_the_comprehension(fn):
    assert_both_modes_match_fd(fn, X)


def test_a_variable_used_nowhere_else_keeps_its_name_and_others_get_fresh_ones():
    kept = s2sad.source(sum_of_list_of_squares, ssa=True)
    assert "xi = x[i]" in kept
    renamed = s2sad.source(variable_named_like_an_outer_one, ssa=True)
    assert "v_1 = x[i]" in renamed


# ---- generated code stays readable: loops stay loops ------------------------------------------
def test_a_list_comprehension_assigned_to_a_name_builds_that_list_in_a_loop():
    text = s2sad.source(layers_applied, ssa=True)
    assert "hs = []" in text
    assert "for i in range(t1):" in text and "layer = layers[i]" in text
    assert "list_append(hs" in text and "np.stack(hs" in text


def test_sum_of_a_generator_accumulates_without_a_list():
    text = s2sad.source(sum_of_generator, ssa=True)
    assert "total = 0" in text and "list_append" not in text and text.count("for ") == 1
    for mode in ("reverse", "forward"):
        generated = s2sad.source(sum_of_generator, mode=mode)
        assert generated.count("for i in") == (2 if mode == "reverse" else 1)


def conditional_assignment(x):
    y = x[0] if x[1] > 0.0 else sum(v for v in x)
    return y


def test_a_conditional_expression_around_a_comprehension_becomes_an_if_statement():
    text = s2sad.source(conditional_assignment, ssa=True)
    assert "    if t2:\n        y = x[0]\n" in text
    assert text.index("if t2:") < text.index("        for i in range")


# ---- inside other code ------------------------------------------------------------------------
def dot(u, v):
    return sum(a * b for a, b in zip(u, v))


def calls_a_function_with_a_comprehension(x, y):
    return dot(x, y) * dot(x, x)


def comprehension_in_a_nested_def(x):
    def energy(scale):
        return sum(scale * t ** 3 for t in x)

    return energy(2.0) + energy(x[0])


def apply_twice(fn, v):
    return fn(fn(v))


def comprehension_in_lambdas(x):
    f = lambda t: sum(t * v for v in x)  # noqa: E731
    return f(2.0) + apply_twice(lambda s: max(s * v for v in x), x[0])


def test_comprehensions_in_called_and_nested_functions_and_lambdas():
    assert_both_modes_match_fd(calls_a_function_with_a_comprehension, X, Y, wrt=(0, 1))
    assert_both_modes_match_fd(comprehension_in_a_nested_def, X)
    assert_both_modes_match_fd(comprehension_in_lambdas, X)
    assert_both_modes_match_fd(comprehension_in_lambdas, -X)
    assert_both_modes_match_fd(differentiated_lambda, X)


def total_read_by_a_closure(x):
    total = x[0]

    def scaled(v):
        return v * total

    total = sum(scaled(v) for v in x)      # scaled reads the total of before, as in Python
    return total


def test_a_name_a_local_function_reads_is_not_accumulated_in_place():
    assert s2sad.vjp(total_read_by_a_closure, X)[0] == pytest.approx(total_read_by_a_closure(X))
    assert_both_modes_match_fd(total_read_by_a_closure, X)


def test_hessian_of_a_comprehension_matches_fd_of_the_gradient():
    hessian = s2sad.hessian(array_of_comprehension)(X)
    grad = s2sad.grad(array_of_comprehension)
    eps = 1e-6
    numeric = np.array([(grad(X + eps * e) - grad(X - eps * e)) / (2 * eps) for e in np.eye(3)])
    np.testing.assert_allclose(hessian, numeric, rtol=1e-6, atol=1e-6)


# ---- refused, cleanly -------------------------------------------------------------------------
def generator_passed_to_numpy(x):
    return np.sum(np.array(v * 2.0 for v in x))


differentiated_lambda = lambda x: sum(v * v for v in x)  # noqa: E731


def comprehension_in_a_chained_comparison(x):
    return x[0] * (0.0 < x[1] < sum(v for v in x))


def set_comprehension(x):
    return sum({v * 2.0 for v in x})


def dict_comprehension(x):
    d = {k: v for k, v in enumerate(x)}
    return d[0]


def max_with_a_key(x):
    return max((v for v in x), key=abs)


@pytest.mark.parametrize("fn, snippet, words", [
    (generator_passed_to_numpy, "v * 2.0 for", "generator expressions outside"),
    (comprehension_in_a_chained_comparison, "0.0 < x[1]", "chain"),
    (set_comprehension, "{v * 2.0", "set comprehensions"),
    (dict_comprehension, "{k: v", "only known when the code runs"),
    (max_with_a_key, "abs)", "keyword 'key'"),
])
def test_what_stays_refused_raises_a_located_error_with_a_hint(fn, snippet, words):
    with pytest.raises(s2sad.UnsupportedSyntaxError) as info:
        s2sad.grad(fn)
    message = str(info.value)
    lines, start = inspect.getsourcelines(fn)
    line = next(start + i for i, text in enumerate(lines) if snippet in text)
    assert f":{line}:" in message and words in message and "hint:" in message, message
