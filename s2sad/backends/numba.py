"""The numba backend: derivative code compiled with ``numba.njit``, for scalar loops.

A gradient of a scalar loop in Python pays the interpreter on every trip; numba compiles the
same generated code to machine code in a fraction of a second (no unrolling: the loop stays a
loop, and a data-dependent ``if``, ``while`` or ``break`` stays what it is). What it writes
differs from the NumPy backend's code in three places only:

- **math on floats**: ``np.sin(x)`` is written ``math.sin(x)`` (numba compiles both, the
  second without an array round trip), ``np.abs`` as ``abs``;
- **tapes**: each loop's stack of saved values becomes one list per saved name
  (``_stack_s.append(s)`` ... ``s = _stack_s.pop()``), which numba types as a list of
  float64, of bool..., where the NumPy backend keeps one flat list of mixed values;
- **loops backwards**: ``reversed(range(...)[:trips])`` is written as a plain
  ``range(last, first - step, -step)``, which numba compiles.

The runtime helpers the code calls (``zeros_like``, ``unbroadcast``, ``safe_div``...) are
numba versions for numbers. Anything else (arrays that need s2sad's array helpers, lists,
attributes, calls numba cannot compile) is refused when the derivative is built, naming what
and where; a typing error numba raises at the first call becomes an :class:`S2sadError` too.

numba is an optional dependency (``pip install "s2sad[numba]"``): the backend is registered
always, and numba is imported when a derivative is first built for it.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import linecache
import math
import re

import numpy as np

from ..errors import Location, S2sadError
from ..frontend.parse import closure_values
from ..ir import Const, For, Op, Pop, Push, While
from ..ir.traverse import children, walk, with_blocks
from . import Backend, LazyTable, register

HINT = "use the default backend (backend='numpy'), which runs any s2sad code"
INSTALL_HINT = 'install it with: pip install "s2sad[numba]"'

# NumPy's scalar functions by primitive name, written with math (or a builtin) for numba.
_MATH = {"sin": "math.sin", "cos": "math.cos", "tan": "math.tan", "exp": "math.exp",
         "log": "math.log", "sqrt": "math.sqrt", "tanh": "math.tanh", "sinh": "math.sinh",
         "cosh": "math.cosh", "arcsin": "math.asin", "arccos": "math.acos",
         "arctan": "math.atan", "arctan2": "math.atan2", "expm1": "math.expm1",
         "log1p": "math.log1p", "log2": "math.log2", "log10": "math.log10",
         "hypot": "math.hypot", "abs": "abs", "absolute": "abs", "fabs": "math.fabs",
         "arcsinh": "math.asinh", "arccosh": "math.acosh", "arctanh": "math.atanh",
         "deg2rad": "math.radians", "rad2deg": "math.degrees", "sign": "sign",
         "real": "real", "square": "square", "maximum": "maximum", "minimum": "minimum"}

# What else generated scalar code may call: builtins numba compiles, the math module, and
# the helpers below (names as the primitives are named).
_BUILTINS = {"float", "int", "min", "max"}
_OPERATORS = {"add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "neg", "pos", "not",
              "lt", "le", "gt", "ge", "eq", "ne", "is", "is_not"}


def _scalar_sign(x):
    if x > 0:
        return 1.0
    if x < 0:
        return -1.0
    return x * 0.0  # 0.0 at 0, NaN at NaN (np.sign's values)


def _safe_mul(x, y):
    out = x * y
    if out == out or not (x == 0 or y == 0):
        return out
    return 0.0


def _safe_div(x, y):
    if y != 0:  # nonzero, NaN included
        out = x / y
        return out if out == out or x != 0 else 0.0
    if x == 0 or x != x:
        return 0.0 if x == 0 else x
    return math.copysign(math.inf, x) * math.copysign(1.0, y)


def _square(x):
    return x * x


def _maximum(x, y):
    if x != x or y != y:  # NaN if either is (np.maximum's rule; Python's max keeps x)
        return x + y
    return x if x >= y else y


def _minimum(x, y):
    if x != x or y != y:
        return x + y
    return x if x <= y else y


def _reciprocal(x):
    """``1.0 / x``, +-inf at +-0.0 (the runtime's reciprocal)."""
    return 1.0 / x if x != 0.0 else math.copysign(math.inf, x)


def _scaled_pow(c, x, p):
    return c * x ** p if c != 0 else 0.0


def _range_last(start, stop, step, limit):
    """The last value of ``range(start, stop, step)[:limit]`` (no limit: ``limit < 0``), or
    ``start - step`` if there is none: ``range(last, start - step, -step)`` is that range
    reversed."""
    count = max((stop - start + step - 1) // step if step > 0 else
                (start - stop - step - 1) // -step, 0)
    return start + ((count if limit < 0 else min(count, limit)) - 1) * step


def _range_stop(start, stop, step, limit):
    """A stop for ``range(start, ..., step)`` that gives ``range(start, stop, step)[:limit]``."""
    count = max((stop - start + step - 1) // step if step > 0 else
                (start - stop - step - 1) // -step, 0)
    return start + (count if limit < 0 else min(count, limit)) * step


# Helpers of the generated code compiled as they are (numbers in, a number out): name ->
# the Python function numba compiles.
_PLAIN_HELPERS = {"sign": _scalar_sign, "conj_sign": _scalar_sign, "safe_mul": _safe_mul,
                  "safe_div": _safe_div, "scaled_pow": _scaled_pow, "square": _square,
                  "maximum": _maximum, "minimum": _minimum, "reciprocal": _reciprocal,
                  "range_last": _range_last, "range_stop": _range_stop}
# Helpers that are the identity or a constant on numbers (their array cases are refused).
_NUMBER_HELPERS = ("zeros_like", "unbroadcast", "scalar_seed", "real", "broadcast_like",
                   "broadcast_reduced")
HELPER_NAMES = frozenset(_PLAIN_HELPERS) | frozenset(_NUMBER_HELPERS)


def load_numba():
    """The numba module; an S2sadError naming the extra when it is not installed."""
    try:
        return importlib.import_module("numba")
    except ImportError as exc:
        raise S2sadError(f"the numba backend needs numba, which is not installed ({exc})",
                         hint=INSTALL_HINT + "\nor " + HINT) from None


def _make_helpers(numba) -> dict:
    """The helpers' table: the plain ones compiled, the number-only ones as functions that
    numba compiles where called (``overload``), refusing arrays with a typing error."""
    from numba.core import errors, types
    from numba.extending import overload

    jit = numba.njit(error_model="numpy", cache=False)
    table = {name: jit(body) for name, body in _PLAIN_HELPERS.items()}
    numbers = (types.Float, types.Integer, types.Boolean)

    def stub(name):
        def helper(*args):  # only ever called from compiled code (overloaded below)
            raise S2sadError(f"{name} of the numba backend runs in numba-compiled code only")
        helper.__name__ = helper.__qualname__ = name
        return helper

    def numbers_only(name, *values):
        for value in values:
            if not isinstance(value, numbers):
                raise errors.TypingError(
                    f"s2sad's numba backend: {name} of {value} (it takes numbers only; "
                    "arrays need the numpy backend)")

    def zeros_like_typer(x):
        # None too, or a number that may be None: a loop-local value assigned on some paths
        # only, saved as None on the others (its adjoint is a zero all the same).
        if isinstance(x, types.Optional):
            x = x.type
        if not isinstance(x, types.NoneType):
            numbers_only("zeros_like", x)
        return lambda x: 0.0

    def unbroadcast_typer(v, like):
        numbers_only("unbroadcast", v, like)
        return lambda v, like: v

    def scalar_seed_typer(y):
        numbers_only("scalar_seed", y)
        return lambda y: 1.0

    def real_typer(x):
        numbers_only("real", x)
        return lambda x: x

    def broadcast_like_typer(v, like):
        numbers_only("broadcast_like", v, like)
        return lambda v, like: v

    def broadcast_reduced_typer(v, like, axis=None, keepdims=False):
        numbers_only("broadcast_reduced", v, like)
        return lambda v, like, axis=None, keepdims=False: v

    typers = {"zeros_like": zeros_like_typer, "unbroadcast": unbroadcast_typer,
              "scalar_seed": scalar_seed_typer, "real": real_typer,
              "broadcast_like": broadcast_like_typer,
              "broadcast_reduced": broadcast_reduced_typer}
    for name, typer in typers.items():
        helper = stub(name)
        overload(helper, jit_options={"error_model": "numpy"})(typer)
        table[name] = helper
    return table


# ---------------------------------------------------------------------------- preparing the IR
def _refuse(what: str, loc) -> None:
    raise S2sadError(f"the numba backend cannot compile {what}", loc, HINT)


def _check(stmt, stacks: dict) -> None:
    """Refuse an operation the numba backend does not write or numba cannot compile."""
    if not isinstance(stmt, Op):
        return
    prim, loc = stmt.prim, stmt.loc
    name = prim.name
    if name == "new_list":
        if stmt.target not in stacks:
            _refuse("a list (numba's lists hold one type, s2sad's lists anything)", loc)
        return
    if name in _OPERATORS or name in _MATH or name in _BUILTINS or name == "tuple":
        return
    if name.startswith("math.") or name in HELPER_NAMES:
        return
    if name == "getitem":
        index = stmt.kwarg("index")
        if isinstance(index, Const) and type(index.value) is int:
            return  # a tuple's element
        _refuse("indexing (arrays need the numpy backend)", loc)
    if prim.form in ("call", "opaque", "effect", "array"):
        _refuse(f"a call of {prim.spelling} (no numba version of it in s2sad)", loc)
    if prim.form in ("attribute", "getattr", "opaque_attribute", "opaque_method"):
        _refuse(f"the attribute or method {prim.spelling!r}", loc)
    if prim.form == "binop":  # @
        _refuse(f"the operator {prim.spelling} (arrays need the numpy backend)", loc)
    _refuse(f"{prim.spelling} ({prim.form})", loc)


def prepare(fn):
    """`fn` as the numba backend writes it: each stack split into one stack per saved name,
    every operation checked. Refuses (S2sadError with the location and a hint) what numba
    cannot compile; imports numba first, so its absence is the first thing said."""
    load_numba()
    if fn.recursions:
        raise S2sadError("the numba backend cannot compile a recursive function "
                         f"({', '.join(fn.recursions)})", None, HINT)
    for name, value in (fn.globals_used or {}).items():
        if isinstance(value, np.ndarray):  # where it is first read, for the error's location
            loc = next((s.loc for s in walk(fn.body) if isinstance(s, Op) and any(
                getattr(a, "name", None) == name for a in s.args)), None)
            raise S2sadError(f"the numba backend cannot compile code reading the array "
                             f"{name!r}: numba would compile in a copy of its current values",
                             loc, HINT)
    stacks = _stacks(fn.body)
    used = set(fn.source_names) | {s.target for s in walk(fn.body) if isinstance(s, Op)}
    split = {stack: _split_names(stack, targets, used) for stack, targets in stacks.items()}
    for stmt in walk(fn.body):
        _check(stmt, stacks)
    return dataclasses.replace(fn, body=_split(fn.body, split))


def _stacks(body) -> dict:
    """Every stack pushed in `body` -> the names of its values (those of its first pop, else
    positions). Refused: pushes and pops of one stack with different numbers of values."""
    arity: dict = {}
    names: dict = {}
    for stmt in walk(body):
        if isinstance(stmt, (Push, Pop)):
            values = stmt.values if isinstance(stmt, Push) else stmt.targets
            if arity.setdefault(stmt.stack, len(values)) != len(values):
                raise S2sadError(f"the numba backend cannot split the tape {stmt.stack} "
                                 "(pushes of different lengths)", None, HINT)
            if isinstance(stmt, Pop) and stmt.stack not in names:
                names[stmt.stack] = tuple(stmt.targets)
    return {stack: names.get(stack, tuple(f"v{k}" for k in range(n)))
            for stack, n in arity.items()}


def _split_names(stack: str, targets: tuple, used: set) -> tuple:
    """One new name per position of `stack`: ``_stack_s`` for a saved ``s``."""
    out = []
    for target in targets:
        name = f"{stack}_{target}"
        while name in used:
            name += "_"
        used.add(name)
        out.append(name)
    return tuple(out)


def _split(body: list, split: dict) -> list:
    out = []
    for stmt in body:
        if stmt.BLOCKS:
            stmt = with_blocks(stmt, [_split(block, split) for block in children(stmt)])
        if isinstance(stmt, Push) and stmt.stack in split:
            out.extend(Push(name, (value,)) for name, value in zip(split[stmt.stack],
                                                                    stmt.values))
        elif isinstance(stmt, Pop) and stmt.stack in split:
            out.extend(Pop(name, (target,)) for name, target in zip(split[stmt.stack],
                                                                    stmt.targets))
        elif isinstance(stmt, Op) and stmt.prim.name == "new_list" and stmt.target in split:
            out.extend(dataclasses.replace(stmt, target=name) for name in split[stmt.target])
        else:
            out.append(stmt)
    return out


# -------------------------------------------------------------------------- writing statements
def statement(stmt, backend):
    """A ``for`` loop over a sliced or reversed range as a plain range (numba compiles no
    ``reversed(range(...))`` and no slice of a range); ``while True:`` as ``while _looping:``
    (numba 0.68 can compile ``while True:`` with a ``break`` under an ``if`` into a loop that
    never ends); None for every other statement."""
    from .emit import _nodes, _store, _while, atom_expr, body_nodes

    if isinstance(stmt, While):
        node = _while(stmt, backend)
        if not (isinstance(node.test, ast.Constant) and node.test.value is True):
            return [node]
        node.test = ast.Name(id="_looping", ctx=ast.Load())
        return [ast.Assign(targets=[_store("_looping")], value=ast.Constant(True, None),
                           type_comment=None, lineno=0), node]
    if not isinstance(stmt, For) or (stmt.limit is None and not stmt.reverse):
        return None

    bounds = [atom_expr(b) for b in stmt.bounds]
    if len(bounds) == 1:
        bounds = [ast.Constant(0, None), *bounds]
    if len(bounds) == 2:
        bounds.append(ast.Constant(1, None))
    start, stop, step = bounds
    limit = atom_expr(stmt.limit) if stmt.limit is not None else ast.UnaryOp(
        op=ast.USub(), operand=ast.Constant(1, None))

    def call(name, *args):
        return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=list(args), keywords=[])

    plain = (len(stmt.bounds) == 1 or len(stmt.bounds) == 2 and isinstance(
        stmt.bounds[0], Const) and stmt.bounds[0].value == 0)
    if stmt.reverse and plain:  # range(n) backwards: range(n - 1, -1, -1)
        last = stop if stmt.limit is None else call("min", stop, limit)
        args = [ast.BinOp(left=last, op=ast.Sub(), right=ast.Constant(1, None)),
                ast.UnaryOp(op=ast.USub(), operand=ast.Constant(1, None)),
                ast.UnaryOp(op=ast.USub(), operand=ast.Constant(1, None))]
    elif stmt.reverse:
        args = [call("range_last", start, stop, step, limit),
                ast.BinOp(left=start, op=ast.Sub(), right=step),
                ast.UnaryOp(op=ast.USub(), operand=step)]
    else:
        args = [start, call("range_stop", start, stop, step, limit), step]
    return [ast.For(target=_store(stmt.target), iter=call("range", *args),
                    body=body_nodes(stmt.body, backend), orelse=_nodes(stmt.orelse, backend),
                    type_comment=None, lineno=0)]


# ------------------------------------------------------------------------------ compiling
_WHERE = re.compile(r'File "(<s2sad [^>]*>)", line (\d+)')


def finish(function, generated):
    """`function` compiled by numba when first called: a Python function around the
    dispatcher, which turns numba's errors into S2sadErrors.

    numba compiles the module globals the code reads in as constants, where the NumPy
    backend's code reads them when it runs. So that rebinding such a global is seen all the
    same, each call checks that the globals read are still the objects compiled in, and
    compiles the function again when one is not (most derivatives read none: one test).
    Python's error model: a float division by zero raises ZeroDivisionError, as it does in
    the NumPy backend's code on Python floats (the helpers keep NumPy's, as s2sad's do)."""
    numba = load_numba()
    from numba.core.errors import NumbaError

    scope = function.__globals__
    _refuse_frozen_arrays(function, scope)
    compiled = [numba.njit(error_model="python", cache=False)(function),
                _globals_read(function, scope)]

    def run(*args):
        if compiled[1] and not _unchanged(compiled[1], scope):
            compiled[:] = [numba.njit(error_model="python", cache=False)(function),
                           _globals_read(function, scope)]
        try:
            return compiled[0](*args)
        except NumbaError as exc:
            raise call_error(generated.name, args, exc) from None

    run.__name__ = run.__qualname__ = function.__name__
    run.__doc__ = function.__doc__
    run.__wrapped__ = function  # the Python function, for inspection
    run.dispatcher = lambda: compiled[0]
    return run


def _refuse_frozen_arrays(function, scope: dict) -> None:
    """numba compiles an array the code reads from a global or a closure in as a constant
    copy: changing it in place afterwards would go unseen. Refused."""
    closed = ((name, value) for name, value in closure_values(function).items()
              if name not in _OWN_NAMES)
    for name, value in (*_globals_read(function, scope), *closed):
        if isinstance(value, np.ndarray):
            raise S2sadError(
                f"the numba backend cannot compile {function.__name__}, which reads the array "
                f"{name!r}: numba would compile in a copy of its current values", None,
                HINT)


_OWN_NAMES = frozenset(("math", *HELPER_NAMES))


def _globals_read(function, scope: dict) -> tuple:
    """``((name, object), ...)``: the module globals `function` reads (numba's constants)."""
    return tuple((name, scope[name]) for name in function.__code__.co_names if name in scope)


def _unchanged(read: tuple, scope: dict) -> bool:
    for name, value in read:
        if scope.get(name) is not value:
            return False
    return True


def call_error(name: str, args: tuple, exc: Exception) -> S2sadError:
    """numba's error at the first call of the generated `name` as an S2sadError: numba's
    first line, where in the generated code, and what to do."""
    text = str(exc)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith(
        ("Failed in", "File", "During", "<source", "^", "def "))]
    reason = useful[0] if useful else type(exc).__name__
    if reason.endswith("found for signature:") and len(useful) > 1:
        reason = f"{reason} {useful[1].lstrip('>').strip()}"  # the types it was called with
    location = None
    found = _WHERE.search(text)
    if found is not None:
        filename, line = found.group(1), int(found.group(2))
        source_line = linecache.getline(filename, line).strip()
        location = Location(filename, line, 0, source_line)
    kinds = sorted({type(a).__name__ for a in args
                    if not isinstance(a, (bool, int, float)) and a is not None})
    given = f" (it was given {', '.join(kinds)})" if kinds else ""
    return S2sadError(f"numba could not compile {name}{given}: {reason}", location,
                      "the numba backend compiles code on numbers (floats, ints, bools);\n"
                      + HINT)


NUMBA = register(Backend("numba", spellings=_MATH, modules={"math": math},
                         helpers=LazyTable(lambda: _make_helpers(load_numba())),
                         prepare=prepare, statement=statement, finish=finish))
