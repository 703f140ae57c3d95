"""Methods calling methods on self: ``self.helper(x)`` is inlined from the class of the bound
instance (staticmethods and classmethods too, through self, cls or the class's name), and a
derivative built for one class is never served to another."""

import functools
import sys

import numpy as np
import pytest
from fd import directional_fd, numeric_grad
from fresh_import import import_file
from method_models import (
    Derived,
    Layer,
    Looping,
    MoreDerived,
    Quadratic,
    SteeperLayer,
    WithRule,
    layer_loss,
)

import s2sad
from s2sad.frontend.methods import specialized
from s2sad.frontend.parse import parse_function
from s2sad.loading import loader
from s2sad.transform import dependencies

W = np.array([[1.0, 2.0, -0.5], [0.5, -1.0, 0.3]])
B = np.array([0.1, 0.2])
X = np.array([0.3, -0.4, 0.8])
LAYER = Layer(W, B)
STEEPER = SteeperLayer(W, B)
QUAD = Quadratic(np.array([[2.0, 0.3, 0.0], [0.3, 1.0, -0.2], [0.0, -0.2, 1.5]]))

CASES = [
    pytest.param(LAYER.loss, id="self.helper-and-staticmethod-through-self"),
    pytest.param(STEEPER.loss, id="subclass-override"),
    pytest.param(LAYER.loss_with_class_calls, id="classmethod-through-self-and-class-name"),
    pytest.param(STEEPER.loss_with_class_calls, id="classmethod-of-subclass"),
    pytest.param(Layer.energy, id="classmethod-bound-to-class"),
    pytest.param(QUAD.energy, id="dataclass"),
    pytest.param(functools.partial(LAYER, y=np.array([1.0, -2.0])), id="partial-of-callable"),
    pytest.param(functools.partial(layer_loss, LAYER, weight=3.0), id="partial-of-function"),
    pytest.param(Derived(1.5).energy, id="super-method-and-classmethod"),
    pytest.param(MoreDerived(0.5).energy, id="super-of-super"),
]


@pytest.mark.parametrize("f", CASES)
def test_grad_of_a_method_calling_methods_on_self_matches_fd(f):
    assert s2sad.grad(f)(X) == pytest.approx(numeric_grad(f, (X,), 0), rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("f", CASES)
def test_jvp_of_a_method_calling_methods_on_self_matches_fd(f):
    v = np.array([0.7, -0.2, 0.4])
    value, tangent = s2sad.jvp(f, (X,), (v,))
    assert value == pytest.approx(f(X))
    assert tangent == pytest.approx(directional_fd(f, (X,), 0, v, 1.0), rel=1e-6, abs=1e-8)


def test_a_method_in_a_loop_is_inlined_in_both_modes():
    model = Looping(0.9)
    for n in (0, 3):
        expected = numeric_grad(model.run, (0.4, n), 0)
        assert s2sad.grad(model.run)(0.4, n) == pytest.approx(expected, rel=1e-6, abs=1e-9)
        _, tangent = s2sad.jvp(model.run, (0.4, n), (1.0, None))
        assert tangent == pytest.approx(expected, rel=1e-6, abs=1e-9)
    assert "for " in s2sad.source(model.run)  # the loop stays a loop


def test_a_subclass_is_served_its_own_derivative():
    base, sub = s2sad.grad(LAYER.loss)(X), s2sad.grad(STEEPER.loss)(X)
    assert base == pytest.approx(numeric_grad(LAYER.loss, (X,), 0))
    assert sub == pytest.approx(numeric_grad(STEEPER.loss, (X,), 0))
    assert not np.allclose(base, sub)
    assert "np.tanh" in s2sad.source(LAYER.loss)
    assert "np.sin" in s2sad.source(STEEPER.loss)


def test_instances_of_one_class_share_their_derivative_code():
    other = Layer(2.0 * W, -B)
    assert specialized(Layer.loss, other) is specialized(Layer.loss, LAYER)
    assert s2sad.grad(other.loss)(X) == pytest.approx(numeric_grad(other.loss, (X,), 0))


def test_an_instance_attribute_hiding_a_method_is_not_inlined_from_the_class():
    shadowed = Layer(W, B)
    shadowed.helper = lambda x: x * 100.0
    with pytest.raises(s2sad.MissingRuleError, match="helper"):
        s2sad.grad(shadowed.loss)(X)


def test_the_called_methods_sources_are_part_of_the_builds_key():
    parsed = parse_function(specialized(Layer.loss, LAYER))
    _, sources, _ = dependencies(parsed)
    for method in (Layer.helper, Layer.bias_norm, Layer.square):
        assert parse_function(method).source_hash in sources
    assert parse_function(SteeperLayer.helper).source_hash in dependencies(
        parse_function(specialized(Layer.loss, STEEPER)))[1]


def through_the_class_name(x):
    return np.sum(Layer.scaled(x)) + np.sum(SteeperLayer.scaled(x))


def test_a_classmethod_called_through_its_class_name_is_inlined_in_plain_functions():
    expected = numeric_grad(through_the_class_name, (X,), 0)
    assert s2sad.grad(through_the_class_name)(X) == pytest.approx(expected, rel=1e-6)
    _, tangent = s2sad.jvp(through_the_class_name, (X,), (np.ones(3),))
    assert tangent == pytest.approx(np.sum(expected), rel=1e-6)
    sources = dependencies(parse_function(through_the_class_name))[1]
    assert parse_function(Layer.scaled.__func__).source_hash in sources
    assert parse_function(Layer.square).source_hash in sources  # cls.square inside it


def test_super_calls_are_dependencies_of_the_build():
    sources = dependencies(parse_function(specialized(MoreDerived.energy, MoreDerived(1.0))))[1]
    for method in (Derived.energy, Derived.__mro__[1].energy, Derived.weight.__func__):
        assert parse_function(method).source_hash in sources


def test_the_unbound_function_still_refuses_self_helper_with_a_rule_hint():
    with pytest.raises(s2sad.MissingRuleError, match="helper"):
        s2sad.grad(Layer.loss, wrt=1)(LAYER, X)


def test_the_generated_code_inlines_the_helper_and_reads_attributes_of_self():
    text = s2sad.source(LAYER.loss)
    assert "self.W" in text and "self.b" in text and "np.tanh" in text
    assert "helper" not in text


MODEL_SOURCE = """\
import numpy as np


class Model:
    def helper(self, x):
        return {body}

    def loss(self, x):
        return np.sum(self.helper(x))
"""


def test_editing_a_method_called_on_self_invalidates_the_cached_gradient(tmp_path, monkeypatch):
    # (the key that misses here is the one of the shared memory cache and of the disk cache)
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # re-read the edited file
    path = tmp_path / "edited_model.py"
    path.write_text(MODEL_SOURCE.format(body="x * x"))
    old = import_file(path).Model()
    assert s2sad.grad(old.loss)(3.0) == pytest.approx(6.0)
    path.write_text(MODEL_SOURCE.format(body="x * x * x"))  # loss's own text is unchanged
    new = import_file(path).Model()
    before = loader.stats["transforms"]
    assert s2sad.grad(new.loss)(3.0) == pytest.approx(27.0)
    assert loader.stats["transforms"] == before + 1
    s2sad.clear_cache()


# WithRule.cube as a primitive whose rules are deliberately not the code's derivative (10 x
# instead of 3 x^2), so that using them shows. (WithRule serves this test only.)
s2sad.primitive(WithRule.cube)
s2sad.defvjp(WithRule.cube, x="g * 10.0 * x")
s2sad.defjvp(WithRule.cube, x="x_dot * 10.0 * x")


def test_a_method_marked_as_a_primitive_is_differentiated_with_its_rules():
    model = WithRule(2.0)
    assert s2sad.grad(model.loss)(X) == pytest.approx(2.0 * 10.0 * X)
    _, tangent = s2sad.jvp(model.loss, (X,), (np.ones(3),))
    assert tangent == pytest.approx(np.sum(2.0 * 10.0 * X))


class Proxy(Layer):
    def __getattribute__(self, name):
        return object.__getattribute__(self, name)


def test_a_class_with_its_own_getattribute_is_not_inlined_from():
    assert specialized(Layer.loss, Proxy(W, B)) is Layer.loss
    with pytest.raises(s2sad.MissingRuleError, match="helper"):
        s2sad.grad(Proxy(W, B).loss)(X)


def test_the_hessian_of_a_method_calling_methods_on_self_matches_fd_of_its_gradient():
    hess = s2sad.hessian(LAYER.loss)(X)
    g = s2sad.grad(LAYER.loss)
    for j in range(len(X)):
        e = np.zeros_like(X)
        e[j] = 1e-5
        assert hess[:, j] == pytest.approx((g(X + e) - g(X - e)) / 2e-5, rel=1e-5, abs=1e-7)
