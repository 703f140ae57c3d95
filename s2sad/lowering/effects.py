"""Lower expression statements: ``items.append(v)``, debugging calls and ``assert``.

A debugging call (``print``, ``breakpoint()``, ``logging``/``logger`` methods,
``warnings.warn``: see rules/effects.py) becomes one *effect* operation on the values its
arguments have where it stands, and ``assert test, message`` another; both run in every
generated program exactly where and as often as in the original, and carry no derivative.
`EffectLowering` is a part of `FunctionLowerer` (function.py).
"""

from __future__ import annotations

import types

import gast

from ..errors import S2sadError, UnsupportedSyntaxError
from ..frontend.parse import MISSING
from ..ir import Const, Dotted, If, Op, Var
from ..rules import REGISTRY
from ..rules.effects import ASSERT, DEBUGGING_CALLS, FSTRING, effect_call, is_debugging_call
from .atoms import LocalFunction, Multiple, Record
from .folding import is_number


class EffectLowering:
    """The statements of `FunctionLowerer` run for their effect."""

    def stmt_Expr(self, stmt):
        """``items.append(value)`` (a new version of the list) or a debugging call; the fence
        allows no other expression statement."""
        call = stmt.value
        if is_debugging_call(self.static_object(call.func)):
            return self.debugging_call(call)
        if not (isinstance(call.func, gast.Attribute) and call.func.attr == "append"
                and isinstance(call.func.value, gast.Name)):
            # The fence resolved the callee without the function's local names: one of them
            # hides the debugging function it saw.
            raise self.error(UnsupportedSyntaxError, stmt, "expression statements (calls for "
                             "their side effects) are not supported",
                             "assign the result to a name, or move the call out of the function"
                             f" (debugging calls run as written: {DEBUGGING_CALLS})")
        name = call.func.value.id
        if name not in self.env:
            raise self.error(S2sadError, call, f"name {name!r} is not defined",
                             "create the list first: 'items = []'")
        value = self.expr(call.args[0])
        self.env[name] = self.emit(REGISTRY.by_name["list_append"], (self.env[name], value), (),
                                   stmt, self.version(name))

    def debugging_call(self, call):
        """``print(...)`` and the like: an effect on the arguments' primal values."""
        prim = effect_call(self.dotted(call.func), self.static_object(call.func))
        arg_nodes = self.spread(call.args, call.keywords, call)
        args = tuple(self.effect_argument(a) for a in arg_nodes)
        kwargs = tuple((kw.arg, self.effect_argument(kw.value)) for kw in call.keywords)
        self.out.append(Op(self.names.temp(), prim, args, kwargs, self.loc(call)))

    def effect_argument(self, node):
        """The atom an argument of a debugging call prints: a tuple returned by an inlined
        call is packed, and a module attribute that is not a number (``file=sys.stderr``)
        is read by name when the statement runs, as in the original."""
        if isinstance(node, (Var, Const)):  # an element of a spread *args
            return node
        if isinstance(node, gast.Attribute) and self.module_attribute(node):
            obj = self.static_object(node)
            if obj is not MISSING and not (is_number(obj) or isinstance(obj, types.ModuleType)
                                           or callable(obj)):
                return Const(Dotted(self.dotted(node)))
        if isinstance(node, gast.JoinedStr):
            return self.fstring(node)
        value = self.expr(node)
        if isinstance(value, Multiple):
            return self.pack(list(value), node, None)
        if isinstance(value, LocalFunction):
            raise self.error(UnsupportedSyntaxError, node, "a function is used as a value here",
                             "print a value the function computes")
        if isinstance(value, Record):  # the generated code never builds the container
            raise self.error(UnsupportedSyntaxError, node, f"a {value.describe()} cannot be "
                             "printed or logged as a whole", "print its items: d['W'], p.w")
        return value

    def fstring(self, node):
        """``f"s = {s:.3f}"``: one operation of the formatted values (the fence allowed only
        constant format specs)."""
        parts, values = [], []
        for part in node.values:
            if isinstance(part, gast.Constant):
                parts.append(part.value)
                continue
            spec = "".join(v.value for v in part.format_spec.values) if (
                part.format_spec is not None) else ""
            parts.append((chr(part.conversion) if part.conversion > 0 else "", spec))
            values.append(self.effect_argument(part.value))
        return self.emit(FSTRING, values, (("parts", Const(tuple(parts))),), node)

    def stmt_Assert(self, stmt):
        """``assert test, message``: the test on the primal values; the message is computed
        only when the test fails, as Python does."""
        test = self.effect_argument(stmt.test)
        if stmt.msg is None:
            self.out.append(Op(self.names.temp(), ASSERT, (test,), (), self.loc(stmt)))
            return
        saved, self.out = self.out, []
        message = self.effect_argument(stmt.msg)
        computed, self.out = self.out, saved
        check = Op(self.names.temp(), ASSERT, (test, message), (), self.loc(stmt))
        if not computed:
            self.out.append(check)
            return
        failed = self.emit(REGISTRY.by_name["not"], (test,), (), stmt)
        self.out.append(If(failed, [*computed, check], [], self.loc(stmt)))
