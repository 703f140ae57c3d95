"""Lower rule templates: a rule's VJP or JVP, written as a Python expression, becomes IR.

Templates go through the same expression lowering as user code, which keeps the generated code
inside the primitive set: a template that calls anything but a registered primitive is refused
(`_TemplateLowerer.refuse`), or its derivative could not be differentiated again. Constant
identities are simplified here only (``g * 1.0`` is ``g``; see folding.py).
"""

from __future__ import annotations

import gast

from ..backends import NUMPY
from ..errors import MissingRuleError
from ..frontend.parse import MISSING
from ..ir import Const, NameSource, Var
from ..rules import Primitive
from .expressions import Lowerer

#: The builtins rule templates may call, besides the names of the default backend's table.
_TEMPLATE_BUILTINS = {"abs": abs, "max": max, "min": min, "len": len, "float": float,
                      "int": int, "slice": slice}


def _template_resolve(name):
    """What `name` means in a rule template: one of the builtins above, else its entry in the
    table generated code is compiled with (the default backend's namespace: modules, runtime
    helpers, user primitives). Templates are bound against it whatever the target backend,
    which only spells the primitives they lower to."""
    found = _TEMPLATE_BUILTINS.get(name, MISSING)
    return NUMPY.lookup(name, MISSING) if found is MISSING else found


class _TemplateLowerer(Lowerer):
    """Lowers rule templates; `scope` adds primitives of the rule's own (recursion helpers)."""

    def __init__(self, names, env, loc, scope):
        super().__init__(names, lambda name: scope.get(name, _template_resolve(name)),
                         lambda node: loc, env)
        self.scope = scope

    def expr_Call(self, node, target):
        func = node.func
        if isinstance(func, gast.Name) and isinstance(self.scope.get(func.id), Primitive):
            prim = self.scope[func.id]
            args = tuple(self.expr(a) for a in node.args)
            return self.emit(prim, args, (), node, target)
        return super().expr_Call(node, target)

    def call_opaque(self, prim, arg_nodes, keywords, node, target):
        raise self.refuse(prim, node)

    def emit(self, prim, args, kwargs=(), node=None, target=None):
        if prim.opaque:
            raise self.refuse(prim, node)
        return super().emit(prim, args, kwargs, node, target)

    def refuse(self, prim, node):
        # Rules must stay inside the primitive set, or they could not be differentiated again.
        return self.error(MissingRuleError, node, f"a rule template uses {prim.spelling!r}, "
                          "which is not a registered primitive",
                          "register it (rules/registry.py: defprim) or write the rule with "
                          "registered primitives")


def rule_env(op) -> dict:
    """What a rule template of `op`'s primitive sees: its result ``ans``, its arguments, and
    its parameters (defaults where the call left them out)."""
    env = {"ans": Var(op.target)}
    env.update(zip(op.prim.argnames, op.args))
    for pname, default in op.prim.params:
        env[pname] = op.kwarg(pname, Const(default))
    return env


def lower_rule(op, template, env: dict, names: NameSource):
    """Lower one of `op`'s rule templates (with the primitive's own helpers in scope)."""
    return lower_template(template, env, names, op.loc, scope=op.prim.scope or None)


def lower_template(template, env: dict, names: NameSource, loc=None, target=None, scope=None):
    """Lower a rule template with its names bound to atoms; return (statements, result atom)."""
    lowerer = _TemplateLowerer(names, env, loc, scope or {})
    lowerer.loc_override = loc
    lowerer.simplify = True
    result = lowerer.expr(template, target)
    return lowerer.out, result
