"""``argnums`` (JAX) and ``argnum`` (autograd): other names of ``wrt`` on every API function
that takes it, resolved by one helper (``s2sad.api.aliases``); two of them in one call are
refused, since keeping either would silently differentiate with respect to the wrong input.
"""

import functools
import inspect

import numpy as np
import pytest
from fd import directional_fd, numeric_grad

import s2sad
from s2sad.api.aliases import FIRST, chosen_wrt


def f3(x, y, z):
    return np.sum(np.sin(x) * y ** 2) + np.sum(z * x) * np.tanh(y[0])


def vector_out(x, y):
    return np.exp(x) * y[0] + np.sin(y)


def branchy(a, b):
    if a > 0.0:
        return a * b * b
    return np.exp(a) - b


X = np.array([0.3, -1.2])
Y = np.array([0.7, 1.5])
Z = np.array([2.0, -0.5])


class Model:
    def __init__(self, w):
        self.w = w

    def loss(self, x, scale):
        return scale * np.sum(self.w * np.sin(x))


# --------------------------------------------------------------------------- the helper
def test_one_spelling_is_taken_as_it_is_and_none_gives_the_default():
    assert chosen_wrt("grad", wrt=FIRST, argnums=None, argnum=None) == 0
    assert type(chosen_wrt("grad", wrt=FIRST, argnums=None, argnum=None)) is int
    assert chosen_wrt("vjp", wrt=None, argnums=None, argnum=None) is None
    assert chosen_wrt("grad", wrt=2, argnums=None, argnum=None) == 2
    assert chosen_wrt("grad", wrt=0, argnums=None, argnum=None) == 0
    assert chosen_wrt("grad", wrt=FIRST, argnums=(0, "y"), argnum=None) == (0, "y")
    assert chosen_wrt("jacfwd", argnums=FIRST, wrt="z", argnum=None) == "z"


def test_the_default_shows_as_0_in_signatures():
    assert repr(FIRST) == "0" and FIRST == 0
    for function in (s2sad.grad, s2sad.jacobian, s2sad.hessian, s2sad.source):
        assert repr(inspect.signature(function).parameters["wrt"].default) == "0"
    assert "argnums: 'Wrt' = 0" in str(inspect.signature(s2sad.jacfwd))


def test_wrt_none_is_still_refused_by_grad():
    with pytest.raises(s2sad.NonDifferentiableError, match="not None"):
        s2sad.grad(f3, wrt=None)


@pytest.mark.parametrize("given", [dict(wrt=0, argnums=1), dict(argnums=1, argnum=1),
                                   dict(wrt=0, argnum=(0, 1)), dict(wrt=0, argnums=0, argnum=0)])
def test_two_spellings_in_one_call_are_refused(given):
    with pytest.raises(s2sad.S2sadError) as info:
        chosen_wrt("grad", **{"wrt": FIRST, "argnums": None, "argnum": None, **given})
    message = str(info.value)
    assert message.startswith("grad was given ")
    for name, value in given.items():
        assert f"{name}={value!r}" in message
    assert "hint: give only one of wrt=" in message


# ------------------------------------------------------- the same answer under every name
@pytest.mark.parametrize("which", [1, "y", (0, 2), ("x", "z"), [2, 0], -1])
@pytest.mark.parametrize("name", ["argnums", "argnum"])
def test_grad_and_value_and_grad_take_argnums_and_argnum(name, which):
    expected = s2sad.grad(f3, wrt=which)(X, Y, Z)
    got = s2sad.grad(f3, **{name: which})(X, Y, Z)
    value, also = s2sad.value_and_grad(f3, **{name: which})(X, Y, Z)
    several = isinstance(which, (tuple, list))
    indices = [_position(w) for w in (which if several else (which,))]
    reference = [numeric_grad(f3, (X, Y, Z), i) for i in indices]
    for result in (got, also):
        result = result if several else (result,)
        assert len(result) == len(indices)
        for g, e, r in zip(result, expected if several else (expected,), reference):
            np.testing.assert_allclose(g, e, rtol=0, atol=0)
            np.testing.assert_allclose(g, r, rtol=1e-6, atol=1e-8)
    assert value == pytest.approx(f3(X, Y, Z))


def _position(which):
    return {"x": 0, "y": 1, "z": 2}.get(which, which) % 3


@pytest.mark.parametrize("name", ["argnums", "argnum"])
def test_grad_takes_the_alias_through_a_branch_on_both_sides(name):
    for a in (0.8, -0.4):  # the two branches of branchy
        got = s2sad.grad(branchy, **{name: (0, 1)})(a, 1.3)
        for i in (0, 1):
            assert got[i] == pytest.approx(numeric_grad(branchy, (a, 1.3), i), rel=1e-6)


@pytest.mark.parametrize("name", ["argnums", "argnum"])
def test_jacobian_in_both_modes_takes_the_alias(name):
    for mode in ("forward", "reverse"):
        got = s2sad.jacobian(vector_out, mode=mode, **{name: 1})(X, Y)
        expected = s2sad.jacobian(vector_out, 1, mode=mode)(X, Y)
        np.testing.assert_array_equal(got, expected)
        for column in range(2):
            e = np.eye(2)[column]
            for row in range(2):
                numeric = directional_fd(vector_out, (X, Y), 1, e, np.eye(2)[row])
                assert got[row, column] == pytest.approx(numeric, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("name", ["argnums", "argnum"])
def test_hessian_takes_the_alias(name):
    got = s2sad.hessian(f3, **{name: "y"})(X, Y, Z)
    gradient_y = s2sad.grad(f3, wrt="y")
    for j in range(2):
        e = np.eye(2)[j]
        for i in range(2):
            numeric = directional_fd(gradient_y, (X, Y, Z), 1, e, np.eye(2)[i])
            assert got[i, j] == pytest.approx(numeric, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("name", ["argnums", "argnum"])
def test_vjp_takes_the_alias(name):
    cotangent = np.array([0.5, -2.0])
    value, vjp_fn = s2sad.vjp(vector_out, X, Y, **{name: (1, 0)})
    got = vjp_fn(cotangent)
    assert len(got) == 2
    for g, index in zip(got, (1, 0)):
        for k in range(2):
            numeric = directional_fd(vector_out, (X, Y), index, np.eye(2)[k], cotangent)
            assert g[k] == pytest.approx(numeric, rel=1e-6, abs=1e-9)
    np.testing.assert_allclose(value, vector_out(X, Y))


@pytest.mark.parametrize("name", ["argnums", "argnum"])
def test_source_and_check_grad_take_the_alias(name):
    assert s2sad.source(f3, **{name: "z"}) == s2sad.source(f3, wrt=2)
    assert s2sad.source(f3, "forward", **{name: 1}) == s2sad.source(f3, "forward", 1)
    assert s2sad.check_grad(f3, X, Y, Z, **{name: (0, 2)}) < 1e-5
    assert s2sad.check_grad(branchy, -0.4, 1.3, **{name: 1}) < 1e-5


@pytest.mark.parametrize("name", ["argnums", "argnum"])
def test_the_methods_of_a_differentiable_function_take_the_alias(name):
    g = s2sad.differentiate(f3)
    assert np.array_equal(g.grad(X, Y, Z, **{name: 2}), s2sad.grad(f3, 2)(X, Y, Z))
    value, gradient = g.value_and_grad(X, Y, Z, **{name: (0, 1)})
    assert value == pytest.approx(f3(X, Y, Z))
    np.testing.assert_allclose(gradient[1], numeric_grad(f3, (X, Y, Z), 1), rtol=1e-6)
    _, vjp_fn = g.vjp(X, Y, Z, **{name: "x"})
    np.testing.assert_allclose(vjp_fn(1.0)[0], numeric_grad(f3, (X, Y, Z), 0), rtol=1e-6)
    assert g.source(**{name: 1}) == s2sad.source(f3, wrt=1)


@pytest.mark.parametrize("name", ["argnums", "argnum"])
def test_a_bound_method_and_a_partial_count_their_own_parameters(name):
    model = Model(np.array([1.0, -2.0]))
    got = s2sad.grad(model.loss, **{name: 1})(X, 3.0)
    assert got == pytest.approx(np.sum(model.w * np.sin(X)))
    partial = functools.partial(f3, X)
    got = s2sad.grad(partial, **{name: 1})(Y, Z)
    np.testing.assert_allclose(got, numeric_grad(f3, (X, Y, Z), 2), rtol=1e-6)


# --------------------------------------------------------------------- refused mixtures
CALLS = {
    "grad": lambda **kw: s2sad.grad(f3, **kw),
    "value_and_grad": lambda **kw: s2sad.value_and_grad(f3, **kw),
    "jacobian": lambda **kw: s2sad.jacobian(vector_out, **kw),
    "hessian": lambda **kw: s2sad.hessian(f3, **kw),
    "source": lambda **kw: s2sad.source(f3, **kw),
    "vjp": lambda **kw: s2sad.vjp(f3, X, Y, Z, **kw),
    "check_grad": lambda **kw: s2sad.check_grad(f3, X, Y, Z, **kw),
    "jacfwd": lambda **kw: s2sad.jacfwd(vector_out, **kw),
    "jacrev": lambda **kw: s2sad.jacrev(vector_out, **kw),
    "elementwise_grad": lambda **kw: s2sad.elementwise_grad(np.tanh, **kw),
    "Differentiable.grad": lambda **kw: s2sad.differentiate(f3).grad(X, Y, Z, **kw),
    "Differentiable.source": lambda **kw: s2sad.differentiate(f3).source(**kw),
}


@pytest.mark.parametrize("given", [dict(wrt=1, argnums=1), dict(argnums=0, argnum=2),
                                   dict(wrt=(0, 1), argnum=0), dict(wrt=0, argnums=0)],
                         ids=str)
@pytest.mark.parametrize("call", sorted(CALLS))
def test_every_function_refuses_two_spellings_before_doing_anything(call, given):
    with pytest.raises(s2sad.S2sadError, match="names of one option") as info:
        CALLS[call](**given)
    assert f"{call.split('.')[-1]} was given " in str(info.value)


def test_positions_out_of_range_are_explained_under_every_name():
    for kw in (dict(argnums=5), dict(argnum=5), dict(wrt=5)):
        with pytest.raises(s2sad.NonDifferentiableError, match="out of range"):
            s2sad.grad(f3, **kw)


# ------------------------------------------------ s2sad.grad inside differentiated code
def sin_times_square(x, y):
    return np.sin(x) * y ** 2


def nested_by_position(x):
    return s2sad.grad(sin_times_square, 1)(x, 3.0)  # 2 y sin(x) at y = 3


def nested_by_wrt(x):
    return s2sad.grad(sin_times_square, wrt=1)(x, 3.0)


def nested_by_argnums(x):
    return s2sad.grad(sin_times_square, argnums=1)(x, 3.0)


def nested_by_argnum(x):
    return s2sad.grad(sin_times_square, argnum=1)(x, 3.0)


def _check_nested(outer):
    x = 0.4
    numeric = directional_fd(outer, (x,), 0, 1.0, 1.0)
    assert numeric == pytest.approx(6.0 * np.cos(x), rel=1e-6)
    assert s2sad.grad(outer)(x) == pytest.approx(numeric, rel=1e-6)
    assert s2sad.jvp(outer, (x,), (1.0,))[1] == pytest.approx(numeric, rel=1e-6)


@pytest.mark.parametrize("outer", [nested_by_position, nested_by_wrt], ids=lambda f: f.__name__)
def test_a_nested_grad_with_wrt_matches_fd_in_both_modes(outer):
    _check_nested(outer)


@pytest.mark.parametrize("outer", [nested_by_argnums, nested_by_argnum],
                         ids=lambda f: f.__name__)
def test_a_nested_grad_with_an_alias_matches_fd_in_both_modes(outer):
    _check_nested(outer)


def nested_with_an_unknown_keyword(x):
    return s2sad.grad(sin_times_square, argnumz=1)(x, 3.0)


def test_a_nested_grad_with_an_unknown_keyword_is_refused():
    with pytest.raises(s2sad.S2sadError, match="argnumz"):
        s2sad.grad(nested_with_an_unknown_keyword)


# ------------------------------------------------------ check_grad: names and negatives
def with_default(x, y, scale=2.0):
    return scale * np.sum(np.sin(x) * y)


@pytest.mark.parametrize("name", ["wrt", "argnums", "argnum"])
@pytest.mark.parametrize("which", ["y", -1, ("x", "y"), (-2, "y")])
def test_check_grad_takes_names_and_negative_positions(name, which):
    assert s2sad.check_grad(with_default, X, Y, **{name: which}) < 1e-6


def test_check_grad_finds_a_wrong_rule_whatever_the_spelling():
    @s2sad.primitive
    def wrong_square(v):
        return v * v

    s2sad.defvjp(wrong_square, v="g * 3.0 * v")  # should be 2 v
    s2sad.defjvp(wrong_square, v="v_dot * 3.0 * v")

    def uses_it(a, b):
        return np.sum(wrong_square(b) + a)

    for kw in (dict(wrt="b"), dict(argnums=-1), dict(argnum=(0, 1))):
        with pytest.raises(AssertionError, match=r"argument 1 \(reverse mode\)"):
            s2sad.check_grad(uses_it, X, Y, **kw)


def test_check_grad_refuses_a_parameter_it_was_not_given():
    with pytest.raises(s2sad.S2sadError, match="'scale' is not one of them"):
        s2sad.check_grad(with_default, X, Y, argnums="scale")
