"""User-defined primitives and rules, stop_gradient and check_grad."""

import numpy as np
import pytest

import s2sad


@s2sad.primitive
def softplus(x):
    return np.logaddexp(0.0, x)


s2sad.defvjp(softplus, x="g / (1.0 + np.exp(-x))")
s2sad.defjvp(softplus, x="x_dot / (1.0 + np.exp(-x))")


def uses_softplus(x):
    return np.sum(softplus(x * 2.0) * x)


@s2sad.primitive
def scaled(x, a):
    return x * a


s2sad.defvjp(scaled, x="g * a", a="unbroadcast(g * x, a)")
s2sad.defjvp(scaled, x="x_dot * a", a="x * a_dot")


def uses_scaled(x, a):
    return np.sum(np.sin(scaled(x, a)))


def test_user_rule_matches_finite_differences_in_both_modes():
    x = np.array([0.3, -1.2, 2.0])
    assert s2sad.check_grad(uses_softplus, x) < 1e-6
    assert s2sad.check_grad(uses_scaled, x, 1.7) < 1e-6


def test_user_primitive_is_called_by_name_in_generated_code():
    text = s2sad.source(uses_softplus)
    assert "softplus(t1)" in text and "np.exp" in text


def test_changing_a_rule_rebuilds_derivatives_that_use_it():
    @s2sad.primitive
    def cube(x):
        return x * x * x

    def uses(x):
        return cube(x) * 1.0

    s2sad.defvjp(cube, x="g * 2.0")  # deliberately wrong
    assert s2sad.grad(uses)(2.0) == pytest.approx(2.0)
    s2sad.defvjp(cube, x="g * 3.0 * x * x")
    assert s2sad.grad(uses)(2.0) == pytest.approx(12.0)


def test_a_rule_with_an_unknown_name_is_rejected_when_given():
    @s2sad.primitive
    def twice(x):
        return 2.0 * x

    with pytest.raises(s2sad.S2sadError, match="unknown name 'helper'"):
        s2sad.defvjp(twice, x="helper(g)")
    with pytest.raises(s2sad.S2sadError, match="no parameter 'y'"):
        s2sad.defvjp(twice, y="g")


def test_a_primitive_without_a_rule_gives_missing_rule_error_with_location():
    @s2sad.primitive
    def opaque(x):
        return x + 1.0

    def uses(x):
        return opaque(x) * x

    with pytest.raises(s2sad.MissingRuleError) as info:
        s2sad.grad(uses)
    assert "defvjp" in str(info.value) and "test_user_rules.py" in str(info.value)
    with pytest.raises(s2sad.MissingRuleError, match="defjvp"):
        s2sad.jvp(uses, (1.0,), (1.0,))


def test_stop_gradient_blocks_the_derivative():
    def f(x):
        return s2sad.stop_gradient(x) * x

    assert s2sad.grad(f)(3.0) == pytest.approx(3.0)
    assert s2sad.jvp(f, (3.0,), (1.0,))[1] == pytest.approx(3.0)


def test_check_grad_reports_a_wrong_rule():
    @s2sad.primitive
    def square(x):
        return x * x

    s2sad.defvjp(square, x="g * x")  # missing the factor 2
    s2sad.defjvp(square, x="x_dot * 2.0 * x")

    def uses(x):
        return square(x)

    with pytest.raises(AssertionError, match="reverse mode"):
        s2sad.check_grad(uses, 1.5)


def test_rule_templates_may_use_builtin_primitives():
    @s2sad.primitive
    def magnitude(x):
        return abs(x)

    s2sad.defvjp(magnitude, x="g * np.sign(x) * float(1)")
    s2sad.defjvp(magnitude, x="x_dot * np.sign(x) * abs(1.0)")

    def uses(x):
        return magnitude(x) * 2.0

    assert s2sad.grad(uses)(-1.5) == pytest.approx(-2.0)
    assert s2sad.jvp(uses, (-1.5,), (1.0,))[1] == pytest.approx(-2.0)
