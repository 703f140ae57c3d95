"""The public API: grad, value_and_grad, vjp, source, and the @differentiate decorator.

Each entry point asks the pipeline (``transform.generate``) for source, through the loader's
caches, and wraps the compiled function in a small Python function that binds arguments,
checks them, and unpacks the generated function's flat result.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import linecache
import threading
import traceback
import types
import weakref

import gast
import numpy as np

from .errors import (
    InternalError,
    Location,
    NonDifferentiableError,
    NonScalarOutputError,
    NoSourceError,
    S2sadError,
    UnsupportedSyntaxError,
    nesting_depth,
    with_nesting_room,
)
from .frontend import fence
from .frontend.parse import derivative_of, parse_function, user_function
from .loading import loader
from .lowering.function import derivative_names
from .rules import REGISTRY
from .rules import user as user_rules
from .runtime import NonScalarSeed
from .transform import Request, dependencies, generate, resolve_wrt
from .values import (
    dtype_of,
    is_complex,
    is_float_like,
    is_integer_like,
    matched,
    matched_all,
    private_copy,
    separated,
)


class _Built:
    """A compiled derivative plus what is needed to call it."""

    def __init__(self, fn, parsed, loaded, wrt_names, namespace):
        # Weakly: builds are cached per function, and must not keep the function alive.
        self._fn = weakref.ref(fn)
        self.namespace = namespace
        self.parsed = parsed
        self.loaded = loaded
        self.function = loaded.function
        self.wrt = wrt_names
        meta = loaded.meta
        self.params = meta["params"]
        self.n_out = meta["n_out"]
        self.tuple_out = meta["tuple_out"]
        self.wrt_positions = [self.params.index(w) for w in wrt_names]
        scalar_if = meta.get("scalar_if")
        # Gradient programs: the parameters whose shapes make the output's (None: the
        # program checks its output itself).
        self.scalar_positions = None if scalar_if is None else [
            self.params.index(p) for p in scalar_if]
        self.signature = inspect.signature(fn)
        self.name = getattr(fn, "__name__", "f")

    @property
    def fn(self):
        """The differentiated function."""
        return self._fn()

    def bind(self, args, kwargs, convert: bool = True) -> list:
        """Positional arguments for the generated function (defaults filled in); with
        `convert`, the wrt arguments are checked and integers among them made floats."""
        if not kwargs and len(args) == len(self.params):
            values = list(args)
        else:
            try:
                bound = self.signature.bind(*args, **kwargs)
            except TypeError as exc:
                raise S2sadError(f"bad arguments for {self.name}: {exc}",
                                 self.parsed.location(self.parsed.node),
                                 f"call it as {self.name}{self.signature}") from None
            bound.apply_defaults()
            values = list(bound.args)
        if convert:
            for position in self.wrt_positions:
                values[position] = self.check_differentiable(values[position], position)
        return values

    def check_differentiable(self, value, position):
        """`value` as a wrt argument: floating values as they are, integers as floats."""
        kind = type(value)
        if kind is float or kind is np.float64:
            return value
        name = self.params[position]
        if is_complex(value):
            raise NonDifferentiableError(
                f"cannot differentiate with respect to {name!r}: it is complex "
                f"({type(value).__name__}{dtype_of(value)})",
                self.parsed.location(self.parsed.node),
                "s2sad differentiates real functions only (complex derivatives are not "
                "designed yet);\npass the real and imaginary parts as separate float arguments")
        if is_float_like(value):
            return value
        if is_integer_like(value):
            return value.astype(float) if isinstance(value, np.ndarray) else float(value)
        container = isinstance(value, (tuple, list, dict))
        raise NonDifferentiableError(
            f"cannot differentiate with respect to {name!r}: it is a {type(value).__name__}",
            self.parsed.location(self.parsed.node),
            ("tuples, lists and dicts are not differentiable (yet): pass their numbers\n"
             "as separate float arguments or as one array, or leave this argument out of wrt")
            if container else
            "pass a float or a floating-point array, or leave this argument out of wrt")

    def check_scalar(self, value):
        if self.tuple_out or np.ndim(value) != 0:
            self.not_scalar(np.shape(value))

    def not_scalar(self, shape):
        """Raise the error of a gradient asked of an output that is not a scalar (a tuple if
        the function returns one; else an array of `shape`)."""
        what = "a tuple" if self.tuple_out else f"an array of shape {tuple(shape)}"
        raise NonScalarOutputError(
            f"grad needs a scalar output, but {self.name} returned {what}",
            self.parsed.location(self.parsed.node),
            "use s2sad.vjp for a vector-Jacobian product, or s2sad.jacobian for the full "
            "Jacobian")

    def check_scalar_arguments(self, args) -> None:
        """Before a gradient program runs: its output is the broadcast of the parameters in
        `scalar_if`, so it is a scalar exactly when they all are."""
        if self.tuple_out:
            self.not_scalar(())
        arrays = [p for p in self.scalar_positions or () if np.ndim(args[p]) != 0]
        if not arrays:
            return
        try:
            shape = np.broadcast_shapes(*(np.shape(args[p]) for p in arrays))
        except ValueError:  # the function itself fails on these: let it say why
            return
        names = " and ".join(repr(self.params[p]) for p in arrays)
        raise NonScalarOutputError(
            f"grad needs a scalar output, but the output of {self.name} is broadcast from "
            f"{names}: an array of shape {shape}", self.parsed.location(self.parsed.node),
            "use s2sad.vjp for a vector-Jacobian product, or s2sad.jacobian for the full "
            "Jacobian")

    def integer_misuse(self, exc, raw_values, rerun):
        """The error to raise for `exc` (raised with the wrt integers converted to floats) if
        the integers are to blame: `rerun(raw_values)` (the same call with the integers as
        given) succeeds. None when they are not."""
        if not isinstance(exc, (TypeError, IndexError)):
            return None
        names = [self.params[p] for p in self.wrt_positions
                 if p < len(raw_values) and is_integer_like(raw_values[p])]
        if not names:
            return None
        try:
            rerun(raw_values)
        except Exception:  # noqa: BLE001 - not the conversion's fault: the caller re-raises
            return None
        name, node = _integer_use(self.parsed, names, exc)
        err = NonDifferentiableError(
            f"{name!r} is an integer used as an index or a count, but it is in wrt, so it was "
            f"converted to a float ({type(exc).__name__}: {exc})",
            self.parsed.location(node if node is not None else self.parsed.node),
            f"leave {name!r} out of wrt: an index or a loop bound has no derivative")
        err.integer_argument = name
        return err

    def seed(self, value, like, what: str):
        """`value` checked as a cotangent or tangent for `like` (an output or an argument):
        real numbers of the same shape (a Python number for a 0-d `like`), integers made
        floats."""
        kind = type(value)
        if kind is float and type(like) in _REAL_SCALARS:
            return value
        if kind is np.ndarray and type(like) is np.ndarray and value.dtype.kind == "f" and (
                value.shape == like.shape):
            return value
        problem = None
        if value is None or isinstance(value, (bool, np.bool_, str, bytes, dict)):
            problem = f"a {type(value).__name__}"
        elif is_complex(value):
            problem = "complex"
        else:
            if isinstance(value, (tuple, list)):
                try:
                    value = np.asarray(value)
                except ValueError:
                    problem = "a ragged sequence"
            if problem is None and np.ndim(value) == 0 and not isinstance(
                    value, (int, float, np.integer, np.floating, np.ndarray)):
                problem = f"a {type(value).__name__}"
            elif problem is None and isinstance(value, np.ndarray) and (
                    value.dtype.kind not in "iuf"):
                problem = f"an array of {value.dtype}"
        if problem is not None:
            raise S2sadError(f"{what} must be real numbers, but it is {problem}",
                             self.parsed.location(self.parsed.node),
                             "pass a float, or a floating-point array of the same shape")
        if np.shape(value) != np.shape(like):
            raise S2sadError(
                f"{what} has shape {np.shape(value)}, but it must have shape {np.shape(like)}",
                self.parsed.location(self.parsed.node),
                "give it the shape of the value it seeds (a float for a scalar)")
        if isinstance(value, np.ndarray) and value.dtype.kind != "f":
            return value.astype(float)
        if isinstance(value, (int, np.integer)):
            return float(value)
        return value


def _diagnosed(built, fn, raw, values, err):
    """The error to raise for `err`, raised by hessian's or hvp's generated code (which is
    not the user's): an integer in wrt used as an index or a count, pointed at in the user's
    own function `fn`, when calling `fn` with the converted values fails and calling it with
    the integers does not; `err` itself otherwise."""
    if isinstance(err, S2sadError) and not getattr(err, "integer_argument", None):
        return err
    try:
        _call_original(built, fn, raw, values)
    except NonDifferentiableError as better:
        if getattr(better, "integer_argument", None):
            return better
    except Exception:  # noqa: BLE001, S110 - keep the error found first
        pass
    return err


_REAL_SCALARS = (float, np.float64, int)


def _integer_use(parsed, names, exc):
    """(name, node): where the function uses one of `names` as an index or a count; the line
    that failed when the traceback shows it (in the user's file or in generated code)."""
    failing_line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == parsed.filename:
            failing_line = lineno - parsed.line_offset
    uses = []
    for node in gast.walk(parsed.node):
        spots = ()
        if isinstance(node, gast.Subscript):
            spots = (node.slice,)
        elif isinstance(node, gast.Call):
            spots = (*node.args, *(k.value for k in node.keywords))
        for spot in spots:
            for inner in gast.walk(spot):
                if isinstance(inner, gast.Name) and inner.id in names:
                    uses.append((getattr(node, "lineno", 0), getattr(node, "col_offset", 0),
                                 inner.id, node))
    uses.sort(key=lambda u: u[:2])
    on_line = [u for u in uses if u[0] == failing_line]
    for _, _, name, node in on_line or uses:
        if isinstance(node, gast.Subscript) or (
                isinstance(node, gast.Call) and isinstance(node.func, gast.Name)
                and node.func.id == "range") or on_line:
            return name, node
    return names[0], None


def _call_original(built, fn, raw, values):
    """`fn(*values)` on private copies of the arrays; an integer in wrt that `fn` uses as an
    index or a count (TypeError, IndexError once it is a float) is reported as such."""
    try:
        return fn(*private_copy(values))
    except (TypeError, IndexError) as exc:
        err = built.integer_misuse(exc, raw, lambda v: fn(*private_copy(v)))
        if err is None:
            raise
        raise err from None


def _unwrap(f):
    return getattr(f, "__s2sad_function__", f)


# --------------------------------------------------------------- bound methods and partials
_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


class _BoundTarget:
    """A Python function with some of its arguments bound: a bound method (``model.loss``;
    ``Model.create`` for a classmethod, bound to the class), a ``functools.partial``, or an
    object whose class defines ``__call__`` in Python.

    Its derivatives are the function's, with the bound arguments held constant: the function is
    transformed once (for every instance), and the bound values are passed to its derivative
    at each call. `wrt` counts the callable's own parameters (``self`` is not one)."""

    def __init__(self, given, function, args: tuple, keywords: dict):
        self.given = given
        self.function = function
        self.args = args
        self.keywords = keywords
        qualname = getattr(function, "__qualname__", type(given).__name__)
        self.name = getattr(given, "__qualname__", None) or (
            f"functools.partial({qualname})" if isinstance(given, functools.partial) else
            f"{type(given).__qualname__} object")
        self.params = _positional_names(function)
        self.bound = set(self.params[:len(args)]) | set(keywords)
        self.own = [n for n in _positional_names(given) if n not in self.bound]

    def location(self):
        """Where the function is defined (its ``def`` line)."""
        code = getattr(self.function, "__code__", None)
        if code is None or code.co_filename.startswith("<"):
            return None
        line = code.co_firstlineno
        text = linecache.getline(code.co_filename, line)
        return Location(code.co_filename, line, len(text) - len(text.lstrip()), text)

    def names(self, wrt):
        """`wrt` (positions among the callable's own parameters, or names) as the function's
        parameter names, in the same structure (one, or a tuple)."""
        several = isinstance(wrt, (tuple, list))
        names = tuple(self._name(item) for item in (wrt if several else (wrt,)))
        return names if several else names[0]

    def _name(self, item):
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            return item  # resolve_wrt explains what wrt may be
        bound = ", ".join(sorted(self.bound)) or "none"
        if isinstance(item, int):
            if -len(self.own) <= item < len(self.own):
                return self.own[item]
            raise NonDifferentiableError(
                f"wrt={item} is out of range: {self.name} has {len(self.own)} parameter(s) of "
                "its own", self.location(),
                f"its parameters are {', '.join(self.own) or '(none)'}; the bound ones "
                f"({bound}) are held constant")
        if item in self.bound:
            raise NonDifferentiableError(
                f"wrt names {item!r}, but {self.name} binds it, so it is held constant",
                self.location(),
                "to differentiate with respect to it, differentiate the function itself and "
                f"pass it as an argument: s2sad.grad({self.function.__qualname__}, "
                f"wrt={item!r})")
        return item

    def positional(self, args, kwargs=None) -> list:
        """The function's arguments, all positional, for a call of the callable with `args`."""
        try:
            bound = inspect.signature(self.function).bind(
                *self.args, *args, **{**self.keywords, **(kwargs or {})})
        except TypeError as exc:
            raise S2sadError(f"bad arguments for {self.name}: {exc}", self.location(),
                             f"call it as {self.name}{_signature_text(self.given)}") from None
        bound.apply_defaults()
        if bound.kwargs:
            raise UnsupportedSyntaxError(
                f"{self.name} has keyword-only parameters ({', '.join(bound.kwargs)})",
                self.location(), "make them ordinary parameters")
        return list(bound.args)

    def tangents(self, tangents, count: int) -> list:
        """One tangent per argument of the function (None for the bound ones)."""
        by_name = dict(zip(self.own, tangents))
        return [by_name.get(name) for name in self.params[:count]]

    def rebind(self, derived):
        """`derived` (a derivative of the function) with the same arguments bound."""
        if not self.args and not self.keywords:
            return derived
        if isinstance(self.given, types.MethodType) and len(self.args) == 1:
            return types.MethodType(derived, self.args[0])
        return functools.partial(derived, *self.args, **self.keywords)


def _positional_names(f) -> list:
    try:
        parameters = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters if p.kind in _POSITIONAL]


def _signature_text(f) -> str:
    try:
        return str(inspect.signature(f))
    except (TypeError, ValueError):
        return "(...)"


def _bound_target(f):
    """`f` as a :class:`_BoundTarget` when it is a Python function with bound arguments (or
    a staticmethod object), None for anything else (plain functions above all)."""
    f = _unwrap(f)
    if isinstance(f, types.FunctionType):
        return None
    if isinstance(f, staticmethod):
        return _BoundTarget(f, f.__func__, (), {})
    if isinstance(f, classmethod):
        function = f.__func__
        raise NoSourceError(
            f"{getattr(function, '__qualname__', 'this')!r} is a classmethod object, bound to "
            "no class (it was read from a class's __dict__)",
            _BoundTarget(f, function, (), {}).location(),
            f"differentiate it through its class, which binds cls: "
            f"s2sad.grad({getattr(function, '__qualname__', 'Class.method')})")
    if isinstance(f, types.MethodType):
        inner, args, keywords = f.__func__, (f.__self__,), {}
    elif isinstance(f, functools.partial):
        inner, args, keywords = f.func, f.args, f.keywords
    elif callable(f) and not isinstance(f, type) and user_function(type(f).__call__):
        inner, args, keywords = type(f).__call__, (f,), {}
    else:
        return None
    nested = _bound_target(inner)
    if nested is not None:  # a partial of a bound method, a bound method of a partial...
        inner = nested.function
        args, keywords = (*nested.args, *args), {**nested.keywords, **keywords}
    return _BoundTarget(f, inner, tuple(args), dict(keywords))


def _bound_vjp(target: _BoundTarget, args, wrt):
    everything = wrt is None
    if everything:
        wrt = tuple(i for i, a in enumerate(args) if is_float_like(a) and i < len(target.own))
    value, inner = vjp(target.function, *target.positional(args), wrt=target.names(wrt))
    if not everything:
        return value, inner

    def vjp_fn(cotangent):
        """The cotangents of the arguments for `cotangent`, which has the output's shape."""
        by_position = dict(zip(wrt, inner(cotangent)))
        return tuple(by_position.get(i) for i in range(len(args)))

    return value, vjp_fn


def _bound_jvp(target: _BoundTarget, primals, tangents):
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise S2sadError(f"jvp got {len(primals)} primals but {len(tangents)} tangents",
                         target.location(),
                         "give one tangent per primal argument (None: not perturbed)")
    values = target.positional(primals)
    return jvp(target.function, values, target.tangents(tangents, len(values)))


def _describe(obj) -> str:
    """What the generated code depends on in a free name's object. The value of a real float or
    a real array is read by the generated code at call time, never by the transformation, so
    only its type counts: closures of one source differing in such values share one transform.
    A complex value changes the code (real inputs' adjoints are projected onto the reals)."""
    if type(obj) is float or isinstance(obj, np.floating):
        return f"number:{type(obj).__name__}"
    if isinstance(obj, np.ndarray):
        return f"array:{obj.dtype.str}"
    if obj is None or isinstance(obj, (bool, int, float, complex, str)):
        return f"const:{obj!r}"
    prim = REGISTRY.lookup(obj)
    if prim is not None:
        if getattr(prim, "user", False):  # its rules are part of what the code depends on
            rules = json.dumps([prim.vjp, prim.jvp], sort_keys=True)
            return f"primitive:{prim.name}:{hashlib.sha256(rules.encode()).hexdigest()[:16]}"
        return "primitive:" + prim.name
    if isinstance(obj, types.ModuleType):
        return "module:" + obj.__name__
    return "value:" + type(obj).__qualname__


def _guarded(call):
    """Run `call`; s2sad errors lose their internal frames, anything else becomes internal."""
    try:
        return call()
    except S2sadError as err:
        raise err.with_traceback(None) from None
    except RecursionError:
        raise
    except Exception as exc:  # noqa: BLE001 - the API promises no internal traceback
        raise InternalError(
            f"s2sad failed on this function ({type(exc).__name__}: {exc})",
            hint="this is a bug in s2sad; please report it with the function's source",
        ) from exc


# loader.function_cache(fn)["recent"]: {(mode, wrt, optimize): (code object,
# [(globals, name, object)], _Built)}: taking the same derivative again skips reading and
# parsing the source while nothing it used changed. Kept on fn: the builds refer to fn's module.


def _cells(fn) -> tuple:
    """Identities of the values in `fn`'s closure cells (a nonlocal rebinding changes one)."""
    ids = []
    for cell in getattr(fn, "__closure__", None) or ():
        try:
            ids.append(id(cell.cell_contents))
        except ValueError:  # an empty cell
            ids.append(None)
    return tuple(ids)


def _still_valid(fn, entry) -> bool:
    code, checks, built = entry
    if getattr(fn, "__code__", None) is not code or built.cells != _cells(fn):
        return False
    if built.rules_version != user_rules.RULES_VERSION:
        return False
    return all(scope.get(name) is obj for scope, name, obj in checks)


def _build(f, mode: str, wrt, optimize: bool = True) -> _Built:
    fn = _unwrap(f)
    steps = ()
    derived = derivative_of(fn)
    if derived is not None:  # s2sad.grad(g): a derivative of g's gradient program
        fn, steps = derived
    memo_key = (mode, wrt if not isinstance(wrt, list) else tuple(wrt), optimize, steps)
    try:
        hash(memo_key)
    except TypeError:  # a wrt that is no position or name: resolve_wrt says so
        return _build_now(fn, mode, wrt, optimize, steps)
    table = loader.function_cache(fn)
    recent = table.setdefault("recent", {}) if table is not None else {}
    entry = recent.get(memo_key)
    if entry is not None and _still_valid(fn, entry):
        return entry[2]
    # One build per key at a time, so that every thread gets the same _Built (and grad the
    # same gradient function).
    with loader.key_lock(("api", id(fn), memo_key)):
        entry = recent.get(memo_key)
        if entry is not None and _still_valid(fn, entry):
            return entry[2]
        built = _build_now(fn, mode, wrt, optimize, steps)
        built.rules_version = user_rules.RULES_VERSION
        built.cells = _cells(fn)
        checks = [(origin, name, built.namespace[name])
                  for name, origin in built.origins.items() if name in built.namespace]
        recent[memo_key] = (getattr(fn, "__code__", None), checks, built)
        return built


def _build_now(fn, mode: str, wrt, optimize: bool, steps: tuple = ()) -> _Built:
    def run():
        parsed = parse_function(fn)
        depth, statement = nesting_depth(parsed.node)
        try:  # deep code (a 2,000-term sum) gets room for the recursive walks of the build
            return with_nesting_room(depth, lambda: build(parsed))
        except RecursionError:
            raise UnsupportedSyntaxError(
                "this function nests too deeply for s2sad to transform",
                parsed.location(statement),
                "split the expression into several assignments") from None

    def build(parsed):
        fence.check(parsed)  # syntax errors first, before wrt is matched to parameters
        wrt_names = () if mode == "ssa" else resolve_wrt(parsed, wrt)
        # Every derivative program keeps the function's parameters, so each step's wrt is
        # named after them.
        request = Request(mode, wrt_names, optimize,
                          tuple((m, resolve_wrt(parsed, w)) for m, w in steps))
        namespace, callee_sources, origins = dependencies(parsed)
        key = (parsed.source_hash, parsed.node.name, request.key(), tuple(callee_sources),
               tuple(sorted((k, _describe(v)) for k, v in namespace.items())))
        # Globals of the function's own module are read live by the generated code; the rest
        # (closure values, other modules' globals) is bound when it is compiled.
        live = getattr(fn, "__globals__", None) if user_function(fn) is fn else None
        snapshot = {k: v for k, v in namespace.items()
                    if live is None or k not in live or live[k] is not v}
        identity = tuple(sorted((k, id(v)) for k, v in snapshot.items()))
        defaults = fn.__defaults__ if mode == "grad" else None
        links = [link for name in namespace for link in derivative_names(name)]
        loaded = loader.get_or_build(fn, key, identity, lambda: generate(parsed, request),
                                     snapshot, defaults, live, links)
        _link_recursions(loaded, namespace, (fn, mode, wrt_names))
        # Kept for error locations only: the build must not hold fn (or a copy of its
        # module's globals, which may hold fn) alive.
        parsed.fn, parsed.scope = None, {}
        built = _Built(fn, parsed, loaded, wrt_names, namespace)
        built.live = live
        built.origins = origins
        return built

    return _guarded(run)


_linking = threading.local()


def _link_recursions(loaded, namespace: dict, building) -> None:
    """Give generated code that calls a recursive function that function's own derivatives.

    A recursive call is not inlined: its derivative code calls ``g_vjp`` / ``g_jvp``, the code
    s2sad generates for ``g`` itself, which are put in the generated function's globals here
    (a derivative of ``g`` links to itself)."""
    names = loaded.meta.get("recursions") or ()
    if not names:
        return
    in_progress = getattr(_linking, "active", None)
    if in_progress is None:
        in_progress = _linking.active = set()
    key = (id(building[0]), *building[1:])
    if key in in_progress:
        return
    in_progress.add(key)
    try:
        for name in names:
            callee = namespace.get(name)
            params = inspect.signature(callee).parameters
            positions = tuple(range(len(params)))
            vjp_name, jvp_name = derivative_names(name)
            for kind, link in (("vjp", vjp_name), ("jvp", jvp_name)):
                if link in loaded.source:
                    loaded.link(link, _build(callee, kind, positions).function)
    finally:
        in_progress.discard(key)


def source(f, mode: str = "reverse", wrt=0, optimize: bool = True, ssa: bool = False) -> str:
    """The generated code for `f` as text.

    ``ssa=True`` gives the SSA trace of the function itself; ``mode="reverse"`` the gradient
    (adjoint) code, ``mode="vjp"`` the vector-Jacobian product with an explicit cotangent,
    ``mode="forward"`` the tangent (JVP) code. For a bound method or a partial, the code of
    the function itself, whose bound parameters are held constant.
    """
    target = _bound_target(f)
    if target is not None:
        return source(target.function, mode, target.names(wrt), optimize, ssa)
    if ssa:
        return _build(f, "ssa", wrt, optimize).loaded.source
    kinds = {"reverse": "grad", "grad": "grad", "vjp": "vjp", "forward": "jvp", "jvp": "jvp"}
    if mode not in kinds:
        raise S2sadError(f"unknown mode {mode!r}",
                         hint="use mode='reverse', 'forward' or 'vjp'")
    return _build(f, kinds[mode], wrt, optimize).loaded.source


def _gradients_of(f) -> dict | None:
    """The gradient functions made for `f`, kept on `f` itself (None if it takes no
    attributes). A gradient function holds `f` (it must: it is differentiated again from
    `f`'s code), so a global table holding them would keep `f` alive forever; on `f`, the two
    form a cycle that the garbage collector frees with `f`. clear_cache empties it."""
    table = loader.function_cache(f)
    return None if table is None else table.setdefault("gradients", {})


def _grad_function(f, wrt, with_value: bool):
    """The gradient function of `f`; the same object again while its build is current (to
    every thread), so derivatives of it (hvp, hessian) are not rebuilt on every call.

    ``grad`` runs the gradient program, the one ``source(f)`` prints; ``value_and_grad`` runs
    the VJP program (``source(f, mode="vjp")``) with the cotangent 1.0."""
    built = _build(f, "vjp" if with_value else "grad", wrt)
    key = (wrt if not isinstance(wrt, list) else tuple(wrt), with_value)
    table = _gradients_of(f)
    if table is None:
        return _new_grad_function(f, wrt, with_value, built)
    with loader.key_lock(("gradient", id(f), key)):
        known = table.get(key)
        if known is not None and known[0] is built:
            return known[1]
        wrapper = _new_grad_function(f, wrt, with_value, built)
        table[key] = (built, wrapper)
        return wrapper


def _new_grad_function(f, wrt, with_value: bool, built):
    generated = built.function
    single = not isinstance(wrt, (tuple, list))
    n_out = built.n_out
    fn = _unwrap(f)  # held: the gradient function may outlive every other reference to f

    n_params = len(built.params)
    positions = built.wrt_positions
    n_wrt = len(positions)
    checks = built.scalar_positions
    tuple_out = built.tuple_out
    scalar_types = (float, np.float64)

    def ready(args) -> bool:
        """Fast path: all arguments given positionally, every wrt one already floating."""
        for p in positions:
            a = args[p]
            kind = type(a)
            if kind is not float and kind is not np.float64 and not (
                kind is np.ndarray and a.dtype.kind == "f"
            ):
                return False
        return True

    def narrow(args) -> bool:
        """Whether a wrt argument is a floating array narrower than float64 (float32)."""
        for p in positions:
            a = args[p]
            if type(a) is not float and getattr(a, "dtype", np.float64) != np.float64:
                return True
        return False

    def complex_in(grads) -> bool:
        for g in grads:
            kind = type(g)
            if kind is complex or kind is not float and getattr(g, "dtype", None) is not None \
                    and g.dtype.kind == "c":
                return True
        return False

    def run(args, given, kwargs):
        """The output's value (with_value) and the gradients, as a tuple."""
        if not with_value and (tuple_out or checks and not scalars(args)):
            built.check_scalar_arguments(args)
        try:
            result = generated(*args, 1.0) if with_value else generated(*args)
        except NonScalarSeed as exc:
            built.not_scalar(exc.shape)
        except Exception as exc:
            _explain_failure(built, fn, generated, given, kwargs, args, exc, with_value)
            raise
        if not with_value:
            return None, result if n_wrt > 1 else (result,)
        value = result[0]
        if tuple_out or n_out != 1 or (type(value) not in scalar_types and np.ndim(value) != 0):
            built.check_scalar(result[:n_out] if built.tuple_out else value)
        return value, result[n_out:]

    def integers_as_floats(args, given, kwargs) -> None:
        """An integer given for a wrt parameter is differentiated as a float. The gradient
        program may not run the code that would fail on a float (an index, a range count):
        the function itself runs once to find such a use, so it is reported, not given a
        zero derivative."""
        raw = built.bind(given, kwargs, convert=False)
        if any(is_integer_like(raw[p]) for p in positions):
            _call_original(built, fn, raw, args)

    def scalars(args) -> bool:
        for p in checks:
            kind = type(args[p])
            if kind is not float and kind is not np.float64 and np.ndim(args[p]) != 0:
                return False
        return True

    def call(*args, **kwargs):
        given = args
        if kwargs or len(args) != n_params or not ready(args):
            args = built.bind(args, kwargs)
            if not with_value:
                integers_as_floats(args, given, kwargs)
        value, grads = run(args, given, kwargs)
        if narrow(args) or complex_in(grads):
            grads = matched_all(grads, [args[p] for p in positions])
        inputs = args if args is given else (args, given)
        if single:
            grads = grads[0]
            if isinstance(grads, np.ndarray):  # it must not be (a view of) an argument
                grads = separated(grads, inputs)
        else:
            grads = separated(grads, inputs)
        if with_value:
            if isinstance(value, np.ndarray):
                value = separated(value, inputs, grads)
            return value, grads
        return grads

    functools.update_wrapper(call, fn)
    call.__dict__.pop(loader.TABLE, None)  # f's own caches are not the wrapper's
    call.__name__ = built.name + ("_value_and_grad" if with_value else "_grad")
    call.__qualname__ = call.__name__
    del call.__wrapped__  # inspect must not mistake f's source for this wrapper's
    call.__signature__ = built.signature
    if not with_value:
        base, steps = derivative_of(fn) or (fn, ())
        call.__s2sad_derivative__ = (base, (*steps, ("grad", wrt)))
    return call


def _explain_failure(built, fn, generated, given, kwargs, values, exc,
                     seeded: bool = True) -> None:
    """Raise the s2sad error behind `exc`, raised by a gradient's generated code, if there is
    one: an integer in wrt used as an index or a count, or a non-scalar output (seeding it
    with 1.0 can break shape logic before the output is checked). Returns otherwise."""
    try:
        raw = built.bind(given, kwargs, convert=False)
    except S2sadError:
        raw = values
    err = built.integer_misuse(exc, raw, (lambda v: generated(*v, 1.0)) if seeded else (
        lambda v: generated(*v)))
    if err is not None:
        raise err from None
    try:
        out = fn(*private_copy(values))
    except S2sadError:
        raise  # fn is a gradient function: its own diagnosis is the better one
    except Exception:  # noqa: BLE001 - the generated code's own error is the one to report
        return
    built.check_scalar(out[0] if built.tuple_out and len(out) == 1 else out)


def grad(f, wrt=0):
    """The function computing the gradient of scalar-valued `f`.

    `wrt` is a parameter position or name, or a tuple of them (then the gradient is a tuple).
    For a bound method or a ``functools.partial``, the bound arguments are held constant and
    `wrt` counts the remaining parameters.
    """
    target = _bound_target(f)
    if target is not None:
        return target.rebind(grad(target.function, target.names(wrt)))
    return _grad_function(f, wrt, with_value=False)


grad.__s2sad_operator__ = "grad"  # s2sad.grad(h)(x) inside differentiated code is inlined


def value_and_grad(f, wrt=0):
    """The function computing ``(f(*args), grad(f, wrt)(*args))`` in one pass."""
    target = _bound_target(f)
    if target is not None:
        return target.rebind(value_and_grad(target.function, target.names(wrt)))
    return _grad_function(f, wrt, with_value=True)


def vjp(f, *args, wrt=None):
    """``(f(*args), vjp_fn)``: ``vjp_fn(cotangent)`` gives the cotangents of the arguments.

    The cotangent has the shape of the output (a tuple of them for a tuple output). The result
    is a tuple with one entry per argument in `wrt` (default: every positional argument).
    """
    target = _bound_target(f)
    if target is not None:
        return _bound_vjp(target, args, wrt)
    fn = _unwrap(f)
    everything = wrt is None
    if everything:  # every floating argument; ints, bools, strings get None
        wrt = tuple(i for i, a in enumerate(args) if is_float_like(a))
    built = _build(fn, "vjp", wrt)
    values = _guarded(lambda: built.bind(args, {}))
    generated = built.function
    n_out = built.n_out
    value = _call_original(built, fn, built.bind(args, {}, convert=False), values)
    if built.tuple_out:
        value = tuple(value)
    outputs = value if built.tuple_out else (value,)
    value = separated(value, args)

    def vjp_fn(cotangent):
        """The cotangents of the arguments for `cotangent`, which has the output's shape."""
        if built.tuple_out and not isinstance(cotangent, (tuple, list)):
            raise S2sadError(f"{built.name} returns a tuple of {n_out} values, so vjp_fn "
                             f"needs a tuple of {n_out} cotangents",
                             built.parsed.location(built.parsed.node),
                             "pass one cotangent per output, e.g. vjp_fn((g1, g2))")
        given = tuple(cotangent) if built.tuple_out else (cotangent,)
        if len(given) != n_out:
            raise S2sadError(f"vjp_fn expects {n_out} cotangents, got {len(given)}",
                             built.parsed.location(built.parsed.node),
                             "pass one cotangent per output of the function")
        seeds = [built.seed(g, o, "the cotangent" + (f" of output {k}" if n_out > 1 else ""))
                 for k, (g, o) in enumerate(zip(given, outputs))]
        try:
            out = generated(*values, *seeds)
        except (TypeError, IndexError) as exc:
            raw = built.bind(args, {}, convert=False)
            err = built.integer_misuse(exc, raw, lambda v: generated(*v, *seeds))
            if err is None:
                raise
            raise err from None
        grads = matched_all(out[n_out:], [values[p] for p in built.wrt_positions])
        grads = separated(grads, args, given)
        if everything:
            by_position = dict(zip(wrt, grads))
            return tuple(by_position.get(i) for i in range(len(args)))
        return grads

    return value, vjp_fn


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
        if i in wrt or is_integer_like(p) or is_float_like(p) or not _nonzero(t):
            continue
        name = built.params[i] if i < len(built.params) else f"argument {i}"
        container = isinstance(p, (tuple, list, dict))
        kind = "None" if p is None else f"a {type(p).__name__}"
        raise NonDifferentiableError(
            f"jvp was given a nonzero tangent for {name!r}, which is {kind}: "
            "s2sad cannot differentiate with respect to it",
            built.parsed.location(built.parsed.node),
            ("tuples, lists and dicts are not differentiable (yet): pass their numbers\n"
             "as separate float arguments or as one array, or " if container else "")
            + "give this argument the tangent None to hold it constant")


def jvp(f, primals, tangents):
    """Forward mode: ``(f(*primals), J @ tangents)``.

    `primals` and `tangents` are tuples of the same structure (one tangent per argument).
    For a tuple output both the value and its tangent are tuples.
    """
    target = _bound_target(f)
    if target is not None:
        return _bound_jvp(target, primals, tangents)
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise S2sadError(f"jvp got {len(primals)} primals but {len(tangents)} tangents",
                         hint="give one tangent per primal argument (None: not perturbed)")
    # Arguments whose tangent is None, or that are not numbers, are held constant; so is an
    # integer whose tangent is zero (n in x ** n), which would otherwise bring log(x) in.
    wrt = tuple(i for i, (p, t) in enumerate(zip(primals, tangents))
                if t is not None and (is_float_like(p) or (is_integer_like(p) and _nonzero(t))))
    built = _build(f, "jvp", wrt)
    values = _guarded(lambda: built.bind(primals, {}))
    _check_constant_tangents(built, primals, tangents, wrt)
    dots = [built.seed(tangents[i], values[i], f"the tangent of {built.params[i]!r}")
            for i in wrt]
    try:
        result = built.function(*values, *dots)
    except (TypeError, IndexError) as exc:
        raw = built.bind(primals, {}, convert=False)
        err = built.integer_misuse(exc, raw, lambda v: built.function(*v, *dots))
        if err is None:
            raise
        raise err from None
    n_out = built.n_out
    tangents_out = matched_all(result[n_out:], result[:n_out])
    if built.tuple_out:
        out = (tuple(result[:n_out]), tangents_out)
    else:
        out = (result[0], tangents_out[0])
    return separated(out, primals, tangents)


def _float_dtype(value):
    """`value`'s floating dtype, float64 for anything else (ints are differentiated as
    float64)."""
    dtype = getattr(value, "dtype", None)
    return dtype if dtype is not None and dtype.kind == "f" else np.dtype(np.float64)


def _one_hot(like, index):
    e = np.zeros(np.shape(like))
    e[index] = 1.0
    return e if np.ndim(like) else float(e)


def jacobian(f, wrt=0, mode: str = "auto"):
    """The function computing the Jacobian of `f` with respect to `wrt`.

    The Jacobian of an output of shape ``S`` with respect to an input of shape ``T`` has shape
    ``S + T``. For a tuple `wrt` the result is a tuple over inputs; for a tuple output, a tuple
    over outputs (of tuples over inputs when both are tuples). ``mode="reverse"`` builds it row
    by row (one forward sweep, then one reverse sweep per output entry, in one generated call
    for loop-free code), ``mode="forward"`` column by column (one JVP per input
    entry), and ``"auto"`` picks whichever needs fewer passes.
    """
    if mode not in ("auto", "reverse", "forward"):
        raise S2sadError(f"unknown jacobian mode {mode!r}",
                         hint="use mode='reverse', 'forward' or 'auto'")
    target = _bound_target(f)
    if target is not None:
        return target.rebind(jacobian(target.function, target.names(wrt), mode))
    single_in = not isinstance(wrt, (tuple, list))
    reverse_built = forward_built = None

    def jac(*args, **kwargs):
        nonlocal reverse_built, forward_built
        probe = forward_built or reverse_built or _build(f, "jvp" if mode == "forward"
                                                         else "vjp", wrt)
        values = _guarded(lambda: probe.bind(args, kwargs))
        positions = probe.wrt_positions
        inputs = [values[p] for p in positions]
        out = _call_original(probe, _unwrap(f), probe.bind(args, kwargs, convert=False), values)
        outputs = [np.asarray(o) for o in (out if probe.tuple_out else (out,))]
        chosen = mode
        if chosen == "auto":
            n_in = sum(np.size(x) for x in inputs)
            n_out = sum(o.size for o in outputs)
            chosen = "forward" if n_in <= n_out else "reverse"
        blocks = [[None] * len(inputs) for _ in outputs]
        batch = _batch_vjp(f, wrt) if chosen == "reverse" and not probe.tuple_out else None
        if any(o.size == 0 for o in outputs) or any(np.size(x) == 0 for x in inputs):
            # An empty output (x[x > 0] with nothing positive) or input: an empty Jacobian.
            blocks = [[np.zeros(o.shape + np.shape(x), dtype=np.result_type(
                _float_dtype(o), _float_dtype(x))) for x in inputs] for o in outputs]
        elif batch is not None:
            # One forward sweep, the reverse sweep once per row (vectorised seeding).
            o = outputs[0]
            seeds = np.eye(o.size, dtype=_float_dtype(o)).reshape((o.size, *o.shape))
            rows = batch.function(*values, seeds)[1:]
            for j, x in enumerate(inputs):
                blocks[0][j] = np.asarray(rows[j], dtype=float).reshape(o.shape + np.shape(x))
        elif chosen == "reverse":
            reverse_built = reverse_built or _build(f, "vjp", wrt)
            run = reverse_built.function
            for k, o in enumerate(outputs):
                rows = [[] for _ in inputs]
                for index in np.ndindex(o.shape):
                    seeds = [np.zeros(p.shape) if i != k else _one_hot(p, index)
                             for i, p in enumerate(outputs)]
                    grads = run(*values, *seeds)[len(outputs):]
                    for j, g in enumerate(grads):
                        rows[j].append(np.asarray(g, dtype=float))
                for j, x in enumerate(inputs):
                    blocks[k][j] = np.stack(rows[j]).reshape(o.shape + np.shape(x))
        else:
            forward_built = forward_built or _build(f, "jvp", wrt)
            run = forward_built.function
            for j, x in enumerate(inputs):
                columns = [[] for _ in outputs]
                for index in np.ndindex(np.shape(x)):
                    dots = [_one_hot(y, index) if i == j else
                            (np.zeros(np.shape(y)) if np.ndim(y) else 0.0)
                            for i, y in enumerate(inputs)]
                    tangents = run(*values, *dots)[len(outputs):]
                    for k, t in enumerate(tangents):
                        t = np.asarray(t, dtype=float)
                        if t.shape != outputs[k].shape:  # a constant output's zero tangent
                            t = np.broadcast_to(t, outputs[k].shape)
                        columns[k].append(t)
                for k, o in enumerate(outputs):
                    stacked = np.stack(columns[k], axis=-1)
                    blocks[k][j] = stacked.reshape(o.shape + np.shape(x))
        # Each block in the wider of its output's and its input's floating dtypes.
        blocks = [[matched(b, np.empty(0, np.result_type(_float_dtype(o), _float_dtype(x))))
                   for b, x in zip(row, inputs)] for row, o in zip(blocks, outputs)]
        blocks = [[(float(b) if b.dtype == np.float64 else b[()]) if b.ndim == 0 else b
                   for b in row] for row in blocks]
        per_output = [row[0] if single_in else tuple(row) for row in blocks]
        result = per_output[0] if not probe.tuple_out else tuple(per_output)
        return separated(result, args, kwargs, values)

    return jac


_unbatchable: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _batch_vjp(f, wrt):
    """The batched VJP of `f` (one forward sweep, many cotangents), or None for code that
    needs loop stacks (those are used up by one reverse sweep)."""
    fn = _unwrap(f)
    key = (wrt if not isinstance(wrt, list) else tuple(wrt), getattr(fn, "__code__", None))
    try:
        if key in _unbatchable.get(fn, ()):
            return None
    except TypeError:
        pass
    try:
        return _build(f, "vjp_batch", wrt)
    except UnsupportedSyntaxError:
        try:
            _unbatchable.setdefault(fn, set()).add(key)
        except TypeError:
            pass
        return None


def hessian(f, wrt=0):
    """The function computing the Hessian of scalar `f`: forward mode over the gradient code.

    For an input of shape ``T`` the Hessian has shape ``T + T``.
    """
    target = _bound_target(f)
    if target is not None:
        return target.rebind(hessian(target.function, target.names(wrt)))
    jac = jacobian(grad(f, wrt), wrt, mode="forward")

    def hess(*args, **kwargs):
        """The Hessian of f at `args` with respect to `wrt`."""
        # Arguments checked against f itself, so errors point at f and not at its gradient.
        built = _build(f, "vjp", wrt)
        values = _guarded(lambda: built.bind(args, kwargs))
        try:
            return jac(*args, **kwargs)
        except (TypeError, IndexError, NonDifferentiableError) as err:
            raw = built.bind(args, kwargs, convert=False)
            better = _diagnosed(built, _unwrap(f), raw, values, err)
            if better is err:
                raise
            raise better from None

    return hess


def hvp(f, x, v, *args):
    """The Hessian-vector product of scalar `f` at `x` along `v` (forward over reverse).

    `x` and `v` are one argument and its direction, or tuples with one entry per argument;
    `args` are further arguments of `f`, held constant (data).
    """
    several = isinstance(x, tuple)
    xs, vs = (x, v) if several else ((x,), (v,))
    if several and (not isinstance(v, (tuple, list)) or len(v) != len(x)):
        raise S2sadError(f"hvp got {len(x)} arguments but a direction that is not a tuple of "
                         f"{len(x)}", hint="give one direction per argument in x")
    positions = tuple(range(len(xs)))
    if _bound_target(f) is not None:  # forward over the (bound) gradient, which checks
        _, tangent = jvp(grad(f, positions if several else 0), (*xs, *args),
                         (*vs, *([None] * len(args))))
        return separated(tangent, x, v, args)
    # Arguments and directions checked against f itself, so errors point at f.
    built = _build(f, "vjp", positions)
    values = _guarded(lambda: built.bind((*xs, *args), {}))
    vs = [built.seed(d, values[i], f"the direction of {built.params[i]!r}")
          for i, d in enumerate(vs)]
    gradient = grad(f, positions if several else 0)
    try:
        _, tangent = jvp(gradient, (*xs, *args), (*vs, *([None] * len(args))))
    except (TypeError, IndexError, NonDifferentiableError) as err:
        raw = built.bind((*xs, *args), {}, convert=False)
        better = _diagnosed(built, _unwrap(f), raw, values, err)
        if better is err:
            raise
        raise better from None
    return separated(tangent, x, v, args)


def check_grad(f, *args, wrt=None, eps: float = 1e-6, rtol: float = 1e-5, atol: float = 1e-8,
               seed: int = 0) -> float:
    """Check s2sad's reverse and forward derivatives of `f` at `args` against central finite
    differences (along random directions, with a random cotangent for non-scalar outputs).

    Returns the largest relative error; raises ``AssertionError`` listing the arguments whose
    derivatives disagree by more than ``atol + rtol * |expected|``.
    """
    rng = np.random.default_rng(seed)
    if wrt is None:
        wrt = tuple(i for i, a in enumerate(args) if is_float_like(a))
    wrt = (wrt,) if isinstance(wrt, int) else tuple(wrt)
    value, vjp_fn = vjp(f, *args, wrt=wrt)
    outputs = value if isinstance(value, tuple) else (value,)
    cotangent = [_random_like(rng, o) for o in outputs]
    cotangents = vjp_fn(tuple(cotangent) if isinstance(value, tuple) else cotangent[0])
    fn = _unwrap(f)
    worst, failures = 0.0, []
    for k, index in enumerate(wrt):
        direction = _random_like(rng, args[index])
        up, down = list(args), list(args)
        up[index] = args[index] + eps * direction
        down[index] = args[index] - eps * direction
        hi, lo = fn(*private_copy(up)), fn(*private_copy(down))
        hi = hi if isinstance(hi, tuple) else (hi,)
        lo = lo if isinstance(lo, tuple) else (lo,)
        numeric = sum(float(np.sum(c * (a - b))) for c, a, b in zip(cotangent, hi, lo)) / (2 * eps)
        reverse_value = float(np.sum(np.asarray(cotangents[k]) * direction))
        tangents = [direction if i == index else None for i in range(len(args))]
        forward_out = jvp(f, args, tangents)[1]
        forward_out = forward_out if isinstance(forward_out, tuple) else (forward_out,)
        forward_value = sum(float(np.sum(c * t)) for c, t in zip(cotangent, forward_out))
        for mode, got in (("reverse", reverse_value), ("forward", forward_value)):
            error = abs(got - numeric)
            worst = max(worst, error / max(abs(numeric), atol))
            if error > atol + rtol * abs(numeric):
                failures.append(f"argument {index} ({mode} mode): {got!r} vs finite "
                                f"differences {numeric!r}")
    if failures:
        raise AssertionError("s2sad derivative disagrees with finite differences:\n  "
                             + "\n  ".join(failures))
    return worst


def _random_like(rng, value):
    if np.ndim(value) == 0:
        return float(rng.standard_normal())
    return rng.standard_normal(np.shape(value))


def trace(f, *args, cotangent=None):
    """The SSA trace of `f` at `args` with every forward value and every adjoint: print it to
    see the lecture's forward evaluation and reverse adjoint tables.

    For a non-scalar output give the `cotangent` to propagate (default: ones).
    """
    from .teaching import build_trace, instrumented

    target = _bound_target(f)
    if target is not None:
        values = target.positional(args)
        for name, value in zip(target.params, values):
            if name in target.bound and not (is_float_like(value) or is_integer_like(value)):
                raise S2sadError(
                    f"trace prints every value of {target.name} as numbers, but the bound "
                    f"argument {name!r} is a {type(value).__name__}", target.location(),
                    "trace a function of numbers: pass the numbers it reads from "
                    f"{name!r} as arguments")
        return trace(target.function, *values, cotangent=cotangent)
    fn = _unwrap(f)
    wrt = tuple(i for i, a in enumerate(args) if is_float_like(a))
    ssa = _build(fn, "ssa", 0).loaded
    built = _build(fn, "vjp", wrt, optimize=False)
    values = _guarded(lambda: built.bind(args, {}))
    value = _call_original(built, fn, built.bind(args, {}, convert=False), values)
    outputs = value if built.tuple_out else (value,)
    if cotangent is None:
        seeds = [np.ones_like(o, dtype=float) if np.ndim(o) else 1.0 for o in outputs]
    else:
        given = list(cotangent) if built.tuple_out else [cotangent]
        if len(given) != len(outputs):
            raise S2sadError(f"trace expects {len(outputs)} cotangents, got {len(given)}",
                             built.parsed.location(built.parsed.node),
                             "pass one cotangent per output of the function")
        seeds = [built.seed(g, o, "the cotangent") for g, o in zip(given, outputs)]
    text = instrumented(built.loaded.source)
    generated = loader.Generated(built.loaded.generated.name, text, built.loaded.meta)
    live = getattr(built, "live", None)
    compiled = loader.compile_generated(generated, built.namespace, live)
    values = private_copy(values)  # the trace's tables must not hold the caller's arrays
    local, _ = compiled.function(*values, *private_copy(seeds))
    body = [line for line in ssa.source.splitlines()[1:] if line.startswith("    ")
            and not line.startswith("     ") and " = " in line]
    names = {v: f"{v}_bar" for v in local}
    return build_trace(built.name, body, built.params, values, local, names)


class Differentiable:
    """What ``@s2sad.differentiate`` returns: `f` itself, plus its derivatives on demand."""

    def __init__(self, fn):
        self.__s2sad_function__ = fn
        functools.update_wrapper(self, fn)
        self.__dict__.pop(loader.TABLE, None)  # fn's own caches stay fn's

    def __call__(self, *args, **kwargs):
        return self.__s2sad_function__(*args, **kwargs)

    def _cached(self, kind, wrt):
        # s2sad.grad returns the same function while its build is current, and a new one when
        # a rule, a global or the function changed: ask every time.
        maker = grad if kind == "grad" else value_and_grad
        return maker(self.__s2sad_function__, wrt)

    def grad(self, *args, wrt=0, **kwargs):
        """The gradient of f at `args` with respect to `wrt` (default: the first parameter)."""
        return self._cached("grad", wrt)(*args, **kwargs)

    def value_and_grad(self, *args, wrt=0, **kwargs):
        """``(f(args), gradient)`` in one pass."""
        return self._cached("value_and_grad", wrt)(*args, **kwargs)

    def vjp(self, *args, wrt=None):
        """``(f(args), vjp_fn)``, as :func:`s2sad.vjp`."""
        return vjp(self.__s2sad_function__, *args, wrt=wrt)

    def jvp(self, primals, tangents):
        """``(f(primals), J @ tangents)``, as :func:`s2sad.jvp`."""
        return jvp(self.__s2sad_function__, primals, tangents)

    def source(self, mode: str = "reverse", wrt=0, optimize: bool = True, ssa: bool = False):
        """The generated code, as :func:`s2sad.source`."""
        return source(self.__s2sad_function__, mode, wrt, optimize, ssa)


def differentiate(fn):
    """Decorator: `fn` stays callable as before and gains ``.grad``, ``.vjp``, ``.source``..."""
    return Differentiable(fn)
