"""Forward: the tangent transformation (Jacobian-vector products, dual-number semantics).

Every primitive of the trace is followed, in program order, by the line computing its tangent:
the sum of the JVP templates of its active arguments (``t2_dot = x1_dot * x2 + x1 * x2_dot``).
Tangents are named after their primals: ``x1_dot``, ``t2_dot``. The optimizer then removes
tangents nobody needs.
"""

from __future__ import annotations

import gast

from ..errors import MissingRuleError, UnsupportedSyntaxError
from ..ir import (
    Break,
    Comment,
    Const,
    Copy,
    For,
    Function,
    If,
    NameSource,
    Op,
    Pop,
    Push,
    Return,
    Var,
    While,
    children,
    with_blocks,
)
from ..ir.activity import active_names, refuse_missing_rules, stack_slot
from ..lowering.templates import lower_rule, rule_env
from ..rules import REGISTRY


def _template_names(template) -> set:
    return {n.id for n in gast.walk(template) if isinstance(n, gast.Name)}


class _Tangent:
    def __init__(self, names: NameSource, active: set):
        self.names = names
        self.active = active
        self.tangent: dict = {}  # primal name -> name of its tangent variable
        self.out: list = []

    def name_for(self, primal: str) -> str:
        if primal not in self.tangent:
            self.tangent[primal] = self.names.derived(f"{primal}_dot")
        return self.tangent[primal]

    def op(self, op: Op):
        self.out.append(op)
        if op.target not in self.active:
            return
        prim = op.prim
        if prim.name == "new_list":  # a loop's stack: its tangents go on a stack of their own
            self.out.append(Op(self.name_for(op.target), prim, (), (), op.loc))
            return
        if prim.variadic:
            return self.variadic(op)
        if prim.jvp_all:
            return self.all_at_once(op)
        env = rule_env(op)
        contributions, all_active, covers_shape = [], True, False
        for position, arg in enumerate(op.args):
            argname = prim.argnames[position]
            if prim.refusal and isinstance(arg, Var) and arg.name in self.active:
                raise UnsupportedSyntaxError(
                    prim.refusal, op.loc, "write the recursion as a loop to differentiate it twice")
            if prim.user and argname not in prim.jvp and isinstance(
                arg, Var
            ) and arg.name in self.active:
                raise MissingRuleError(
                    f"{prim.spelling} has no JVP rule for its argument {argname!r}",
                    op.loc, "give it one with s2sad.defjvp")
            if not (isinstance(arg, Var) and arg.name in self.active) or argname not in prim.jvp:
                if argname in prim.jvp and not (isinstance(arg, Const)
                                                and isinstance(arg.value, (int, float))):
                    all_active = False
                continue
            env[f"{argname}_dot"] = Var(self.name_for(arg.name))
            template = prim.template("jvp", argname)
            used = _template_names(template)
            # The tangent has the result's shape if its template reads the result or every
            # other operand (np.where(c, 0.0, y_dot) lacks x's shape in where(c, x, y)).
            covers_shape |= "ans" in used or set(prim.argnames) - {argname} <= used
            stmts, value = lower_rule(op, template, env, self.names)
            self.out.extend(stmts)
            contributions.append(value)
        if not contributions:  # only shape-supplying arguments are active: a zero tangent
            zero = self._emit(REGISTRY.by_name["zeros_like"], (Var(op.target),), op)
            self.out.append(Copy(self.name_for(op.target), Var(zero), op.loc))
            return
        total = contributions[0]
        for value in contributions[1:]:
            total = Var(self._emit(REGISTRY.by_name["add"], (total, value), op))
        if prim.broadcasts and not all_active and not covers_shape:
            # d(x + y) with only x active is x_dot, which may be smaller than x + y.
            total = Var(self._emit(REGISTRY.by_name["broadcast_like"],
                                   (total, Var(op.target)), op))
        self.out.append(Copy(self.name_for(op.target), total, op.loc))

    def all_at_once(self, op: Op):
        """Rules whose tangent is one expression of every argument's tangent (list_append):
        inactive arguments get zero tangents."""
        prim = op.prim
        env = rule_env(op)
        for name, arg in zip(prim.argnames, op.args):
            if isinstance(arg, Var) and arg.name in self.active:
                env[f"{name}_dot"] = Var(self.name_for(arg.name))
            else:
                env[f"{name}_dot"] = Var(self._emit(REGISTRY.by_name["zeros_like"], (arg,), op))
        stmts, value = lower_rule(op, prim.template("jvp_all"), env, self.names)
        self.out.extend(stmts)
        self.out.append(Copy(self.name_for(op.target), value, op.loc))

    def _emit(self, prim, args, op) -> str:
        name = self.names.temp()
        self.out.append(Op(name, prim, tuple(args), (), getattr(op, "loc", None)))
        return name

    def variadic(self, op: Op):
        """A variadic primitive is linear in its elements: ``np.array([a, b, ...])``'s
        tangent is the array of the elements' tangents. An inactive element may itself be an
        array (a row), so its zero tangent has its shape, not 0.0."""
        elements = []
        for a in op.args:
            if isinstance(a, Var) and a.name in self.active:
                elements.append(Var(self.name_for(a.name)))
            elif isinstance(a, Var):
                elements.append(Var(self._emit(REGISTRY.by_name["zeros_like"], (a,), op)))
            else:
                elements.append(Const(0.0))  # a number written in the list
        elements = tuple(elements)
        self.out.append(Op(self.name_for(op.target), op.prim, elements, op.kwargs, op.loc))

    def copy(self, stmt: Copy):
        self.out.append(stmt)
        if stmt.target not in self.active:
            return
        value = stmt.value
        if isinstance(value, Var) and value.name in self.active:
            tangent = Var(self.name_for(value.name))
        elif isinstance(value, Const) and type(value.value) in (int, float):
            tangent = Const(0.0)  # s = 0.0 before a loop: its tangent starts at 0.0
        else:  # an active variable given an inactive value
            tangent = Var(self._emit(REGISTRY.by_name["zeros_like"], (value,), stmt))
        self.out.append(Copy(self.name_for(stmt.target), tangent, stmt.loc))

    def push(self, stmt: Push):
        """Saving values on a stack saves their tangents on the tangent stack (the active
        positions only; a value not yet set there is saved as None on both)."""
        self.out.append(stmt)
        if stmt.stack not in self.active:
            return
        tangents = []
        for i, value in enumerate(stmt.values):
            if stack_slot(stmt.stack, i) not in self.active:
                continue
            if isinstance(value, Var) and value.name in self.active:
                tangents.append(Var(self.name_for(value.name)))
            elif isinstance(value, Var):
                tangents.append(Var(self._emit(REGISTRY.by_name["zeros_like"], (value,), stmt)))
            else:
                tangents.append(Const(None) if value.value is None else Const(0.0))
        self.out.append(Push(self.name_for(stmt.stack), tuple(tangents)))

    def pop(self, stmt: Pop):
        self.out.append(stmt)
        if stmt.stack not in self.active:
            return
        targets = tuple(self.name_for(t) for i, t in enumerate(stmt.targets)
                        if stack_slot(stmt.stack, i) in self.active)
        self.out.append(Pop(self.name_for(stmt.stack), targets))

    def block(self, stmts) -> list:
        saved, self.out = self.out, []
        for stmt in stmts:
            if isinstance(stmt, Op):
                self.op(stmt)
            elif isinstance(stmt, Copy):
                self.copy(stmt)
            elif isinstance(stmt, (If, For)):
                self.out.append(with_blocks(stmt, [self.block(b) for b in children(stmt)]))
            elif isinstance(stmt, While):
                # The test only steers the loop: its values need no tangents.
                self.out.append(stmt.replace(body=self.block(stmt.body),
                                             orelse=self.block(stmt.orelse)))
            elif isinstance(stmt, (Break, Comment)):
                self.out.append(stmt)
            elif isinstance(stmt, Push):
                self.push(stmt)
            elif isinstance(stmt, Pop):
                self.pop(stmt)
            else:
                raise NotImplementedError(f"forward mode of {type(stmt).__name__}")
        block, self.out = self.out, saved
        return block


def forward(fn: Function, wrt: tuple, name: str | None = None,
            primal_outputs: bool = True) -> Function:
    """The tangent program of `fn`: returns the outputs followed by their tangents (only the
    tangents without `primal_outputs`: what `fn` computes for its outputs alone, such as
    the gradient in a Hessian-vector product, is then dead code)."""
    names = NameSource.for_function(fn)
    ret = fn.body[-1]
    primal = fn.body[:-1]
    active = active_names(primal, wrt)
    refuse_missing_rules(fn.body, wrt, active)
    tan = _Tangent(names, active)
    params = list(fn.params) + [tan.name_for(w) for w in wrt]
    # A parameter the program reassigns (a derivative program's loop writes back into it)
    # may become active without being differentiated: its tangent starts at zero.
    starts = [Op(tan.name_for(p), REGISTRY.by_name["zeros_like"], (Var(p),))
              for p in fn.params if p in active and p not in wrt]
    tan.out = starts + tan.block(primal)
    outputs = []
    for atom in ret.values:
        if isinstance(atom, Var) and atom.name in active:
            outputs.append(Var(tan.name_for(atom.name)))
        else:
            zero = names.temp()
            tan.out.append(Op(zero, REGISTRY.by_name["zeros_like"], (atom,)))
            outputs.append(Var(zero))
    values = (tuple(ret.values) if primal_outputs else ()) + tuple(outputs)
    body = tan.out + [Return(values, True, ret.loc)]
    return Function(name or fn.name + "_jvp", params, body, (), source_names=names.taken,
                    globals_used=fn.globals_used, ssa=False, scalar_params=fn.scalar_params,
                    param_shapes=fn.param_shapes)
