"""Lower expressions: from gast expressions (of user code or of rule templates) to the SSA
trace of primitives.

Nested expressions become one primitive per assignment with fresh temporaries
(``t1 = np.log(x1)``). Rule templates go through the same expression lowering as user code,
which is what keeps the generated code inside the primitive set. Whole functions (statements,
control flow, SSA versions of reassigned names, calls) are lowered by `lower_function.py`,
which builds on the `Lowerer` here.
"""

from __future__ import annotations

import ast
import math
import numbers
import operator
import types
from dataclasses import dataclass

import gast
import numpy as np

from .. import runtime
from ..backends import NUMPY
from ..errors import MissingRuleError, S2sadError, UnsupportedSyntaxError
from ..frontend.parse import MISSING
from ..ir.nodes import Const, Copy, Dotted, If, NameSource, Op, Var
from ..rules import REGISTRY, TEMPLATE_MODULES, Primitive
from ..rules.registry import opaque

COMPARISONS = {prim.compare_op: prim for prim in REGISTRY.by_name.values()
               if getattr(prim, "compare_op", None) is not None}

#: Names generated code relies on; user variables with these names are renamed.
RESERVED_NAMES = frozenset(TEMPLATE_MODULES) | frozenset(runtime.HELPERS) | {
    "slice", "range", "reversed", "len", "min", "max", "abs", "float"}

#: Methods that change their object in place: generated code never writes an existing value.
MUTATING_METHODS = frozenset({
    "fill", "sort", "resize", "put", "itemset", "partition", "setfield", "setflags", "byteswap",
    "pop", "extend", "insert", "remove", "clear", "update", "setdefault", "popitem", "reverse",
})

_FOLDABLE = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
    "pow": operator.pow, "neg": operator.neg, "pos": operator.pos, "mod": operator.mod,
    "floordiv": operator.floordiv,
}


def _is_type(obj) -> bool:
    """A class or NumPy dtype, used as a value (a dtype argument), not called."""
    return isinstance(obj, (type, np.dtype))


def _is_number(value) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def fold(prim: Primitive, args: tuple, kwargs: tuple):
    """The constant result of `prim` on constant arguments, or None if it cannot be folded."""
    if not prim.differentiable and prim.impl is not None:
        return _fold_static(prim, args, kwargs)
    fn = _FOLDABLE.get(prim.name)
    if fn is None or kwargs or not all(isinstance(a, Const) and _is_number(a.value) for a in args):
        return None
    try:
        value = fn(*(a.value for a in args))
    except (ArithmeticError, ValueError):
        return None
    if isinstance(value, complex) or not math.isfinite(value):
        return None
    return Const(value)


def _is_one(atom) -> bool:
    return isinstance(atom, Const) and _is_number(atom.value) and atom.value == 1


def identity(prim: Primitive, args: tuple):
    """`x` for ``x * 1``, ``1 * x``, ``x / 1`` and ``x ** 1`` (used inside rule templates)."""
    if prim.name == "mul":
        if _is_one(args[1]):
            return args[0]
        if _is_one(args[0]):
            return args[1]
    if prim.name in ("truediv", "pow") and _is_one(args[1]):
        return args[0]
    if getattr(prim, "compare_op", None) and all(
        isinstance(a, Const) and _is_number(a.value) for a in args
    ):  # `x == 0.0` of a constant x: a Python bool (NumPy's would not fold)
        return Const(bool(prim.impl(args[0].value, args[1].value)))
    if prim.name == "where" and isinstance(args[0], Const) and isinstance(args[0].value, bool):
        chosen, other = (args[1], args[2]) if args[0].value else (args[2], args[1])
        if isinstance(other, Const) and _is_number(other.value):
            return chosen  # a number in the other branch cannot change the shape
    return None


def _nonnegative_constant(atom) -> bool:
    return isinstance(atom, Const) and _is_number(atom.value) and atom.value >= 0


def _fold_static(prim, args, kwargs):
    """Shape/axis helpers on constants (``transpose_inverse(None)``) fold to constants."""
    if not all(isinstance(a, Const) for a in args) or not all(
        isinstance(v, Const) for _, v in kwargs
    ):
        return None
    try:
        value = prim.impl(*(a.value for a in args), **{k: v.value for k, v in kwargs})
    except Exception:  # noqa: BLE001 - not foldable; it will fail (or not) at run time
        return None
    simple = value is None or isinstance(value, (bool, numbers.Number)) or (
        isinstance(value, tuple) and all(isinstance(v, int) for v in value))
    return Const(value) if simple and not isinstance(value, np.generic) else None


class Lowerer:
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
        if any(isinstance(a, Multiple) for a in args):
            raise self.error(UnsupportedSyntaxError, node,
                             "a tuple returned by a call can only be unpacked or returned",
                             "write 'a, b = g(x)' and use a and b")
        if self.simplify and prim.name == "mul":
            # In rules, `g * 2` with an int from the user's `x ** 2`: multiply by a float
            # (NumPy multiplies arrays by a Python float faster than by an int).
            args = tuple(Const(float(a.value)) if isinstance(a, Const) and type(a.value) is int
                         else a for a in args)
        if self.simplify and prim.name == "scaled_pow" and _nonnegative_constant(args[2]):
            # x ** p is finite for a constant p >= 0, so c * x ** p needs no guard: the
            # derivative of x ** 2 stays g * 2.0 * x.
            power = self.emit(REGISTRY.by_name["pow"], (args[1], args[2]), (), node)
            return self.emit(REGISTRY.by_name["mul"], (args[0], power), (), node, target)
        if self.simplify and prim.name == "safe_div" and isinstance(args[1], Const) and (
                _is_number(args[1].value) and args[1].value != 0):
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
            if (_is_number(obj) or obj is None) and self.module_attribute(node):
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

    def expr_Call(self, node, target):
        func = node.func
        if isinstance(func, gast.Attribute) and self.static_object(func) is MISSING:
            if isinstance(self.static_object(func.value), types.ModuleType):
                raise self.error(S2sadError, func, f"module {self.dotted(func.value)!r} has no "
                                 f"attribute {func.attr!r}", "check the spelling")
            prim = REGISTRY.methods.get(func.attr)
            if prim is None:
                if func.attr in MUTATING_METHODS:
                    raise self.error(UnsupportedSyntaxError, node,
                                     f"the method '.{func.attr}()' changes its object in place",
                                     "build a new value instead (np.sort(x) for x.sort(), "
                                     "np.full_like(x, v) for x.fill(v))")
                return self.call_opaque(opaque(func.attr, "opaque_method"),
                                        [func.value, *node.args], node.keywords, node, target)
            args = list(node.args)
            if func.attr in ("reshape", "transpose") and len(args) > 1 and not any(
                    isinstance(a, gast.Starred) for a in args):
                # x.reshape(4, 3) and x.transpose(1, 0, 2) mean the tuple of their sizes/axes.
                args = [gast.Tuple(elts=args, ctx=gast.Load())]
            return self.call(prim, [func.value, *args], node.keywords, node, target)
        obj = self.static_object(func)
        name = self.dotted(func)
        if obj is MISSING and name.endswith(("_vjp_all", "_jvp_all")):
            raise self.error(UnsupportedSyntaxError, func,
                             "derivatives of derivatives through a recursive call are not "
                             "supported", "write the recursion as a loop to differentiate it "
                             "twice")
        if obj is MISSING:
            raise self.unresolved_call(func, name)
        if obj in (slice, float) and not node.keywords:
            # slice(1, None) and float('inf') in generated code are constants.
            parts = [self.expr(a) for a in node.args]
            if all(isinstance(p, Const) for p in parts):
                return self.assign(Const(obj(*(p.value for p in parts))), target, node)
        prim = REGISTRY.lookup(obj)
        if prim is None:
            callee = self.callee_of(obj)
            if callee is not None:
                return self.inline(callee, node, target)
            # No rule: run it as written. A constant needs no rule; activity.py refuses the
            # call if a derivative would have to flow through it.
            return self.call_opaque(opaque(name, "opaque", obj), node.args, node.keywords, node,
                                    target)
        return self.call(prim, node.args, node.keywords, node, target)

    def callee_of(self, obj):
        """The Python function to inline for a call of `obj` (none in expressions alone;
        FunctionLowerer inlines user functions)."""
        return None

    def unresolved_call(self, func, name: str) -> S2sadError:
        """The error for a call whose function is not known when the code is transformed."""
        return self.error(S2sadError, func, f"cannot resolve the function {name!r}",
                          "call functions by a module-level name (np.exp, math.sin ...)")

    def value_of(self, node_or_atom):
        """The atom of an argument: lowered if it is a node, as it is if already an atom
        (an element of a spread ``*args``)."""
        if isinstance(node_or_atom, (Var, Const)):
            return node_or_atom
        return self.expr(node_or_atom)

    def spread(self, arg_nodes, keywords, node) -> list:
        """A call's positional arguments with each ``*t`` expanded: `t` a tuple or list
        written in the call (``f(*(a, b))``), or the ``*args`` of an inlined function (its
        atoms). Any other ``*t`` or a ``**d`` is refused: each argument must be bound to a
        parameter when the code is transformed, so its length must be known then."""
        callee = _callee_text(node)
        for kw in keywords:
            if kw.arg is None:
                raise self.error(UnsupportedSyntaxError, kw.value,
                                 f"'**' arguments in a call of {callee} are not supported",
                                 "pass the keyword arguments one by one: name=value")
        out = []
        for arg in arg_nodes:
            if not isinstance(arg, gast.Starred):
                out.append(arg)
                continue
            if isinstance(arg.value, (gast.Tuple, gast.List)):
                out.extend(arg.value.elts)
                continue
            value = self.expr(arg.value)
            if isinstance(value, Multiple):
                out.extend(value)
                continue
            text = _source_text(arg.value)
            raise self.error(
                UnsupportedSyntaxError, arg,
                f"'*{text}' in a call of {callee} is not supported: s2sad binds every argument "
                f"to a parameter when it transforms the code, and the length of {text!r} is "
                "not known then",
                f"pass the arguments one by one: {callee}({text}[0], {text}[1], ...); or "
                f"write the tuple in the call: {callee}(*(a, b))")
        return out


    def call_opaque(self, prim: Primitive, arg_nodes, keywords, node, target):
        """Emit a call s2sad has no rule for, with its arguments as written."""
        arg_nodes = self.spread(arg_nodes, keywords, node)
        args = [self.value_of(a) for a in arg_nodes]
        kwargs = [(kw.arg, self.expr(kw.value)) for kw in keywords]
        name = target or self.names.temp()
        if any(isinstance(a, (LocalFunction, Multiple)) for a in args + [v for _, v in kwargs]):
            return self.emit(prim, args, kwargs, node, target)  # refused there, with its error
        self.out.append(Op(name, prim, tuple(args), tuple(kwargs), self.loc(node)))
        return Var(name)

    def call(self, prim: Primitive, arg_nodes, keywords, node, target):
        """Bind a call's arguments to `prim`'s signature and emit it."""
        if any(isinstance(a, gast.Starred) for a in arg_nodes):
            as_written = isinstance(node, gast.Call) and list(arg_nodes) == list(node.args)
            arg_nodes = self.spread(arg_nodes, keywords, node)
            if as_written and all(isinstance(a, gast.AST) for a in arg_nodes):
                # f(*(a, b)) is f(a, b), which a variadic primitive may rewrite
                node = gast.copy_location(
                    gast.Call(func=node.func, args=arg_nodes, keywords=list(keywords)), node)
            elif prim.expand is not None or prim.form == "array":
                raise self.error(UnsupportedSyntaxError, node,
                                 f"'*' arguments in a call of {_callee_text(node)} are not "
                                 "supported", "pass the arguments one by one")
        if prim.expand is not None and isinstance(node, gast.Call):
            rewritten = prim.expand(node)  # a variadic call as a chain of fixed-arity ones
            if rewritten is not None:
                return self.expr(rewritten, target)
        if prim.name == "len" and len(arg_nodes) == 1 and not keywords:
            value = self.expr(arg_nodes[0])
            if isinstance(value, Multiple):  # len(args) of *args
                return self.assign(Const(len(value)), target, node)
            return self.emit(prim, (value,), (), node, target)
        if prim.form == "array":
            return self.call_array(prim, arg_nodes, keywords, node, target)
        if prim.form == "tuple" or prim.argnames and prim.argnames[0].startswith("*"):
            raise self.error(UnsupportedSyntaxError, node, f"'{prim.spelling}' cannot be called")
        signature = prim.signature
        bound: dict = {}
        if len(arg_nodes) > len(signature):
            raise self.error(UnsupportedSyntaxError, node,
                             f"too many arguments for {prim.spelling}",
                             f"it takes ({', '.join(signature)})")
        for name, arg in zip(signature, arg_nodes):
            bound[name] = arg
        for kw in keywords:
            if kw.arg not in signature or kw.arg in bound:
                raise self.error(UnsupportedSyntaxError, kw.value,
                                 f"unsupported keyword {kw.arg!r} for {prim.spelling}",
                                 f"s2sad supports ({', '.join(signature)})")
            bound[kw.arg] = kw.value
        for name, value in prim.arg_defaults:  # norm.logpdf(x): loc=0.0, scale=1.0
            bound.setdefault(name, gast.Constant(value=value, kind=None))
        missing = [n for n in prim.argnames if n not in bound]
        missing += [n for n, _ in prim.params[: prim.required_params] if n not in bound]
        if missing:
            raise self.error(UnsupportedSyntaxError, node,
                             f"{prim.spelling} is missing the argument {missing[0]!r}",
                             f"it takes ({', '.join(signature)})")
        args = tuple(self.value_of(bound[n]) for n in prim.argnames)
        kwargs = []
        required = {n for n, _ in prim.params[: prim.required_params]}
        for pname, default in prim.params:
            if pname in bound:
                param = bound[pname]
                value = (self.pack([self.expr(e) for e in param.elts], param, None)
                         if isinstance(param, gast.Tuple) else self.value_of(param))
                if pname in required or not (isinstance(value, Const)
                                             and value == Const(default)):
                    kwargs.append((pname, value))
        return self.emit(prim, args, kwargs, node, target)

    def call_array(self, prim, arg_nodes, keywords, node, target):
        if len(arg_nodes) != 1:
            raise self.error(UnsupportedSyntaxError, node, "np.array takes one list argument "
                             "here", "pass the dtype by keyword: np.array([...], dtype=float)")
        kwargs = []
        for kw in keywords:
            if kw.arg != "dtype":
                raise self.error(UnsupportedSyntaxError, kw.value,
                                 f"unsupported keyword {kw.arg!r} for np.array",
                                 "s2sad supports np.array(values, dtype=...)")
            kwargs.append(("dtype", self.expr(kw.value)))
        data = arg_nodes[0]
        if not isinstance(data, (gast.List, gast.Tuple)):
            value = self.expr(data)
            if isinstance(value, Const):
                return self.assign(value, target, node)
            return self.emit(REGISTRY.by_name["asarray"], (value,), (), node, target)
        elements, layout = [], []

        def flatten(n, position):
            if isinstance(n, (gast.List, gast.Tuple)):
                for i, elt in enumerate(n.elts):
                    flatten(elt, (*position, i))
            else:
                elements.append(self.expr(n))
                layout.append(position)

        flatten(data, ())
        if all(isinstance(e, Const) for e in elements) and not kwargs:
            pass  # still emitted, so the array is built at run time (not a shared constant)
        kwargs.append(("layout", Const(tuple(layout))))
        return self.emit(prim, elements, kwargs, node, target)


def _source_text(node, limit: int = 40) -> str:
    """`node` as Python text, shortened to `limit` characters (for messages)."""
    text = ast.unparse(gast.gast_to_ast(node))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _callee_text(node) -> str:
    """What a call calls, as written (``np.power``, ``x.sum``), for messages."""
    func = getattr(node, "func", None)
    return _source_text(func) if func is not None else "this function"


@dataclass
class LocalFunction:
    """A lambda or nested def: not a value of the trace, it is inlined where it is called."""

    node: object
    owner: object  # the FunctionLowerer whose variables it closes over


class Multiple(tuple):
    """The atoms of a tuple value that has no IR variable of its own (``return a, b`` of an
    inlined call), so that ``u, v = g(x)`` keeps each part differentiable."""


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
    return lower_template(template, env, names, op.loc, scope=getattr(op.prim, "scope", None))


def lower_template(template, env: dict, names: NameSource, loc=None, target=None, scope=None):
    """Lower a rule template with its names bound to atoms; return (statements, result atom)."""
    lowerer = _TemplateLowerer(names, env, loc, scope or {})
    lowerer.loc_override = loc
    lowerer.simplify = True
    result = lowerer.expr(template, target)
    return lowerer.out, result
