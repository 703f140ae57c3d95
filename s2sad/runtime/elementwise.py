"""Runtime helpers of the elementwise rules (``rules/elementwise.py``); generated code calls them.

Each helper is registered as a primitive with its own rules, so the rule set stays closed.

How the adjoints stay free of NaN (numerical safety)
----------------------------------------------------
A derivative that is infinite or undefined at a point (``sqrt`` and ``cbrt`` at 0, ``arcsin``
and ``arccos`` at +-1, ``arccosh`` at 1, ``arctanh`` at +-1, ...) is harmless as long as the
cotangent it is multiplied with is not zero: then inf is the honest answer. It becomes a bug
when the cotangent is an *exact* zero, which is what ``np.where`` sends to its untaken branch:
in ``np.where(x > 0, np.sqrt(x), 0.0)`` at ``x = 0`` the adjoint of ``sqrt(x)`` is 0, and the
chain rule ``0 * (0.5 / sqrt(0)) = 0 * inf`` gives NaN, which then poisons the whole gradient
(autograd and JAX both return NaN here).

The rules of those functions therefore divide with :func:`safe_div` (their derivatives are
quotients ``1 / d``: ``log``'s rule is ``safe_div(g, x)``, ``sqrt``'s ``safe_div(g, 2.0 *
ans)``) or multiply with :func:`safe_mul` instead of ``*``. Each is the ordinary operation in
which an exact zero cotangent is a *strong zero*: ``0 / 0 = 0``, ``0 * inf = 0``, ``0 * nan =
0``. This is the convention of linear algebra on sparse Jacobians (an entry that is
structurally zero annihilates whatever it meets) and it changes nothing where the ordinary
result is not NaN. Forward mode uses them the same way (``safe_div(x_dot, x)``), so a zero
tangent (a column of a Jacobian) stays zero at a singular point. Division itself differentiates
the same way: ``x / y`` gives ``safe_div(g, y)`` to x and ``-safe_mul(safe_div(g, y), ans)``
to y, so ``np.where(x != 0, np.sin(x) / x, 1.0)`` has derivative 0 at x = 0, not NaN.

Both helpers compute the plain result first and look for NaN afterwards, on a single reduction
of the result (its sum of squares, ``np.vdot(out, out)``, which is NaN exactly when an entry
is: squares cannot cancel as inf - inf): the common case costs one operation and one sum, and
Python floats (the code of scalar loops) take a path without NumPy at all. Only when the result
holds a NaN are the entries with a zero cotangent set to zero.

The other way round, an infinite derivative meets a product: in ``np.sqrt(x * x + y * y)`` at
the origin the adjoint of ``x * x`` is inf and the product rule ``g * x`` gives ``inf * 0 =
NaN``. A strong-zero product everywhere would cost every gradient a check and make the
generated code harder to read, so reverse mode tracks which adjoints may be infinite where the
values are finite (those of ``rules.elementwise.UNBOUNDED`` and of ``x ** p`` with a power that
may be below 1, and what is computed from them) and only for those uses the products'
strong-zero rules (``Primitive.vjp_strong``: ``safe_mul(g, y)``); see ``reverse.py``. The
exponent's derivative of ``x ** y`` is always a strong-zero product. Contractions (``d @ d``,
``np.dot``) have no strong variant.

Functions whose derivative is finite wherever they are (``sin``, ``exp``, ``tanh`` ...) keep
the plain ``g * derivative``. Subgradients at kinks are chosen so that no NaN arises either:
``abs`` and ``hypot`` have derivative 0 at 0, ``sinc`` has its true derivative 0 at 0 (a short
Taylor series near 0 instead of a 0 / 0 quotient), ties of ``maximum``/``minimum``/``clip``
share the cotangent evenly, and ``logaddexp`` differentiates as ``exp(x - ans)``, which never
overflows.
"""

from __future__ import annotations

import math

import numpy as np

from . import arrays

_isnan = np.isnan
_vdot = np.vdot


def safe_mul(x, y):
    """``x * y``, exactly zero wherever `x` or `y` is zero (even where the other factor is
    inf or NaN)."""
    out = x * y
    if type(out) is float:  # two Python numbers: the scalar-loop path
        return out if out == out or not (x == 0.0 or y == 0.0) else 0.0
    if type(out) is np.ndarray or isinstance(out, np.ndarray):
        total = _vdot(out, out)  # a sum of squares |out|^2: NaN exactly if an entry is NaN
        if total == total:
            return out
        return np.where(_isnan(out) & ((x == 0) | (y == 0)), 0.0, out)
    if arrays.foreign(out):  # no truth test: it would compute the array
        return arrays.where_zero(out, (x == 0) | (y == 0))
    if out == out or not (x == 0 or y == 0):
        return out
    return out.dtype.type(0.0) if isinstance(out, np.generic) else 0.0


def safe_div(x, y):
    """``x / y``, exactly zero wherever `x` is zero (even where `y` is 0 or NaN); for Python
    numbers, NumPy's inf at ``y = 0.0`` instead of ZeroDivisionError."""
    tx, ty = type(x), type(y)
    if ty is float or ty is int:
        if tx is float or tx is int:  # two Python numbers: the scalar-loop path
            if y:  # nonzero (NaN included)
                out = x / y
                return out if out == out or x else 0.0
            if x == 0 or x != x:
                return 0.0 if x == 0 else x
            return math.copysign(math.inf, x) * math.copysign(1.0, y)
        if y and y == y:  # a finite or infinite nonzero number: the plain quotient
            return x / y
    out = x / y  # NumPy values: inf or NaN at y = 0, with NumPy's warning
    if type(out) is np.ndarray or isinstance(out, np.ndarray):
        total = _vdot(out, out)  # a sum of squares |out|^2: NaN exactly if an entry is NaN
        if total == total:
            return out
        return np.where(_isnan(out) & (x == 0), 0.0, out)
    if arrays.foreign(out):  # no truth test: it would compute the array
        return arrays.where_zero(out, x == 0)
    if out == out or not x == 0:
        return out
    return out.dtype.type(0.0) if isinstance(out, np.generic) else 0.0


_PI = math.pi
# Taylor coefficients of sinc'(x) = sum_k (-1)^k 2k pi^2k x^(2k-1) / (2k+1)!, k = 1..4, and of
# sinc''(x) (the same series differentiated): exact to rounding for |x| < SINC_SERIES.
SINC_SERIES = 0.01
_S1 = [(-1) ** k * 2 * k * _PI ** (2 * k) / math.factorial(2 * k + 1) for k in range(1, 5)]


def sinc_slope(x):
    """The derivative of ``np.sinc`` (``sin(pi x) / (pi x)``): ``(cos(pi x) - sinc(x)) / x``,
    with its Taylor series near 0 (no 0 / 0; the value at 0 is 0)."""
    x2 = x * x
    series = x * (_S1[0] + x2 * (_S1[1] + x2 * (_S1[2] + x2 * _S1[3])))
    small = np.abs(x) < SINC_SERIES
    if np.ndim(small) == 0 and small:
        return series
    safe = np.where(small, 1.0, x)
    far = (np.cos(_PI * x) - np.sinc(x)) / safe
    out = np.where(small, series, far)
    return out if np.ndim(out) else type(x)(out) if type(x) is float else out[()]


def clip_weight(x, a_min, a_max, which):
    """The share of the cotangent of ``np.clip(x, a_min, a_max)`` that goes to `which` (one of
    'x', 'a_min', 'a_max'): 1 for the argument that is selected, 0 for the others, and 1/2
    each on a tie at a bound. A bound may be None. np.clip is minimum(maximum(x, a_min),
    a_max), and the shares follow from maximum's and minimum's."""
    lo = x if a_min is None else np.maximum(x, a_min)
    if a_min is None:
        to_x, to_min = 1.0, 0.0
    else:
        to_x = (x > a_min) + 0.5 * (x == a_min)
        to_min = (a_min > x) + 0.5 * (x == a_min)
    if a_max is None:
        kept, to_max = 1.0, 0.0
    else:
        kept = (lo < a_max) + 0.5 * (lo == a_max)
        to_max = (a_max < lo) + 0.5 * (lo == a_max)
    if which == "x":
        return to_x * kept
    if which == "a_min":
        return to_min * kept
    return to_max


def cast_like(v, like):
    """`v` in the floating dtype of `like`: the adjoint of a dtype conversion goes back to the
    input's precision (float32 stays float32; ints and Python floats give float64)."""
    if type(like) is float:
        return float(v) if np.ndim(v) == 0 else np.asarray(v, np.float64)
    dtype = np.result_type(like, 1.0)
    if isinstance(v, np.ndarray):
        return v if v.dtype == dtype else v.astype(dtype)
    return dtype.type(v) if np.ndim(like) == 0 else np.asarray(v, dtype)


def astype(x, dtype):
    """``x.astype(dtype)`` for an array, a NumPy scalar or a Python number."""
    if isinstance(x, (np.ndarray, np.generic)):
        return x.astype(dtype)
    return np.asarray(x).astype(dtype)[()]


def inexact(dtype) -> float:
    """1.0 if `dtype` is a floating (or complex) dtype, else 0.0: a cast to an integer or
    boolean dtype has zero derivative."""
    return 1.0 if np.issubdtype(np.dtype(dtype), np.inexact) else 0.0


#: Name -> helper, merged into the namespace of generated code (runtime.HELPERS).
HELPERS: dict = {
    "safe_mul": safe_mul,
    "safe_div": safe_div,
    "sinc_slope": sinc_slope,
    "clip_weight": clip_weight,
    "cast_like": cast_like,
    "astype": astype,
    "inexact": inexact,
}
