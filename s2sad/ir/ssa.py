"""SSA normal form: bring any IR a transformation produced back to the form lowering produces.

Lowering gives every value its own name. The only names assigned more than once are *joins*
(assigned at the end of both branches of an ``if``) and *carried* names (assigned before a loop
and written back by ``carry`` copies at the end of each iteration and before each ``break``).
The reverse transformation relies on that form: it reads ``t3 = t1 + t2`` as "t3 is a new
value", so its adjoint can be handed to t1 and t2 and then forgotten.

Derivative programs leave that form: adjoints are accumulated in place (``x_bar = x_bar +
t6``), a reverse loop pops saved values back into the forward sweep's names, and an inlined
gradient brings its own. :func:`normalize` renames every later assignment of a name to a new
version (``x_bar_1``), joins the versions that meet after a branch, and carries the names a
loop reassigns, exactly as lowering does for user code. Then ``reverse`` can take its own
output: ``reverse(reverse(ir))`` is a second derivative.
"""

from __future__ import annotations

from ..errors import UnsupportedSyntaxError
from .names import NameSource
from .nodes import Break, Comment, Const, Copy, For, Function, If, Op, Pop, Push, Return, Var, While
from .traverse import always_breaks, assigned, contains_break, without_loop_else


class _Loop:
    """A loop being normalized: its carried names (original -> the name carrying them)."""

    def __init__(self, carried: dict):
        self.carried = carried

    def write_back(self, env: dict) -> list:
        """The carry copies that hand this iteration's values to the next one."""
        return [Copy(carrier, Var(env[name]), None, True)
                for name, carrier in self.carried.items() if env.get(name) != carrier]


class _Normalizer:
    def __init__(self, fn: Function):
        self.names = NameSource.for_function(fn)
        self.defined: set = set(fn.params)  # names given a definition so far
        self.everywhere = assigned(fn.body) | set(fn.params)
        self.loops: list = []

    # ------------------------------------------------------------------ names
    def define(self, name: str, env: dict) -> str:
        """A name for a new value of `name`: `name` itself the first time, then versions."""
        new = name if name not in self.defined else self.names.derived(name)
        self.defined.add(new)
        self.defined.add(name)
        env[name] = new
        return new

    def atom(self, atom, env: dict, loc=None):
        if not isinstance(atom, Var):
            return atom
        if atom.name in env:
            return Var(env[atom.name])
        if atom.name in self.everywhere:
            # Assigned somewhere, but not on every path to this read (a value made inside a
            # loop and read after it): reading it would need the loop's last value.
            raise UnsupportedSyntaxError(
                f"generated code reads {atom.name!r} where it may not be set", loc,
                "differentiate the original function to a higher order instead")
        return atom  # a global, a module or a helper

    def atoms(self, atoms, env, loc=None) -> tuple:
        return tuple(self.atom(a, env, loc) for a in atoms)

    # ------------------------------------------------------------------ statements
    def block(self, stmts, env: dict, at_end=None) -> list:
        """`stmts` renamed; `at_end(env)` gives the statements that end an iteration (the
        write-backs of a loop body), placed at the end of every path that falls through."""
        out: list = []
        for k, stmt in enumerate(stmts):
            loc = getattr(stmt, "loc", None)
            if at_end is not None and k == len(stmts) - 1 and isinstance(stmt, If) and (
                contains_break(stmt)
            ):
                # The paths of a body ending in an `if` with a `break` end inside it.
                out.append(self.branch(stmt, env, loc, at_end))
                return out
            if isinstance(stmt, Op):
                args = self.atoms(stmt.args, env, loc)
                kwargs = tuple((k, self.atom(v, env, loc)) for k, v in stmt.kwargs)
                out.append(Op(self.define(stmt.target, env), stmt.prim, args, kwargs, loc))
            elif isinstance(stmt, Copy):
                value = self.atom(stmt.value, env, loc)
                out.append(Copy(self.define(stmt.target, env), value, loc))
            elif isinstance(stmt, Push):
                out.append(Push(stmt.stack, self.atoms(stmt.values, env)))
            elif isinstance(stmt, Pop):
                targets = tuple(self.define(t, env) for t in stmt.targets)
                out.append(Pop(stmt.stack, targets))
            elif isinstance(stmt, Return):
                out.append(Return(self.atoms(stmt.values, env, loc), stmt.is_tuple, loc))
            elif isinstance(stmt, If):
                out.append(self.branch(stmt, env, loc))
            elif isinstance(stmt, (For, While)):
                out.extend(self.loop(stmt, env, loc))
            elif isinstance(stmt, Break):
                out.extend(self.loops[-1].write_back(env))
                out.append(stmt)
            elif isinstance(stmt, Comment):
                continue  # metadata of the program it came from, not of the new one
            else:
                raise TypeError(f"cannot normalize {stmt!r}")
        if at_end is not None and not always_breaks(out):
            out.extend(at_end(env))
        return out

    def branch(self, stmt: If, env: dict, loc, at_end=None) -> If:
        test = self.atom(stmt.test, env, loc)
        env_body, env_else = dict(env), dict(env)
        body = self.block(stmt.body, env_body, at_end)
        orelse = self.block(stmt.orelse, env_else, at_end)
        body_leaves, else_leaves = always_breaks(body), always_breaks(orelse)
        if at_end is not None or body_leaves and else_leaves:
            return If(test, body, orelse, loc)  # the iteration ends in it: nothing to join
        if body_leaves or else_leaves:
            env.update(env_else if body_leaves else env_body)
            return If(test, body, orelse, loc)
        for name in sorted(set(env_body) | set(env_else)):
            a, b = env_body.get(name), env_else.get(name)
            if a == b:
                env[name] = a
                continue
            # Set on one path only: read later only under the same condition (the reverse
            # sweep's mirror of this branch); the other path gives it None, so that every
            # path defines it (its adjoint's zero is made where either path may have run).
            joined = self.define(name, env)
            body = body + [Copy(joined, Var(a) if a is not None else Const(None), loc)]
            orelse = orelse + [Copy(joined, Var(b) if b is not None else Const(None), loc)]
        return If(test, body, orelse, loc)

    def loop(self, stmt, env: dict, loc) -> list:
        body_names = assigned(stmt.body)
        if isinstance(stmt, While):
            if assigned(stmt.test_body) & set(env):
                raise UnsupportedSyntaxError(
                    "generated code reassigns a value in a loop test", loc,
                    "differentiate the original function to a higher order instead")
            body_names |= assigned(stmt.test_body)
        own = {stmt.target} if isinstance(stmt, For) else set()
        before, carried = [], {}
        for name in sorted((body_names - own) & set(env)):
            carrier = self.names.derived(name)
            self.defined.add(carrier)
            before.append(Copy(carrier, Var(env[name]), loc))
            carried[name] = carrier
        inner = {**env, **carried}
        self.loops.append(_Loop(carried))
        try:
            if isinstance(stmt, For):
                bounds = self.atoms(stmt.bounds, env, loc)
                limit = self.atom(stmt.limit, env, loc) if stmt.limit is not None else None
                target = self.define(stmt.target, inner)
                body = self.block(_restructured(stmt.body), inner, self.loops[-1].write_back)
                new = stmt.replace(target=target, bounds=bounds, body=body, limit=limit)
                env[stmt.target] = target
            else:
                test_body = self.block(stmt.test_body, inner)
                test = self.atom(stmt.test, inner, loc)
                after_test = dict(inner)
                body = self.block(_restructured(stmt.body), inner, self.loops[-1].write_back)
                new = stmt.replace(test_body=test_body, test=test, body=body)
                env.update({k: v for k, v in after_test.items() if k not in carried})
        finally:
            self.loops.pop()
        env.update(carried)
        return before + [new]



def _restructured(body: list) -> list:
    """A loop body in which an ``if`` with a ``break`` is the last statement of its block:
    what follows it moves into its branches that do not always break (as desugaring does
    for user code), so every path of an iteration ends in one block."""
    out = []
    for i, stmt in enumerate(body):
        if isinstance(stmt, Break):
            return out + [stmt]
        if isinstance(stmt, If) and contains_break(stmt):
            rest = body[i + 1:]
            inner = stmt.body if always_breaks(stmt.body) else stmt.body + rest
            orelse = stmt.orelse if always_breaks(stmt.orelse) else stmt.orelse + rest
            return out + [If(stmt.test, _restructured(inner), _restructured(orelse), stmt.loc)]
        out.append(stmt)
    return out


def normalize(fn: Function) -> Function:
    """`fn` in SSA normal form (a new function; `fn` is not changed)."""
    normalizer = _Normalizer(fn)
    env = {p: p for p in fn.params}
    # The normal form has no loop `else`: it becomes an `if` on a flag after the loop.
    body = normalizer.block(without_loop_else(fn.body, normalizer.names), env)
    return Function(fn.name, list(fn.params), body, fn.defaults,
                    source_names=normalizer.names.taken, globals_used=fn.globals_used,
                    recursions=fn.recursions, scalar_params=fn.scalar_params,
                    param_shapes=fn.param_shapes)


__all__ = ["normalize"]
