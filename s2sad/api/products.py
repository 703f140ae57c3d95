"""Products with the Jacobian: ``vjp`` (reverse), ``jvp`` (forward) and ``hvp`` (forward
over reverse). The code is NumPy code (the default backend) unless `backend` names another
(``backend="numba"``: vjp, jvp and hvp on numbers)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import NonDifferentiableError, S2sadError
from ..loading.loader import add_origin_note
from ..pytree import is_container
from ..values import float_like_for, is_integer_like, matched_all, separated
from .aliases import wrt_of
from .bound import BoundTarget, bound_target
from .build import backend_name, build, guarded, unwrap
from .built import floats_only, leaves_only
from .diagnose import call_original, raise_integer_misuse, reraise_diagnosed
from .fast_products import fast_jvp, float64_results, hvp_program, plain_directions
from .gradients import grad, refuse_containers
from .hints import Wrt
from .lazy import foreign_in, lazily, lazy_arguments
from .trees import containers_in, tree_jvp, tree_vjp


def vjp(f: Callable[..., Any], *args: Any, wrt: Wrt | None = None, argnums: Wrt | None = None,
        argnum: Wrt | None = None, has_aux: bool = False,
        backend: str = "numpy") -> tuple[Any, ...]:
    """``(f(*args), vjp_fn)``: ``vjp_fn(cotangent)`` gives the cotangents of the arguments.

    The cotangent has the shape of the output (a tuple of them for a tuple output; a
    container of the output's structure when it returns dicts, lists...). The result is a
    tuple with one entry per argument in `wrt` (default: every positional argument;
    ``argnums`` and ``argnum`` are other names for it); an argument given as a container gets
    a container of the same structure. With ``has_aux=True``, `f` returns ``(value, aux)``
    and vjp returns ``(value, vjp_fn, aux)``. `backend` names the backend the code is
    written for (default NumPy; ``"numba"`` compiles it with numba).
    """
    wrt = wrt_of("vjp", wrt, argnums, argnum)
    if backend != "numpy":
        backend = backend_name(backend)
    target = bound_target(f)
    if target is not None:
        return _bound_vjp(target, args, wrt, has_aux, backend)
    fn = unwrap(f)
    everything = wrt is None
    if everything:  # every floating argument; ints, bools, strings get None
        wrt = tuple(i for i, a in enumerate(args)
                    if float_like_for(a, backend) or is_container(a))
    if has_aux or not leaves_only(args) and containers_in(args, {}):
        refuse_containers(backend, "has_aux=True" if has_aux else "containers as arguments")
        return guarded(lambda: _tree_vjp(f, args, wrt, has_aux, everything))
    built = build(fn, "vjp", wrt, backend=backend)
    if built.loaded.meta.get("out_tree") is not None:  # it returns containers
        refuse_containers(backend, "functions returning containers")
        return guarded(lambda: _tree_vjp(f, args, wrt, has_aux, everything))
    values = guarded(lambda: built.bind(args, {}))
    if backend == "array_api":
        # The function is NumPy code, which would compute the value in NumPy (or fail on the
        # arrays of another library): the value is this backend's code's, in the arguments'
        # namespace (forward mode with no tangent: the function's own operations).
        value = jvp(fn, args, (None,) * len(args), backend=backend)[0]
    elif foreign_in(values) and lazy_arguments(built, values):  # dask arrays: task graphs
        value = lazily(built, lambda: call_original(
            built, fn, built.bind(args, {}, convert=False), values))
    else:
        value = call_original(built, fn, built.bind(args, {}, convert=False), values)
    if built.tuple_out:
        value = tuple(value)
    outputs = value if built.tuple_out else (value,)
    value = separated(value, args)
    return value, _vjp_function(built, args, values, outputs, wrt, everything)


_FLOATS = (float, np.float64)


def _vjp_function(built, args, values, outputs, wrt, everything: bool):
    """The ``vjp_fn`` of a vjp at `args` (`values` bound, `outputs` the function's)."""
    n_out = built.n_out
    # A float cotangent of a float output, float arguments: the cotangents the program gives
    # need no seed check, dtype matching, copies or reordering when they are floats.
    quick = not built.tuple_out and n_out == 1 and type(outputs[0]) in _FLOATS and (
        all(type(values[p]) in _FLOATS for p in built.wrt_positions)) and (
        not everything or tuple(wrt) == tuple(range(len(args))))

    def vjp_fn(cotangent):
        """The cotangents of the arguments for `cotangent`, which has the output's shape."""
        if quick and type(cotangent) is float:
            given = seeds = (cotangent,)
        else:
            given = _cotangents(built, cotangent)
            seeds = [built.seed(g, o, "the cotangent" + (f" of output {k}" if n_out > 1 else ""))
                     for k, (g, o) in enumerate(zip(given, outputs))]
        out = _run_vjp(built, args, values, seeds)
        if quick and floats_only(out[1:]):
            return out[1:]
        grads = matched_all(out[n_out:], [values[p] for p in built.wrt_positions])
        grads = separated(grads, args, given)
        if everything:
            by_position = dict(zip(wrt, grads))
            return tuple(by_position.get(i) for i in range(len(args)))
        return grads

    return vjp_fn


def _run_vjp(built, args, values, seeds):
    """The VJP program at `values` with `seeds`; an integer argument used as an index or a
    count (TypeError, IndexError once it is a float) is reported as such."""
    generated = built.function
    try:
        if foreign_in((*values, *seeds)) and lazy_arguments(built, (*values, *seeds)):
            return lazily(built, lambda: generated(*values, *seeds))  # dask: a task graph
        return generated(*values, *seeds)
    except Exception as exc:
        if isinstance(exc, (TypeError, IndexError)):
            raise_integer_misuse(built, exc, built.bind(args, {}, convert=False),
                                 lambda v: generated(*v, *seeds))
        add_origin_note(exc)
        raise


def _tree_vjp(f, args, wrt, has_aux: bool, everything: bool):
    """vjp through trees.tree_vjp; with the default wrt, one entry per argument."""
    result = tree_vjp(f, args, wrt, has_aux)
    return _by_argument(result, wrt, len(args)) if everything else result


def _by_argument(result: tuple, wrt: tuple, n: int) -> tuple:
    """`result` of a vjp whose vjp_fn gives one entry per position in `wrt`, with a vjp_fn
    giving one entry per argument instead (None for those not in `wrt`)."""
    inner = result[1]

    def vjp_fn(cotangent):
        """The cotangents of the arguments for `cotangent`, which has the output's shape."""
        by_position = dict(zip(wrt, inner(cotangent)))
        return tuple(by_position.get(i) for i in range(n))

    return (result[0], vjp_fn, *result[2:])


def _cotangents(built, cotangent) -> tuple:
    """`cotangent` as one cotangent per output (their number checked, not their values)."""
    n_out = built.n_out
    if built.tuple_out and not isinstance(cotangent, (tuple, list)):
        raise S2sadError(f"{built.name} returns a tuple of {n_out} values, so vjp_fn "
                         f"needs a tuple of {n_out} cotangents", built.location(),
                         "pass one cotangent per output, e.g. vjp_fn((g1, g2))")
    given = tuple(cotangent) if built.tuple_out else (cotangent,)
    if len(given) != n_out:
        raise S2sadError(f"vjp_fn expects {n_out} cotangents, got {len(given)}",
                         built.location(), "pass one cotangent per output of the function")
    return given


def _nonzero(tangent) -> bool:
    """Whether `tangent` asks for a derivative: anything but None and numeric zeros."""
    if tangent is None:
        return False
    if type(tangent) is float:
        return tangent != 0.0
    if isinstance(tangent, (tuple, list)):
        return any(_nonzero(t) for t in tangent)
    if isinstance(tangent, dict):
        return any(_nonzero(t) for t in tangent.values())
    if isinstance(tangent, (int, float, complex, np.number, np.bool_)) or (
            isinstance(tangent, np.ndarray) and tangent.dtype.kind in "biufc"):
        return bool(np.any(tangent))
    return True


def _check_constant_tangents(built, primals, tangents, wrt) -> None:
    """A nonzero tangent for an argument that cannot carry one (a container, a bool, None, a
    string...) is an error: dropping it would give a wrong derivative."""
    for i, (p, t) in enumerate(zip(primals, tangents)):
        if i in wrt or is_integer_like(p) or float_like_for(p, built.backend) or not (
                _nonzero(t)):
            continue
        name = built.params[i] if i < len(built.params) else f"argument {i}"
        container = isinstance(p, (tuple, list, dict))
        kind = "None" if p is None else f"a {type(p).__name__}"
        raise NonDifferentiableError(
            f"jvp was given a nonzero tangent for {name!r}, which is {kind}: "
            "s2sad cannot differentiate with respect to it", built.location(),
            ("tuples, lists and dicts are not differentiable (yet): pass their numbers\n"
             "as separate float arguments or as one array, or " if container else "")
            + "give this argument the tangent None to hold it constant")


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any],
        has_aux: bool = False, backend: str = "numpy") -> tuple[Any, ...]:
    """Forward mode: ``(f(*primals), J @ tangents)``.

    `primals` and `tangents` are tuples of the same structure (one tangent per argument; a
    container's tangent is a container of the same structure). For a tuple output both the
    value and its tangent are tuples (containers for a container). With ``has_aux=True``,
    `f` returns ``(value, aux)`` and jvp returns ``(value, tangent, aux)``. `backend` names
    the backend the code is written for (default NumPy; ``"numba"`` compiles it with numba).
    """
    if backend != "numpy":
        backend = backend_name(backend)
    target = bound_target(f)
    if target is not None:
        return _bound_jvp(target, primals, tangents, has_aux, backend)
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise S2sadError(f"jvp got {len(primals)} primals but {len(tangents)} tangents",
                         hint="give one tangent per primal argument (None: not perturbed)")
    out = None if has_aux else fast_jvp(f, primals, tangents, backend)
    if out is not None:
        return out
    if has_aux or not leaves_only(primals) and containers_in(primals, {}):
        refuse_containers(backend, "has_aux=True" if has_aux else "containers as arguments")
        return guarded(lambda: tree_jvp(f, primals, tangents, has_aux))
    # Arguments whose tangent is None, or that are not numbers, are held constant; so is an
    # integer whose tangent is zero (n in x ** n), which would otherwise bring log(x) in.
    wrt = tuple(i for i, (p, t) in enumerate(zip(primals, tangents))
                if t is not None and (float_like_for(p, backend) or (
                    is_integer_like(p) and _nonzero(t))))
    built = build(f, "jvp", wrt, backend=backend)
    if built.loaded.meta.get("out_tree") is not None:  # it returns containers
        refuse_containers(backend, "functions returning containers")
        return guarded(lambda: tree_jvp(f, primals, tangents, has_aux))
    values = guarded(lambda: built.bind(primals, {}))
    _check_constant_tangents(built, primals, tangents, wrt)
    dots = [built.seed(tangents[i], values[i], f"the tangent of {built.params[i]!r}")
            for i in wrt]

    def run(v):
        if foreign_in((*v, *dots)) and lazy_arguments(built, (*v, *dots)):  # dask arrays
            return lazily(built, lambda: built.function(*v, *dots))
        return built.function(*v, *dots)

    try:
        result = run(values)
    except Exception as exc:
        if isinstance(exc, (TypeError, IndexError)):
            raise_integer_misuse(built, exc, built.bind(primals, {}, convert=False), run)
        add_origin_note(exc)
        raise
    n_out = built.n_out
    tangents_out = matched_all(result[n_out:], result[:n_out])
    if built.tuple_out:
        out = (tuple(result[:n_out]), tangents_out)
    else:
        out = (result[0], tangents_out[0])
    return separated(out, primals, tangents)


def hvp(f: Callable[..., Any], x: Any, v: Any, *args: Any, backend: str = "numpy") -> Any:
    """The Hessian-vector product of scalar `f` at `x` along `v` (forward over reverse).

    `x` and `v` are one argument and its direction, or tuples with one entry per argument;
    `args` are further arguments of `f`, held constant (data). `backend` (keyword only) names
    the backend both programs, the gradient and its tangent, are written for (default NumPy;
    ``"numba"`` for functions of floats, compiled with numba).
    """
    if backend != "numpy":
        backend = backend_name(backend)
    several = isinstance(x, tuple)
    xs, vs = (x, v) if several else ((x,), (v,))
    if several and (not isinstance(v, (tuple, list)) or len(v) != len(x)):
        raise S2sadError(f"hvp got {len(x)} arguments but a direction that is not a tuple of "
                         f"{len(x)}", hint="give one direction per argument in x")
    positions = tuple(range(len(xs)))
    held = [None] * len(args)
    if bound_target(f) is not None:  # forward over the (bound) gradient, which checks
        _, tangent = jvp(grad(f, positions if several else 0, backend=backend),
                         (*xs, *args), (*vs, *held), backend=backend)
        return separated(tangent, x, v, args)
    # Arguments and directions checked against f itself, so errors point at f.
    built = build(f, "grad", positions, backend=backend)  # what grad(f) runs: f's signature
    plain = len(xs) + len(args) == len(built.params) and plain_directions(xs, vs)
    values = [*xs, *args] if plain else guarded(lambda: built.bind((*xs, *args), {}))
    if not plain:
        vs = [built.seed(d, values[i], f"the direction of {built.params[i]!r}")
              for i, d in enumerate(vs)]
    gradient = grad(f, positions if several else 0, backend=backend)
    # The tangent program of the gradient program, without the gradient itself: computing
    # it would be dead work (one forward-over-reverse pass, nothing else).
    program = hvp_program(gradient, positions, values, plain, backend)
    try:
        result = program(*values, *vs)
    except Exception as err:
        if isinstance(err, (TypeError, IndexError, NonDifferentiableError)):
            reraise_diagnosed(built, unwrap(f), (*xs, *args), {}, values, err)
        add_origin_note(err)
        raise
    if not (plain and float64_results(result)):
        result = matched_all(result, [values[i] for i in positions])
    return separated(tuple(result) if several else result[0], x, v, args)


def _bound_vjp(target: BoundTarget, args, wrt, has_aux: bool = False,
               backend: str = "numpy"):
    everything = wrt is None
    if everything:
        wrt = tuple(i for i, a in enumerate(args)
                    if (float_like_for(a, backend) or is_container(a)) and i < len(target.own))
    result = vjp(target.function, *target.positional(args), wrt=target.names(wrt),
                 has_aux=has_aux, backend=backend)
    return _by_argument(result, wrt, len(args)) if everything else result


def _bound_jvp(target: BoundTarget, primals, tangents, has_aux: bool = False,
               backend: str = "numpy"):
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise S2sadError(f"jvp got {len(primals)} primals but {len(tangents)} tangents",
                         target.location(),
                         "give one tangent per primal argument (None: not perturbed)")
    values = target.positional(primals)
    return jvp(target.function, values, target.tangents(tangents, len(values)), has_aux,
               backend)
