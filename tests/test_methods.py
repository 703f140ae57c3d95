"""Bound methods, classmethods, staticmethods, functools.partial objects and callable objects:
the underlying function is differentiated with the bound arguments held constant, and `wrt`
counts the callable's own parameters."""

import functools
import gc
import weakref

import numpy as np
import pytest
from fd import numeric_grad

import s2sad
from s2sad.api import bound as api_bound
from s2sad.api import build as api_build
from s2sad.errors import NonDifferentiableError, NoSourceError, S2sadError


class Model:
    scale = 3.0

    def __init__(self, weights):
        self.weights = weights

    def loss(self, x, y=2.0):
        return np.sum(self.weights * np.sin(x)) * y

    def __call__(self, x):
        return np.sum(self.weights * x ** 3)

    @classmethod
    def energy(cls, x):
        return cls.scale * np.sum(x ** 2)

    @staticmethod
    def cubic(x):
        return np.sum(x ** 3)


def affine(a, x, b):
    return a * np.sum(np.tanh(x)) + b * np.sum(x)


MODEL = Model(np.array([1.0, -2.0, 0.5]))
X = np.array([0.3, -0.7, 1.2])

# (name, callable, a plain function of x computing the same)
CALLABLES = [
    ("bound method", MODEL.loss, lambda x: MODEL.loss(x)),
    ("classmethod via the class", Model.energy, lambda x: Model.energy(x)),
    ("classmethod via an instance", MODEL.energy, lambda x: Model.energy(x)),
    ("staticmethod via the class", Model.cubic, lambda x: Model.cubic(x)),
    ("staticmethod object", Model.__dict__["cubic"], lambda x: Model.cubic(x)),
    ("partial, positional", functools.partial(affine, 2.0), lambda x: affine(2.0, x, 0.5)),
    ("partial, keyword", functools.partial(affine, b=0.5), lambda x: affine(1.5, x, 0.5)),
    ("callable object", MODEL, lambda x: MODEL(x)),
    ("partial of a bound method", functools.partial(MODEL.loss, y=3.0),
     lambda x: MODEL.loss(x, 3.0)),
]
IDS = [name for name, _, _ in CALLABLES]


def call_args(name):
    """The arguments the callable takes (positional partials still take b)."""
    if name == "partial, positional":
        return (X, 0.5)
    if name == "partial, keyword":
        return (1.5, X)
    return (X,)


def x_position(name):
    return 1 if name == "partial, keyword" else 0


@pytest.mark.parametrize(("name", "given", "plain"), CALLABLES, ids=IDS)
def test_grad_agrees_with_finite_differences(name, given, plain):
    expected = numeric_grad(plain, (X,), 0)
    got = s2sad.grad(given, wrt=x_position(name))(*call_args(name))
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)
    value, gradient = s2sad.value_and_grad(given, wrt=x_position(name))(*call_args(name))
    assert value == pytest.approx(plain(X))
    np.testing.assert_allclose(gradient, expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(("name", "given", "plain"), CALLABLES, ids=IDS)
def test_jvp_agrees_with_finite_differences(name, given, plain):
    direction = np.array([0.5, 1.0, -2.0])
    args = call_args(name)
    tangents = [None] * len(args)
    tangents[x_position(name)] = direction
    value, tangent = s2sad.jvp(given, args, tangents)
    eps = 1e-6
    expected = (plain(X + eps * direction) - plain(X - eps * direction)) / (2 * eps)
    assert value == pytest.approx(plain(X))
    assert tangent == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(("name", "given", "plain"), CALLABLES, ids=IDS)
def test_vjp_hessian_and_check_grad_work_on_bound_callables(name, given, plain):
    args = call_args(name)
    position = x_position(name)
    value, vjp_fn = s2sad.vjp(given, *args)
    cotangents = vjp_fn(1.0)
    assert len(cotangents) == len(args)
    np.testing.assert_allclose(cotangents[position], numeric_grad(plain, (X,), 0), rtol=1e-6,
                               atol=1e-8)
    hessian = s2sad.hessian(given, wrt=position)(*args)
    gradient = s2sad.grad(given, wrt=position)

    def gradient_entry(x, i):
        moved = list(args)
        moved[position] = x
        return gradient(*moved)[i]

    expected = np.stack([numeric_grad(lambda x, i=i: gradient_entry(x, i), (X,), 0)
                         for i in range(3)])
    np.testing.assert_allclose(hessian, expected, rtol=1e-5, atol=1e-7)
    assert s2sad.check_grad(given, *args) < 1e-5


@pytest.mark.parametrize(("name", "given", "plain"), CALLABLES, ids=IDS)
def test_source_of_a_bound_callable_is_the_code_of_its_function(name, given, plain):
    text = s2sad.source(given, wrt=x_position(name))
    target = api_bound.bound_target(given)
    function = given if target is None else target.function
    assert text.startswith(f"def {function.__name__}_grad(")
    assert s2sad.source(given, mode="forward", wrt=x_position(name)).startswith(
        f"def {function.__name__}_jvp(")


def test_wrt_counts_the_methods_own_parameters():
    gx, gy = s2sad.grad(MODEL.loss, wrt=(0, 1))(X, 2.0)
    np.testing.assert_allclose(gx, 2.0 * MODEL.weights * np.cos(X))
    assert gy == pytest.approx(np.sum(MODEL.weights * np.sin(X)))
    assert s2sad.grad(MODEL.loss, wrt="y")(X, 2.0) == pytest.approx(gy)


def test_every_instance_shares_one_transform_and_none_is_kept_alive(monkeypatch):
    monkeypatch.setenv("S2SAD_CACHE", "0")
    s2sad.clear_cache()
    modes = []
    real_generate = api_build.generate
    monkeypatch.setattr(api_build, "generate",
                        lambda parsed, request: modes.append(request.mode)
                        or real_generate(parsed, request))
    first, second = Model(np.array([1.0, 2.0, 3.0])), Model(np.array([-1.0, 0.0, 4.0]))
    np.testing.assert_allclose(s2sad.grad(first.loss)(X), 2.0 * first.weights * np.cos(X))
    np.testing.assert_allclose(s2sad.grad(second.loss)(X), 2.0 * second.weights * np.cos(X))
    assert modes == ["grad"]
    ref = weakref.ref(second)
    del second
    gc.collect()
    assert ref() is None
    s2sad.clear_cache()


def test_gradients_of_bound_callables_are_bound_again():
    gradient = s2sad.grad(MODEL.loss)
    assert gradient.__self__ is MODEL
    assert isinstance(s2sad.grad(functools.partial(affine, 2.0)), functools.partial)


def test_wrt_out_of_range_counts_only_the_callables_own_parameters():
    with pytest.raises(NonDifferentiableError) as info:
        s2sad.grad(MODEL.loss, wrt=2)
    message = str(info.value)
    assert "Model.loss has 2 parameter(s) of its own" in message
    assert "the bound ones (self) are held constant" in message
    assert "test_methods.py:" in message


def test_wrt_naming_a_bound_argument_says_what_to_do():
    with pytest.raises(NonDifferentiableError) as info:
        s2sad.grad(functools.partial(affine, 2.0), wrt="a")
    message = str(info.value)
    assert "binds it, so it is held constant" in message
    assert "s2sad.grad(affine, wrt='a')" in message


def test_a_classmethod_object_from_the_class_dict_says_what_to_do():
    with pytest.raises(NoSourceError) as info:
        s2sad.grad(Model.__dict__["energy"])
    assert "bound to no class" in str(info.value)
    assert "s2sad.grad(Model.energy)" in str(info.value)


def test_bad_arguments_for_a_bound_callable_name_it():
    with pytest.raises(S2sadError, match="bad arguments for Model.loss"):
        s2sad.jvp(MODEL.loss, (X, 1.0, 2.0), (X, None, None))


def test_trace_of_a_method_says_what_to_do_and_of_a_numeric_partial_works():
    with pytest.raises(S2sadError, match="the bound argument 'self' is a Model"):
        s2sad.trace(MODEL.loss, X)
    assert "x_bar" in str(s2sad.trace(functools.partial(affine, 2.0), X, 0.5))
