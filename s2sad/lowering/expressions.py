"""Lower expressions: from gast expressions (of user code or of rule templates) to the SSA
trace of primitives.

Nested expressions become one primitive per assignment with fresh temporaries
(``t1 = np.log(x1)``). `Lowerer` is the expression lowering both user code and rule templates
go through: its calls are lowered in primitive_calls.py, constants folded in folding.py. Rule
templates are lowered by templates.py, whole functions (statements, control flow, SSA versions
of reassigned names, calls of user functions) by function.py, which build on the `Lowerer`
here.
"""

from __future__ import annotations

import types

import gast
import numpy as np

from .. import runtime
from ..errors import S2sadError, UnsupportedSyntaxError
from ..frontend.parse import MISSING
from ..ir import (
    Const,
    Copy,
    Dotted,
    If,
    NameSource,
    Op,
    Var,
)
from ..rules import REGISTRY, TEMPLATE_MODULES, Primitive
from ..rules.registry import opaque
from .atoms import LocalFunction, Multiple, Record
from .folding import fold, identity, is_number, nonnegative_constant
from .primitive_calls import PrimitiveCalls

COMPARISONS = {prim.compare_op: prim for prim in REGISTRY.by_name.values()
               if prim.compare_op is not None}

#: Names generated code relies on; user variables with these names are renamed.
RESERVED_NAMES = frozenset(TEMPLATE_MODULES) | frozenset(runtime.HELPERS) | {
    "slice", "range", "reversed", "len", "min", "max", "abs", "float", "any", "all"}


def _is_type(obj) -> bool:
    """A class or NumPy dtype, used as a value (a dtype argument), not called."""
    return isinstance(obj, (type, np.dtype))


class Lowerer(PrimitiveCalls):
    """Turns gast expressions and statements into IR statements appended to `self.out`."""

    def __init__(self, names: NameSource, resolve, location, env=None):
        self.names = names
        self.resolve = resolve  # name -> object, or MISSING (for names not in `env`)
        self.location = location  # gast node -> Location | None
        self.env: dict = dict(env or {})  # user/template name -> Atom
        self.out: list = []
        self.globals_used: dict = {}
        self.loc_override = None
        self.simplify = False  # rule templates only: x * 1.0 -> x (user code keeps its dtypes)

    # ----------------------------------------------------------------------------- helpers
    def loc(self, node):
        return self.loc_override or self.location(node)

    def error(self, cls, node, message, hint=None):
        return cls(message, self.loc(node), hint)

    def emit(self, prim: Primitive, args, kwargs=(), node=None, target=None):
        """Append ``target = prim(args, kwargs)`` (or fold it) and return the result atom."""
        args, kwargs = tuple(args), tuple(kwargs)
        if any(isinstance(a, LocalFunction) for a in args):
            raise self.error(UnsupportedSyntaxError, node,
                             "a function is used as a value here",
                             "call it, or pass it to another Python function that calls it")
        if any(isinstance(a, Record) for a in args):
            record = next(a for a in args if isinstance(a, Record))
            raise self.error(UnsupportedSyntaxError, node,
                             f"a {record.describe()} is used as an array value here",
                             "read its items (d['W'], p.w) and use those; a list or tuple "
                             "argument is a container whose items are\ndifferentiated one by "
                             "one: pass np.array(...) to use it as an array")
        if any(isinstance(a, Multiple) for a in args):
            raise self.error(UnsupportedSyntaxError, node,
                             "a tuple returned by a call can only be unpacked or returned",
                             "write 'a, b = g(x)' and use a and b")
        if self.simplify and prim.name == "mul":
            # In rules, `g * 2` with an int from the user's `x ** 2`: multiply by a float
            # (NumPy multiplies arrays by a Python float faster than by an int).
            args = tuple(Const(float(a.value)) if isinstance(a, Const) and type(a.value) is int
                         else a for a in args)
        if self.simplify and prim.name == "scaled_pow" and nonnegative_constant(args[2]):
            # x ** p is finite for a constant p >= 0, so c * x ** p needs no guard: the
            # derivative of x ** 2 stays g * 2.0 * x.
            power = self.emit(REGISTRY.by_name["pow"], (args[1], args[2]), (), node)
            return self.emit(REGISTRY.by_name["mul"], (args[0], power), (), node, target)
        if self.simplify and prim.name == "safe_div" and isinstance(args[1], Const) and (
                is_number(args[1].value) and args[1].value != 0):
            # Dividing by a nonzero constant needs no guard: g / 2 reads as it is.
            return self.emit(REGISTRY.by_name["truediv"], args, (), node, target)
        folded = fold(prim, args, kwargs)
        if folded is None and self.simplify:
            folded = identity(prim, args)
        if folded is not None:
            if target is None:
                return folded
            self.out.append(Copy(target, folded, self.loc(node) if node is not None else None))
            return Var(target)
        name = target or self.names.temp()
        loc = self.loc(node) if node is not None else self.loc_override
        self.out.append(Op(name, prim, args, kwargs, loc))
        return Var(name)

    def assign(self, atom, target, node):
        if target is None or not isinstance(atom, (Var, Const)):
            return atom
        self.out.append(Copy(target, atom, self.loc(node)))
        return Var(target)

    # ----------------------------------------------------------------------------- objects
    def static_object(self, node):
        """The Python object a Name/Attribute chain denotes, if it is not a local value."""
        if isinstance(node, gast.Name):
            if node.id in self.env:
                return MISSING
            return self.resolve(node.id)
        if isinstance(node, gast.Attribute):
            base = self.static_object(node.value)
            if base is MISSING:
                return MISSING
            return getattr(base, node.attr, MISSING)
        return MISSING

    def module_attribute(self, node) -> bool:
        """Whether `node` is ``module.attr`` (a constant of a module such as math.pi)."""
        return isinstance(node, gast.Attribute) and isinstance(
            self.static_object(node.value), types.ModuleType)

    @staticmethod
    def dotted(node) -> str:
        if isinstance(node, gast.Name):
            return node.id
        if isinstance(node, gast.Attribute):
            return Lowerer.dotted(node.value) + "." + node.attr
        return "<expression>"

    # ----------------------------------------------------------------------------- expressions
    def expr(self, node, target=None):
        """Lower `node`; the last operation is named `target` when one is given."""
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is None:
            raise self.error(UnsupportedSyntaxError, node,
                             f"'{type(node).__name__}' expressions are not supported here")
        return method(node, target)

    def expr_Constant(self, node, target):
        return self.assign(Const(node.value), target, node)

    def expr_Name(self, node, target):
        if node.id in self.env:
            return self.assign(self.env[node.id], target, node)
        obj = self.resolve(node.id)
        if obj is MISSING:
            raise self.error(S2sadError, node, f"name {node.id!r} is not defined",
                             "define it before the function is differentiated, or pass it in")
        if _is_type(obj):  # x.astype(float), dtype=np.float32: the name, as written
            return self.assign(Const(Dotted(node.id)), target, node)
        return self.assign(self.global_value(node.id, obj, node), target, node)

    def global_value(self, name, obj, node):
        if isinstance(obj, types.ModuleType) or callable(obj) and not isinstance(obj, np.ndarray):
            raise self.error(UnsupportedSyntaxError, node,
                             f"{name!r} is used as a value, but it is a module or function",
                             "call it, or pass the value it computes as an argument")
        if name in RESERVED_NAMES:
            raise self.error(S2sadError, node,
                             f"the global name {name!r} clashes with a name s2sad reserves",
                             "rename the global variable")
        self.globals_used[name] = obj
        return Var(name)

    def expr_Attribute(self, node, target):
        obj = self.static_object(node)
        if obj is not MISSING:
            if (is_number(obj) or obj is None) and self.module_attribute(node):
                return self.assign(Const(obj), target, node)  # math.pi, np.newaxis
            if _is_type(obj) and self.module_attribute(node):
                return self.assign(Const(Dotted(self.dotted(node))), target, node)
            if not self.module_attribute(node) and not callable(obj):
                # cfg.alpha: read when the derivative runs, like the original does
                base = self.expr(node.value)
                return self.emit(REGISTRY.by_name["getattr"], (base,),
                                 (("name", Const(node.attr)),), node, target)
            raise self.error(UnsupportedSyntaxError, node,
                             f"'{self.dotted(node)}' is used as a value",
                             "only numeric module constants (math.pi, np.e ...) and attributes "
                             "of global objects can be used as values")
        prim = REGISTRY.attributes.get(node.attr)
        if prim is None:  # x.dtype: read as written; refused if a derivative would need it
            prim = opaque(node.attr, "opaque_attribute")
        base = self.expr(node.value)
        return self.emit(prim, (base,), (), node, target)

    def expr_BinOp(self, node, target):
        prim = REGISTRY.binops.get(type(node.op))
        if prim is None:  # the fence lets only registered operators through
            raise self.error(UnsupportedSyntaxError, node, "this operator is not supported")
        left = self.expr(node.left)
        right = self.expr(node.right)
        return self.emit(prim, (left, right), (), node, target)

    def expr_UnaryOp(self, node, target):
        if isinstance(node.op, gast.Not):
            operand = self.expr(node.operand)
            return self.emit(REGISTRY.by_name["not"], (operand,), (), node, target)
        prim = REGISTRY.unaryops.get(type(node.op))
        if prim is None:
            raise self.error(UnsupportedSyntaxError, node, "this unary operator is not supported")
        operand = self.expr(node.operand)
        if prim.name == "pos":
            return self.assign(operand, target, node)
        return self.emit(prim, (operand,), (), node, target)

    def expr_Compare(self, node, target):
        left = self.expr(node.left)
        right = self.expr(node.comparators[0])
        result = self.emit(COMPARISONS[type(node.ops[0])], (left, right), (), node)
        previous = [right]
        for op, comparator in zip(node.ops[1:], node.comparators[1:]):
            # a < b < c: c is evaluated (once) only when a < b holds.
            def rest(op=op, comparator=comparator):
                value = self.expr(comparator)
                out = self.emit(COMPARISONS[type(op)], (previous[0], value), (), node)
                previous[0] = value
                return out

            result = self.short_circuit(result, rest, node, when=True)
        return self.assign(result, target, node)

    def short_circuit(self, first, rest, node, when: bool):
        """``first and rest()`` (when=True) or ``first or rest()``, evaluating rest lazily."""
        test = first if when else self.emit(REGISTRY.by_name["not"], (first,), (), node)
        merged = self.names.temp()
        saved = self.out
        self.out = []
        value = rest()
        self.out.append(Copy(merged, value, self.loc(node)))
        body, self.out = self.out, saved
        self.out.append(If(test, body, [Copy(merged, first, self.loc(node))], self.loc(node)))
        return Var(merged)

    def expr_BoolOp(self, node, target):
        when = isinstance(node.op, gast.And)
        result = self.expr(node.values[0])
        for value in node.values[1:]:
            result = self.short_circuit(result, lambda value=value: self.expr(value), node, when)
        return self.assign(result, target, node)

    def expr_IfExp(self, node, target):
        test = self.expr(node.test)
        if isinstance(test, Const):  # a rule's `a if compute_uv else b`: only the branch taken
            return self.expr(node.body if test.value else node.orelse, target)
        merged = target or self.names.temp()
        saved = self.out
        branches = []
        for part in (node.body, node.orelse):
            self.out = []
            value = self.expr(part)
            self.out.append(Copy(merged, value, self.loc(node)))
            branches.append(self.out)
        self.out = saved
        self.out.append(If(test, branches[0], branches[1], self.loc(node)))
        return Var(merged)

    def expr_Tuple(self, node, target):
        """A tuple value: a constant, or (holding variables) a list, which is differentiable
        (``stack.append((s, t))`` in generated code differentiated again), made a tuple."""
        if not node.elts or all(self.const_index(e) is not MISSING for e in node.elts):
            return self.pack([self.expr(elt) for elt in node.elts], node, target)
        items = self.expr_List(node, None)
        return self.emit(REGISTRY.by_name["as_tuple"], (items,), (), node, target)

    def expr_List(self, node, target):
        """A list literal: a constant, or a list built by appends (differentiable)."""
        items = [self.expr(elt) for elt in node.elts]
        if items and all(isinstance(a, Const) for a in items):
            return self.pack(items, node, target)
        result = self.emit(REGISTRY.by_name["new_list"], (), (), node, None if items else target)
        for i, item in enumerate(items):
            last = i == len(items) - 1
            result = self.emit(REGISTRY.by_name["list_append"], (result, item), (), node,
                               target if last else None)
        return result

    def pack(self, items, node, target):
        if all(isinstance(a, Const) for a in items):
            return self.assign(Const(tuple(a.value for a in items)), target, node)
        return self.emit(REGISTRY.by_name["tuple"], items, (), node, target)

    def expr_Subscript(self, node, target):
        base = self.expr(node.value)
        if isinstance(base, Multiple):  # *args[0]
            index = self.const_index(node.slice)
            if not isinstance(index, int) or not -len(base) <= index < len(base):
                raise self.error(UnsupportedSyntaxError, node, "a tuple of values can only be "
                                 "indexed by a constant in range")
            return self.assign(base[index], target, node)
        index = self.index(node.slice)
        return self.emit(REGISTRY.by_name["getitem"], (base,), (("index", index),), node, target)

    def index(self, node):
        """An index expression as an atom: a constant (ints, slices, tuples) or a variable."""
        const = self.const_index(node)
        if const is not MISSING:
            return Const(const)
        if isinstance(node, gast.Slice):
            parts = [Const(None) if p is None else self.expr(p)
                     for p in (node.lower, node.upper, node.step)]
            return self.emit(REGISTRY.by_name["slice"], parts, (), node)
        if isinstance(node, gast.List):  # x[[0, 2]]: an integer array, not a tuple index
            return self.call_array(REGISTRY.by_name["array"], [node], [], node, None)
        if isinstance(node, gast.Tuple):
            return self.pack([self.index(e) for e in node.elts], node, None)
        return self.expr(node)

    def const_index(self, node):
        if isinstance(node, gast.Constant) and (node.value is None or node.value is Ellipsis
                                                or isinstance(node.value, int)):
            return node.value
        if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
            inner = self.const_index(node.operand)
            return -inner if isinstance(inner, int) else MISSING
        if isinstance(node, gast.Slice):
            parts = [None if p is None else self.const_index(p)
                     for p in (node.lower, node.upper, node.step)]
            return MISSING if MISSING in parts else slice(*parts)
        if isinstance(node, gast.Tuple):
            parts = [self.const_index(e) for e in node.elts]
            return MISSING if any(p is MISSING for p in parts) else tuple(parts)
        if isinstance(node, (gast.Name, gast.Attribute)):
            obj = self.static_object(node)
            if obj is None:  # np.newaxis
                return None
        return MISSING
