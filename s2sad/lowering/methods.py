"""Lower calls of methods on a value whose class is known: ``self.helper(x)``.

In a method specialized to the class of its ``self`` (frontend/methods.py), ``self.helper(x)``
is inlined from the class's function with ``self`` as its first argument; a staticmethod
without it; a classmethod (through ``self``, ``cls`` or the class's global name) with the
class. What an attribute is (method, staticmethod, classmethod) is looked up statically on
the class. `MethodCalls` is a part of `CallLowering` (calls.py).
"""

from __future__ import annotations

import types

import gast

from ..frontend.methods import class_attribute, defining_class, is_super_call, self_classes
from ..frontend.parse import MISSING, user_function
from ..ir import Const, Dotted, Var
from ..rules import REGISTRY
from ..rules.registry import opaque
from .atoms import Record

# type(self), for a classmethod called through an instance: pure (dropped when unused).
_TYPE_OF = opaque("type", "opaque", type)
_TYPE_OF.pure = True


class MethodCalls:
    """The method calls of `FunctionLowerer` whose callee is known from a class."""

    def classes(self) -> dict:
        """``{atom: (class, whether the atom is an instance of it)}``: the values whose class
        is known when the code is transformed (self of a method specialized to its class,
        see frontend/methods.py), shared with every inlined callee."""
        if "classes" not in self.flags:
            root = self
            while root.parent is not None:
                root = root.parent
            known = self_classes(root.parsed.fn) if root.parsed.fn is not None else {}
            self.flags["classes"] = {Var(p): c for p, c in known.items()}
        return self.flags["classes"]

    def method_of(self, func):
        """``(kind, function, class, the atom it is called on)`` for ``self.helper`` (or
        ``cls.helper``, ``Model.create``) whose class is known; else None."""
        base = func.value
        if is_super_call(base, lambda name: MISSING if name in self.env else self.resolve(
                name)):
            return self.super_method(func)
        if isinstance(base, gast.Name) and isinstance(self.env.get(base.id), Record) and (
            self.env[base.id].cls is not None
        ):  # a dataclass or NamedTuple given as a container: its class is known
            atom = self.env[base.id]
            found = class_attribute(atom.cls, func.attr, True)
            if found is None or found[0] == "class" or user_function(found[1]) is None:
                return None  # a classmethod needs type(self), which a container is not
            return (*found, atom.cls, atom)
        if isinstance(base, gast.Name) and base.id in self.env:
            atom = self.env[base.id]
            if not isinstance(atom, (Var, Const)) or atom not in self.classes():
                return None
            cls, is_instance = self.classes()[atom]
        else:
            obj = self.static_object(func)
            if not (isinstance(obj, types.MethodType) and isinstance(obj.__self__, type)
                    and user_function(obj.__func__) is not None):
                return None  # Model.create: a classmethod through its class's global name
            atom, cls, is_instance = Const(Dotted(self.dotted(base))), obj.__self__, False
            self.classes()[atom] = (cls, False)
        found = class_attribute(cls, func.attr, is_instance)
        if found is None or user_function(found[1]) is None:
            return None
        return (*found, cls, atom)

    def super_method(self, func):
        """``super().helper`` in a method of a class known here: the attribute of the classes
        after the one that defines this method, in the MRO of self's class."""
        params = self.params()
        atom = self.env.get(params[0]) if params else None
        if not isinstance(atom, (Var, Const)) or atom not in self.classes():
            return None
        cls, is_instance = self.classes()[atom]
        owner = defining_class(cls, self.parsed.fn)
        found = owner and class_attribute(cls, func.attr, is_instance, after=owner)
        if not found or user_function(found[1]) is None:
            return None
        return (*found, cls, atom)

    def inline_method(self, method, func, node, target):
        """Inline ``self.helper(x)``: the class's function, with self (a method) or the class
        (a classmethod) as its first argument, or none (a staticmethod)."""
        kind, function, cls, atom = method
        first = ()
        if kind == "method":
            first = (atom,)
        elif kind == "class":
            if self.classes()[atom][1]:  # called through an instance: its class, type(self)
                atom = self.emit(_TYPE_OF, (atom,), (), func)
                self.classes()[atom] = (cls, False)
            first = (atom,)
        call = gast.copy_location(gast.Call(func=func, args=[*first, *node.args],
                                            keywords=node.keywords), node)
        prim = REGISTRY.lookup(function)
        if prim is not None:  # @s2sad.primitive on the method: its rules, not its code
            return self.call(prim, call.args, call.keywords, call, target)
        return self.inline(function, call, target)
