"""The shape family beyond the rule table: list adjoints of joins and splits, repeated
indices, conventions (np.select, np.pad modes), second derivatives, dtypes, generated code."""

import numpy as np
import pytest
from fd import numeric_grad

import s2sad
from s2sad.runtime import RaggedAdjoint
from s2sad.runtime import shape as srt


# ---- functions used below -------------------------------------------------------------------
def concatenate_energy(x):
    y = np.concatenate([x[:2] * x[1:3], np.sin(x)])
    return np.sum(y**2)


def array_split_energy(x):
    a, b = np.array_split(x, 2)  # 3 and 2 entries: a ragged list
    return np.sum(a**3) * np.sum(np.cos(b))


def hstack_energy(x):
    return np.sum(np.hstack([x[0], x[1:] ** 2, np.exp(x)]) ** 2)


def pad_energy(x):
    return np.sum(np.pad(x, 2, mode="reflect") ** 3) + np.sum(np.pad(x, (1, 0)) ** 2 * x[0])


def copies_energy(x):
    return np.sum(np.tile(x, 3) * np.repeat(x, 3)) + np.sum(np.diff(x, 2) ** 2)


def take_energy(x):
    return np.sum(np.take(x, [0, 0, 2]) ** 3) + np.trace(np.diag(x) @ np.diag(x))


def select_energy(x):
    return np.sum(np.select([x > 0.0], [x**3], default=0.5) * x)


def index_energy(x):
    return np.sum(x[x > 0.0] ** 3) + np.sum(x[::-1] * x) + np.sum(x[[0, 2, 0]] ** 2)


def moves_energy(x):
    m = np.reshape(x, (2, 3))
    moved = np.rot90(m) @ np.roll(np.fliplr(m), 1, axis=1) + np.triu(np.outer(x, x))[:3, :3]
    return np.sum(np.swapaxes(moved, 0, 1) ** 2) + np.sum(np.take_along_axis(m, IDX, 1) ** 3)


IDX = np.array([[2, 2, 0], [1, 0, 1]])
C = np.array([1.0, 2.0])


def loop_built_concatenate(x):
    parts = []
    for i in range(3):
        parts.append(x[: i + 1] * (i + 1.0))
    return np.sum(np.concatenate(parts) ** 2)


def constants_in_the_list(x):
    return np.sum(np.concatenate([C, x, C[:1]]) ** 3) + np.sum(np.hstack((C, x)) ** 2)


def tuple_and_stack(x):
    pair = (x, x * 2.0)
    return np.sum(np.vstack(pair) ** 2) + np.sum(np.stack([x, C[0] * x], axis=1) ** 3)


def split_parts_in_a_loop(x):
    parts = np.array_split(x, 4)
    s = 0.0
    for i in range(4):
        s = s + np.sum(parts[i] ** 2) * (i + 1.0)
    return s

SECOND_ORDER = [concatenate_energy, array_split_energy, hstack_energy, pad_energy,
                copies_energy, take_energy, select_energy, index_energy, moves_energy,
                loop_built_concatenate, constants_in_the_list, tuple_and_stack,
                split_parts_in_a_loop]


# ---- list adjoints --------------------------------------------------------------------------
def test_split_like_stacks_equal_pieces_and_keeps_different_ones_ragged():
    v = np.arange(5.0)
    stacked = srt.split_like(v[:4], [np.zeros(2), np.zeros(2)])
    assert type(stacked) is np.ndarray and stacked.shape == (2, 2)
    ragged = srt.split_like(v, [np.zeros(2), np.zeros(3)])
    assert type(ragged) is RaggedAdjoint
    np.testing.assert_array_equal(ragged[0], [0.0, 1.0])
    np.testing.assert_array_equal(ragged[1], [2.0, 3.0, 4.0])
    np.testing.assert_array_equal(srt.join(ragged, ragged), v)


def test_join_expands_a_scalar_zero_entry_to_its_element():
    like = [np.ones(2), np.ones(3)]
    parts = np.zeros(2, dtype=object)  # a list adjoint with 0 for an unused element
    parts[1] = np.arange(3.0)
    np.testing.assert_array_equal(srt.join(parts, like), [0.0, 0.0, 0.0, 1.0, 2.0])


@pytest.mark.parametrize("how, parts", [
    ("hstack", [1.0, np.arange(2.0), np.arange(3.0)]),
    ("hstack", [np.ones((2, 1)), np.zeros((2, 3))]),
    ("vstack", [np.arange(3.0), np.ones((2, 3))]),
    ("vstack", [1.0, 2.0]),
    ("dstack", [np.arange(3.0), np.ones((1, 3, 2))]),
    ("dstack", [np.ones((2, 3)), np.ones((2, 3, 2))]),
    ("column_stack", [np.arange(3.0), np.ones((3, 2))]),
])
def test_split_like_undoes_each_joining_function(how, parts):
    joined = getattr(np, how)(parts)
    pieces = srt.split_like(joined, parts, how)
    assert len(pieces) == len(parts)
    for piece, part in zip(pieces, parts):
        assert np.shape(piece) == np.shape(part)
        np.testing.assert_array_equal(piece, part)
    np.testing.assert_array_equal(srt.join(pieces, parts, how), joined)


def test_gradient_of_a_ragged_concatenate_reaches_every_piece(rng):
    def f(x, y):
        return np.sum(np.concatenate([x, y, x[:1]]) * np.arange(1.0, 7.0))

    x, y = rng.standard_normal(3), rng.standard_normal(2)
    gx, gy = s2sad.grad(f, wrt=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, [1.0 + 6.0, 2.0, 3.0])
    np.testing.assert_array_equal(gy, [4.0, 5.0])


def test_unused_parts_of_a_split_get_zero_gradient(rng):
    def f(x):
        first, second, third = np.array_split(x, 3)
        return np.sum(second**2)

    x = rng.standard_normal(7)
    expected = np.zeros(7)
    expected[3:5] = 2.0 * x[3:5]
    np.testing.assert_allclose(s2sad.grad(f)(x), expected)
    _, tangent = s2sad.jvp(f, (x,), (np.ones(7),))
    assert tangent == pytest.approx(np.sum(2.0 * x[3:5]))


def test_split_parts_indexed_from_the_list(rng):
    def f(x):
        parts = np.split(x, [1, 3], axis=1)
        return np.sum(parts[2] * parts[1]) + np.sum(parts[0])

    x = rng.standard_normal((2, 5))
    g = s2sad.grad(f)(x)
    np.testing.assert_allclose(g, numeric_grad(f, [x], 0), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("f", [loop_built_concatenate, constants_in_the_list, tuple_and_stack,
                               split_parts_in_a_loop], ids=lambda f: f.__name__)
def test_lists_built_in_loops_or_holding_constants(f, rng):
    x = rng.standard_normal(6)
    expected = numeric_grad(f, [x], 0)
    np.testing.assert_allclose(s2sad.grad(f)(x), expected, rtol=1e-7, atol=1e-8)
    v = rng.standard_normal(6)
    _, tangent = s2sad.jvp(f, (x,), (v,))
    assert tangent == pytest.approx(np.sum(expected * v), rel=1e-7)


# ---- repeated entries -----------------------------------------------------------------------
def test_repeated_indices_add_up(rng):
    def f(x):
        return np.sum(np.take(x, [0, 0, 2])) + np.sum(x[np.array([1, 1, 1])])

    np.testing.assert_array_equal(s2sad.grad(f)(rng.standard_normal(3)), [2.0, 3.0, 1.0])


def test_take_along_axis_with_repeats_adds_up():
    def f(x):
        return np.sum(np.take_along_axis(x, np.array([[0, 0], [1, 1]]), axis=1))

    np.testing.assert_array_equal(s2sad.grad(f)(np.ones((2, 3))),
                                  [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]])


def test_repeat_with_a_zero_count_gives_zero_gradient():
    def f(x):
        return np.sum(np.repeat(x, [2, 0, 3]))

    np.testing.assert_array_equal(s2sad.grad(f)(np.ones(3)), [2.0, 0.0, 3.0])


def test_boolean_mask_gradient_is_zero_outside_the_mask():
    def f(x):
        return np.sum(x[x > 0.0] ** 2)

    x = np.array([1.5, -2.0, 0.5, -0.1])
    np.testing.assert_array_equal(s2sad.grad(f)(x), [3.0, 0.0, 1.0, 0.0])


def test_two_dimensional_fancy_index_picks_entries():
    def f(x):
        return np.sum(x[[0, 1, 0], [2, 0, 2]] * np.array([1.0, 2.0, 3.0]))

    expected = np.zeros((2, 3))
    expected[0, 2], expected[1, 0] = 4.0, 2.0
    np.testing.assert_array_equal(s2sad.grad(f)(np.ones((2, 3))), expected)


# ---- conventions ----------------------------------------------------------------------------
def test_select_sends_the_cotangent_to_the_first_true_condition():
    def f(x):
        return np.sum(np.select([x > 0.0, x > -1.0], [2.0 * x, 3.0 * x], default=7.0))

    x = np.array([0.5, -0.5, -2.0])
    np.testing.assert_array_equal(s2sad.grad(f)(x), [2.0, 3.0, 0.0])
    _, tangent = s2sad.jvp(f, (x,), (np.array([1.0, 1.0, 0.0]),))
    assert tangent == pytest.approx(5.0)


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric", "wrap"])
def test_pad_modes_that_copy_entries_match_finite_differences(mode, rng):
    def f(x):
        return np.sum(np.pad(x, ((2, 1), (0, 3)), mode=mode) ** 2 * 0.5)

    x = rng.standard_normal((3, 2))
    np.testing.assert_allclose(s2sad.grad(f)(x), numeric_grad(f, [x], 0), rtol=1e-7)
    v = rng.standard_normal((3, 2))
    _, tangent = s2sad.jvp(f, (x,), (v,))
    assert tangent == pytest.approx(np.sum(numeric_grad(f, [x], 0) * v), rel=1e-7)


def test_pad_refuses_modes_that_do_not_copy_entries():
    def f(x):
        return np.sum(np.pad(x, 1, mode="maximum"))

    x = np.arange(3.0)
    with pytest.raises(ValueError, match="modes constant, edge"):
        s2sad.grad(f)(x)
    with pytest.raises(ValueError, match="modes constant, edge"):
        s2sad.jvp(f, (x,), (x,))


def test_pad_with_constant_values_differentiates_the_array():
    def f(x):
        return np.sum(np.pad(x, 1, constant_values=-3.0) ** 2)

    x = np.array([1.0, 2.0])
    np.testing.assert_array_equal(s2sad.grad(f)(x), 2.0 * x)


def test_trace_and_diagonal_of_rectangular_and_stacked_matrices(rng):
    def f(x):
        return np.sum(np.trace(x, offset=1, axis1=0, axis2=2) ** 2) + np.sum(
            x.diagonal(-1, 1, 2))

    x = rng.standard_normal((3, 2, 4))
    np.testing.assert_allclose(s2sad.grad(f)(x), numeric_grad(f, [x], 0), rtol=1e-7,
                               atol=1e-9)


def test_diag_of_a_rectangular_matrix_keeps_its_shape():
    def f(x):
        return np.sum(np.diag(x, -1) * np.array([1.0, 2.0]))

    expected = np.zeros((3, 2))
    expected[1, 0], expected[2, 1] = 1.0, 2.0
    np.testing.assert_array_equal(s2sad.grad(f)(np.ones((3, 2))), expected)


# ---- second order: closure is real ----------------------------------------------------------
@pytest.mark.parametrize("f", SECOND_ORDER, ids=lambda f: f.__name__)
def test_hessian_matches_finite_differences_of_the_gradient(f, rng):
    x = rng.standard_normal(6)
    hessian = s2sad.hessian(f)(x)
    gradient = s2sad.grad(f)
    expected = np.array([numeric_grad(lambda z, i=i: gradient(z)[i], [x], 0) for i in range(6)])
    np.testing.assert_allclose(hessian, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("f", SECOND_ORDER, ids=lambda f: f.__name__)
def test_gradient_of_the_gradient_norm_is_twice_hessian_times_gradient(f, rng):
    def squared_gradient(z):
        g = s2sad.grad(f)(z)
        return np.sum(g * g)

    x = rng.standard_normal(6)
    expected = 2.0 * s2sad.hessian(f)(x) @ s2sad.grad(f)(x)
    np.testing.assert_allclose(s2sad.grad(squared_gradient)(x), expected, rtol=1e-9,
                               atol=1e-9)


# ---- dtypes ---------------------------------------------------------------------------------
REPS = np.array([2, 1, 0, 3] * 3)
PICK = np.array([8, 0, 0, 3, 1, 2, 7, 5, 4])


def float32_program(x):
    joined = np.concatenate([np.pad(x, 1, mode="reflect"), np.tile(x, 2), x[:1]])
    repeated = np.repeat(joined, REPS)
    first, second = repeated[:9], repeated[9:]
    picked = np.select([first > 2.0], [np.take(second, PICK)])
    return np.concatenate([first * picked, np.diff(second),
                           np.hstack([x, x]) * np.trace(np.diag(x))])


def test_helpers_keep_float32():
    """With a float32 cotangent (the gradient's seed is another matter), every adjoint and
    tangent of the family stays float32."""
    x = np.arange(1.0, 4.0, dtype=np.float32)
    _, vjp_fn = s2sad.vjp(float32_program, x)
    assert vjp_fn(np.ones(23, np.float32))[0].dtype == np.float32
    _, tangent = s2sad.jvp(float32_program, (x,), (np.ones(3, np.float32),))
    assert np.asarray(tangent).dtype == np.float32


# ---- generated code -------------------------------------------------------------------------
def test_adjoints_read_as_the_inverse_move():
    def f(x):
        return np.sum(np.roll(np.flip(x, 0), 2, axis=1) * np.rot90(x, 1, axes=(1, 0)).T)

    source = s2sad.source(f)
    assert "np.roll(" in source and ", -2, axis=1)" in source
    assert "np.rot90(" in source and "k=-1" in source
    assert "negated" not in source


def test_concatenate_adjoint_splits_like_the_list():
    source = s2sad.source(concatenate_energy)
    assert "split_like(" in source
    assert "np.concatenate(" in s2sad.source(concatenate_energy, mode="jvp")
    assert "np.concatenate(" in s2sad.source(array_split_energy)


def linspace_of_variables(a, b):
    return np.sum(np.linspace(a, b * b, 4) ** 2)


def test_hessian_through_linspace_matches_differences_of_the_gradient():
    a, b = 0.3, 0.7
    hess = np.array(s2sad.hessian(linspace_of_variables, wrt=(0, 1))(a, b))

    def gradient(a, b):
        return np.array(s2sad.grad(linspace_of_variables, wrt=(0, 1))(a, b))

    eps = 1e-6
    columns = [(gradient(a + eps, b) - gradient(a - eps, b)) / (2 * eps),
               (gradient(a, b + eps) - gradient(a, b - eps)) / (2 * eps)]
    np.testing.assert_allclose(hess, np.stack(columns, axis=1), rtol=1e-6)
