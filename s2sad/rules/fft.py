"""Complex numbers (real, imag, conj, angle) and ``np.fft``.

s2sad differentiates real functions of real inputs; complex values may appear in between (a
spectrum, a transfer function). The convention for them:

- A cotangent pairs with a tangent bilinearly, ``<g, t> = Re(sum(g * t))``. The adjoint of a
  linear map is then its plain transpose (no conjugate), and a holomorphic function keeps the
  rule it has for reals: ``z_bar = g * f'(z)`` (``g * cos(z)`` for sin, ``g * y`` for ``z * y``).
- For a real loss L of z = u + iv, ``z_bar = dL/du - 1j * dL/dv``: the conjugate of the
  gradient that points uphill in the complex plane.
- ``real(z)``: ``z_bar = g``; ``imag(z)``: ``z_bar = -1j * g``; ``conj(z)``: ``z_bar =
  conj(g)``; ``abs(z)``: ``z_bar = Re(g) * conj(z) / |z|`` (``conj_sign`` below, np.abs's rule
  in elementwise.py); ``angle(z)``: ``z_bar = -1j * Re(g) / z``.
- A real value paired with a complex cotangent sees only its real part: the adjoint of a real
  input of fft is the real part of the transform of g (``real_like``). The cotangent of a
  real result of a complex value is read through ``np.real(g)``, in case a product with a
  complex constant left an imaginary part on it. A real intermediate may carry such an
  imaginary part through rules of real functions (``np.maximum(x, 0) * 1j``): they are linear
  in g with real coefficients, so it stays apart from the real part, and reverse mode drops it
  where it reaches a (real) input: when the function can make complex values
  (``may_be_complex`` below), each input's adjoint ends with ``x_bar = real_like(x_bar, x)``.

The transforms are linear. Their tangents are the same transform of the tangent, and their
adjoints the transpose: the DFT matrix is symmetric, so fft's adjoint is fft again (same
``norm``: the scale is the same number) and ifft's is ifft, cropped or zero-padded back to the
input's length (``fit``) when ``n`` / ``s`` changed it. rfft keeps half of the spectrum of a real
signal, so its transpose is not irfft: it is the full fft of the cotangent padded with zeros
(``rfft_adjoint``), and irfft's transpose weights each kept frequency by how often it stands
in the full spectrum (``irfft_adjoint``). Each pair is the other's adjoint, which closes the rule
set.
"""

import numpy as np

from ..ir import (
    Const,
    Dotted,
    Op,
    walk,
)
from ..runtime import fft as rt
from .registry import defprim, nondiff

# ---- complex parts ------------------------------------------------------------------------
REAL_NOTE = "z_bar = g: the cotangent of Re(z) (pairing <g, t> = Re(sum(g * t)))"
IMAG_NOTE = "z_bar = -1j * g: Im(z) = Re(-1j * z); a real z has a zero derivative"
CONJ_NOTE = "z_bar = conj(g): the transpose of conjugation under <g, t> = Re(sum(g * t))"
ANGLE_NOTE = ("z_bar = -1j * g / z (angle = Im(log z)); not differentiable at z = 0, and zero "
              "for real z away from 0 (the angle is 0 or pi there)")

for _name, _spelling, _obj, _attr in (("real", "np.real", np.real, None),
                                      ("real_attr", "real", None, "real")):
    defprim(_name, _spelling, objects=(_obj,) if _obj else (), elementwise=True,
            form="attribute" if _attr else "call", attribute=_attr, note=REAL_NOTE,
            vjp={"x": "np.real(g)"},
            jvp={"x": "np.real(x_dot)"})

for _name, _spelling, _obj, _attr in (("imag", "np.imag", np.imag, None),
                                      ("imag_attr", "imag", None, "imag")):
    defprim(_name, _spelling, objects=(_obj,) if _obj else (), elementwise=True,
            form="attribute" if _attr else "call", attribute=_attr, note=IMAG_NOTE,
            vjp={"x": "real_like(-1j * np.real(g), x)"},
            jvp={"x": "np.imag(x_dot)"})

defprim("conj", "np.conj", objects=(np.conj, np.conjugate), methods=("conj", "conjugate"),
        elementwise=True, note=CONJ_NOTE,
        vjp={"x": "np.conj(g)"},
        jvp={"x": "np.conj(x_dot)"})

defprim("angle", "np.angle", objects=(np.angle,), params=(("deg", False),), elementwise=True,
        note=ANGLE_NOTE,
        vjp={"x": "real_like(-1j * np.real(g) * angle_unit(deg) / x, x)"},
        jvp={"x": "np.imag(x_dot / x) * angle_unit(deg)"})

# np.real_if_close(x): x, or its real part when every imaginary part is within tol; the
# cotangent of either is g (real's adjoint is g), the tangent that of the kind of value made.
defprim("real_if_close", "np.real_if_close", objects=(np.real_if_close,),
        params=(("tol", 100),), elementwise=True,
        vjp={"x": "g"},
        jvp={"x": "real_like(x_dot, ans)"})

# ---- helpers of the rules (runtime/fft.py) -------------------------------------------------
nondiff("angle_unit", "angle_unit", rt.angle_unit, argnames=("deg",))

defprim("real_like", "real_like", objects=(rt.real_like,), argnames=("x", "like"),
        vjp={"x": "real_like(g, like)"},
        jvp={"x": "real_like(x_dot, like)"})

defprim("fit", "fit", objects=(rt.fit,), argnames=("x", "like"),
        vjp={"x": "fit(g, x)"},
        jvp={"x": "fit(x_dot, like)"})

# |z|'s derivative and its parts, closed under differentiation (for complex z, np.sign is not
# piecewise constant: its derivative is not zero). With d = conj_sign(z) = conj(z) / |z|,
# dd = (conj(dz) - Re(d dz) d) / |z|, which is 0 for real z.
defprim("conj_sign", "conj_sign", objects=(rt.conj_sign,), elementwise=True,
        note="conj(z) / |z|, 0 at 0: the derivative of |z| (sign(x) for real x)",
        vjp={"x": "real_like((np.conj(g) - np.real(g * ans) * ans) * reciprocal_abs(x), x)"},
        jvp={"x": "(np.conj(x_dot) - np.real(x_dot * ans) * ans) * reciprocal_abs(x)"})

defprim("reciprocal_abs", "reciprocal_abs", objects=(rt.reciprocal_abs,), elementwise=True,
        note="1 / |z|, 0 at 0",
        vjp={"x": "-np.real(g) * ans * ans * conj_sign(x)"},
        jvp={"x": "-np.real(x_dot * conj_sign(x)) * ans * ans"})

# rfft and its transpose are each other's adjoints; so are irfft and its transpose. The signal
# `x` / spectrum `y` argument only supplies a shape.
ONE = (("n", None), ("axis", -1), ("norm", None))
MANY = (("s", None), ("axes", None), ("norm", None))
for _suffix, _params in (("", ONE), ("n", MANY)):
    _p = ", ".join(name for name, _ in _params)
    defprim(f"rfft{_suffix}_adjoint", f"rfft{_suffix}_adjoint",
            objects=(getattr(rt, f"rfft{_suffix}_adjoint"),), argnames=("g_", "x"),
            params=_params,
            vjp={"g_": f"np.fft.rfft{_suffix}(np.real(g), {_p})"},
            jvp={"g_": f"rfft{_suffix}_adjoint(g__dot, x, {_p})"})
    defprim(f"irfft{_suffix}_adjoint", f"irfft{_suffix}_adjoint",
            objects=(getattr(rt, f"irfft{_suffix}_adjoint"),), argnames=("g_", "y"),
            params=_params,
            vjp={"g_": f"np.fft.irfft{_suffix}(g, {_p})"},
            jvp={"g_": f"irfft{_suffix}_adjoint(g__dot, y, {_p})"})

# ---- transforms ------------------------------------------------------------------------------
FFT_NOTE = ("linear: the tangent is the same transform of x_dot; the adjoint is the transpose "
            "({adjoint}), cropped or zero-padded back to x's length, real for a real x")
TWO = (("s", None), ("axes", (-2, -1)), ("norm", None))


def _transform(name, params, adjoint_of):
    """A complex transform: adjoint `adjoint_of` applied to g with the same parameters."""
    p = ", ".join(n for n, _ in params)
    defprim(f"fft.{name}", f"np.fft.{name}", objects=(getattr(np.fft, name),), params=params,
            note=FFT_NOTE.format(adjoint=f"np.fft.{adjoint_of} of g"),
            vjp={"x": f"real_like(fit(np.fft.{adjoint_of}(g, {p}), x), x)"},
            jvp={"x": f"np.fft.{name}(x_dot, {p})"})


def _real_transform(name, params, adjoint, note):
    """rfft* (real signal -> half spectrum) and irfft* (half spectrum -> real signal)."""
    p = ", ".join(n for n, _ in params)
    defprim(f"fft.{name}", f"np.fft.{name}", objects=(getattr(np.fft, name),), params=params,
            note=note,
            vjp={"x": f"{adjoint}(g, x, {p})"},
            jvp={"x": f"np.fft.{name}(x_dot, {p})"})


for _name, _params in (("fft", ONE), ("ifft", ONE), ("fft2", TWO), ("ifft2", TWO),
                       ("fftn", MANY), ("ifftn", MANY)):
    _transform(_name, _params, _name)  # the DFT matrix and its inverse are symmetric

RFFT_NOTE = ("the adjoint is the full fft of g zero-padded to the signal's length, real part "
             "(rfft_adjoint); x is real (rfft drops an imaginary part)")
IRFFT_NOTE = ("the adjoint is the ifft of g cut to the half spectrum, the frequencies that stand "
              "twice in the full spectrum counted twice (irfft_adjoint); the imaginary parts of "
              "the zero (and Nyquist) frequency do not reach the result, so their adjoint is 0")
for _name, _params, _adjoint in (("rfft", ONE, "rfft_adjoint"), ("rfft2", TWO, "rfftn_adjoint"),
                                 ("rfftn", MANY, "rfftn_adjoint")):
    _real_transform(_name, _params, _adjoint, RFFT_NOTE)
for _name, _params, _adjoint in (("irfft", ONE, "irfft_adjoint"),
                                 ("irfft2", TWO, "irfftn_adjoint"),
                                 ("irfftn", MANY, "irfftn_adjoint")):
    _real_transform(_name, _params, _adjoint, IRFFT_NOTE)

# Permutations of the entries: each is the other's transpose.
for _name, _inverse in (("fftshift", "ifftshift"), ("ifftshift", "fftshift")):
    defprim(f"fft.{_name}", f"np.fft.{_name}", objects=(getattr(np.fft, _name),),
            params=(("axes", None),),
            vjp={"x": f"np.fft.{_inverse}(g, axes)"},
            jvp={"x": f"np.fft.{_name}(x_dot, axes)"})


# ---- where complex values can appear -------------------------------------------------------
def _complex_value(value) -> bool:
    """Whether a constant is complex or names a complex type (``1j``, ``dtype=complex``)."""
    if isinstance(value, (tuple, list)):
        return any(_complex_value(v) for v in value)
    if isinstance(value, Dotted):
        return "complex" in value
    return isinstance(value, (complex, np.complexfloating)) or (
        isinstance(value, np.ndarray) and np.iscomplexobj(value))


def may_be_complex(fn) -> bool:
    """Whether the lowered function `fn` can make complex values from real arguments: it has a
    complex constant or global, a complex type, or an fft. Reverse mode then projects the
    adjoints of its (real) inputs onto the real line, ``x_bar = real_like(x_bar, x)``: a real
    input multiplied by ``1j`` gets ``g * 1j``, whose real part is its adjoint. Real programs
    keep their code as it is. (A complex value passed in a non-differentiated argument is not
    seen here.)"""
    for stmt in walk(fn.body):
        if isinstance(stmt, Op) and (stmt.prim.name.startswith("fft.")
                                     or "complex" in stmt.prim.spelling):
            return True
        if any(isinstance(a, Const) and _complex_value(a.value) for a in stmt.atoms()):
            return True
    return any(_complex_value(v) for v in getattr(fn, "globals_used", {}).values())
