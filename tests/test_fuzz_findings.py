"""Bugs the random-program tester found (scripts/fuzz.py, tests/progen.py), minimised.

Each test states the right answer and is a strict xfail while the bug stands: when a fix
lands, the test passes, pytest reports XPASS as a failure, and the marker is removed.
"""

import numpy as np
import pytest
from fd import numeric_grad

import s2sad
from s2sad.errors import S2sadError

try:
    from scipy import special
except ImportError:  # SciPy is an optional extra
    special = None


def _cross(x, y):
    return np.cross(x, y)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # NumPy deprecates 2-vector cross
@pytest.mark.xfail(strict=True, raises=ValueError,
                   reason="the reverse rule of np.cross assumes 3-vectors: 2-vectors (a "
                          "scalar result) end in NumPy's ValueError, not an answer or a "
                          "refusal (forward mode is right)")
def test_grad_of_cross_of_two_vectors():
    x, y = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    try:
        got = s2sad.grad(_cross, wrt=(0, 1))(x, y)
    except S2sadError:
        return  # a refusal with s2sad's own error is acceptable
    for index, gradient in enumerate(got):
        np.testing.assert_allclose(gradient, numeric_grad(_cross, [x, y], index), rtol=1e-6)


# Writes in place into a view that a call returned. NumPy changes the viewed array too; s2sad
# computes on a copy, so it must refuse (s2sad/frontend/aliasing.py: _VIEW_FUNCTIONS,
# _VIEW_LISTS). Found by the random programs for the views of the new rules; refused since.
def _split_item(x):
    a = np.split(x, 2)[0]
    a += 1.0
    return np.sum(x * x)


def _split_unpacked(x):
    a, b = np.split(x, 2)
    a += 1.0
    return np.sum(x * x)


def _hsplit(x):
    a = np.hsplit(x, 3)[0]
    a += 1.0
    return np.sum(x * x)


def _array_split(x):
    a = np.array_split(x, 2)[1]
    a += 1.0
    return np.sum(x * x)


def _vsplit(x):
    a = np.vsplit(x, 2)[0]
    a += 1.0
    return np.sum(x * x)


def _flip(x):
    a = np.flip(x)
    a += 1.0
    return np.sum(x * x)


def _fliplr(x):
    a = np.fliplr(x)
    a += 1.0
    return np.sum(x * x)


def _flipud(x):
    a = np.flipud(x)
    a += 1.0
    return np.sum(x * x)


def _rot90(x):
    a = np.rot90(x)
    a += 1.0
    return np.sum(x * x)


def _real(x):
    a = np.real(x)
    a += 1.0
    return np.sum(x * x)


def _rollaxis(x):
    a = np.rollaxis(x, 1)
    a += 1.0
    return np.sum(x * x)


@pytest.mark.parametrize("f", [_split_item, _split_unpacked, _hsplit, _array_split, _vsplit,
                               _flip, _fliplr, _flipud, _rot90, _real, _rollaxis])
def test_write_into_a_view_returned_by_a_call(f):
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])

    def on_a_copy(x):  # NumPy's answer, without changing the caller's array
        return f(np.array(x, dtype=float))

    try:
        value, gradient = s2sad.value_and_grad(f)(x.copy())
        _, tangent = s2sad.jvp(f, (x.copy(),), (np.ones_like(x),))
    except S2sadError:
        return  # refusing the program is right
    expected = numeric_grad(on_a_copy, [x], 0)
    assert value == pytest.approx(on_a_copy(x))
    np.testing.assert_allclose(gradient, expected, rtol=1e-6)
    assert tangent == pytest.approx(np.sum(expected))


# A rule that sums its own contribution down (polygamma's ``unbroadcast(g * d, x)``) was
# taken to have the cotangent's broadcast shape: added to an adjoint of that larger shape, it
# was counted once per broadcast row (grad 2x too large in the polygamma part). Found by the
# random programs (grad, seed 51).
def _polygamma_broadcast(p0):
    p0 = p0 * 0.5 + (p0 + special.polygamma(1, (p0 * p0 + 0.5)))
    return np.sum(p0 + np.zeros((2, 3)))


@pytest.mark.skipif(special is None, reason="SciPy is an optional extra")
def test_a_contribution_its_rule_sums_down_is_not_summed_again():
    x = np.array([1.0, 0.4, 2.5])
    expected = 2 * (1.5 + 2 * x * special.polygamma(2, x * x + 0.5))
    np.testing.assert_allclose(s2sad.grad(_polygamma_broadcast)(x), expected, rtol=1e-12)
    np.testing.assert_allclose(numeric_grad(_polygamma_broadcast, [x], 0), expected, rtol=1e-6)
    _, tangent = s2sad.jvp(_polygamma_broadcast, (x,), (np.ones(3),))
    assert tangent == pytest.approx(np.sum(expected))


# np.repeat of a 0-d value along axis 0 (NumPy repeats it as a 1-d one): its adjoint divided
# by the number of dimensions, 0. Found by the random programs (vjp, seed 45).
def _repeat_scalar(p0):
    return (p0 + np.zeros((2,))) + np.repeat(p0, 2, axis=0)


def test_the_adjoint_of_repeating_a_scalar_along_an_axis():
    value, vjp_fn = s2sad.vjp(_repeat_scalar, 0.3)
    np.testing.assert_allclose(value, [0.6, 0.6])
    (cotangent,) = vjp_fn(np.array([1.0, 2.0]))
    assert cotangent == pytest.approx(6.0)  # each output reads p0 twice
    assert s2sad.jvp(_repeat_scalar, (0.3,), (1.0,))[1] == pytest.approx([2.0, 2.0])


def _np_append_in_a_comprehension(p0):
    v1 = sum([np.append(0.5, 0.5) for row0 in (p0 + np.zeros((2, 3)))])
    return np.sum(p0) + np.sum(v1) * 0.0


def test_a_module_function_named_append_is_no_list_append():
    # np.append(...) in a loop was taken for `items.append` on a list named np: `np` became
    # a variable carried by the loop, and the code after it called None.
    x = np.array([1.0, 2.0, 3.0])
    assert s2sad.grad(_np_append_in_a_comprehension)(x) == pytest.approx(np.ones(3))
    assert s2sad.jvp(_np_append_in_a_comprehension, (x,), (np.ones(3),))[1] == 3.0


def _dict_item_updated_in_place(p0):
    d0 = {"a": p0}
    d0["a"] += 0.5  # NumPy adds into p0's array: p0 changes too
    return np.sum(p0)


def _dict_item_multiplied_in_place(p0, p1):
    d0 = {"a": p1}
    d0["a"] *= 0.5
    return p1


def _copied_dict_item_updated_in_place(p0):
    d = {"a": p0, "b": p0 * 2.0}
    e = {k: v for k, v in d.items()}
    e["a"] += 1.0
    return np.sum(d["a"] * p0)


def _list_item_updated_in_place(p0):
    ys = [p0 for _ in range(2)]
    ys[0] += 1.0
    return np.sum(p0)


@pytest.mark.parametrize("f", [_dict_item_updated_in_place, _dict_item_multiplied_in_place,
                               _copied_dict_item_updated_in_place,
                               _list_item_updated_in_place])
def test_an_item_of_a_container_updated_in_place_is_refused(f):
    # The item is the caller's array (or another name's): NumPy would change it, and s2sad,
    # which computes on copies, would silently give another answer.
    args = (np.zeros(3),) * (2 if f is _dict_item_multiplied_in_place else 1)
    with pytest.raises(s2sad.UnsupportedSyntaxError, match="in place") as info:
        s2sad.value_and_grad(f)(*args)
    assert "test_fuzz_findings.py" in str(info.value)


def _new_list_item_updated(p0):
    ys = [p0 * 2.0 for _ in range(2)]
    ys[0] += 1.0
    return np.sum(ys[0])


def test_an_item_of_a_new_list_may_be_updated():
    value, g = s2sad.value_and_grad(_new_list_item_updated)(np.ones(2))
    assert value == 6.0 and g == pytest.approx([2.0, 2.0])


def _one_array_in_two_items(p0, p1):
    p0 = p0 * 0.5 + 0.5
    d0 = {"a": p0, "b": p0}
    d0["a"] += 0.5  # NumPy changes d0["b"] too: it is the same array
    return np.sum(d0["b"])


def _one_array_in_two_list_items(p0):
    ys = [p0 * 2.0, p0 * 2.0]
    zs = [ys[0], ys[0]]
    zs[0] += 1.0
    return np.sum(zs[1])


@pytest.mark.parametrize("f", [_one_array_in_two_items, _one_array_in_two_list_items])
def test_an_item_updated_in_place_that_another_item_holds_is_refused(f):
    args = (np.zeros(3),) * (2 if f is _one_array_in_two_items else 1)
    with pytest.raises(s2sad.UnsupportedSyntaxError, match="another of its items") as info:
        s2sad.value_and_grad(f)(*args)
    assert "hint:" in str(info.value)


def _distinct_arrays_in_two_items(p0):
    d0 = {"a": p0 * 1.0, "b": p0 * 2.0}
    d0["a"] += 0.5
    return np.sum(d0["a"] * d0["b"])


def test_items_holding_new_arrays_may_be_updated_in_place():
    value, g = s2sad.value_and_grad(_distinct_arrays_in_two_items)(np.ones(2))
    assert value == pytest.approx(6.0) and g == pytest.approx([5.0, 5.0])  # 4p + 1


# xlogy's d/dy was x / where(x == 0, 1, y): right as a value, but its derivative with respect
# to x at x = 0 saw 1 where it should see y, so Hessians at x = 0 were wrong (found by the
# random programs, seed 777). Only the 0 / 0 at x = y = 0 is masked now.
def _xlogy_of_both(x):
    return np.sum(special.xlogy(x, x * x + 0.5) + special.xlog1py(x, x * x - 0.5))


@pytest.mark.skipif(special is None, reason="needs SciPy")
@pytest.mark.parametrize("x", [np.zeros(3), np.array([0.0, 0.3, -0.2])], ids=["zeros", "mixed"])
def test_hessian_of_xlogy_and_xlog1py_at_x_zero(x):
    gradient = s2sad.grad(_xlogy_of_both)
    expected = np.array([numeric_grad(lambda v, i=i: gradient(v)[i], [x], 0) for i in range(3)])
    np.testing.assert_allclose(s2sad.hessian(_xlogy_of_both)(x), expected, rtol=1e-6,
                               atol=1e-8)
    direction = np.array([1.0, -2.0, 0.5])
    _, tangent = s2sad.jvp(gradient, (x,), (direction,))
    np.testing.assert_allclose(tangent, expected @ direction, rtol=1e-6, atol=1e-8)


def _xlogy(x, y):
    return special.xlogy(x, y)


@pytest.mark.skipif(special is None, reason="needs SciPy")
@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # d/dx = log(0)
def test_xlogy_derivative_in_y_stays_zero_at_x_and_y_zero():
    dx, dy = s2sad.grad(_xlogy, wrt=(0, 1))(0.0, 0.0)
    assert dy == 0.0 and dx == -np.inf
