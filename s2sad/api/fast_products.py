"""The fast paths of ``jvp`` and ``hvp``: calls at Python floats and float64 arrays, which need
no binding, conversion or checks once the first call has built the code (that call takes the
general path, in products.py, and reports anything wrong with the arguments)."""

from __future__ import annotations

import numpy as np

from ..loading.loader import add_origin_note
from ..values import matched_all, separated
from .build import build, current_build
from .built import floats_only
from .diagnose import raise_integer_misuse
from .signatures import LIMIT, SEEN, signature, specialised

_F64 = np.dtype(np.float64)


def float_numbers(primals: tuple, tangents: tuple) -> bool:
    """Whether every primal is a float (or np.float64) and every tangent a Python float."""
    for p in primals:
        kind = type(p)
        if kind is not float and kind is not np.float64:
            return False
    for t in tangents:
        if type(t) is not float:
            return False
    return True


def _float_jvp(f, primals: tuple, tangents: tuple, backend: str = "numpy"):
    """jvp at float primals along float tangents (the fast path: every argument is
    differentiated, and nothing needs binding, checking or copying); None when the general
    path must take it (defaults, a tuple or container output)."""
    built = build(f, "jvp", tuple(range(len(primals))), backend=backend)
    if built.tuple_out or built.n_out != 1 or len(primals) != len(built.params) or (
            built.loaded.meta.get("out_tree") is not None):
        return None
    generated = built.function
    try:
        result = generated(*primals, *tangents)
    except Exception as exc:
        if isinstance(exc, (TypeError, IndexError)):
            raise_integer_misuse(built, exc, list(primals),
                                 lambda v: generated(*v, *tangents))
        add_origin_note(exc)
        raise
    if floats_only(result) and len(result) == 2:
        return result  # (value, tangent)
    return separated((result[0], matched_all(result[1:], result[:1])[0]), primals, tangents)


def fast_jvp(f, primals: tuple, tangents: tuple, backend: str):
    """jvp on a fast path (floats; float64 arrays on the NumPy backend), or None: the general
    path takes the call."""
    if float_numbers(primals, tangents):
        return _float_jvp(f, primals, tangents, backend)
    return _array_jvp(f, primals, tangents) if backend == "numpy" else None


def _array_jvp(f, primals: tuple, tangents: tuple):
    """jvp of a plain function at float64 arrays and Python floats, along tangents that are
    None or of their primal's type and shape (the fast path: nothing to bind, convert or
    check); None when the general path must take it (the first call, defaults, ints...)."""
    wrt = []
    for i, (p, t) in enumerate(zip(primals, tangents)):
        if t is not None:
            if not _alike(p, t):
                return None
            wrt.append(i)
        elif type(p) is not float and (type(p) is not np.ndarray or p.dtype is not _F64):
            return None
    built = current_build(f, "jvp", tuple(wrt)) if wrt else None
    if built is None or built.tuple_out or built.n_out != 1 or len(primals) != len(
            built.params) or built.loaded.meta.get("out_tree") is not None:
        return None
    try:
        value, tangent = built.function(*primals, *[tangents[i] for i in wrt])
    except Exception as exc:
        add_origin_note(exc)
        raise
    if not float64_results((tangent,)):
        tangent = matched_all((tangent,), (value,))[0]  # a complex or float32 one
    return separated((value, tangent), primals, tangents)


def _alike(x, d) -> bool:
    """Whether `x` is a float64 array and `d` one of its shape, or both are Python floats:
    a point and its direction that binding and seeding would pass as they are."""
    if type(x) is np.ndarray:
        return x.dtype is _F64 and type(d) is np.ndarray and d.dtype is _F64 and (
            d.shape == x.shape)
    return type(x) is float and type(d) is float


def plain_directions(xs, vs) -> bool:
    """Whether each point of an hvp and its direction are :func:`_alike`."""
    for x, v in zip(xs, vs):
        if not _alike(x, v):
            return False
    return True


def float64_results(result) -> bool:
    """Whether every entry of `result` is a float64 array or a float (nothing to match)."""
    for r in result:
        if type(r) is not float and getattr(r, "dtype", None) is not _F64:
            return False
    return True


_HVP = "__s2sad_hvp__"  # a gradient function's attribute: {signature: hvp program}


def hvp_program(gradient, positions: tuple, values: list, plain: bool, backend: str):
    """The tangent program of the gradient function `gradient` that an hvp at `values` runs:
    like the gradient's own (api/signatures.py), specialised on the signature of the values
    from the second call with it on, when they are NumPy arrays and numbers given as they are
    (`plain`). Kept on `gradient`, which is current as long as `f` is (grad(f) makes a new one
    otherwise), at most LIMIT signatures."""
    key = None
    if plain and backend == "numpy":
        mask = tuple(i in positions for i in range(len(values)))
        key = signature(values, mask)
    table = gradient.__dict__.get(_HVP)
    program = None if key is None or table is None else table.get(key)
    if program is not None and program is not SEEN:
        return program
    if program is SEEN:
        general = build(gradient, "tangent", positions, backend=backend)
        program = table[key] = specialised(gradient, "tangent", positions, general, key,
                                           backend)
        return program
    general = build(gradient, "tangent", positions, backend=backend).function
    if key is not None:
        table = gradient.__dict__.setdefault(_HVP, {})
        if len(table) < LIMIT:
            table[key] = SEEN
    return general
