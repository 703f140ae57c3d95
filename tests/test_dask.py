"""Derivatives of functions called with dask arrays (docs/backends.md).

A derivative called with dask arrays returns dask arrays: its call only builds the task graph,
and nothing is computed until the test asks (``.compute()``). Every call below runs under a
scheduler that counts what it is asked to compute: zero during the derivative call (the
API's code around the generated code included; inside it, s2sad's own guard would raise), the
values against NumPy's derivative (to 1e-12) after. Arrays of other libraries are refused.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import s2sad

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")

from s2sad.api.lazy import LazyComputeError, lazily  # noqa: E402

ROWS, COLUMNS, CHUNK = 600, 5, 100


def logistic_loss(w, X, y):
    """Mean cross-entropy of the logistic regression sigmoid(X @ w) against labels y."""
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def least_squares(w, X, y):
    r = X @ w - y
    return np.mean(r * r)


def softmax_loss(W, X, Y):
    """Mean cross-entropy of a softmax classifier (one-hot labels Y), with the max shifted out."""
    z = X @ W
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(Y * logp) / X.shape[0]


def branching(w, X):
    """A branch on a dask value: it needs the value now."""
    s = np.sum(X @ w)
    if s > 0:
        return s * s
    return -s


def sliced(w, X):
    """Indexing: an entry of w, a column and a block of rows of X (scatter adjoints)."""
    return np.sum(X[:, 1] * w[0]) + np.sum(X[2:5] @ w)


def two_layers(W1, b1, W2, X, y):
    h = np.tanh(X @ W1 + b1)
    return np.mean((h @ W2 - y) ** 2)


def kinks(w, X):
    """sqrt and abs (strong-zero adjoints: safe_div, safe_mul) and a ReLU."""
    z = X @ w
    return np.sum(np.sqrt(np.abs(z)) + np.maximum(z, 0.0))


def statistics(w, X):
    """np.var and np.std (the centred adjoint), a norm per row, a cumulative sum."""
    z = X @ w
    return np.var(z) + np.std(z) + np.sum(np.linalg.norm(X * w, axis=1)) + np.sum(
        np.cumsum(z) / z.shape[0])


def contractions(w, b, X):
    """np.einsum, np.tensordot, np.concatenate and a bias broadcast through new axes."""
    z = np.einsum("ij,j->i", X, w)
    t = np.tensordot(X, w, axes=1)
    joined = np.concatenate([z, t * t])
    return np.sum(joined ** 2) / 100.0 + np.sum((X * w)[:, :, None] + b[None, None, :])


def outer(w, X):
    return np.sum(np.outer(X[:, 0], w))


def activations(w, X):
    return np.tanh(X @ w)


def positive_rows(w, X):
    Z = X[X[:, 0] > 0]  # a boolean index: rows of unknown number until computed
    return np.mean((Z @ w) ** 2)


def gathered(w, X):
    return np.sum(X[np.array([0, 2, 2])] @ w)


class Counting:
    """A dask scheduler that counts the graphs it is asked to compute (and computes them)."""

    def __init__(self):
        self.computes = 0

    def __call__(self, *args, **kwargs):
        self.computes += 1
        return dask.threaded.get(*args, **kwargs)


@pytest.fixture
def counting():
    scheduler = Counting()
    with dask.config.set(scheduler=scheduler):
        yield scheduler


@pytest.fixture
def data():
    rng = np.random.default_rng(15)
    X = rng.normal(size=(ROWS, COLUMNS))
    w = rng.normal(size=COLUMNS)
    y = (rng.random(ROWS) < 1.0 / (1.0 + np.exp(-(X @ w)))).astype(float)
    W = rng.normal(size=(COLUMNS, 3))
    Y = np.eye(3)[rng.integers(0, 3, ROWS)]
    return {"X": X, "y": y, "w": w, "W": W, "Y": Y}


def lazy(array):
    return da.from_array(array, chunks=(CHUNK,) + array.shape[1:])


def computed(values):
    """The dask arrays among `values` (a tuple, or one value), computed."""
    if isinstance(values, tuple):
        return tuple(computed(v) for v in values)
    assert isinstance(values, da.Array), type(values)
    return values.compute()


def close(got, want):
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("loss, params, data_names", [
    (logistic_loss, "w", ("X", "y")),
    (least_squares, "w", ("X", "y")),
    (softmax_loss, "W", ("X", "Y")),
])
def test_grad_is_lazy_and_matches_numpy(counting, data, loss, params, data_names):
    plain = (data[params], *(data[n] for n in data_names))
    chunked = (data[params], *(lazy(data[n]) for n in data_names))
    g = s2sad.grad(loss)(*chunked)
    assert counting.computes == 0
    assert dask.config.get("scheduler") is counting  # the call's refusal is lifted after it
    assert isinstance(g, da.Array) and g.shape == data[params].shape
    want = s2sad.grad(loss)(*plain)
    close(g.compute(), want)
    assert counting.computes == 1
    # and NumPy's gradient is the finite differences' (the reference is itself right)
    eps, k = 1e-6, 1
    step = np.zeros_like(data[params])
    step.flat[k] = eps
    fd = (loss(data[params] + step, *plain[1:]) - loss(data[params] - step, *plain[1:])) / (
        2 * eps)
    assert abs(want.flat[k] - fd) < 1e-7


def test_more_workloads(counting, data):
    """Indexing, a two-layer network, kinks: every gradient lazy and equal to NumPy's."""
    rng = np.random.default_rng(3)
    w, X, y = data["w"], data["X"], data["y"]
    W1, b1, W2 = rng.normal(size=(COLUMNS, 4)), rng.normal(size=4), rng.normal(size=4)
    cases = [(sliced, (0, 1), (w, X)), (two_layers, (0, 1, 2, 3), (W1, b1, W2, X, y)),
             (kinks, (0, 1), (w, X)), (statistics, (0, 1), (w, X)),
             (contractions, (0, 1, 2), (w, W2[:2], X))]
    for f, wrt, args in cases:
        chunked = tuple(lazy(a) if a is X or a is y else a for a in args)
        got = s2sad.grad(f, wrt=wrt)(*chunked)
        assert counting.computes == 0, f.__name__
        for g, want in zip(dask.compute(*got), s2sad.grad(f, wrt=wrt)(*args)):
            close(g, want)
        counting.computes = 0


def test_hvp_stays_lazy(counting, data):
    w, X, y = data["w"], data["X"], data["y"]
    v = np.linspace(0.5, -0.5, COLUMNS)
    got = s2sad.hvp(logistic_loss, w, v, lazy(X), lazy(y))
    assert counting.computes == 0
    close(computed(got), s2sad.hvp(logistic_loss, w, v, X, y))


def test_what_has_no_lazy_form_is_refused(counting, data):
    w, X = data["w"], lazy(data["X"])
    with pytest.raises(s2sad.S2sadError, match=r"no lazy form for dask arrays at `X_bar = "
                                               r"scatter_like\(.*index array \(np\.add\.at\)"):
        s2sad.grad(gathered, wrt=1)(w, X)
    # dask's np.reshape takes no int shape (the outer product's adjoint reshapes with -1)
    with pytest.raises(s2sad.S2sadError, match=r"dask cannot run the derivative of outer at "
                                               r"`t\d+ = np\.reshape\(t\d+, -1\)`"):
        s2sad.grad(outer)(w, X)
    with pytest.raises(s2sad.S2sadError, match=r"s2sad\.jacobian of least_squares does not "
                                               r"take dask arrays"):
        s2sad.jacobian(least_squares)(w, X, lazy(data["y"]))
    with pytest.raises(s2sad.S2sadError, match=r"s2sad\.hessian of least_squares does not"):
        s2sad.hessian(least_squares)(w, X, lazy(data["y"]))
    assert counting.computes == 0


def test_gradients_with_respect_to_dask_arrays(counting, data):
    w, X, y = data["w"], data["X"], data["y"]
    gw, gX, gy = s2sad.grad(logistic_loss, wrt=(0, 1, 2))(lazy(w), lazy(X), lazy(y))
    assert counting.computes == 0
    for got, want in zip(dask.compute(gw, gX, gy),
                         s2sad.grad(logistic_loss, wrt=(0, 1, 2))(w, X, y)):
        close(got, want)
    assert gX.chunks == lazy(X).chunks  # the data's adjoint is chunked like the data


def test_value_and_grad(counting, data):
    w, X, y = data["w"], data["X"], data["y"]
    value, g = s2sad.value_and_grad(logistic_loss)(w, lazy(X), lazy(y))
    assert counting.computes == 0
    want_value, want_g = s2sad.value_and_grad(logistic_loss)(w, X, y)
    got_value, got_g = dask.compute(value, g)
    close(got_value, want_value)
    close(got_g, want_g)


def test_vjp(counting, data):
    w, X, y = data["w"], data["X"], data["y"]
    value, vjp_fn = s2sad.vjp(least_squares, w, lazy(X), lazy(y))
    cotangents = vjp_fn(2.0)
    assert counting.computes == 0
    want_value, want_fn = s2sad.vjp(least_squares, w, X, y)
    close(computed(value), want_value)
    for got, want in zip(computed(cotangents), want_fn(2.0)):
        close(got, want)


def test_vjp_of_a_vector_output_with_a_dask_cotangent(counting, data):
    w, X = data["w"], data["X"]
    cotangent = np.linspace(-1.0, 1.0, ROWS)
    value, vjp_fn = s2sad.vjp(activations, w, lazy(X))
    got = vjp_fn(lazy(cotangent))
    assert counting.computes == 0
    want = s2sad.vjp(activations, w, X)[1](cotangent)
    for g, expected in zip(computed(got), want):
        close(g, expected)
    close(computed(value), activations(w, X))
    with pytest.raises(s2sad.NonScalarOutputError, match=r"array of shape \(600,\)"):
        s2sad.grad(activations)(w, lazy(X))


def test_unknown_chunk_sizes_are_refused(counting, data):
    w, X = data["w"], lazy(data["X"])
    with pytest.raises(s2sad.S2sadError, match=r"'X' is a dask array of unknown chunk sizes "
                                               r"(.|\n)*compute_chunk_sizes"):
        s2sad.grad(least_squares)(w, X[X[:, 0] > 0], lazy(data["y"])[X[:, 0] > 0])
    with pytest.raises(s2sad.S2sadError, match=r"no lazy form for dask arrays at `t\d+ = "
                                               r"reduced_size\(t\d+\)` \(line \d+ of its "
                                               r"derivative's code\): an array of unknown size"):
        s2sad.grad(positive_rows)(w, X)
    assert counting.computes == 0


def scaled_tanh(a, X):
    return np.sum(np.tanh(a * X))


def test_a_float_differentiated_with_dask_data(counting, data):
    """A float `a`: the call takes the float fast path, and its result is still lazy."""
    X = data["X"]
    g = s2sad.grad(scaled_tanh)(0.7, lazy(X))
    value, g2 = s2sad.value_and_grad(scaled_tanh)(0.7, lazy(X))
    assert counting.computes == 0
    want = np.sum(X / np.cosh(0.7 * X) ** 2)  # d/da sum(tanh(a X)) = sum(X sech^2(a X))
    close(g.compute(), want)
    close(dask.compute(value, g2), (scaled_tanh(0.7, X), want))


def test_jvp_with_dask_primals_and_tangents(counting, data):
    w, X, y = data["w"], data["X"], data["y"]
    direction = np.linspace(-1.0, 1.0, COLUMNS)
    dX = np.full_like(X, 0.01)
    value, tangent = s2sad.jvp(logistic_loss, (w, lazy(X), lazy(y)),
                               (direction, lazy(dX), None))
    assert counting.computes == 0
    want_value, want_tangent = s2sad.jvp(logistic_loss, (w, X, y), (direction, dX, None))
    close(computed(value), want_value)
    close(computed(tangent), want_tangent)


def test_float32_data_gives_a_float32_gradient(counting, data):
    X, y = data["X"].astype(np.float32), data["y"].astype(np.float32)
    w = data["w"].astype(np.float32)
    g = s2sad.grad(logistic_loss)(lazy(w), lazy(X), lazy(y))
    assert counting.computes == 0
    assert g.dtype == np.float32
    np.testing.assert_allclose(g.compute(), s2sad.grad(logistic_loss)(w, X, y), rtol=1e-5)


def scaled_branching(a, X):
    """A float differentiated, and a branch on a dask value."""
    s = np.sum(np.tanh(a * X))
    if s > 0:
        return s * s
    return -s


def test_a_float_with_dask_data_is_guarded_like_any_call(counting, data):
    # The float fast path looks at the other arguments' types: dask data takes the guarded
    # path, so a branch on a dask value is refused here too, not computed on the client.
    X = lazy(data["X"])
    for make in (s2sad.grad, s2sad.value_and_grad):
        with pytest.raises(s2sad.S2sadError, match=r"would compute a dask array at `if t\d+:`"):
            make(scaled_branching)(0.7, X)
    assert counting.computes == 0
    assert np.ndim(s2sad.grad(scaled_branching)(0.7, data["X"])) == 0  # NumPy data: fine


def test_a_branch_on_a_dask_value_is_refused_naming_it(counting, data):
    X = lazy(data["X"])
    with pytest.raises(s2sad.S2sadError, match=r"would compute a dask array at `if t\d+:`"):
        s2sad.grad(branching)(data["w"], X)
    with pytest.raises(s2sad.S2sadError, match=r"at `if s > 0:` \(line \d+ of .*test_dask"):
        s2sad.vjp(branching, data["w"], X)  # vjp runs the function itself first
    assert counting.computes == 0
    # the scheduler the caller set is back in place after the refusal
    assert dask.config.get("scheduler") is counting
    assert s2sad.grad(branching)(data["w"], data["X"]).shape == (COLUMNS,)  # NumPy: fine


def test_only_the_calling_thread_is_refused(counting, data):
    """While a derivative call runs with computes refused, another thread's compute goes to
    the scheduler it would have used."""
    X = lazy(data["X"])
    from_other = []

    def call():
        other = threading.Thread(target=lambda: from_other.append(float(X.sum().compute())))
        other.start()
        other.join()
        return float(X.sum())  # this thread: refused

    built = s2sad.api.build.build(least_squares, "grad", 0)
    with pytest.raises(LazyComputeError):
        lazily(built, call)
    assert from_other == [pytest.approx(data["X"].sum())]
    assert counting.computes == 1  # the other thread's, on the caller's scheduler


def test_distributed_local_cluster(data):
    distributed = pytest.importorskip("distributed")
    w, X, y = data["w"], data["X"], data["y"]
    with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=1,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        g = s2sad.grad(logistic_loss)(w, lazy(X), lazy(y))
        assert isinstance(g, da.Array)
        assert client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)) == 0
        close(client.compute(g).result(), s2sad.grad(logistic_loss)(w, X, y))


class ForeignArray:
    """An array of a library s2sad does not run: it implements NumPy's dispatch protocol."""

    def __init__(self, values):
        self.values = np.asarray(values)
        self.shape, self.dtype = self.values.shape, self.values.dtype

    def __array_function__(self, func, types, args, kwargs):
        raise AssertionError("s2sad must refuse this array before computing with it")

    def __array__(self, dtype=None, copy=None):
        raise AssertionError("s2sad must refuse this array before converting it")


def test_arrays_of_other_libraries_are_refused(data):
    w, X, y = data["w"], data["X"], data["y"]
    with pytest.raises(s2sad.S2sadError, match=r"'X' is an array of type .*ForeignArray.*"
                                               r"\n(.|\n)*np\.asarray"):
        s2sad.grad(logistic_loss)(w, ForeignArray(X), y)
    with pytest.raises(s2sad.S2sadError, match=r"with respect to 'w': it is an array of type"):
        s2sad.grad(logistic_loss)(ForeignArray(w), X, y)
    with pytest.raises(s2sad.S2sadError, match=r"ForeignArray"):
        s2sad.vjp(logistic_loss, w, ForeignArray(X), y, wrt=0)
    bag = pytest.importorskip("dask.bag")
    with pytest.raises(s2sad.S2sadError, match=r"'y' is an array of type dask\.bag"):
        s2sad.grad(logistic_loss)(w, X, bag.from_sequence(list(y)))  # not a dask array


@pytest.mark.parametrize("library", ["cupy", "jax.numpy"])
def test_cupy_and_jax_arrays_are_refused_where_installed(library, data):
    xp = pytest.importorskip(library)
    with pytest.raises(s2sad.S2sadError, match=r"np\.asarray"):
        s2sad.grad(logistic_loss)(data["w"], xp.asarray(data["X"]), data["y"])


def test_the_benchmark_script_runs(capsys):
    """scripts/bench_dask.py at a tiny size: s2sad's gradient checked equal to the hand-written
    one, and the ratio printed."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / "bench_dask.py"
    spec = importlib.util.spec_from_file_location("bench_dask", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--rows", "2000", "--columns", "4", "--chunk", "500",
                        "--repeat", "1", "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert "in 4 chunks of 500 rows" in out
    assert "s2sad / hand-written:" in out and "chunks" in out
