"""Gradients: ``grad``, ``value_and_grad`` and ``source``.

A gradient function is a small Python function around the generated code, found again by a
lookup while its build is current; what it does at a call is in gradient_calls.py (a fast path
when its arguments are floats, given positionally).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import FunctionType
from typing import Any

import numpy as np

from ..errors import S2sadError
from ..loading import loader
from ..transform import derivative_of
from .aliases import FIRST, PLAIN_TYPES, plain_wrt, wrt_of
from .bound import bound_target
from .build import backend_name, build, guarded, still_valid, unwrap
from .built import leaves_only
from .debugging import debugged
from .gradient_calls import (
    SCALAR_TYPES,
    failed,
    float_positions,
    from_floats,
    integers_as_floats,
    ready,
    results,
    run,
)
from .hints import P, Wrt
from .lazy import EAGER_TYPES
from .signatures import Variants, facts, signature
from .trees import TreeCall, containers_in, tree_grad, used_as_container

_SOURCE_MODES = {"reverse": "grad", "grad": "grad", "vjp": "vjp", "forward": "jvp",
                 "jvp": "jvp"}


def source(f: Callable[..., Any], mode: str = "reverse", wrt: Wrt = FIRST,
           optimize: bool = True, ssa: bool = False, backend: str = "numpy", *,
           argnums: Wrt | None = None, argnum: Wrt | None = None,
           args: tuple | None = None, teaching: bool = False,
           specialized: bool = False) -> str:
    """The generated code for `f` as text.

    ``ssa=True`` gives the SSA trace of the function itself; ``mode="reverse"`` the gradient
    (adjoint) code, ``mode="vjp"`` the vector-Jacobian product with an explicit cotangent,
    ``mode="forward"`` the tangent (JVP) code. For a bound method or a partial, the code of
    the function itself, whose bound parameters are held constant. `backend` names the
    backend the code is written for (``s2sad.backends``; an unknown one is refused before
    anything is read). `wrt` (default 0) may also be spelled ``argnums`` or ``argnum``.
    `args` are example arguments: a parameter to differentiate given there as a container (a
    dict of arrays...) is shown as the code for that structure, one parameter per leaf.
    ``teaching=True`` gives the view for a student: the whole unoptimized program (the
    forward sweep, then the reverse sweep), each temporary used once written into the line
    that uses it, so every adjoint update reads as one line of the lecture's adjoint trace.
    ``specialized=True`` with `args` (NumPy arrays and numbers) gives the program specialised
    on their signature, which a gradient function runs from the second call with arguments
    of those shapes on (``api/signatures.py``); without it, the general program.
    """
    wrt = wrt_of("source", wrt, argnums, argnum)
    if specialized:
        return _specialized_source(f, mode, wrt, optimize, backend, args)
    if teaching:
        return _teaching_source(f, mode, wrt, ssa, backend, args)
    backend = backend_name(backend)
    target = bound_target(f)
    if target is not None:
        return source(target.function, mode, target.names(wrt), optimize, ssa, backend,
                      args=None if args is None else target.positional(tuple(args)))
    trees = guarded(lambda: TreeCall(f, wrt, tuple(args), {}).trees) if args else ()
    if ssa:
        return build(f, "ssa", wrt, optimize, backend, trees).loaded.source
    if mode not in _SOURCE_MODES:
        raise S2sadError(f"unknown mode {mode!r}",
                         hint="use mode='reverse', 'forward' or 'vjp'")
    return build(f, _SOURCE_MODES[mode], wrt, optimize, backend, trees).loaded.source


def _specialized_source(f, mode: str, wrt, optimize: bool, backend: str, args) -> str:
    """:func:`source` of the program specialised on the signature of `args`."""
    if mode not in _SOURCE_MODES:
        raise S2sadError(f"unknown mode {mode!r}", hint="use mode='reverse', 'forward' or 'vjp'")
    general = build(f, _SOURCE_MODES[mode], wrt, optimize, backend)
    key = None if args is None or len(args) != len(general.params) else signature(
        tuple(args), tuple(p in general.wrt_positions for p in range(len(general.params))))
    if key is None:
        raise S2sadError(
            "specialized=True needs args: one NumPy array or number per parameter, float64 "
            "for those differentiated", hint="pass args=(w, X, y), the arguments of a call")
    scalars, shapes = facts(general.params, key)
    return build(f, _SOURCE_MODES[mode], wrt, optimize, backend, scalars=scalars,
                 shapes=shapes).loaded.source


def _teaching_source(f, mode: str, wrt, ssa: bool, backend: str, args) -> str:
    """:func:`source`'s teaching view (``s2sad.teaching.view``)."""
    from ..teaching.record import instrument
    from ..teaching.view import teaching_source

    text = source(f, mode, wrt, False, ssa, backend, args=args)
    if ssa:
        return text
    _, statements = instrument(source(f, ssa=True, backend=backend, args=args))
    return teaching_source(text, {n for s in statements.values() for n in s.targets})


def grad(f: Callable[P, Any], wrt: Wrt = FIRST, *, argnums: Wrt | None = None,
         argnum: Wrt | None = None, has_aux: bool = False,
         debug: bool = False, backend: str = "numpy") -> Callable[P, Any]:
    """The function computing the gradient of scalar-valued `f`.

    `wrt` (default 0) is a parameter position or name, or a tuple of them (then the gradient
    is a tuple); ``argnums`` (JAX) and ``argnum`` (autograd) are other names for it.
    An argument may be a container (a dict, list, tuple, NamedTuple or dataclass of arrays and
    numbers): its gradient is a container of the same structure. With ``has_aux=True``, `f`
    returns ``(value, aux)`` and the function returns ``(gradient, aux)``, aux not
    differentiated. For a bound method or a ``functools.partial``, the bound arguments are
    held constant and `wrt` counts the remaining parameters. The code is NumPy code unless
    `backend` names another (``"numba"``: compiled with numba, for scalar loops; see
    docs/backends.md). With ``debug=True``, each call stops in pdb at the first line of the
    generated code (docs/debugging.md; NumPy code only).
    """
    if debug:
        refuse_compiled_debugging(backend)
        return debugged(grad(f, wrt, argnums=argnums, argnum=argnum, has_aux=has_aux))
    if argnums is None and argnum is None and not has_aux and backend == "numpy":
        known = current_gradient(f, wrt, False)
        if known is not None:
            return known
    wrt = wrt_of("grad", wrt, argnums, argnum)
    backend = backend_name(backend)
    target = bound_target(f)
    if target is not None:
        return target.rebind(grad(target.function, target.names(wrt), has_aux=has_aux,
                                  backend=backend))
    if has_aux:
        refuse_containers(backend, "has_aux=True")
        return _tree_function(f, wrt, True, with_value=False)
    return _grad_function(f, wrt, with_value=False, backend=backend)


grad.__s2sad_operator__ = "grad"  # s2sad.grad(h)(x) inside differentiated code is inlined


def value_and_grad(f: Callable[P, Any], wrt: Wrt = FIRST, *, argnums: Wrt | None = None,
                   argnum: Wrt | None = None, has_aux: bool = False, debug: bool = False,
                   backend: str = "numpy") -> Callable[P, tuple[Any, Any]]:
    """The function computing ``(f(*args), grad(f, wrt)(*args))`` in one pass (NumPy code
    unless `backend` names another); `wrt`, `debug` and `backend` as for :func:`grad`. With
    ``has_aux=True``, ``((value, aux), gradient)``."""
    if debug:
        refuse_compiled_debugging(backend)
        return debugged(value_and_grad(f, wrt, argnums=argnums, argnum=argnum,
                                       has_aux=has_aux))
    if argnums is None and argnum is None and not has_aux and backend == "numpy":
        known = current_gradient(f, wrt, True)
        if known is not None:
            return known
    wrt = wrt_of("value_and_grad", wrt, argnums, argnum)
    backend = backend_name(backend)
    target = bound_target(f)
    if target is not None:
        return target.rebind(value_and_grad(target.function, target.names(wrt),
                                            has_aux=has_aux, backend=backend))
    if has_aux:
        refuse_containers(backend, "has_aux=True")
        return _tree_function(f, wrt, True, with_value=True)
    return _grad_function(f, wrt, with_value=True, backend=backend)


def refuse_compiled_debugging(backend: str) -> None:
    """debug=True steps through generated Python lines: code another backend compiles (numba)
    has none to stop at."""
    if backend_name(backend) != "numpy":
        raise S2sadError(f"debug=True steps through NumPy code; the {backend} backend's code is "
                         "compiled", hint="debug with the default backend, then switch back")


def refuse_containers(backend: str, what: str) -> None:
    """Containers and aux outputs are differentiated by the NumPy backend's code only: another
    backend refuses them rather than quietly running NumPy code."""
    if backend != "numpy":
        raise S2sadError(f"the {backend} backend does not take {what}",
                         hint="pass numbers as separate arguments, or use the default backend "
                         "(backend='numpy')")


def current_gradient(f, wrt, with_value: bool):
    """The gradient function made for a plain function `f` and `wrt` when its build is still
    current (None otherwise): the per-call lookup of ``s2sad.grad(f)(x)``, which skips
    unwrapping, binding and the build's memo key. Only plain functions made one: bound
    methods and partials, containers and aux never reach the table."""
    if type(f) is not FunctionType or not (type(wrt) in PLAIN_TYPES or plain_wrt(wrt)):
        return None
    attributes = f.__dict__
    table = attributes.get(loader.TABLE)
    if table is None or "__s2sad_function__" in attributes or table["owner"] != id(f):
        return None
    known = None if type(wrt) is list else table.get((_GRADIENT, wrt, with_value))
    return known[1] if known is not None and still_valid(known[2], known[0]) else None


def _tree_function(f, wrt, has_aux: bool, with_value: bool, error=None):
    """A gradient function that takes every call through trees.tree_grad (has_aux, or a
    function whose derivative needs its arguments' structure: then `error`, for a call
    without containers)."""
    fn = unwrap(f)

    def call(*args, **kwargs):
        if error is not None and not containers_in(args, kwargs):
            raise error.with_traceback(None)
        return guarded(lambda: tree_grad(f, wrt, has_aux, with_value, args, kwargs))

    functools.update_wrapper(call, fn)
    call.__dict__.pop(loader.TABLE, None)
    del call.__wrapped__
    call.__s2sad_made__ = "value_and_grad" if with_value else "grad_with_aux"
    return call


_GRADIENT = "gradient"  # loader.function_cache(f)[(_GRADIENT, wrt, with_value)]


def _gradients_of(f) -> dict | None:
    """The table of `f` that holds the gradient functions made for it under keys
    ``(_GRADIENT, wrt, with_value)`` (None if `f` takes no attributes). A gradient function
    holds `f` (it must: it is differentiated again from `f`'s code), so a global table
    holding them would keep `f` alive forever; on `f`, the two form a cycle that the garbage
    collector frees with `f`. clear_cache empties it."""
    return loader.function_cache(f)


def _grad_function(f, wrt, with_value: bool, backend: str = "numpy"):
    """The gradient function of `f`; the same object again while its build is current (to
    every thread), so derivatives of it (hvp, hessian) are not rebuilt on every call.

    ``grad`` runs the gradient program, the one ``source(f)`` prints; ``value_and_grad`` runs
    the VJP program (``source(f, mode="vjp")``) with the cotangent 1.0."""
    key = (_GRADIENT, wrt if not isinstance(wrt, list) else tuple(wrt), with_value)
    if backend != "numpy":  # the default backend's key is the one current_gradient reads
        key = (*key, backend)
    table = _gradients_of(f)
    known = _known(table, key)
    if known is not None and still_valid(known[2], known[0]):  # build's check, without it
        return known[1]
    try:
        built = build(f, "vjp" if with_value else "grad", wrt, backend=backend)
    except S2sadError as error:
        if backend != "numpy" or not getattr(error, "on_parameters", False) and (
                not used_as_container(f, wrt)):
            raise
        # p.w, d.items() of a parameter that is a container when called (a pytree): known
        # only at the call; without containers, the call raises this error.
        return _tree_function(f, wrt, False, with_value, error)
    if table is None:
        return _new_grad_function(f, wrt, with_value, built, backend)
    with loader.key_lock(("gradient", id(f), key)):
        known = table.get(key)
        if known is not None and known[0] is built:
            return known[1]
        wrapper = _new_grad_function(f, wrt, with_value, built, backend)
        table[key] = (built, wrapper, built.fn)  # the function built (f, or what f derives)
        return wrapper


def _known(table, key):
    """``(built, gradient function)`` made for `key` (None: none, or no table)."""
    if table is None or not plain_wrt(key[1]):  # build refuses True, 1.0 (== 1)...
        return None
    return table.get(key)


def _for_floats(programs: list, built, f, wrt, with_value: bool, floats,
                backend: str = "numpy") -> Callable:
    """The program for calls with Python floats at the positions `floats`, built once (the
    first such call) and kept in `programs`: a specialisation in which the shape analysis
    knows those parameters are scalars, so no adjoint of theirs is summed down
    (``unbroadcast``). `built`'s own program when that would change nothing."""
    program = built.function
    if "unbroadcast(" in built.loaded.source:
        scalars = tuple(built.params[p] for p in floats)
        try:
            program = build(f, "vjp" if with_value else "grad", wrt, scalars=scalars,
                            backend=backend).function
        except S2sadError:  # the same code: it fails as the general program will
            program = built.function
    programs.append(program)
    return program


def _new_grad_function(f, wrt, with_value: bool, built, backend: str = "numpy"):
    """A new gradient function of `f` that runs `built`."""
    fn = unwrap(f)  # held: the gradient function may outlive every other reference to f
    single = not isinstance(wrt, (tuple, list))
    n_params = len(built.params)
    positions = built.wrt_positions
    # Python floats (np.float64) at these positions: the program for floats (built at the
    # first such call) runs as it is, and float results are returned as they are.
    floats, f64, programs = float_positions(built, with_value), np.float64, []
    # The other arguments are looked at by type only: an array of another library (dask)
    # takes the general path, which guards it (api/lazy.py).
    others = () if floats is None else tuple(p for p in range(n_params) if p not in floats)
    bare = SCALAR_TYPES if single and not with_value else ()
    as_is = with_value and single or not with_value and len(positions) > 1
    # Arrays and numbers: a program per signature (api/signatures.py).
    variants = None if floats is None or backend != "numpy" else Variants(
        f, wrt, with_value, built, backend, single)

    def call(*args, **kwargs):
        if floats is not None and not kwargs and len(args) == n_params:
            for p in floats:
                kind = type(args[p])
                if kind is not float and kind is not f64:
                    return general(args, kwargs) if variants is None else variants(
                        fn, args, general)
            for p in others:
                if type(args[p]) not in EAGER_TYPES:
                    return general(args, kwargs)
            program = programs[0] if programs else _for_floats(programs, built, f, wrt,
                                                               with_value, floats, backend)
            try:
                result = program(*args, 1.0) if with_value else program(*args)
            except Exception as exc:
                failed(built, fn, exc, args, args, {}, with_value)
                raise
            if type(result) in bare:
                return result
            if as_is and type(result) is tuple:  # floats_only(result), inline: every call
                for r in result:
                    if type(r) is not float and type(r) is not f64:
                        break
                else:
                    return result
            return from_floats(built, result, args, single, with_value)
        return general(args, kwargs)

    def general(args, kwargs):
        given = args
        if kwargs or len(args) != n_params or not ready(args, positions):
            if (kwargs or not leaves_only(args)) and containers_in(args, kwargs):
                # dicts, lists, dataclasses...: differentiated leaf by leaf (NumPy code)
                refuse_containers(backend, "containers (dicts, lists...) as arguments")
                return guarded(lambda: tree_grad(f, wrt, False, with_value, args, kwargs))
            args = built.bind(args, kwargs)
            if not with_value:
                integers_as_floats(built, fn, args, given, kwargs)
        value, grads = run(built, fn, args, given, kwargs, with_value)
        return results(value, grads, args, given, positions, single, with_value)

    return _dressed(call, fn, built, wrt, with_value, general)


def _dressed(call, fn, built, wrt, with_value: bool, general=None):
    """`call` named, documented and marked as the gradient function of `fn`; `general` is
    its general path, which debug=True steps through (the program s2sad.source shows)."""
    functools.update_wrapper(call, fn)
    call.__dict__.pop(loader.TABLE, None)  # f's own caches are not the wrapper's
    call.__s2sad_general__ = general
    call.__name__ = built.name + ("_value_and_grad" if with_value else "_grad")
    call.__qualname__ = call.__name__
    del call.__wrapped__  # inspect must not mistake f's source for this wrapper's
    call.__signature__ = built.signature
    call.__s2sad_built__ = built  # what @differentiate's .grad checks is current
    if not with_value:
        base, steps = derivative_of(fn) or (fn, ())
        call.__s2sad_derivative__ = (base, (*steps, ("grad", wrt)))
    else:  # it looks like f (update_wrapper), but its code is s2sad's: refused, not misread
        call.__s2sad_made__ = "value_and_grad"
    return call
