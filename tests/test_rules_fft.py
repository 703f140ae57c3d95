"""Complex intermediates and np.fft: whole programs, the convention, second order, np.abs of
complex values and real inputs meeting complex values."""

import numpy as np
import pytest
from fd import numeric_grad

import s2sad
from s2sad.errors import NonDifferentiableError
from s2sad.rules import REGISTRY
from s2sad.runtime import fft as rt

C = 0.6 + 0.8j
FILTER = np.exp(-0.3 * np.arange(5.0)) * np.exp(1j * np.arange(5.0))
BLUR = np.fft.rfft2(np.outer([0.5, 0.25, 0.0, 0.25], [0.5, 0.25, 0.0, 0.0, 0.25]))


def power_spectrum(x):
    z = np.fft.rfft(x)
    return np.sum(np.real(z * np.conj(z)))


def spectral_filter_loss(x):
    y = np.fft.irfft(np.fft.rfft(x) * FILTER, 8)
    return np.sum((y - 0.5) ** 2)


def filtered_by_complex_fft(x):
    return np.sum(np.real(np.fft.ifft(np.fft.fft(x) * FILTER[:4])) ** 3)


def blurred_image_energy(x):
    y = np.fft.irfft2(np.fft.rfft2(x) * BLUR, s=x.shape)
    return np.sum(np.tanh(y) * x)


def phase_and_parts(x):
    z = np.fft.fftshift(np.fft.fft2(x, s=(3, 5), norm="ortho")) * C + 0.2
    return np.sum(np.angle(z) * z.real + np.sin(z.imag)) + np.sum(np.real(z.conj() * z))


def spectrum_of_complex_exp(x):
    z = np.exp(np.fft.fftn(x, axes=(0,)) * 0.3j)
    w = np.fft.ifftn(z * np.conjugate(z) + z, s=(3,), axes=(0,))
    return np.sum(w.real * w.imag)


PROGRAMS = [
    (power_spectrum, (7,)),
    (power_spectrum, (8,)),
    (spectral_filter_loss, (8,)),
    (spectral_filter_loss, (9,)),
    (filtered_by_complex_fft, (4,)),
    (blurred_image_energy, (4, 5)),
    (phase_and_parts, (2, 4)),
    (spectrum_of_complex_exp, (4, 2)),
]
IDS = [f"{f.__name__}-{'x'.join(map(str, s))}" for f, s in PROGRAMS]


@pytest.mark.parametrize("f, shape", PROGRAMS, ids=IDS)
def test_grad_of_a_program_with_complex_intermediates_matches_fd(f, shape, rng):
    x = rng.standard_normal(shape)
    g = s2sad.grad(f)(x)
    assert g.dtype == np.float64 and g.shape == x.shape
    np.testing.assert_allclose(g, numeric_grad(f, [x], 0), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("f, shape", PROGRAMS, ids=IDS)
def test_jvp_of_a_program_with_complex_intermediates_is_real_and_matches_fd(f, shape, rng):
    x, v = rng.standard_normal(shape), rng.standard_normal(shape)
    value, tangent = s2sad.jvp(f, (x,), (v,))
    assert np.isrealobj(tangent)
    assert tangent == pytest.approx(np.sum(numeric_grad(f, [x], 0) * v), rel=1e-6, abs=1e-7)


@pytest.mark.parametrize("f, shape", PROGRAMS[::2] + PROGRAMS[5:7], ids=IDS[::2] + IDS[5:7])
def test_hessian_matches_differences_of_the_gradient(f, shape, rng):
    """Second order: the derivative code (fft of g, rfft_adjoint, real_like, conj ...) is
    itself differentiated, so the rules are closed in fact, not only in name."""
    x = rng.standard_normal(shape)
    hessian = s2sad.hessian(f)(x)
    grad = s2sad.grad(f)
    numeric = np.stack([numeric_grad(lambda y, i=i: grad(y)[i], [x], 0)
                        for i in np.ndindex(shape)]).reshape(shape + shape)
    assert np.isrealobj(hessian)
    np.testing.assert_allclose(hessian, numeric, rtol=1e-5, atol=1e-6)
    square = hessian.reshape(x.size, x.size)
    np.testing.assert_allclose(square, square.T, rtol=1e-8, atol=1e-9)


def test_grad_of_a_function_calling_grad_through_rfft(rng):
    def inner(x):
        return np.sum(np.real(np.fft.rfft(x) * np.conj(np.fft.rfft(x))) * 0.25)

    def outer(x):
        return np.sum(np.sin(s2sad.grad(inner)(x)))

    x = rng.standard_normal(6)
    np.testing.assert_allclose(s2sad.grad(outer)(x), numeric_grad(outer, [x], 0),
                               rtol=1e-6, atol=1e-7)


# ---- the convention: <g, t> = Re(sum(g * t)) ----------------------------------------------
def real_pairing(a, b):
    return float(np.real(np.sum(a * b)))


def complex_like(rng, shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


@pytest.mark.parametrize("n, norm", [(None, None), (5, "ortho"), (8, "forward"), (3, None)])
def test_rfft_adjoint_is_the_transpose_of_rfft(n, norm, rng):
    x = rng.standard_normal((2, 6))
    y = np.fft.rfft(x, n, axis=-1, norm=norm)
    g = complex_like(rng, y.shape)
    assert real_pairing(g, y) == pytest.approx(
        real_pairing(rt.rfft_adjoint(g, x, n, -1, norm), x), rel=1e-12)


@pytest.mark.parametrize("n, norm", [(None, None), (7, "ortho"), (4, "forward"), (12, None)])
def test_irfft_adjoint_is_the_transpose_of_irfft_and_ignores_no_frequency(n, norm, rng):
    """Every entry of the half spectrum counts, imaginary parts of the zero and Nyquist
    frequencies included (their adjoint is 0, as irfft drops them)."""
    y = complex_like(rng, (3, 5))
    x = np.fft.irfft(y, n, axis=0, norm=norm)
    g = rng.standard_normal(x.shape)
    adjoint = rt.irfft_adjoint(g, y, n, 0, norm)
    assert adjoint.shape == y.shape
    assert real_pairing(g, x) == pytest.approx(real_pairing(adjoint, y), rel=1e-12)
    assert np.all(adjoint[0].imag == 0)


@pytest.mark.parametrize("s, axes", [(None, None), ((3, 4), (0, 2)), ((5, 2), (2, 1)),
                                     (None, (1,))])
def test_nd_real_transform_adjoints_are_transposes(s, axes, rng):
    x = rng.standard_normal((2, 3, 4))
    y = np.fft.rfftn(x, s, axes)
    g = complex_like(rng, y.shape)
    assert real_pairing(g, y) == pytest.approx(
        real_pairing(rt.rfftn_adjoint(g, x, s, axes), x), rel=1e-12)
    half = complex_like(rng, y.shape)
    signal = np.fft.irfftn(half, s, axes, norm="ortho")
    u = rng.standard_normal(signal.shape)
    assert real_pairing(u, signal) == pytest.approx(
        real_pairing(rt.irfftn_adjoint(u, half, s, axes, "ortho"), half), rel=1e-12)


def test_vjp_of_real_imag_conj_angle_follow_the_documented_convention(rng):
    """The adjoint of z = fft(x) reaches x as the real part of fft(z_bar): from that, each
    rule's z_bar can be read back, for a real loss of z."""
    x = rng.standard_normal(4)
    z = np.fft.fft(x)
    u = rng.standard_normal(4)
    to_x = {"real": u, "imag": -1j * u, "conj": np.conj(u * (1 + 2j)),
            "angle": -1j * u / z}

    def real(x):
        return np.sum(np.real(np.fft.fft(x)) * u)

    def imag(x):
        return np.sum(np.imag(np.fft.fft(x)) * u)

    def conj(x):
        return np.sum(np.real(np.conj(np.fft.fft(x)) * (u * (1 + 2j))))

    def angle(x):
        return np.sum(np.angle(np.fft.fft(x)) * u)

    programs = {"real": real, "imag": imag, "conj": conj, "angle": angle}
    for name, f in programs.items():
        expected = np.real(np.fft.fft(to_x[name]))
        np.testing.assert_allclose(s2sad.grad(f)(x), expected, rtol=1e-10, atol=1e-12,
                                   err_msg=name)


def test_parts_of_a_real_value_have_real_adjoints(rng):
    def f(x):
        return np.sum(np.imag(x) + np.angle(x) + np.real(x) * np.conj(x))

    x = rng.uniform(0.5, 1.5, 3) * np.array([1.0, -1.0, 1.0])
    g = s2sad.grad(f)(x)
    assert np.isrealobj(g)
    np.testing.assert_allclose(g, 2 * x)


def test_angle_in_degrees_scales_the_derivative(rng):
    def radians(x):
        return np.sum(np.angle(np.fft.rfft(x) + 0.5))

    def degrees(x):
        return np.sum(np.angle(np.fft.rfft(x) + 0.5, deg=True))

    x = rng.standard_normal(5)
    radians, degrees = s2sad.grad(radians)(x), s2sad.grad(degrees)(x)
    np.testing.assert_allclose(degrees, np.rad2deg(radians), rtol=1e-12)


def test_generated_code_reads_as_transforms_of_the_cotangent():
    grad_source = s2sad.source(spectral_filter_loss)
    assert "irfft_adjoint(" in grad_source and "rfft_adjoint(" in grad_source
    assert "np.fft.fft(" in s2sad.source(filtered_by_complex_fft)
    forward = s2sad.source(spectral_filter_loss, mode="jvp")
    assert "np.fft.rfft(x_dot)" in forward


def test_shapes_changed_by_n_are_fitted_back(rng):
    def f(x):
        return np.sum(np.abs(np.fft.ifft(np.fft.fft(x, 9), 3).real) ** 2)

    x = rng.standard_normal(5)
    np.testing.assert_allclose(s2sad.grad(f)(x), numeric_grad(f, [x], 0), rtol=1e-6,
                               atol=1e-8)


def test_fit_and_real_like_on_their_own():
    v = np.arange(6.0).reshape(2, 3) * (1 + 1j)
    np.testing.assert_array_equal(rt.fit(v, np.zeros((3, 2))),
                                  [[0, 1 + 1j], [3 + 3j, 4 + 4j], [0, 0]])
    assert rt.fit(v, np.zeros((2, 3))) is v
    assert rt.real_like(1 + 2j, 3.0) == 1.0
    assert rt.real_like(1 + 2j, 3.0 + 0j) == 1 + 2j
    assert rt.conj_sign(0.0) == 0.0 and rt.reciprocal_abs(0.0) == 0.0
    np.testing.assert_allclose(rt.conj_sign(np.array([3 + 4j, -2.0])), [0.6 - 0.8j, -1.0])


def test_complex_inputs_are_refused():
    with pytest.raises(NonDifferentiableError, match="complex"):
        s2sad.grad(power_spectrum)(np.ones(4) + 1j)


def test_every_transform_has_a_note_for_the_rules_page():
    for name in ("fft.fft", "fft.rfft", "fft.irfft2", "fft.ifftn", "real", "imag", "conj",
                 "angle"):
        assert REGISTRY.by_name[name].note


# ---- np.abs of complex values, real inputs meeting complex values (see tests/test_complex.py)
def abs_spectrum(x):
    return np.sum(np.abs(np.fft.rfft(x)) ** 3)


def real_times_complex_constant(x):
    return np.sum(np.imag(x * C) + np.real(x * C) * x)


def learnable_real_filter(h, x):
    return np.sum(np.fft.irfft(np.fft.rfft(x) * h) ** 2)


def test_grad_through_abs_of_a_spectrum(rng):
    x = rng.standard_normal(6)
    np.testing.assert_allclose(s2sad.grad(abs_spectrum)(x), numeric_grad(abs_spectrum, [x], 0),
                               rtol=1e-6, atol=1e-8)


def test_jvp_through_abs_of_a_spectrum(rng):
    x, v = rng.standard_normal(6), rng.standard_normal(6)
    tangent = s2sad.jvp(abs_spectrum, (x,), (v,))[1]
    assert np.isrealobj(tangent)
    assert tangent == pytest.approx(np.sum(numeric_grad(abs_spectrum, [x], 0) * v), rel=1e-6)


@pytest.mark.parametrize("f, shapes", [(real_times_complex_constant, [(3,)]),
                                       (learnable_real_filter, [(5,), (8,)])])
def test_real_input_meeting_a_complex_value_gets_a_real_gradient(f, shapes, rng):
    args = [rng.standard_normal(s) for s in shapes]
    g = s2sad.grad(f)(*args)
    assert np.isrealobj(g)
    np.testing.assert_allclose(g, numeric_grad(f, args, 0), rtol=1e-6, atol=1e-8)


def test_abs_rule_is_right_to_second_order_for_complex_and_real_values(rng):
    """np.abs's rule np.real(g) * conj_sign(x): first and second derivatives of |rfft(x)| ** 3
    (complex) and |x| * x (real) against finite differences."""

    def abs_spectrum_cubed(x):
        return np.sum(np.abs(np.fft.rfft(x)) ** 3) + np.sum(np.abs(x) * x)

    x = rng.standard_normal(6)
    grad = s2sad.grad(abs_spectrum_cubed)
    np.testing.assert_allclose(grad(x), numeric_grad(abs_spectrum_cubed, [x], 0), rtol=1e-6,
                               atol=1e-8)
    v = rng.standard_normal(6)
    tangent = s2sad.jvp(abs_spectrum_cubed, (x,), (v,))[1]
    assert tangent == pytest.approx(np.sum(grad(x) * v), rel=1e-10)
    numeric = np.stack([numeric_grad(lambda y, i=i: grad(y)[i], [x], 0) for i in range(6)])
    np.testing.assert_allclose(s2sad.hessian(abs_spectrum_cubed)(x), numeric, rtol=1e-5,
                               atol=1e-6)
