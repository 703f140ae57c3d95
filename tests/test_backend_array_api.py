"""The array API backend: a corpus of array programs differentiated on the arrays of other
libraries gives the NumPy backend's numbers (to 1e-12) and finite differences', in arrays of
the caller's library: NumPy arrays (through array_api_compat.numpy), array_api_strict arrays
(the standard and nothing more: any NumPy-ism in the generated code or its helpers fails
there) and JAX arrays (skipped where JAX is not installed). What the backend cannot spell is
refused when the derivative is built; without array_api_compat, the error names the extra."""

import math
import sys

import numpy as np
import pytest
from fd import numeric_grad

import s2sad
from s2sad.errors import S2sadError

pytest.importorskip("array_api_compat")
xs = pytest.importorskip("array_api_strict")

BACKEND = "array_api"


# ---- the corpus
def elementwise(x):
    return np.sum(np.exp(x) * np.sin(x) + np.log(x) / x + np.sqrt(x) - np.tanh(x) ** 2
                  + np.arctan(x) * np.cos(x) - np.abs(x - 1.0))


def scalar_times_vector(a, x):
    return np.sum(a * x + x * x / a)


def column_plus_row(c, r):
    return np.sum((c + r) ** 2 * r)


def matrix_vector(A, x):
    return np.sum(np.tanh(A @ x))


def matrix_matrix(A, B):
    return np.sum((A @ B) ** 2)


def vector_matrix(x, A):
    return np.sum((x @ A) ** 3)


def reductions(X):
    return (np.sum(np.mean(X, axis=0, keepdims=True) * X)
            + np.sum(np.sum(X, axis=1) ** 2) + np.mean(X * X, axis=(0, 1)))


def where_max_min(x):
    return np.sum(np.where(x > 0.5, x * x, -x) + np.maximum(x, 0.3) * np.minimum(x, 0.7))


def mlp_loss(W1, b1, W2, X, y):
    h = np.tanh(X @ W1 + b1)
    out = h @ W2
    return np.mean((out - y) ** 2)


def logistic(w, X, y):
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def loop_carry(x, n):
    s = x
    for _ in range(n):
        s = np.sin(s) * x + 0.5
    return np.sum(s)


def branch(x):
    s = np.sum(x)
    if s > 0:
        return s * s
    return -s


def shapes(A, x):
    return np.sum(A.T @ x[1:3]) + np.sum(np.reshape(A, (6,)) ** 2) + np.sum(
        A[0, 1:] * A[1:, 0].T) + np.sum(A[None, 1, ...] * np.transpose(A)[:, 1])


def over_rows(X, x):
    s = 0.0
    for row in X:  # len(X), then X[i]: a row of the matrix
        s = s + np.sum(np.sin(row) * x)
    return s + np.sum(sum(row * row for row in X)) + np.sum(sum(e for e in x))


def made_arrays(x):
    return np.sum((x + np.zeros((2, 3))) * np.full((2, 1), 0.5) + np.ones(3) * x)


rng = np.random.default_rng(7)
CASES = [
    (elementwise, (rng.uniform(0.3, 2.0, 5),)),
    (scalar_times_vector, (1.7, rng.normal(size=4))),
    (column_plus_row, (rng.normal(size=(3, 1)), rng.normal(size=(1, 4)))),
    (matrix_vector, (rng.normal(size=(3, 4)), rng.normal(size=4))),
    (matrix_matrix, (rng.normal(size=(3, 4)), rng.normal(size=(4, 2)))),
    (vector_matrix, (rng.normal(size=3), rng.normal(size=(3, 2)))),
    (reductions, (rng.normal(size=(3, 4)),)),
    (where_max_min, (np.array([0.1, 0.45, 0.6, 0.8, 1.2]),)),
    (mlp_loss, (rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 2)),
                rng.normal(size=(5, 3)), rng.normal(size=(5, 2)))),
    (logistic, (rng.normal(size=3), rng.normal(size=(6, 3)),
                (rng.normal(size=6) > 0).astype(float))),
    (loop_carry, (rng.normal(size=3), 4)),
    (branch, (rng.normal(size=3) + 1.0,)),
    (branch, (rng.normal(size=3) - 1.0,)),
    (shapes, (rng.normal(size=(2, 3)), rng.normal(size=4))),
    (over_rows, (rng.normal(size=(3, 2)), rng.normal(size=2))),
    (made_arrays, (rng.normal(size=3),)),
]
IDS = [f"{fn.__name__}-{k}" for k, (fn, _) in enumerate(CASES)]


def _wrt(args) -> tuple:
    """Every floating argument (not the loop count)."""
    return tuple(i for i, a in enumerate(args) if not isinstance(a, int))


def _to(convert, args) -> tuple:
    return tuple(convert(a) if isinstance(a, np.ndarray) else a for a in args)


def _close(got, want, tol=1e-12):
    for g, w in zip(got, want):
        assert np.allclose(np.asarray(g), w, rtol=tol, atol=tol), (g, w)


def _gradients_in_library(fn, args, convert, is_library_array, to_numpy=None):
    """s2sad.grad of `fn` on the array_api backend, its array arguments made another library's
    with `convert`: every array gradient is that library's (`is_library_array`), and the
    numbers (through `to_numpy`) are the NumPy backend's."""
    wrt = _wrt(args)
    want = s2sad.grad(fn, wrt=wrt)(*args)
    got = s2sad.grad(fn, wrt=wrt, backend=BACKEND)(*_to(convert, args))
    for g, a in zip(got, (args[i] for i in wrt)):
        if isinstance(a, np.ndarray):
            assert is_library_array(g), type(g)
    _close(got if to_numpy is None else [to_numpy(g) for g in got], want)


@pytest.fixture
def no_disk_cache(monkeypatch):
    monkeypatch.setenv("S2SAD_CACHE", "0")


# ---- NumPy arrays, through array_api_compat.numpy
@pytest.mark.parametrize(("fn", "args"), CASES, ids=IDS)
def test_numpy_arrays_match_the_numpy_backend_and_finite_differences(fn, args):
    wrt = _wrt(args)
    want = s2sad.grad(fn, wrt=wrt)(*args)
    got = s2sad.grad(fn, wrt=wrt, backend=BACKEND)(*args)
    _close(got, want)
    for k, i in enumerate(wrt):
        assert np.allclose(got[k], numeric_grad(fn, list(args), i), rtol=1e-5, atol=1e-6)


# ---- array_api_strict: the standard and nothing more
@pytest.mark.parametrize(("fn", "args"), CASES, ids=IDS)
def test_strict_arrays_give_strict_gradients_with_the_numpy_backends_numbers(fn, args):
    _gradients_in_library(fn, args, xs.asarray,
                          lambda g: type(g).__module__.startswith("array_api_strict"))


@pytest.mark.parametrize(("fn", "args"), CASES, ids=IDS)
def test_strict_jvp_matches_the_numpy_backend(fn, args):
    direction = np.random.default_rng(3).normal(size=np.shape(args[0]))
    tangents = [float(direction) if np.ndim(direction) == 0 else direction] + [
        None if isinstance(a, int) else np.zeros_like(a) for a in args[1:]]
    value, tangent = s2sad.jvp(fn, args, tangents)
    sargs, stangents = _to(xs.asarray, args), _to(xs.asarray, tangents)
    got_value, got_tangent = s2sad.jvp(fn, sargs, stangents, backend=BACKEND)
    _close((got_value, got_tangent), (value, tangent))


def test_strict_value_and_grad_and_vjp():
    args = CASES[8][1]
    value, grads = s2sad.value_and_grad(mlp_loss, wrt=(0, 2))(*args)
    sargs = _to(xs.asarray, args)
    got_value, got_grads = s2sad.value_and_grad(mlp_loss, wrt=(0, 2), backend=BACKEND)(*sargs)
    _close((got_value, *got_grads), (value, *grads))
    out, vjp_fn = s2sad.vjp(matrix_vector, *_to(xs.asarray, CASES[3][1]), backend=BACKEND)
    want_out, want_fn = s2sad.vjp(matrix_vector, *CASES[3][1])
    _close((out, *vjp_fn(2.0)), (want_out, *want_fn(2.0)))


def test_the_code_calls_the_namespace_of_its_arguments():
    text = s2sad.source(logistic, backend=BACKEND)
    assert text.splitlines()[1].strip() == "xp = array_namespace(w, X, y)"
    assert "xp.exp(" in text and "np." not in text


def test_hessian_of_numpy_arrays_and_refusal_of_other_arrays():
    x = CASES[0][1][0]
    _close((s2sad.hessian(elementwise, backend=BACKEND)(x),),
           (s2sad.hessian(elementwise)(x),))
    with pytest.raises(S2sadError, match="takes NumPy arrays"):
        s2sad.hessian(elementwise, backend=BACKEND)(xs.asarray(x))


# ---- refusals
def cumulative(x):
    return np.sum(np.cumsum(x))


def stepped(x):
    return np.sum(x[::2] ** 2)


def with_math(x):
    return math.sin(x) * x


@pytest.mark.parametrize(("fn", "what"), [
    (cumulative, "a call of np.cumsum"),
    (stepped, "the index slice(None, None, 2)"),
    (with_math, "a call of math.sin"),
])
def test_what_it_cannot_spell_is_refused_when_built(fn, what):
    with pytest.raises(S2sadError) as info:
        s2sad.grad(fn, backend=BACKEND)
    error = info.value
    assert f"the array_api backend cannot run {what}" in error.message
    assert error.location is not None and error.location.filename.endswith(
        "test_backend_array_api.py")
    assert "backend='numpy'" in error.hint
    assert "^" in str(error)  # the source line, with a caret


def test_the_default_backend_points_strict_arrays_to_array_api():
    with pytest.raises(S2sadError) as info:
        s2sad.grad(elementwise)(xs.asarray(CASES[0][1][0]))
    assert 'backend="array_api"' in info.value.hint


def test_integer_arrays_are_refused_with_a_dtype_hint():
    with pytest.raises(S2sadError, match="floating-point"):
        s2sad.grad(elementwise, backend=BACKEND)(xs.asarray([1, 2, 3]))


def test_without_array_api_compat_the_error_names_the_extra(monkeypatch, no_disk_cache):
    def fresh(x):  # never built before: the build itself must ask for array_api_compat
        return np.sum(x * 3.0)

    monkeypatch.setitem(sys.modules, "array_api_compat", None)  # the import now fails
    with pytest.raises(S2sadError) as info:
        s2sad.grad(fresh, backend=BACKEND)(np.ones(2))
    assert "needs array_api_compat, which is not installed" in info.value.message
    assert 'pip install "s2sad[array-api]"' in info.value.hint
    assert np.all(s2sad.grad(fresh)(np.ones(2)) == 3.0)  # the NumPy backend does not need it


# ---- JAX
@pytest.fixture
def jax64():
    """JAX with float64 (a process-wide setting: restored afterwards)."""
    jax = pytest.importorskip("jax")
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield jax
    jax.config.update("jax_enable_x64", previous)


@pytest.mark.parametrize(("fn", "args"), CASES, ids=IDS)
def test_jax_arrays_give_jax_gradients_with_the_numpy_backends_numbers(jax64, fn, args):
    jnp = jax64.numpy
    _gradients_in_library(fn, args, jnp.asarray,
                          lambda g: isinstance(g, jax64.Array) and g.dtype == jnp.float64)


def test_jax_jvp_and_vjp(jax64):
    jnp = jax64.numpy
    args = CASES[9][1]
    direction = np.random.default_rng(5).normal(size=3)
    tangents = (direction, np.zeros_like(args[1]), np.zeros_like(args[2]))
    value, tangent = s2sad.jvp(logistic, args, tangents)
    got = s2sad.jvp(logistic, _to(jnp.asarray, args), _to(jnp.asarray, tangents),
                    backend=BACKEND)
    assert isinstance(got[1], jax64.Array)
    _close(got, (value, tangent))
    out, vjp_fn = s2sad.vjp(logistic, *_to(jnp.asarray, args), backend=BACKEND)
    want_out, want_fn = s2sad.vjp(logistic, *args)
    _close((out, *vjp_fn(1.5)), (want_out, *want_fn(1.5)))


# ---- CuPy: the same corpus on a GPU, where CuPy is installed (skipped here otherwise)
@pytest.mark.parametrize(("fn", "args"), CASES, ids=IDS)
def test_cupy_arrays_give_cupy_gradients_with_the_numpy_backends_numbers(fn, args):
    cp = pytest.importorskip("cupy")
    _gradients_in_library(fn, args, cp.asarray,
                          lambda g: isinstance(g, cp.ndarray) and g.dtype == cp.float64,
                          to_numpy=cp.asnumpy)  # np.asarray refuses a GPU array


# ---- found by the random-program tester (docs/random-testing.md), shrunk
def power_of_a_number(x):
    return np.sum(2.0 ** x)  # the derivative takes log(2.0), of a Python float


def math_on_numbers(x):
    v = 0.5
    return np.sum(x * np.sin(v)) + np.sum(np.minimum(x, np.where(0.25 > 0.0, 0.5, -1.5)))


def row_of_a_matrix(X):
    s = np.sum(X[0] * X[-1])
    for i in range(2):
        s = s + np.sum(X[i] ** 2) + X[i, 1]
    return s


def slice_past_the_axis(x):
    return np.sum(x[:2] * 2.0) + np.sum(x[:, 1:5])  # NumPy clips the bounds to the axis


def index_of_a_shape(X):
    return np.sum(X[0]) * X.shape[0] + X.shape[-1] * np.sum(X[:, 1:])  # a tuple's index too


def value_by_numpy_fails(x):
    v0, v1 = x  # the function itself, run on strict arrays, cannot unpack them
    return np.sin(x) * (v0 + v1)


FOUND = [
    (power_of_a_number, (rng.normal(size=3),)),
    (math_on_numbers, (rng.normal(size=(2, 3)),)),
    (row_of_a_matrix, (rng.normal(size=(2, 3)),)),
    (slice_past_the_axis, (rng.normal(size=(1, 3)),)),
    (index_of_a_shape, (rng.normal(size=(2, 3)),)),
    (value_by_numpy_fails, (rng.normal(size=2),)),
]
FOUND_IDS = [fn.__name__ for fn, _ in FOUND]


@pytest.mark.parametrize(("fn", "args"), FOUND, ids=FOUND_IDS)
def test_strict_arrays_grad_jvp_and_vjp_of_programs_the_tester_found(fn, args):
    direction = np.random.default_rng(11).normal(size=np.shape(args[0]))
    sargs, sdirection = _to(xs.asarray, args), xs.asarray(direction)
    value, tangent = s2sad.jvp(fn, args, (direction,))
    got = s2sad.jvp(fn, sargs, (sdirection,), backend=BACKEND)
    _close(got, (value, tangent))
    out, vjp_fn = s2sad.vjp(fn, *args)
    got_out, got_fn = s2sad.vjp(fn, *sargs, backend=BACKEND)
    assert type(got_out).__module__.startswith("array_api_strict"), type(got_out)
    cotangent = np.random.default_rng(12).normal(size=np.shape(out))
    _close((got_out, *got_fn(xs.asarray(cotangent))), (out, *vjp_fn(cotangent)))
    if np.ndim(out) == 0:
        gradient = s2sad.grad(fn, backend=BACKEND)(*sargs)
        _close((gradient,), (s2sad.grad(fn)(*args),))
        assert np.allclose(np.asarray(gradient), numeric_grad(fn, list(args), 0), rtol=1e-5,
                           atol=1e-6)


def full_of_a_value(x):
    return np.sum(np.full((2, 3), np.sum(x)))


def full_of_an_integer(x):
    return np.sum(np.full((2, 3), 2) * x)


@pytest.mark.parametrize("fn", [full_of_a_value, full_of_an_integer])
def test_full_takes_a_float_written_in_the_code(fn):
    with pytest.raises(S2sadError, match="np.full of a value other than a float") as info:
        s2sad.grad(fn, backend=BACKEND)
    assert "np.zeros(shape)" in info.value.message
