"""``--at``: Python values, positional or named, bound to the function's parameters."""

import numpy as np
import pytest

from s2sad.cli.arguments import parse_at
from s2sad.cli.common import CliError


def lecture(x1, x2):
    return x1 * x2


def horner(x, n=2):
    return x * n


def test_positional_and_named_values_bind_in_order():
    assert parse_at("2,5", lecture) == (2, 5)
    assert parse_at("x2=5, x1=2", lecture) == (2, 5)
    assert parse_at("2.0, x2=5", lecture) == (2.0, 5)


def test_ints_stay_ints_and_defaults_fill_in():
    values = parse_at("0.7", horner)
    assert values == (0.7, 2) and type(values[1]) is int
    assert type(parse_at("0.7, 3", horner)[1]) is int


def test_lists_and_numpy_constructors_give_float_arrays():
    x, w = parse_at("[1, 2, 3], np.ones(3)", lecture)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    assert x.dtype == float and w.shape == (3,)
    (m,) = parse_at("np.eye(2)", lambda m: m)[:1]
    np.testing.assert_array_equal(m, np.eye(2))


@pytest.mark.parametrize("text, words", [
    ("2", "missing a required argument: 'x2'"),
    ("2, 5, 6", "too many positional arguments"),
    ("x3=1, x1=2, x2=3", "unexpected keyword argument 'x3'"),
    ("__import__('os').system('true')", "only NumPy's array constructors"),
    ("np.load('x.npy')", "only NumPy's array constructors"),
    ("2 5", "takes Python values"),
    ("*[1, 2]", "takes Python values"),
    ("x1", "literal values"),
])
def test_a_wrong_point_is_a_usage_error_that_names_the_problem(text, words):
    with pytest.raises(CliError, match=words.replace("(", r"\(").replace(")", r"\)")):
        parse_at(text, lecture)


def test_negative_numbers_nested_lists_and_shapes():
    assert parse_at("-2, x2=-5.5", lecture) == (-2, -5.5)
    (m,) = parse_at("[[1, 2], [3, 4]]", lambda m: m)
    assert m.shape == (2, 2) and m.dtype == float
    (z,) = parse_at("np.zeros((2, 3))", lambda z: z)
    assert z.shape == (2, 3)
    (r,) = parse_at("np.arange(3)", lambda r: r)
    assert r.dtype == float and list(r) == [0.0, 1.0, 2.0]


def test_lists_inside_dicts_and_tuples_become_arrays():
    params, x = parse_at("{'W': [[1, 2]], 'b': [0.5]}, (1, [2, 3])", lecture)
    assert params["W"].shape == (1, 2) and params["b"].dtype == float
    assert x[0] == 1 and type(x[0]) is int and x[1].shape == (2,)


def test_a_ragged_list_is_a_usage_error():
    with pytest.raises(CliError, match="a list must be numbers of one shape"):
        parse_at("[[1, 2], [3]], 1", lecture)
