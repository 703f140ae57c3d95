"""Issue 8, "no silent wrong derivatives": the cases that the lowering and the rules got wrong.

Each case is checked in reverse mode (grad / vjp) and forward mode (jvp) where the mode
applies, against central finite differences and against the true value worked out by hand.
"""

import math
import warnings

import numpy as np
import pytest
from fd import numeric_grad

import s2sad


def fd_tangent(f, args, index, direction, eps=1e-6):
    """d/dh f(args with args[index] + h * direction), by central differences."""
    up, down = list(args), list(args)
    up[index] = args[index] + eps * direction
    down[index] = args[index] - eps * direction
    return (np.asarray(f(*up)) - np.asarray(f(*down))) / (2 * eps)


# ------------------------------------------------------------------ 13: recursion is linear


def rpow(x, n):
    if n == 0:
        return 1.0
    else:
        return x * rpow(x, n - 1)


def test_recursive_call_with_an_integer_argument_reverse_n50():
    x = 1.01
    grad = s2sad.grad(rpow)(x, 50)
    assert grad == pytest.approx(50 * x**49, rel=1e-12)
    assert grad == pytest.approx(numeric_grad(lambda v: rpow(v, 50), [x], 0), rel=1e-6)


def test_recursive_call_with_an_integer_argument_forward_n50():
    x = 1.01
    value, tangent = s2sad.jvp(rpow, (x, 50), (1.0, 0))
    assert value == pytest.approx(x**50, rel=1e-12)
    assert tangent == pytest.approx(50 * x**49, rel=1e-12)
    assert tangent == pytest.approx(fd_tangent(rpow, [x, 50], 0, 1.0), rel=1e-6)


def test_recursive_vjp_calls_the_callee_vjp_once_per_step():
    text = s2sad.source(rpow, mode="vjp", wrt=(0, 1))
    assert text.count("rpow_vjp_all(") == 1
    unoptimized = s2sad.source(rpow, mode="vjp", wrt=(0, 1), optimize=False)
    assert unoptimized.count("rpow_vjp_all(") == 1


# ------------------------------------------- 3: np.array([...]) with inactive array elements

ROW = np.array([3.0, 4.0])


def array_of_rows(y):
    M = np.array([np.array([1.0, 2.0]) * y, np.array([3.0, 4.0])])
    return np.sum(M)


def nested_array_of_rows(y):
    M = np.array([[np.array([1.0, 2.0]) * y, ROW], [ROW, ROW * y * y]])
    return np.sum(M * M)


def nested_array_of_scalars(y):
    M = np.array([[y, 2.0], [ROW[0], y * y]])
    return np.sum(M * M)


def array_of_arrays(x):
    M = np.array([x * 2.0, ROW, np.sin(x)])
    return np.sum(M @ np.array([1.0, -2.0]))


ARRAY_CASES = [
    (array_of_rows, 1.5, 3.0),
    (nested_array_of_rows, 1.5, None),
    (nested_array_of_scalars, 1.5, None),
]


@pytest.mark.parametrize("f, y, truth", ARRAY_CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_array_of_inactive_arrays_forward_and_reverse(f, y, truth):
    numeric = numeric_grad(f, [y], 0)
    value, tangent = s2sad.jvp(f, (y,), (1.0,))
    assert value == pytest.approx(f(y))
    assert tangent == pytest.approx(numeric, rel=1e-6)
    assert s2sad.grad(f)(y) == pytest.approx(numeric, rel=1e-6)
    if truth is not None:
        assert tangent == pytest.approx(truth) and s2sad.grad(f)(y) == pytest.approx(truth)


def test_array_of_inactive_arrays_with_an_array_argument():
    x = np.array([0.3, -1.2])
    numeric = numeric_grad(array_of_arrays, [x], 0)
    np.testing.assert_allclose(s2sad.grad(array_of_arrays)(x), numeric, rtol=1e-6)
    direction = np.array([0.7, -0.4])
    _, tangent = s2sad.jvp(array_of_arrays, (x,), (direction,))
    assert tangent == pytest.approx(float(numeric @ direction), rel=1e-6)


# --------------------------------------------- 11: repeated indices in an index assignment

IDX = np.array([0, 0, 2, 1])
WEIGHTS = np.array([1.0, 2.0, 3.0])
W2 = np.arange(1.0, 13.0).reshape(3, 4)


def write_array_index(x):
    y = np.zeros(3)
    y[IDX] = x
    return np.sum(y * WEIGHTS)


def add_array_index(x):
    y = np.zeros(3)
    y[IDX] += x
    return np.sum(y * WEIGHTS)


def write_list_index(x):
    y = np.ones(3)
    y[[2, 0, 2, 1]] = x * x
    return np.sum(y * WEIGHTS)


def add_into_active_array(x):
    y = x[:3] * 2.0
    y[[1, 1, 0, 1]] += x
    return np.sum(y * y * WEIGHTS)


def write_scalar_to_repeats(x):
    y = np.zeros(3)
    y[[1, 1, 2]] = x[0]
    return np.sum(y * WEIGHTS) + x[1]


def write_2d_fancy(x):
    y = np.zeros((3, 4))
    y[np.array([[0, 1], [0, 1]])] = np.reshape(x, (2, 2, 4))
    return np.sum(y * W2)


def write_index_tuple(x):
    y = np.zeros((3, 4))
    y[np.array([0, 2, 0, 0]), np.array([1, 3, 1, 2])] = x
    return np.sum(y * W2)


def write_rows_and_slice(x):
    y = np.zeros((3, 4))
    y[[2, 2], 1:3] = np.reshape(x[:4], (2, 2))
    return np.sum(y * W2)


def write_boolean_mask(x):
    y = np.zeros(4)
    y[np.array([True, False, True, True])] = x[:3]
    return np.sum(y * np.array([1.0, 2.0, 3.0, 4.0]))


def write_slice_broadcast_scalar(x):
    y = np.zeros(3)
    y[0:2] = x[0]
    return np.sum(y * W2[:, :3])


def test_repeated_index_keeps_only_the_last_write_in_reverse_mode():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    truth = np.array([0.0, 1.0, 3.0, 2.0])  # entry 0 is overwritten by entry 1
    np.testing.assert_allclose(s2sad.grad(write_array_index)(x), truth)
    np.testing.assert_allclose(s2sad.grad(add_array_index)(x), truth)


def test_repeated_index_keeps_only_the_last_write_in_forward_mode():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    direction = np.array([1.0, 10.0, 100.0, 1000.0])
    for f in (write_array_index, add_array_index):
        value, tangent = s2sad.jvp(f, (x,), (direction,))
        assert value == pytest.approx(f(x))
        assert tangent == pytest.approx(10.0 * 1 + 1000.0 * 2 + 100.0 * 3)


REPEATED = [
    (write_array_index, (4,)),
    (add_array_index, (4,)),
    (write_list_index, (4,)),
    (add_into_active_array, (4,)),
    (write_scalar_to_repeats, (2,)),
    (write_2d_fancy, (16,)),
    (write_index_tuple, (4,)),
    (write_rows_and_slice, (5,)),
    (write_boolean_mask, (3,)),
    (write_slice_broadcast_scalar, (2,)),
]


@pytest.mark.parametrize("f, shape", REPEATED, ids=[f.__name__ for f, _ in REPEATED])
def test_index_assignment_against_finite_differences(f, shape, rng):
    x = rng.standard_normal(shape)
    numeric = numeric_grad(f, [x], 0)
    value, grad = s2sad.value_and_grad(f)(x)
    assert value == pytest.approx(f(x))
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)
    direction = rng.standard_normal(shape)
    _, tangent = s2sad.jvp(f, (x,), (direction,))
    assert tangent == pytest.approx(float(numeric @ direction), rel=1e-6, abs=1e-8)


def test_repeated_index_second_derivatives():
    x = np.array([0.5, -1.0, 2.0, 0.3])
    hessian = np.asarray(s2sad.hessian(add_into_active_array)(x))
    numeric = np.array([numeric_grad(lambda v, i=i: s2sad.grad(add_into_active_array)(v)[i],
                                     [x], 0) for i in range(4)])
    np.testing.assert_allclose(hessian, numeric, rtol=1e-5, atol=1e-6)


# ------------------------------------------- 8: x ** y and log at 0, Python floats as NumPy's

def pow_zero(x):
    return x**0.0


def pow_three(x):
    return x**3


def pow_half(x):
    return x**0.5


def pow_xy(x, y):
    return x**y


def log_of(x):
    return np.log(x)


def log2_of(x):
    return np.log2(x) + np.log10(x) + np.log1p(x - 1.0)


def math_sqrt_of(x):
    return math.sqrt(x)


def total_pow_zero(x):
    return np.sum(x**0.0)


def total_pow_three(x):
    return np.sum(x**3)


def total_pow_xy(x, y):
    return np.sum(x**y)


ZEROS = [0.0, np.float64(0.0), np.array(0.0), np.array([0.0, 0.0])]
ZERO_IDS = ["float", "float64", "0-d", "1-d"]


def reverse_and_forward(f, args, wrt=0):
    """The adjoint (cotangent ones) and the tangent (direction ones) for argument `wrt`."""
    value, vjp_fn = s2sad.vjp(f, *args)
    ones = np.ones_like(value) if np.ndim(value) else 1.0
    adjoint = vjp_fn(ones)[wrt]
    tangents = [np.zeros_like(a) if np.ndim(a) else 0.0 for a in args]
    tangents[wrt] = np.ones_like(args[wrt]) if np.ndim(args[wrt]) else 1.0
    _, tangent = s2sad.jvp(f, tuple(args), tuple(tangents))
    return adjoint, tangent


@pytest.mark.parametrize("zero", ZEROS, ids=ZERO_IDS)
def test_power_zero_has_zero_derivative_at_zero(zero):
    adjoint, tangent = reverse_and_forward(pow_zero, [zero])
    np.testing.assert_array_equal(adjoint, np.zeros_like(zero))
    np.testing.assert_array_equal(tangent, np.zeros_like(zero))


@pytest.mark.parametrize("zero", ZEROS, ids=ZERO_IDS)
def test_derivative_in_the_exponent_at_zero_base(zero):
    adjoint, tangent = reverse_and_forward(pow_xy, [zero, 2.0], wrt=1)
    assert adjoint == 0.0
    np.testing.assert_array_equal(tangent, np.zeros_like(zero))
    # and the derivative in the base: 2 x = 0
    adjoint, tangent = reverse_and_forward(pow_xy, [zero, 2.0], wrt=0)
    np.testing.assert_array_equal(adjoint, np.zeros_like(zero))
    np.testing.assert_array_equal(tangent, np.zeros_like(zero))


# math.sqrt takes one number: it is checked at the zeros that are one.
INFINITE_AT_ZERO = [(f, zero) for f in (pow_half, log_of, log2_of, math_sqrt_of)
                    for zero in ZEROS
                    if f is not math_sqrt_of or np.size(zero) == 1]


@pytest.mark.parametrize("f, zero", INFINITE_AT_ZERO,
                         ids=[f"{f.__name__}-{np.shape(z)}-{type(z).__name__}"
                              for f, z in INFINITE_AT_ZERO])
def test_infinite_derivative_at_zero_is_inf_not_an_error(f, zero):
    if f is log2_of:
        zero = zero + 0.0  # log1p(x - 1) is singular at the same point
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's divide-by-zero warning
        adjoint, tangent = reverse_and_forward(f, [zero])
    assert np.all(np.isposinf(adjoint)) and np.all(np.isposinf(tangent))


@pytest.mark.parametrize("f", [pow_half, log_of, math_sqrt_of], ids=lambda f: f.__name__)
def test_python_float_gives_what_a_float64_gives(f):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for point in (0.0, 0.25, 2.0):
            as_float = reverse_and_forward(f, [point])
            as_numpy = reverse_and_forward(f, [np.float64(point)])
            assert as_float == as_numpy


def test_second_derivatives_of_powers_at_zero():
    assert s2sad.hessian(pow_three)(0.0) == 0.0
    assert s2sad.hessian(pow_zero)(0.0) == 0.0
    np.testing.assert_array_equal(s2sad.hessian(total_pow_zero)(np.zeros(2)), np.zeros((2, 2)))
    assert s2sad.hessian(pow_three)(2.0) == pytest.approx(12.0)
    hvp = s2sad.jvp(s2sad.grad(total_pow_three), (np.zeros(3),), (np.ones(3),))[1]
    np.testing.assert_array_equal(hvp, np.zeros(3))


@pytest.mark.parametrize("x, y", [(0.7, 0.0), (0.7, 2.5), (1.3, -1.5), (2.0, 0.5)])
def test_power_rules_against_finite_differences(x, y):
    for wrt in (0, 1):
        numeric = numeric_grad(pow_xy, [x, y], wrt)
        adjoint, tangent = reverse_and_forward(pow_xy, [x, y], wrt)
        assert adjoint == pytest.approx(numeric, rel=1e-6, abs=1e-8)
        assert tangent == pytest.approx(numeric, rel=1e-6, abs=1e-8)
    hessian = np.asarray(s2sad.hessian(pow_xy, wrt=(0, 1))(x, y), dtype=float)
    numeric = np.array([[numeric_grad(lambda a, b, i=i: s2sad.grad(pow_xy, wrt=(0, 1))(a, b)[i],
                                      [x, y], j) for j in (0, 1)] for i in (0, 1)])
    np.testing.assert_allclose(hessian, numeric, rtol=1e-5, atol=1e-6)


def test_power_of_arrays_with_array_exponents(rng):
    x = rng.uniform(0.5, 2.0, (2, 3))
    y = rng.standard_normal(3)
    f = total_pow_xy
    for wrt in (0, 1):
        numeric = numeric_grad(f, [x, y], wrt)
        np.testing.assert_allclose(s2sad.grad(f, wrt=wrt)(x, y), numeric, rtol=1e-6)


# ------------------------------------ 5: writes in place through aliases and views (NumPy's)

A = np.array([1.0, 2.0])
G = np.array([1.0, 2.0, 3.0])


def view_slice_augassign(x):
    x = x * 1.0
    y = x[1:]
    y += 1.0
    return np.sum(x * x)


def view_reshape_setitem(x):
    x = x * 1.0
    y = x.reshape((3, 1))
    y[0] = 7.0
    return np.sum(x * x)


def alias_setitem(x):
    x = x * 1.0
    y = x
    y[0] = 3 * A[0]
    return np.sum(x * x)


def alias_augassign(x):
    x = x * 1.0
    x2 = x
    x2 += 1.0
    return np.sum(x * x)


def view_transpose_item_augassign(x):
    x = np.outer(x, x)
    y = x.T
    y[0] += 1
    return np.sum(x * x)


def view_row_ellipsis(x):
    x = np.outer(x, x)
    y = x[0]
    y[...] = 2.0
    return np.sum(x * x)


def view_of_argument(x):
    y = x[1:]
    y += 1.0
    return np.sum(x * x)


def view_np_reshape_in_loop(x):
    x = x * 1.0
    y = np.reshape(x, (3,))
    s = 0.0
    for i in range(2):
        s = s + np.sum(x)
        y[i] = 0.0
    return s


def rows_of_a_matrix(x):
    m = np.outer(x, x)
    for row in m:
        row += 1.0
    return np.sum(m)


def write_into_global(x):
    y = G[1:]
    y[0] = 5.0
    return np.sum(x * y)


def _shift_tail(a):
    b = a[1:]
    b += 1.0
    return np.sum(b)


def calls_a_function_that_writes_its_argument(x):
    x = x * 1.0
    s = _shift_tail(x)
    return s + np.sum(x * x)


def _add_in_place(a, b):
    a += b
    return a * 1.0


def calls_a_function_that_updates_its_parameter(x):
    x = x * 1.0
    s = _add_in_place(x, x)
    return np.sum(s) + np.sum(x * x)


def list_holds_the_array_written_in_place(x):
    items = [np.zeros(3)]
    y = x * 1.0
    for _ in range(1):
        items.append(y)
        y += y
    return np.sum(np.array(items) * 1.0) + np.sum(y)


def closure_writes_outer_array(x):
    y = x * 1.0

    def bump():
        y[0] = 0.0
        return 1.0

    return bump() + np.sum(y)


REJECTED = [
    (view_slice_augassign, "y", "x", "y += 1.0"),
    (view_reshape_setitem, "y", "x", "y[0] = 7.0"),
    (alias_setitem, "y", "x", "y[0] = 3 * A[0]"),
    (alias_augassign, "x2", "x", "x2 += 1.0"),
    (view_transpose_item_augassign, "y", "x", "y[0] += 1"),
    (view_row_ellipsis, "y", "x", "y[...] = 2.0"),
    (view_of_argument, "y", "x", "y += 1.0"),
    (view_np_reshape_in_loop, "y", "x", "y[i] = 0.0"),
    (rows_of_a_matrix, "row", "m", "row += 1.0"),
    (write_into_global, "y", "G", "y[0] = 5.0"),
    (calls_a_function_that_writes_its_argument, "b", "a", "b += 1.0"),
    (closure_writes_outer_array, "y", "y", "y[0] = 0.0"),
    (calls_a_function_that_updates_its_parameter, "a", "a", "a += b"),
    (list_holds_the_array_written_in_place, "y", "items", "y += y"),
]


@pytest.mark.parametrize("f, written, other, line", REJECTED,
                         ids=[case[0].__name__ for case in REJECTED])
@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_in_place_write_to_a_shared_array_is_rejected(f, written, other, line, mode):
    x = np.array([1.0, 2.0, 3.0])
    with pytest.raises(s2sad.UnsupportedSyntaxError) as info:
        if mode == "grad":
            s2sad.grad(f)(x)
        else:
            s2sad.jvp(f, (x,), (np.ones(3),))
    error = info.value
    assert error.location.filename == __file__
    assert line in error.location.source_line
    assert f"'{written}'" in error.message and f"'{other}'" in error.message
    assert ".copy()" in error.hint or "directly" in error.hint
    assert "Traceback" not in str(error)


def view_slice_copied(x):
    x = x * 1.0
    y = x[1:].copy()
    y += 1.0
    return np.sum(x * x) + np.sum(y)


def numpy_semantics_by_hand(x):
    """What view_slice_augassign computes in NumPy, written without a view."""
    x = x * 1.0
    x = x + np.array([0.0, 1.0, 1.0])
    return np.sum(x * x)


def safe_patterns(x):
    y = np.zeros(3)
    y[0] = x[0]
    x = x + 1.0
    z = x.copy()
    z[0] = 1.0
    s = 0.0
    for i in range(3):
        s = s + x[i]
        s += x[i]
    out = np.zeros(3)
    for i in range(3):
        out[i] = x[i] * s
    w = x[1:]
    w = w * 2.0  # a new value: x is not changed
    return np.sum(out) + np.sum(y) + np.sum(z * z) + np.sum(w)


def written_view_not_read_again(x):
    y = x[1:]
    y += 1.0
    return np.sum(y * y)


def unpack_a_pair(x):
    a, b = x * 1.0, x * 2.0
    a += b
    return np.sum(a * b)


@pytest.mark.parametrize("f", [view_slice_copied, numpy_semantics_by_hand, safe_patterns,
                               written_view_not_read_again, unpack_a_pair],
                         ids=lambda f: f.__name__)
def test_safe_writes_are_differentiated_in_both_modes(f):
    x = np.array([1.0, 2.0, 3.0])
    numeric = numeric_grad(f, [x.copy()], 0)
    value, grad = s2sad.value_and_grad(f)(x)
    assert value == pytest.approx(f(x.copy()))
    np.testing.assert_allclose(grad, numeric, rtol=1e-6)
    direction = np.array([0.3, -1.0, 2.0])
    _, tangent = s2sad.jvp(f, (x,), (direction,))
    assert tangent == pytest.approx(float(numeric @ direction), rel=1e-6)


def test_the_numpy_truth_of_the_view_example():
    x = np.array([1.0, 2.0, 3.0])
    assert view_slice_augassign(x.copy()) == 26.0  # NumPy: y is a view of x
    value, grad = s2sad.value_and_grad(numpy_semantics_by_hand)(x)
    assert value == 26.0
    np.testing.assert_allclose(grad, [2.0, 6.0, 8.0])
