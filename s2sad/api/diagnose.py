"""Failures explained: when generated code fails, find the user's mistake behind it.

An integer given for a parameter in wrt is differentiated as a float; if the function uses it
as an index or a count, the code fails on the float. These functions tell that failure from
others (the same call with the integers as given succeeds), and point at the use.
"""

from __future__ import annotations

import traceback

import gast

from ..errors import NonDifferentiableError, S2sadError
from ..values import is_integer_like, private_copy
from .built import numbers_only


def integer_misuse(built, exc, raw_values, rerun):
    """The error to raise for `exc` (raised with the wrt integers converted to floats) if
    the integers are to blame: `rerun(raw_values)` (the same call with the integers as
    given) succeeds. None when they are not."""
    if not isinstance(exc, (TypeError, IndexError)):
        return None
    names = [built.params[p] for p in built.wrt_positions
             if p < len(raw_values) and is_integer_like(raw_values[p])]
    if not names:
        return None
    try:
        rerun(raw_values)
    except Exception:  # noqa: BLE001 - not the conversion's fault: the caller re-raises
        return None
    parsed = built.parsed
    name, node = integer_use(parsed, names, exc)
    err = NonDifferentiableError(
        f"{name!r} is an integer used as an index or a count, but it is in wrt, so it was "
        f"converted to a float ({type(exc).__name__}: {exc})",
        parsed.location(node if node is not None else parsed.node),
        f"leave {name!r} out of wrt: an index or a loop bound has no derivative")
    err.integer_argument = name
    return err


def raise_integer_misuse(built, exc, raw_values, rerun) -> None:
    """Raise :func:`integer_misuse`'s error when there is one; return otherwise (the caller
    re-raises `exc`)."""
    err = integer_misuse(built, exc, raw_values, rerun)
    if err is not None:
        raise err from None


def integer_use(parsed, names, exc):
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


def call_original(built, fn, raw, values):
    """`fn(*values)` on private copies of the arrays; an integer in wrt that `fn` uses as an
    index or a count (TypeError, IndexError once it is a float) is reported as such."""
    try:
        return fn(*(values if numbers_only(values) else private_copy(values)))
    except (TypeError, IndexError) as exc:
        raise_integer_misuse(built, exc, raw, lambda v: fn(*private_copy(v)))
        raise


def diagnosed(built, fn, raw, values, err):
    """The error to raise for `err`, raised by hessian's or hvp's generated code (which is
    not the user's): an integer in wrt used as an index or a count, pointed at in the user's
    own function `fn`, when calling `fn` with the converted values fails and calling it with
    the integers does not; `err` itself otherwise."""
    if isinstance(err, S2sadError) and not getattr(err, "integer_argument", None):
        return err
    try:
        call_original(built, fn, raw, values)
    except NonDifferentiableError as better:
        if getattr(better, "integer_argument", None):
            return better
    except Exception:  # noqa: BLE001, S110 - keep the error found first
        pass
    return err


def reraise_diagnosed(built, fn, args, kwargs, values, err) -> None:
    """Raise the better error :func:`diagnosed` finds for `err` (raised while computing a
    derivative of `fn` at `args`, `kwargs`); return when there is none (the caller
    re-raises)."""
    raw = built.bind(args, kwargs, convert=False)
    better = diagnosed(built, fn, raw, values, err)
    if better is not err:
        raise better from None


def explain_failure(built, fn, generated, given, kwargs, values, exc,
                    seeded: bool = True) -> None:
    """Raise the s2sad error behind `exc`, raised by a gradient's generated code, if there is
    one: an integer in wrt used as an index or a count, or a non-scalar output (seeding it
    with 1.0 can break shape logic before the output is checked). Returns otherwise."""
    try:
        raw = built.bind(given, kwargs, convert=False)
    except S2sadError:
        raw = values
    raise_integer_misuse(built, exc, raw, (lambda v: generated(*v, 1.0)) if seeded else (
        lambda v: generated(*v)))
    try:
        out = fn(*private_copy(values))
    except S2sadError:
        raise  # fn is a gradient function: its own diagnosis is the better one
    except Exception:  # noqa: BLE001 - the generated code's own error is the one to report
        return
    built.check_scalar(out[0] if built.tuple_out and len(out) == 1 else out)
