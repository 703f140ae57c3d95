"""Rule-table rows of the fft family (aggregated by rule_table.py; see Case there).

Inputs and outputs are real, as s2sad requires: a complex result is returned as the stack of
its real and imaginary parts, so that the random cotangent weighs both independently. Complex
inputs of a transform are made by a transform of a real input times the complex constant C
(which also gives the zero frequency an imaginary part).
"""

import numpy as np
from rule_table import Case, M, S, V

from s2sad.runtime import fft as rt

C = 0.6 + 0.8j
T3 = (2, 3, 4)


def parts(z):
    return np.stack([np.real(z), np.imag(z)])


# ---- complex parts ------------------------------------------------------------------------
def real_of_spectrum(x):
    z = np.fft.fft(x) * C
    return np.real(z * z)


def imag_of_spectrum(x):
    z = np.fft.fft(x) * C
    return np.imag(z * z)


def real_imag_attributes(x):
    z = np.fft.fft(x) * C
    return z.real * z.imag + z.real


def imag_attribute(x):
    z = np.exp(np.fft.fft(x) * C)
    return z.imag


def conj_of_spectrum(x):
    z = np.fft.fft(x) * C
    return parts(np.conj(z) * z * z)


def conj_method(x):
    z = np.fft.fft(x) * C
    return parts(z.conj() * np.sin(z) + np.conjugate(z))


def angle_of_spectrum(x):
    return np.angle(np.fft.fft(x) * C + 0.5)


def angle_degrees(x):
    return np.angle(np.fft.rfft(x) * C + 0.5, deg=True)


def parts_of_real(x):
    return np.real(x) * 2.0 + np.imag(x) + np.conj(x) * x.real + x.imag


def angle_of_real(x):
    return np.angle(x) + x


# ---- complex transforms -------------------------------------------------------------------
def fft(x):
    return parts(np.fft.fft(x))


def fft_n_axis_norm(x):
    return parts(np.fft.fft(x, 5, axis=0, norm="ortho"))


def fft_crop_forward(x):
    return parts(np.fft.fft(x, n=2, norm="forward"))


def fft_of_complex(x):
    return parts(np.fft.fft(np.fft.fft(x) * C, 4, axis=-1))


def ifft(x):
    return parts(np.fft.ifft(x))


def ifft_n_axis_norm(x):
    return parts(np.fft.ifft(np.fft.fft(x) * C, 5, axis=0, norm="ortho"))


def ifft_crop_forward(x):
    return parts(np.fft.ifft(x, n=2, axis=-1, norm="forward"))


def fft2(x):
    return parts(np.fft.fft2(x))


def fft2_s_axes(x):
    return parts(np.fft.fft2(x, s=(3, 2), axes=(0, 1), norm="ortho"))


def ifft2(x):
    return parts(np.fft.ifft2(np.fft.fft2(x) * C))


def ifft2_s_axes(x):
    return parts(np.fft.ifft2(x, (2, 5), (-1, 0), norm="forward"))


def fftn(x):
    return parts(np.fft.fftn(x))


def fftn_s_axes(x):
    return parts(np.fft.fftn(x, s=(3, 3), axes=(0, 2), norm="ortho"))


def ifftn(x):
    return parts(np.fft.ifftn(np.fft.fftn(x) * C))


def ifftn_s_axes(x):
    return parts(np.fft.ifftn(x, s=(4,), axes=(1,), norm="forward"))


# ---- real transforms ----------------------------------------------------------------------
def rfft(x):
    return parts(np.fft.rfft(x))


def rfft_n_odd_axis(x):
    return parts(np.fft.rfft(x, 5, axis=0, norm="ortho"))


def rfft_crop_even(x):
    return parts(np.fft.rfft(x, n=2, norm="forward"))


def irfft(x):
    return np.fft.irfft(np.fft.rfft(x) * C)


def irfft_n_axis_norm(x):
    return np.fft.irfft(np.fft.rfft(x, axis=0) * C, 7, axis=0, norm="ortho")


def irfft_crop(x):
    return np.fft.irfft(np.fft.fft(x) * C, n=4, norm="forward")


def irfft_pad(x):
    return np.fft.irfft(np.fft.fft(x) * C, 9)


def rfft2(x):
    return parts(np.fft.rfft2(x))


def rfft2_s_axes(x):
    return parts(np.fft.rfft2(x, s=(3, 3), axes=(1, 0), norm="ortho"))


def irfft2(x):
    return np.fft.irfft2(np.fft.rfft2(x) * C)


def irfft2_s_axes(x):
    return np.fft.irfft2(np.fft.fft2(x) * C, s=(3, 5), axes=(0, -1), norm="forward")


def rfftn(x):
    return parts(np.fft.rfftn(x))


def rfftn_s_axes(x):
    return parts(np.fft.rfftn(x, s=(3, 4), axes=(2, 0), norm="ortho"))


def irfftn(x):
    return np.fft.irfftn(np.fft.rfftn(x) * C)


def irfftn_s_axes(x):
    return np.fft.irfftn(np.fft.fftn(x) * C, s=(2, 6), axes=(0, 2), norm="forward")


def shifts(x):
    return np.fft.fftshift(x) * x + np.fft.ifftshift(x * x)


def shifts_axes(x):
    return np.fft.fftshift(x, axes=0) * x + np.fft.ifftshift(x * x, axes=(-1,))


def shifts_of_spectrum(x):
    return parts(np.fft.ifftshift(np.fft.fftshift(np.fft.fft2(x)) * C))


# ---- helpers of the rules -----------------------------------------------------------------
LIKE = np.zeros((3, 2))


def real_like(x):
    return parts(rt.real_like(np.fft.fft(x) * C, x) + rt.real_like(np.fft.fft(x), x * C))


def fit(x):
    return parts(rt.fit(np.fft.fft(x) * C, LIKE)) + rt.fit(x, LIKE)


def rfft_adjoint(g, x):
    return rt.rfft_adjoint(np.fft.fft(g) * C, x, 7) + rt.rfft_adjoint(np.fft.fft(g), x, axis=0)


def rfft_adjoint_crop(g, x):
    return rt.rfft_adjoint(np.fft.fft(g) * C, x, 6, norm="ortho")


def conj_sign(x):
    z = np.fft.fft(x) * C
    return parts(rt.conj_sign(z) * z) + rt.conj_sign(x)


def reciprocal_abs(x):
    z = np.fft.fft(x) * C + 0.1
    return rt.reciprocal_abs(z) + rt.reciprocal_abs(x)


def conj_sign_of_real(x):
    return rt.conj_sign(x) * x


def reciprocal_abs_of_real(x):
    return rt.reciprocal_abs(x)


HALF = np.zeros(4, dtype=complex)
HALF2 = np.zeros((3, 2), dtype=complex)


def irfft_adjoint(g):
    return parts(rt.irfft_adjoint(g, HALF, g.shape[0], norm="forward"))


def rfftn_adjoint(g, x):
    return rt.rfftn_adjoint(np.fft.fft2(g) * C, x, (3, 2), (1, 0), "ortho")


def irfftn_adjoint(g):
    return parts(rt.irfftn_adjoint(g, HALF2, (g.shape[1], g.shape[0]), (-1, 0)))


CASES: list = [
    Case("real", real_of_spectrum, [(V,), (M,)]),
    Case("imag", imag_of_spectrum, [(V,), (M,)]),
    Case("real_attr", real_imag_attributes, [(V,), (M,)]),
    Case("imag_attr", real_imag_attributes, [(V,)]),
    Case("imag_attr", imag_attribute, [((4,),)]),
    Case("conj", conj_of_spectrum, [(V,), (M,)]),
    Case("conj", conj_method, [((4,),)]),
    Case("angle", angle_of_spectrum, [(V,), (M,)]),
    Case("angle", angle_degrees, [((5,),)]),
    Case("real", parts_of_real, [(S,), (V,), (M,)]),
    Case("imag", parts_of_real, [(S,), (M,)]),
    Case("angle", angle_of_real, [(S,), (V,)], "nonzero"),
    Case("fft.fft", fft, [(V,), ((4,),), (M,)]),
    Case("fft.fft", fft_n_axis_norm, [(M,), (T3,)]),
    Case("fft.fft", fft_crop_forward, [(V,), (M,)]),
    Case("fft.fft", fft_of_complex, [(V,), (M,)]),
    Case("fft.ifft", ifft, [(V,), (M,)]),
    Case("fft.ifft", ifft_n_axis_norm, [(M,), ((4, 2),)]),
    Case("fft.ifft", ifft_crop_forward, [(V,), (M,)]),
    Case("fft.fft2", fft2, [(M,), (T3,)]),
    Case("fft.fft2", fft2_s_axes, [(M,), (T3,)]),
    Case("fft.ifft2", ifft2, [(M,), (T3,)]),
    Case("fft.ifft2", ifft2_s_axes, [(M,), (T3,)]),
    Case("fft.fftn", fftn, [(V,), (M,), (T3,)]),
    Case("fft.fftn", fftn_s_axes, [(T3,)]),
    Case("fft.ifftn", ifftn, [(M,), (T3,)]),
    Case("fft.ifftn", ifftn_s_axes, [(M,), (T3,)]),
    Case("fft.rfft", rfft, [(V,), ((4,),), (M,)]),
    Case("fft.rfft", rfft_n_odd_axis, [(M,), (T3,)]),
    Case("fft.rfft", rfft_crop_even, [(V,), (M,)]),
    Case("fft.irfft", irfft, [(V,), ((4,),), (M,)]),
    Case("fft.irfft", irfft_n_axis_norm, [(M,), ((5, 2),)]),
    Case("fft.irfft", irfft_crop, [((4,),), ((2, 5),)]),
    Case("fft.irfft", irfft_pad, [((4,),), ((2, 3),)]),
    Case("fft.rfft2", rfft2, [(M,), (T3,)]),
    Case("fft.rfft2", rfft2_s_axes, [(M,), (T3,)]),
    Case("fft.irfft2", irfft2, [(M,), ((2, 4),), (T3,)]),
    Case("fft.irfft2", irfft2_s_axes, [(M,), (T3,)]),
    Case("fft.rfftn", rfftn, [(V,), (M,), (T3,)]),
    Case("fft.rfftn", rfftn_s_axes, [(T3,)]),
    Case("fft.irfftn", irfftn, [(M,), (T3,)]),
    Case("fft.irfftn", irfftn_s_axes, [(T3,)]),
    Case("fft.fftshift", shifts, [(V,), ((4,),), (M,)]),
    Case("fft.ifftshift", shifts, [(V,), (M,)]),
    Case("fft.fftshift", shifts_axes, [(M,), (T3,)]),
    Case("fft.ifftshift", shifts_of_spectrum, [(M,), ((3, 4),)]),
    Case("conj_sign", conj_sign, [(V,), (M,)], "nonzero"),
    Case("conj_sign", conj_sign_of_real, [(S,), (V,)], "nonzero"),
    Case("reciprocal_abs", reciprocal_abs, [(V,), (M,)], "nonzero"),
    Case("reciprocal_abs", reciprocal_abs_of_real, [(S,), (V,)], "nonzero"),
    Case("real_like", real_like, [(V,), (M,)]),
    Case("fit", fit, [(M,), ((4, 1),)]),
    Case("rfft_adjoint", rfft_adjoint, [((4,), (6,)), ((4,), (7,))]),
    Case("rfft_adjoint", rfft_adjoint_crop, [((4,), (9,)), ((4,), (3,))]),
    Case("irfft_adjoint", irfft_adjoint, [((6,),), ((7,),), ((4,),)]),
    Case("rfftn_adjoint", rfftn_adjoint, [((2, 3), (2, 3)), ((2, 3), (4, 5))]),
    Case("irfftn_adjoint", irfftn_adjoint, [((4, 2),), ((5, 2),), ((2, 2),)]),
]


def real_if_close(x):
    return np.real_if_close(np.exp(1j * x) * np.exp(-1j * x) * x) * 2.0


CASES.append(Case("real_if_close", real_if_close, [(S,), (V,)]))
