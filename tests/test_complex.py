"""Complex intermediates in rules written for real values: real inputs that meet complex values,
real intermediates whose adjoint picks up an imaginary part, np.abs / np.vdot of complex values,
and the refusals (np.linalg.norm, np.var, np.std of complex values). Both modes against finite
differences; the convention is rules/fft.py's (pairing Re(sum(g * t)))."""

import warnings

import numpy as np
import pytest
from fd import numeric_grad

import s2sad
from s2sad.errors import NonDifferentiableError

C = 0.6 + 0.8j
F = np.exp(1j * np.arange(4.0))
A = np.array([[2.0, 0.5, 0.1, 0.0], [0.3, 1.5, 0.2, 0.1], [0.0, 0.4, 1.8, 0.3],
              [0.1, 0.0, 0.2, 1.2]])


# ---- a real input or intermediate meets a complex value --------------------------------------
def times_complex_constant(x):
    return np.sum(np.imag(x * C) + np.real(x * C) * x)


def phase(x):
    return np.sum(np.real(np.exp(1j * x) * C))


def complex_global(x):
    return np.sum(np.real(x * F) ** 2)


def maximum_then_phase(x):
    return np.sum(np.real(np.exp(1j * np.maximum(x, 0.1)) * x))


def where_then_complex(x):
    return np.sum(np.imag(np.where(x > 0, x, 2 * x) * C))


def sorted_then_complex(x):
    return np.sum(np.imag(np.sort(x) * F))


def gathered_then_complex(x):
    y = x[[0, 2, 2]]
    return np.sum(np.imag(y * C) * y)


def cumsum_then_complex(x):
    return np.sum(np.real(np.cumsum(x) * F) ** 2)


def solve_then_complex(x):
    return np.sum(np.imag(np.linalg.solve(A, x) * F))


def tanh_times_1j(x):
    return np.sum(np.imag(np.tanh(x) * 1j * np.tanh(x) * C))


def broadcast_against_complex(x):
    return np.sum(np.imag(x * np.outer([1.0, 2.0], F)) ** 2)


def complex_functions(x):
    z = x * C + 2.0
    return np.sum(np.real(np.sqrt(z) + np.log(z) + 1.0 / z + z ** 3 + np.sin(z) * np.cos(x * F)))


def complex_products(x):
    z = x * F
    return np.real(np.dot(z, x) + np.einsum("i,i->", z, z) + np.sum((A * C) @ z))


def complex_reductions(x):
    z = np.reshape(x * F, (2, 2))
    return np.real(np.prod(z) + np.mean(z) * np.conj(np.mean(z)) + np.trace(z.T * C))


def complex_joins(x):
    joined = np.sum(np.real(np.concatenate([x * C, x]) ** 2))
    return joined + np.sum(np.real(np.stack([x * C, x * F]) * C))


def abs_of_complex(x):
    return np.sum(np.abs(x * C + 0.3j) ** 3)


def phase_of_a_magnitude(x):
    """|z| multiplied by 1j: abs gets a complex cotangent, whose real part counts."""
    return np.sum(np.real(np.exp(1j * np.abs(np.fft.fft(x))) * C))


def max_of_abs(x):
    return np.max(np.abs(x * F))


def vdot_of_complex(x):
    return np.real(np.vdot(x * F + 0.5j, x * C) * (1.0 - 0.5j))


def vdot_with_real_first(x):
    return np.imag(np.vdot(x, x * F))


def comparisons_of_complex(x):
    """NumPy orders complex values lexicographically; max, sort and maximum select entries, so
    their derivatives are selections (piecewise, like for reals)."""
    z = x * F
    return np.real(np.max(z) * C + np.sum(np.sort(z) * F) + np.sum(np.maximum(z, x * C)))


PROGRAMS = [times_complex_constant, phase, complex_global, maximum_then_phase,
            where_then_complex, sorted_then_complex, gathered_then_complex, cumsum_then_complex,
            solve_then_complex, tanh_times_1j, broadcast_against_complex, complex_functions,
            complex_products, complex_reductions, complex_joins, abs_of_complex,
            phase_of_a_magnitude, max_of_abs, vdot_of_complex, vdot_with_real_first,
            comparisons_of_complex]


@pytest.mark.parametrize("f", PROGRAMS, ids=lambda f: f.__name__)
def test_grad_is_real_and_matches_fd(f, rng):
    x = rng.standard_normal(4) + 0.2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)  # see the report
        g = s2sad.grad(f)(x)
    assert np.isrealobj(g) and g.shape == x.shape
    np.testing.assert_allclose(g, numeric_grad(f, [x], 0), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("f", PROGRAMS, ids=lambda f: f.__name__)
def test_jvp_is_real_and_matches_fd(f, rng):
    x, v = rng.standard_normal(4) + 0.2, rng.standard_normal(4)
    value, tangent = s2sad.jvp(f, (x,), (v,))
    assert np.isrealobj(tangent)
    assert tangent == pytest.approx(np.sum(numeric_grad(f, [x], 0) * v), rel=1e-6, abs=1e-7)


@pytest.mark.parametrize("f", [phase, abs_of_complex, vdot_of_complex, maximum_then_phase],
                         ids=lambda f: f.__name__)
def test_hessian_matches_differences_of_the_gradient(f, rng):
    x = rng.standard_normal(4) + 0.2
    grad = s2sad.grad(f)
    numeric = np.stack([numeric_grad(lambda y, i=i: grad(y)[i], [x], 0) for i in range(4)])
    hessian = s2sad.hessian(f)(x)
    assert np.isrealobj(hessian)
    np.testing.assert_allclose(hessian, numeric, rtol=1e-5, atol=1e-6)


def learnable_filter(h, x):
    return np.sum(np.fft.irfft(np.fft.rfft(x) * h, 6) ** 2)


def test_every_input_is_projected_in_vjp_and_jacobian(rng):
    h, x = rng.standard_normal(4), rng.standard_normal(6)
    grads = s2sad.grad(learnable_filter, wrt=(0, 1))(h, x)
    assert all(np.isrealobj(g) for g in grads)
    for i, g in enumerate(grads):
        np.testing.assert_allclose(g, numeric_grad(learnable_filter, [h, x], i), rtol=1e-6,
                                   atol=1e-7)

    def spectrum(x):
        return np.real(np.fft.fft(x) * C)

    jacobian = s2sad.jacobian(spectrum)(x)
    assert np.isrealobj(jacobian)
    np.testing.assert_allclose(jacobian, np.real(np.fft.fft(np.eye(6), axis=0) * C), atol=1e-12)
    out, vjp_fn = s2sad.vjp(spectrum, x)
    (x_bar,) = vjp_fn(np.ones(6))
    assert np.isrealobj(x_bar) and out.shape == (6,)
    np.testing.assert_allclose(x_bar, jacobian.sum(0), atol=1e-12)


def test_float32_input_meeting_a_complex_value_gets_a_float32_gradient():
    x = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    g = s2sad.grad(phase)(x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, -np.imag(np.exp(1j * x.astype(float)) * C), rtol=1e-6)


def test_real_programs_are_not_projected():
    """The projection is only written where complex values can appear."""

    def real_program(x):
        return np.sum(np.abs(x) * np.maximum(x, 0.0))

    assert "real_like" not in s2sad.source(real_program)
    assert "real_like(x_bar, x)" in s2sad.source(phase)
    assert "real_like(x_bar, x)" in s2sad.source(complex_global)


# ---- refused: rules written for real values ---------------------------------------------------
def norm_of_complex(x):
    return np.linalg.norm(x * F + 0.5)


def matrix_norm_of_complex(x):
    return np.linalg.norm(np.reshape(x * F, (2, 2)), "fro")


def var_of_complex(x):
    return np.var(x * F)


def std_of_complex(x):
    return np.std(x * F, ddof=1)


@pytest.mark.parametrize("f, what", [(norm_of_complex, "np.linalg.norm"),
                                     (matrix_norm_of_complex, "np.linalg.norm"),
                                     (var_of_complex, "np.var"), (std_of_complex, "np.std")],
                         ids=lambda v: getattr(v, "__name__", ""))
def test_norm_var_std_of_complex_values_are_refused_in_both_modes(f, what, rng):
    x = rng.standard_normal(4)
    with pytest.raises(NonDifferentiableError, match=f"{what}.*real values only.*complex"):
        s2sad.grad(f)(x)
    with pytest.raises(NonDifferentiableError, match="complex"):
        s2sad.jvp(f, (x,), (x,))


def test_the_suggested_spellings_of_norm_and_var_work(rng):
    def norm(x):
        return np.sqrt(np.sum(np.abs(x * F + 0.5) ** 2))

    def var(x):
        z = x * F
        return np.mean(np.abs(z - np.mean(z)) ** 2)

    x = rng.standard_normal(4)
    assert norm(x) == pytest.approx(norm_of_complex(x))
    assert var(x) == pytest.approx(var_of_complex(x))
    for f in (norm, var):
        np.testing.assert_allclose(s2sad.grad(f)(x), numeric_grad(f, [x], 0), rtol=1e-6,
                                   atol=1e-7)


def test_norm_var_std_of_real_values_of_a_complex_program_are_differentiated(rng):
    def f(x):
        y = np.real(np.fft.fft(x) * C)
        return np.linalg.norm(y) + np.var(y) * np.std(y) + np.real(np.var(x) * C)

    x = rng.standard_normal(5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)  # see the report
        g = s2sad.grad(f)(x)
    np.testing.assert_allclose(g, numeric_grad(f, [x], 0), rtol=1e-6, atol=1e-7)


# ---- a complex value passed in an argument that is not differentiated -----------------------
def times_an_argument(x, c):
    return np.sum(np.imag(x * c) * x)


def test_a_complex_argument_that_is_not_differentiated(rng):
    x, c = rng.standard_normal(3), rng.standard_normal(3) * C
    g = s2sad.grad(times_an_argument)(x, c)
    assert np.isrealobj(g)
    np.testing.assert_allclose(g, numeric_grad(times_an_argument, [x, c], 0), rtol=1e-6)


def phase_of_a_cast(x):
    r = (x * C).astype(float)  # NumPy drops the imaginary part (ComplexWarning)
    return np.sum(np.real(np.exp(1j * r) * C))


def test_a_complex_value_cast_to_float(rng):
    x = rng.standard_normal(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        np.testing.assert_allclose(s2sad.grad(phase_of_a_cast)(x),
                                   numeric_grad(phase_of_a_cast, [x], 0), rtol=1e-6)
