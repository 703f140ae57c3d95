"""Lower calls of primitives: bind a call's arguments to a registered primitive's signature.

A call of a primitive (``np.exp(x)``, ``x.sum(axis=0)``, ``np.array([a, b])``) becomes one
operation. A call of a plain Python function goes to `callee_of`, which a function body
overrides to inline it (`calls.py`); a call s2sad has no rule for is emitted as written
(opaque), and refused later only if a derivative has to flow through it.
"""

from __future__ import annotations

import ast
import types

import gast

from ..errors import S2sadError, UnsupportedSyntaxError
from ..frontend.parse import MISSING
from ..ir import Const, Op, Var
from ..rules import REGISTRY, Primitive
from ..rules.registry import opaque
from .atoms import LocalFunction, Multiple, Record

#: Methods that change their object in place: generated code never writes an existing value.
MUTATING_METHODS = frozenset({
    "fill", "sort", "resize", "put", "itemset", "partition", "setfield", "setflags", "byteswap",
    "pop", "extend", "insert", "remove", "clear", "update", "setdefault", "popitem", "reverse",
})


class PrimitiveCalls:
    """The call half of `Lowerer` (expressions.py): calls of primitives, methods, opaque
    functions, and ``*args`` spreading."""

    def expr_Call(self, node, target):
        """A call of a method, a primitive, a function to inline (`callee_of`), or one s2sad
        has no rule for (opaque)."""
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
        if any(isinstance(a, (LocalFunction, Multiple, Record))
               for a in args + [v for _, v in kwargs]):
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
        bound = self.bind_primitive(prim, arg_nodes, keywords, node)
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

    def bind_primitive(self, prim: Primitive, arg_nodes, keywords, node) -> dict:
        """A call's argument nodes by `prim`'s argument and parameter names, with the
        primitive's defaults where the call leaves them out."""
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
        return bound

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

