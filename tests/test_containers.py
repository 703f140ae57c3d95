"""Containers: dicts built in the function, and pytree arguments and outputs (dicts, lists,
tuples, NamedTuples, dataclasses of arrays), in both modes against finite differences; and
has_aux."""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pytest
from fd import EPS

import s2sad
from s2sad.pytree import flatten, tree_map, unflatten

RNG = np.random.default_rng(7)


def tree_fd_grad(f, args, index, eps=EPS):
    """The gradient of scalar f with respect to the container (or array) args[index],
    in its structure, by central differences on every entry of every leaf."""
    leaves, tree = flatten(args[index])

    def at(new_leaves):
        out = list(args)
        out[index] = unflatten(tree, new_leaves)
        return f(*out)

    grads = []
    for k, leaf in enumerate(leaves):
        x = np.asarray(leaf, dtype=float)
        g = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            up, down = [np.array(v, dtype=float) for v in leaves], [
                np.array(v, dtype=float) for v in leaves]
            up[k][i] += eps
            down[k][i] -= eps
            g[i] = (at(up) - at(down)) / (2 * eps)
        grads.append(g if x.ndim else float(g))
    return unflatten(tree, grads)


def tree_fd_jvp(f, args, tangents, eps=EPS):
    """d/dh f(args + h * tangents) at h = 0 (tangent None: held), in f's output structure."""
    def moved(h):
        def move(x, v):  # ints (a count in a container) and None tangents stay as they are
            if v is None or isinstance(x, (int, np.integer)):
                return x
            return np.asarray(x, float) + h * v
        return [a if t is None else tree_map(move, a, t) for a, t in zip(args, tangents)]
    up, down = f(*moved(eps)), f(*moved(-eps))
    return tree_map(lambda u, d: (np.asarray(u, float) - np.asarray(d, float)) / (2 * eps),
                    up, down)


def assert_tree_close(actual, expected, tol=1e-6):
    a_leaves, a_tree = flatten(actual)
    e_leaves, e_tree = flatten(expected)
    assert a_tree == e_tree, (a_tree, e_tree)
    for a, e in zip(a_leaves, e_leaves):
        np.testing.assert_allclose(a, e, rtol=tol, atol=tol)


def check_both_modes(f, args, index=0):
    """grad against finite differences, and jvp along a random direction against them."""
    assert_tree_close(s2sad.grad(f, wrt=index)(*args), tree_fd_grad(f, args, index))
    direction = tree_map(lambda x: RNG.standard_normal(np.shape(x)), args[index])
    tangents = [None] * len(args)
    tangents[index] = direction
    value, tangent = s2sad.jvp(f, tuple(args), tuple(tangents))
    assert_tree_close(value, f(*args))
    assert_tree_close(tangent, tree_fd_jvp(f, args, tangents), tol=1e-5)


# ------------------------------------------------------------------- dicts in the function
def dict_reads_and_writes(p, x):
    d = {"a": x * p, "b": p}
    d["c"] = d["a"] + d.get("b")
    d["a"] = d["a"] * d["c"]
    s = 0.0
    for k, v in d.items():
        s = s + v * len(k)
    for k in d:
        s = s + d[k]
    for v in d.values():
        s = s + np.sin(v)
    if "c" in d and "z" not in d:
        s = s + d.get("z", 2.0) * x
    return s


def dict_in_branches(p, x):
    d = {"u": x, "v": p}
    if x > 0.5:
        d["u"] = d["u"] * p
    else:
        d["v"] = d["v"] * x
    return d["u"] * d["v"]


def dict_in_loop(p, x, n):
    acc = {"s": 0.0, "t": 1.0}
    for _ in range(n):
        acc["s"] = acc["s"] + p * x
        if acc["s"] > 2.0:
            acc["t"] = acc["t"] * p
            if acc["t"] > 10.0:
                break
    return acc["s"] + acc["t"]


def dict_comprehension(p, x):
    base = {"a": p, "b": x, "c": p * x}
    squared = {k: v * v for k, v in base.items() if k != "b"}
    return squared["a"] + np.tanh(squared["c"]) + base["b"]


def dict_passed_to_helper(p, x):
    return _weighted({"w": p, "v": x}) * 2.0


def _weighted(d):
    return d["w"] * np.exp(d["v"])


@pytest.mark.parametrize("f, args", [
    (dict_reads_and_writes, (1.3, 0.7)),
    (dict_in_branches, (1.3, 0.7)),
    (dict_in_branches, (1.3, 0.2)),
    (dict_in_loop, (1.5, 0.4, 3)),     # no branch taken often
    (dict_in_loop, (1.5, 1.2, 6)),     # branch taken, no break
    (dict_in_loop, (3.0, 1.2, 8)),     # break taken
    (dict_comprehension, (1.3, 0.7)),
    (dict_passed_to_helper, (1.3, 0.7)),
])
@pytest.mark.parametrize("index", [0, 1])
def test_dicts_built_in_the_function_in_both_modes(f, args, index):
    check_both_modes(f, list(args), index)


def test_a_dict_is_not_built_by_the_generated_code():
    text = s2sad.source(dict_in_branches, wrt=(0, 1))
    assert "{" not in text and "dict(" not in text


# ----------------------------------------------------------------------- pytree arguments
class Params(NamedTuple):
    w: np.ndarray
    b: float


@dataclass
class Layer:
    w: np.ndarray
    b: np.ndarray


def mlp(params, x):
    h = np.tanh(params["W1"] @ x + params["b1"])
    return np.sum(np.sin(params["W2"] @ h)) + 0.5 * params["scale"] ** 2


def nested(tree, x):
    first = tree["layers"][0]
    second = tree["layers"][1]
    return np.sum(first * x) * second + np.sum(tree["bias"][0] ** 2)


def over_list(layers, h):
    for W in layers:
        h = np.tanh(W @ h)
    return np.sum(h * h)


def over_dict_items(params, x):
    total = 0.0
    for name, value in params.items():
        total = total + np.sum(value * x) ** (2 if name else 1)
    return total


def named_tuple(p, x):
    return np.sum(p.w * x) * p.b + p[1]


def dataclass_layers(layers, x):
    for layer in layers:
        x = np.tanh(layer.w @ x + layer.b)
    return np.sum(x)


def tuple_param(pair, x):
    a, b = pair
    return a * np.sum(x) + b ** 2


def _matrix(n, m):
    return RNG.standard_normal((n, m)) * 0.5


CONTAINER_CASES = [
    (mlp, ({"W1": _matrix(3, 2), "b1": RNG.standard_normal(3), "W2": _matrix(2, 3),
            "scale": 0.7}, RNG.standard_normal(2))),
    (nested, ({"layers": [RNG.standard_normal(3), 1.5], "bias": (RNG.standard_normal(2),)},
              RNG.standard_normal(3))),
    (over_list, ([_matrix(2, 2), _matrix(2, 2), _matrix(2, 2)], RNG.standard_normal(2))),
    (over_dict_items, ({"a": RNG.standard_normal(2), "b": RNG.standard_normal(2)},
                       RNG.standard_normal(2))),
    (named_tuple, (Params(RNG.standard_normal(3), 1.3), RNG.standard_normal(3))),
    (dataclass_layers, ([Layer(_matrix(2, 2), RNG.standard_normal(2)),
                         Layer(_matrix(2, 2), RNG.standard_normal(2))], RNG.standard_normal(2))),
    (tuple_param, ((1.2, 0.4), RNG.standard_normal(3))),
]


@pytest.mark.parametrize("f, args", CONTAINER_CASES, ids=[c[0].__name__ for c in CONTAINER_CASES])
def test_container_arguments_in_both_modes(f, args):
    check_both_modes(f, list(args), 0)


@pytest.mark.parametrize("f, args", CONTAINER_CASES, ids=[c[0].__name__ for c in CONTAINER_CASES])
def test_container_arguments_are_not_changed(f, args):
    before = tree_map(lambda x: np.array(x, copy=True), args[0])
    s2sad.grad(f)(*args)
    s2sad.value_and_grad(f)(*args)
    assert_tree_close(args[0], before, tol=0)


def test_value_and_grad_and_a_tuple_wrt_with_a_container():
    params, x = CONTAINER_CASES[0][1]
    value, (g_params, g_x) = s2sad.value_and_grad(mlp, wrt=(0, 1))(params, x)
    assert value == pytest.approx(mlp(params, x))
    assert_tree_close(g_params, tree_fd_grad(mlp, [params, x], 0))
    np.testing.assert_allclose(g_x, tree_fd_grad(mlp, [params, x], 1), atol=1e-6)


def test_another_structure_builds_another_derivative():
    first = {"a": np.ones(2), "b": np.ones(2)}
    second = {"a": np.ones(2), "b": np.ones(2), "c": 2.0 * np.ones(2)}
    x = np.array([0.5, -1.0])
    g = s2sad.grad(over_dict_items)
    assert set(g(first, x)) == {"a", "b"}
    result = g(second, x)
    assert set(result) == {"a", "b", "c"}
    assert_tree_close(result, tree_fd_grad(over_dict_items, [second, x], 0))


def test_a_list_of_floats_gets_a_list_gradient():
    def f(xs):
        s = 0.0
        for x in xs:
            s = s + x * x
        return s

    assert s2sad.grad(f)([1.0, 2.0, 3.0]) == pytest.approx([2.0, 4.0, 6.0])
    assert isinstance(s2sad.grad(f)([1.0, 2.0]), list)


def test_source_of_a_container_parameter_takes_example_arguments():
    params, x = CONTAINER_CASES[0][1]
    text = s2sad.source(mlp, args=(params, x))
    assert "def mlp_grad(params_W1, params_b1, params_W2, params_scale, x):" in text


# ------------------------------------------------------------------------ container outputs
def dict_output(params, x):
    return {"y": params["W"] @ x, "norm": np.sum(params["b"] ** 2)}


def test_vjp_takes_a_cotangent_of_the_outputs_structure():
    params = {"W": _matrix(2, 3), "b": RNG.standard_normal(2)}
    x = RNG.standard_normal(3)
    value, vjp_fn = s2sad.vjp(dict_output, params, x)
    assert_tree_close(value, dict_output(params, x))
    cotangent = {"y": RNG.standard_normal(2), "norm": 0.7}
    g_params, g_x = vjp_fn(cotangent)

    def scalar(p, v):
        out = dict_output(p, v)
        return np.sum(out["y"] * cotangent["y"]) + out["norm"] * cotangent["norm"]

    assert_tree_close(g_params, tree_fd_grad(scalar, [params, x], 0))
    np.testing.assert_allclose(g_x, tree_fd_grad(scalar, [params, x], 1), atol=1e-6)
    with pytest.raises(s2sad.S2sadError, match="structure"):
        vjp_fn({"y": np.ones(2)})


def test_jvp_returns_a_tangent_of_the_outputs_structure():
    params = {"W": _matrix(2, 3), "b": RNG.standard_normal(2)}
    x = RNG.standard_normal(3)
    tangent = {"W": _matrix(2, 3), "b": RNG.standard_normal(2)}
    value, out_tangent = s2sad.jvp(dict_output, (params, x), (tangent, None))
    assert_tree_close(value, dict_output(params, x))
    assert_tree_close(out_tangent, tree_fd_jvp(dict_output, [params, x], [tangent, None]))


# ------------------------------------------------------------------------------ has_aux
def loss_with_aux(params, x):
    h = np.tanh(params["W"] @ x + params["b"])
    return np.sum(h * h), {"hidden": h, "count": 2}


def test_has_aux_in_every_api_function():
    params = {"W": _matrix(2, 3), "b": RNG.standard_normal(2)}
    x = RNG.standard_normal(3)

    def value(p, v):
        return loss_with_aux(p, v)[0]

    expected_aux = loss_with_aux(params, x)[1]
    expected_grad = tree_fd_grad(value, [params, x], 0)
    g, aux = s2sad.grad(loss_with_aux, has_aux=True)(params, x)
    assert_tree_close(g, expected_grad)
    assert_tree_close(aux, expected_aux)
    (v, aux), g = s2sad.value_and_grad(loss_with_aux, has_aux=True)(params, x)
    assert v == pytest.approx(value(params, x))
    assert_tree_close(g, expected_grad)
    assert_tree_close(aux, expected_aux)
    v, vjp_fn, aux = s2sad.vjp(loss_with_aux, params, x, has_aux=True)
    assert_tree_close(vjp_fn(2.0)[0], tree_map(lambda a: 2.0 * a, expected_grad))
    assert_tree_close(aux, expected_aux)
    tangent = {"W": _matrix(2, 3), "b": RNG.standard_normal(2)}
    v, t, aux = s2sad.jvp(loss_with_aux, (params, x), (tangent, None), has_aux=True)
    assert t == pytest.approx(tree_fd_jvp(value, [params, x], [tangent, None]), rel=1e-5)
    assert_tree_close(aux, expected_aux)


def test_has_aux_with_plain_floats():
    def f(x, y):
        z = x * y
        return z * z, z

    g, aux = s2sad.grad(f, has_aux=True)(3.0, 2.0)
    assert g == pytest.approx(2 * 6.0 * 2.0)
    assert aux == pytest.approx(6.0)


def test_has_aux_needs_a_pair():
    def f(x):
        return x * x

    with pytest.raises(s2sad.S2sadError, match=r"\(value, aux\)"):
        s2sad.grad(f, has_aux=True)(1.0)


# ------------------------------------------------------------------------- stop_gradient
def stopped_container(params, x):
    fixed = s2sad.stop_gradient(params)
    return np.sum(fixed["w"] * x) + np.sum(params["w"] ** 2)


def test_stop_gradient_of_a_container_holds_every_leaf():
    params = {"w": RNG.standard_normal(3)}
    x = RNG.standard_normal(3)
    g = s2sad.grad(stopped_container)(params, x)
    np.testing.assert_allclose(g["w"], 2 * params["w"])
    _, t = s2sad.jvp(stopped_container, (params, x), ({"w": np.ones(3)}, None))
    assert t == pytest.approx(np.sum(2 * params["w"]))


# -------------------------------------------------------------------------------- errors
def dynamic_key(p, x, key):
    d = {"a": p, "b": x}
    return d[key]


def keys_differ(p, x):
    d = {"a": p}
    if x > 0:
        d["b"] = x
    return d["a"]


def dict_as_array(p, x):
    d = {"a": p}
    return np.sum(d)


@pytest.mark.parametrize("f, message", [
    (dynamic_key, "only known when the code runs"),
    (keys_differ, "keys differ between the branches"),
    (dict_as_array, "used as an array value"),
])
def test_what_containers_cannot_do_is_refused_with_its_line(f, message):
    with pytest.raises(s2sad.S2sadError, match=message) as info:
        s2sad.grad(f)(1.0, 2.0, "a") if f is dynamic_key else s2sad.grad(f)(1.0, 2.0)
    assert "test_containers.py" in str(info.value)


# ---------------------------------------------------------------------------- the caches
def namedtuple_output(p, x):
    return {"scaled": p.w * x, "pair": (p.b * x, p)}


def test_container_builds_are_served_from_the_disk_cache(tmp_path, monkeypatch):
    from s2sad.loading import loader

    monkeypatch.setenv("S2SAD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("S2SAD_CACHE", raising=False)
    s2sad.clear_cache()
    p, x = Params(np.array([1.0, 2.0]), 3.0), 0.5
    tangent = Params(np.array([1.0, 0.0]), 1.0)
    first = s2sad.jvp(namedtuple_output, (p, x), (tangent, None))
    s2sad.clear_cache()
    before = loader.stats.copy()
    again = s2sad.jvp(namedtuple_output, (p, x), (tangent, None))
    assert loader.stats["disk_hits"] - before["disk_hits"] == 1
    assert loader.stats["transforms"] == before["transforms"]
    assert_tree_close(again, first)
    value, out_tangent = again
    assert isinstance(value["pair"][1], Params)  # the NamedTuple class comes back
    np.testing.assert_allclose(out_tangent["scaled"], [0.5, 0.0])
    assert out_tangent["pair"][0] == pytest.approx(0.5)
    s2sad.clear_cache()


def counted_layers(params, x):
    for _ in range(params["n"]):
        x = np.tanh(params["W"] @ x) * params["scale"]
    return np.sum(x) if params["name"] == "net" else 0.0


def test_ints_strings_and_none_in_a_container_are_held_constant():
    params = {"W": _matrix(2, 2), "n": 3, "scale": 1.5, "name": "net", "extra": None}
    x = RNG.standard_normal(2)
    g = s2sad.grad(counted_layers)(params, x)
    assert g["n"] is None and g["name"] is None and g["extra"] is None
    expected = tree_fd_grad(lambda W, s: counted_layers({**params, "W": W, "scale": s}, x),
                            [params["W"], params["scale"]], 0)
    np.testing.assert_allclose(g["W"], expected, atol=1e-6)
    tangent = {"W": _matrix(2, 2), "n": None, "scale": 0.0, "name": None, "extra": None}
    _, t = s2sad.jvp(counted_layers, (params, x), (tangent, None))
    moved = {**params, "W": params["W"] + EPS * tangent["W"]}
    back = {**params, "W": params["W"] - EPS * tangent["W"]}
    assert t == pytest.approx((counted_layers(moved, x) - counted_layers(back, x)) / (2 * EPS),
                              rel=1e-5)


def nested_tuple_output(x, y):
    return x * y, (np.sin(x), (y * y, x + y))


def test_nested_tuples_as_outputs_in_both_modes():
    value, vjp_fn = s2sad.vjp(nested_tuple_output, 0.3, 1.7)
    assert_tree_close(value, nested_tuple_output(0.3, 1.7))
    g_x, g_y = vjp_fn((1.0, (2.0, (3.0, 4.0))))
    assert g_x == pytest.approx(1.7 + 2.0 * np.cos(0.3) + 4.0)
    assert g_y == pytest.approx(0.3 + 3.0 * 2 * 1.7 + 4.0)
    _, tangent = s2sad.jvp(nested_tuple_output, (0.3, 1.7), (1.0, 0.0))
    assert_tree_close(tangent, (1.7, (np.cos(0.3), (0.0, 1.0))))


def tanh_with_aux(x, scale):
    y = np.tanh(x * scale)
    return y, {"norm": np.sum(y * y), "scale": scale}


@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
def test_jacobian_with_aux(mode):
    x = RNG.standard_normal(3)
    jac, aux = s2sad.jacobian(tanh_with_aux, mode=mode, has_aux=True)(x, 1.5)
    np.testing.assert_allclose(jac, np.diag(1.5 * (1 - np.tanh(1.5 * x) ** 2)), atol=1e-12)
    assert_tree_close(aux, tanh_with_aux(x, 1.5)[1])


def jacobian_dict_output(x):
    return {"double": x * 2.0, "sine": np.sin(x)}


def jacobian_nested_output(x):
    return x * 2.0, (np.sin(x), x ** 2)


@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
@pytest.mark.parametrize("f", [jacobian_dict_output, jacobian_nested_output])
def test_jacobian_of_a_container_output_is_refused_not_flattened(f, mode):
    # It once gave the diagonals of the dict's Jacobians as a tuple (wrong shapes, silently)
    # and raw IndexError/TypeError for a nested tuple.
    with pytest.raises(s2sad.S2sadError, match="returns a container") as info:
        s2sad.jacobian(f, mode=mode)(np.array([0.5, 1.0]))
    assert f"{f.__name__}" in str(info.value) and "jvp" in info.value.hint


@pytest.mark.parametrize("name", ["jacfwd", "jacrev"])
def test_jax_jacobians_with_aux(name):
    x = RNG.standard_normal(3)
    jac, aux = getattr(s2sad, name)(tanh_with_aux, has_aux=True)(x, 0.5)
    np.testing.assert_allclose(jac, np.diag(0.5 * (1 - np.tanh(0.5 * x) ** 2)), atol=1e-12)
    assert aux["scale"] == 0.5


# ------------------------------------------------------- models: dataclasses with methods
@dataclass
class Model:
    W: np.ndarray
    b: np.ndarray
    depth: int = 2

    def layer(self, x):
        return np.tanh(self.W @ x + self.b)

    def loss(self, x):
        for _ in range(self.depth):
            x = self.layer(x)
        return np.sum(x ** 2)

    @staticmethod
    def squash(t):
        return t / (1.0 + t * t)

    def squashed(self, x):
        return np.sum(self.squash(self.W @ x))


@pytest.mark.parametrize("method", [Model.loss, Model.squashed], ids=["loss", "squashed"])
def test_a_model_given_as_a_container_gets_a_gradient_of_its_class(method):
    model = Model(_matrix(2, 2), RNG.standard_normal(2))
    x = RNG.standard_normal(2)
    g = s2sad.grad(method)(model, x)
    assert isinstance(g, Model) and g.depth is None
    expected = tree_fd_grad(lambda W, b: method(Model(W, b), x), [model.W, model.b], 0)
    np.testing.assert_allclose(g.W, expected, atol=1e-6)
    tangent = Model(_matrix(2, 2), RNG.standard_normal(2), 0)
    _, t = s2sad.jvp(method, (model, x), (tangent, None))
    assert t == pytest.approx(tree_fd_jvp(method, [model, x], [tangent, None]), rel=1e-5)


def prints_a_dict(p, x):
    d = {"a": p * x}
    print(d)
    return d["a"]


def test_printing_a_container_is_refused_with_a_hint():
    with pytest.raises(s2sad.UnsupportedSyntaxError, match="cannot be printed") as info:
        s2sad.grad(prints_a_dict)(1.0, 2.0)
    assert "d['W']" in str(info.value)


def dict_made_in_a_loop(p, n):
    for _ in range(n):
        d = {"a": p}
    return d["a"]


def dict_made_on_one_path(p, x):
    if x > 0:
        d = {"a": p * x}
        return d["a"]
    return p


def test_a_dict_made_in_a_loop_and_read_after_it_is_refused():
    with pytest.raises(s2sad.UnsupportedSyntaxError, match="made in the loop"):
        s2sad.grad(dict_made_in_a_loop)(1.0, 2)


@pytest.mark.parametrize("x", [0.5, -0.5])
def test_a_dict_made_on_one_path_only(x):
    check_both_modes(dict_made_on_one_path, [1.3, x], 0)
