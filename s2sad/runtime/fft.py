"""Runtime helpers of the complex and fft rules (``rules/fft.py``); generated code calls them.

Each helper is registered as a primitive with its own rules, so the rule set stays closed.
The cotangent pairing is bilinear, ``<g, t> = Re(sum(g * t))``, so the adjoint of a linear
map is its plain transpose (no conjugation); see ``rules/fft.py``.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import NonDifferentiableError


def real_like(v, like):
    """`v` as an adjoint of `like`: its real part when `like` is real, `v` itself otherwise.

    A real value paired with a complex cotangent sees only the cotangent's real part."""
    if np.iscomplexobj(like) or not np.iscomplexobj(v):
        return v
    return np.real(v)


def fit(v, like):
    """`v` cropped or zero-padded, axis by axis, to the shape of `like` (the transpose of the
    cropping or zero-padding that ``n=`` / ``s=`` apply before a transform)."""
    shape = np.shape(like)
    if np.shape(v) == shape:
        return v
    out = np.zeros(shape, dtype=np.result_type(v, 1.0))
    common = tuple(slice(0, min(a, b)) for a, b in zip(np.shape(v), shape))
    out[common] = v[common]
    return out


def _axes(ndim, s, axes):
    """The axes NumPy's n-dimensional transforms act on, as non-negative integers."""
    if axes is None:
        axes = range(ndim) if s is None else range(ndim - len(s), ndim)
    return tuple(a % ndim for a in axes)


def _real_sizes(x, s, axes):
    """Lengths of a real signal `x` along `axes` after the cropping or padding of ``s``."""
    return tuple(np.shape(x)[a] for a in axes) if s is None else tuple(s)


def _half_weights(n, ndim, axis):
    """How often each entry of a half spectrum of a length-`n` real signal stands in the full
    spectrum: once for the zero frequency (and Nyquist, n even), twice for the others, shaped
    to broadcast along `axis`."""
    w = np.full(n // 2 + 1, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    shape = [1] * ndim
    shape[axis] = w.size
    return w.reshape(shape)


def rfftn_adjoint(g, x, s=None, axes=None, norm=None):
    """The transpose of ``np.fft.rfftn(., s, axes, norm)`` at the real signal `x`, applied to
    the cotangent `g` of the half spectrum: the full fftn of `g` zero-padded to the signal's
    length, its real part, cropped or padded back to `x`'s shape."""
    axes = _axes(np.ndim(x), s, axes)
    full = np.fft.fftn(g, s=_real_sizes(x, s, axes), axes=axes, norm=norm)
    return fit(np.real(full), x)


def irfftn_adjoint(g, y, s=None, axes=None, norm=None):
    """The transpose of ``np.fft.irfftn(., s, axes, norm)`` at the half spectrum `y`, applied to
    the (real) cotangent `g` of the signal: the ifftn of `g` cut to a half spectrum, each entry
    weighted by how often it stands in the full spectrum, cropped or padded back to `y`'s
    shape."""
    axes = _axes(np.ndim(y), s, axes)
    g = np.real(g)
    n = np.shape(g)[axes[-1]]
    half = np.fft.ifftn(g, axes=axes, norm=norm)
    half = np.take(half, np.arange(n // 2 + 1), axis=axes[-1])
    return fit(half * _half_weights(n, half.ndim, axes[-1]), y)


def rfft_adjoint(g, x, n=None, axis=-1, norm=None):
    """The transpose of ``np.fft.rfft(., n, axis, norm)``: see rfftn_adjoint."""
    return rfftn_adjoint(g, x, None if n is None else (n,), (axis,), norm)


def irfft_adjoint(g, y, n=None, axis=-1, norm=None):
    """The transpose of ``np.fft.irfft(., n, axis, norm)``: see irfftn_adjoint."""
    return irfftn_adjoint(g, y, None if n is None else (n,), (axis,), norm)


def conj_sign(x):
    """``conj(x) / |x|``, 0 at 0: the derivative of ``|x|`` (``np.conj(np.sign(x))``), sign(x)
    for real x. Unlike np.sign it has a derivative, nonzero for complex x."""
    return np.conj(np.sign(x))


def reciprocal_abs(x):
    """``1 / |x|``, 0 at 0 (where it only multiplies zeros in conj_sign's derivative)."""
    a = np.abs(x)
    if np.ndim(a) == 0:
        return 1.0 / float(a) if a != 0 else 0.0
    with np.errstate(divide="ignore"):
        return np.where(a == 0, 0.0, 1.0 / a)


def refuse_complex(x, what, hint=None):
    """Raise NonDifferentiableError if `x` is complex: the derivative of `what` is only
    written for real values."""
    if np.iscomplexobj(x):
        raise NonDifferentiableError(f"s2sad differentiates {what} of real values only; here "
                                     "it has a complex argument", None, hint)


def angle_unit(deg=False):
    """The size of a radian in the unit of ``np.angle(z, deg)``."""
    return 180.0 / math.pi if deg else 1.0


#: Name -> helper, merged into the namespace of generated code (runtime.HELPERS).
HELPERS: dict = {
    "real_like": real_like,
    "fit": fit,
    "rfft_adjoint": rfft_adjoint,
    "irfft_adjoint": irfft_adjoint,
    "rfftn_adjoint": rfftn_adjoint,
    "irfftn_adjoint": irfftn_adjoint,
    "angle_unit": angle_unit,
    "conj_sign": conj_sign,
    "reciprocal_abs": reciprocal_abs,
}
