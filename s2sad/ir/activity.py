"""Activity: which values of a lowered function carry derivatives, and which calls need rules.

A value is *active* when it depends differentiably on a differentiated input. Calls to functions
s2sad has no rule for (``np.arange(n)``, ``scipy.special.gamma(3.0)``, a user's compiled
function, ``C.sum()`` of a module-level array) are lowered as *opaque* operations that run as
written. They are constants when none of their arguments is active, and then need no rule. An
opaque call on active values needs a rule only if its result can reach an output through
differentiable operations, or if nothing reads its result (a call made for its effect may
write into its active argument, as ``np.fill_diagonal(y, 0.0)`` does): every such call is
reported in one error. Results read only as conditions, indices or shapes need no rule.
"""

from __future__ import annotations

from ..errors import MissingRuleError
from .nodes import Copy, Op, Pop, Push, Return, Var
from .traverse import reads, walk


def is_opaque(op: Op) -> bool:
    """Whether `op` calls something s2sad has no rule for (run as written)."""
    return getattr(op.prim, "opaque", False)


def active_names(body, wrt) -> set:
    """Names whose value depends differentiably on `wrt` (a fixed point, for loops).

    A loop's stack (``_stack.append((s, t2))`` ... ``s, t2 = _stack.pop()``) is active when a
    value pushed on it is, and so is each active position, named ``stack_slot(stack, i)``: the
    value popped there is active."""
    return _forward_closure(body, set(wrt), through_opaque=False)


def _forward_closure(body, seeds: set, through_opaque: bool) -> set:
    active = set(seeds)
    statements = list(walk(body))
    while True:
        before = len(active)
        for stmt in statements:
            if isinstance(stmt, Op):
                passes = stmt.prim.differentiable or through_opaque and is_opaque(stmt)
                # An argument that only supplies a shape (unbroadcast's `like`) carries no
                # derivative into the result: with only such arguments active, the result's
                # derivative is zero, and it is not active (a symbolic zero).
                if passes and any(
                    isinstance(a, Var) and a.name in active
                    and (through_opaque or _carries_derivative(stmt, position))
                    for position, a in enumerate(stmt.args)
                ):
                    active.add(stmt.target)
            elif isinstance(stmt, Copy):
                if isinstance(stmt.value, Var) and stmt.value.name in active:
                    active.add(stmt.target)
            elif isinstance(stmt, Push):
                for i, value in enumerate(stmt.values):
                    if isinstance(value, Var) and value.name in active:
                        active.update((stmt.stack, stack_slot(stmt.stack, i)))
            elif isinstance(stmt, Pop):
                for i, target in enumerate(stmt.targets):
                    if stack_slot(stmt.stack, i) in active:
                        active.add(target)
        if len(active) == before:
            return active


def stack_slot(stack: str, position: int) -> str:
    """The name activity gives position `position` of the tuples saved on `stack` (not an
    identifier, so it never meets a variable)."""
    return f"{stack}[{position}]"


def _carries_derivative(op: Op, position: int) -> bool:
    """Whether argument `position` of `op` has a derivative rule (else it only supplies a
    shape, a condition or an index)."""
    prim = op.prim
    if is_opaque(op) or prim.variadic or prim.user:
        return True
    if position >= len(prim.argnames):
        return False
    name = prim.argnames[position]
    return name in prim.vjp or name in prim.jvp


def _useful_names(body, outputs) -> set:
    """Names whose value can reach `outputs` through arguments that carry derivatives."""
    useful = {a.name for a in outputs if isinstance(a, Var)}
    # Backwards, as usefulness flows: straight-line code settles in one pass (forwards, a
    # chain of n operations took n passes); loops may take more.
    statements = list(walk(body))[::-1]
    while True:
        before = len(useful)
        for stmt in statements:
            if isinstance(stmt, Op) and stmt.target in useful and (
                stmt.prim.differentiable or is_opaque(stmt)
            ):
                for position, arg in enumerate(stmt.args):
                    if isinstance(arg, Var) and _carries_derivative(stmt, position):
                        useful.add(arg.name)
            elif isinstance(stmt, Copy) and stmt.target in useful:
                if isinstance(stmt.value, Var):
                    useful.add(stmt.value.name)
            elif isinstance(stmt, Pop):
                useful.update(stack_slot(stmt.stack, i) for i, target in
                              enumerate(stmt.targets) if target in useful)
            elif isinstance(stmt, Push):
                useful.update(value.name for i, value in enumerate(stmt.values)
                              if isinstance(value, Var)
                              and stack_slot(stmt.stack, i) in useful)
        if len(useful) == before:
            return useful


def refuse_missing_rules(body, wrt, active: set) -> None:
    """Raise one MissingRuleError naming every opaque call on values that depend on `wrt`
    whose result would carry a derivative to an output, or is never read. `active` is
    ``active_names(body, wrt)``, which the caller computes anyway."""
    ret = body[-1] if body and isinstance(body[-1], Return) else None
    outputs = ret.values if ret is not None else ()
    reachable = _forward_closure(body, set(wrt), through_opaque=True)
    useful = _useful_names(body, outputs)
    read = reads(body)
    missing = [
        stmt for stmt in walk(body)
        if isinstance(stmt, Op) and is_opaque(stmt)
        and (stmt.target in useful
             or stmt.target not in read and stmt.prim.form != "opaque_attribute")
        and any(isinstance(a, Var) and a.name in reachable for a in stmt.args)
    ]
    # A differentiated value in a parameter position (np.pad's constant_values, polygamma's
    # order n): the rule has no derivative for it. Indices are integers: no derivative exists.
    in_params = [
        (stmt, name) for stmt in walk(body)
        if isinstance(stmt, Op) and not is_opaque(stmt) and stmt.target in useful
        for name, value in stmt.kwargs
        if isinstance(value, Var) and value.name in active and name not in _INTEGER_PARAMS
    ]
    # Arguments whose rule refuses (a derivative with no closed form: a Bessel order, the
    # shape of an incomplete gamma): refused now, not when the derivative runs.
    in_params += [
        (stmt, name) for stmt in walk(body)
        if isinstance(stmt, Op) and not is_opaque(stmt) and stmt.target in useful
        for name, value in zip(stmt.prim.argnames, stmt.args)
        if isinstance(value, Var) and value.name in active
        and "no_derivative(" in stmt.prim.vjp.get(name, "")
    ]
    if not missing and not in_params:
        return
    if not missing:
        op, name = in_params[0]
        raise MissingRuleError(
            f"{op.prim.spelling} has no derivative with respect to {name!r}, and the value "
            "given for it depends on a differentiated input", op.loc,
            f"pass a constant for {name!r}, or wrap it in s2sad.stop_gradient(...) if its "
            "derivative is not wanted",
            also=[(o.loc, f"{n!r} of {o.prim.spelling}")
                  for o, n in in_params[1:]])
    seen, unique = set(), []
    for op in missing:
        key = (op.prim.spelling, op.loc)
        if key not in seen:
            seen.add(key)
            unique.append(op)
    error = MissingRuleError(_message(unique), unique[0].loc, _HINT,
                             also=[(op.loc, _describe(op)) for op in unique[1:]])
    error.on_parameters = _read_off_parameters(body, wrt, unique)
    raise error


def _read_off_parameters(body, wrt, ops) -> bool:
    """Whether every op of `ops` reads a field or a method off a differentiated parameter
    (``p.w``, ``d.items()``) or an item of one (``for layer in layers: layer.w``): the
    parameter may be a container when called (a pytree), whose structure makes them
    readable, and the API builds again then."""
    items = {stmt.target: stmt.args[0] for stmt in walk(body) if isinstance(stmt, Op)
             and stmt.prim.name == "getitem" and isinstance(stmt.args[0], Var)}

    def of_parameter(atom) -> bool:
        seen = set()
        while isinstance(atom, Var) and atom.name in items and atom.name not in seen:
            seen.add(atom.name)
            atom = items[atom.name]
        return isinstance(atom, Var) and atom.name in wrt

    return all(op.prim.form in ("opaque_attribute", "opaque_method") and op.args
               and of_parameter(op.args[0]) for op in ops)


# Parameters that only take integers or index objects, whose derivative is zero by nature.
_INTEGER_PARAMS = frozenset({"index", "layout", "axis", "axes", "shape", "source",
                             "destination", "n", "k", "repeats", "shift", "indices"})


def _describe(op: Op) -> str:
    if op.prim.form == "opaque_method":
        return f"the method '.{op.prim.spelling}()'"
    if op.prim.form == "opaque_attribute":
        return f"the attribute '.{op.prim.spelling}'"
    return f"{op.prim.spelling!r}"


def _message(ops) -> str:
    if len(ops) == 1:
        return f"{_describe(ops[0])} has no derivative rule, and it is called on a value " \
               "that depends on a differentiated input"
    names = ", ".join(dict.fromkeys(_describe(op) for op in ops))
    return f"{len(ops)} calls have no derivative rule ({names}), and they are called on " \
           "values that depend on a differentiated input"


_HINT = ("give the function a rule: mark it with @s2sad.primitive and use s2sad.defvjp / "
         "s2sad.defjvp;\n"
         "or, if its result carries no derivative (a mask, an index, a count), wrap its "
         "argument in s2sad.stop_gradient(...)")

__all__ = ["active_names", "is_opaque", "refuse_missing_rules", "stack_slot"]
