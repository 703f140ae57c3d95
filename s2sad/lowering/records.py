"""Lower containers whose structure is known when the code is built: dicts and pytrees.

A dict literal (``{"W": W, "b": b}``), a dict comprehension over such a container, and a
parameter given as a dict, list, tuple, NamedTuple or dataclass (a pytree, s2sad.pytree) are
`Record` values of the lowering, not values of the trace: ``params["W"]``, ``p.w``,
``d.get(k)`` read an item, ``d[k] = v`` makes a new Record, and a ``for`` over a Record (or
its ``.items()``, ``.keys()``, ``.values()``) is unrolled, one copy of the body per item, as
its keys are known. The generated code never builds the container: each item is a variable of
its own, so it is differentiated on its own, and the API assembles containers of the same
structure from the leaves. `RecordLowering` is a part of `FunctionLowerer` (function.py).
"""

from __future__ import annotations

import gast

from .. import runtime
from ..errors import S2sadError, UnsupportedSyntaxError
from ..frontend.parse import MISSING
from ..ir import Const, Var
from ..rules import REGISTRY
from .atoms import Multiple, Record

_VIEWS = ("items", "keys", "values")
_DYNAMIC_KEY_HINT = ("use keys written in the code (d['W']) or keys of a loop over a dict "
                     "or a pytree, which s2sad unrolls; for a key computed from numbers, "
                     "use an array and an integer index instead")


def _static_callable(lowerer, node):
    return lowerer.static_object(node) if isinstance(node, (gast.Name, gast.Attribute)) \
        else MISSING


class RecordLowering:
    """Dicts and pytrees of `FunctionLowerer`: literals, reads, writes, unrolled loops."""

    # ------------------------------------------------------------------------- resolution
    def record_of(self, node):
        """The Record `node` denotes (a name, a field or a constant item of one), or None;
        emits nothing."""
        if isinstance(node, gast.Name):
            value = self.env.get(node.id)
            return value if isinstance(value, Record) else None
        if isinstance(node, gast.Attribute):
            base = self.record_of(node.value)
            value = None if base is None or base.kind not in ("namedtuple", "dataclass") \
                else base.get(node.attr)
            return value if isinstance(value, Record) else None
        if isinstance(node, gast.Subscript):
            base = self.record_of(node.value)
            key = self.record_key(node.slice) if base is not None else MISSING
            value = None if key is MISSING else base.get(key)
            return value if isinstance(value, Record) else None
        return None

    def record_key(self, node):
        """A key known when the code is built (a literal, or a name bound to a constant, as
        the keys of an unrolled loop are), or MISSING."""
        if isinstance(node, gast.Constant) and isinstance(node.value, (str, int, float, bool,
                                                                        type(None))):
            return node.value
        if isinstance(node, gast.Name) and isinstance(self.env.get(node.id), Const):
            return self.env[node.id].value
        const = self.const_index(node)
        return const if isinstance(const, (int, tuple)) else MISSING

    def item(self, record: Record, key, node):
        if isinstance(key, int) and record.kind in ("list", "tuple", "namedtuple") and (
            -len(record.keys) <= key < 0
        ):
            key += len(record.keys)
        if record.kind in ("list", "tuple", "namedtuple") and isinstance(key, int):
            if 0 <= key < len(record.values):
                return record.values[key]
        elif record.has(key):
            return record.get(key)
        raise self.error(S2sadError, node, f"{key!r} is not a key of {record.describe()}",
                         "check the key; a dict's keys are fixed when the code is built")

    # -------------------------------------------------------------------------- literals
    def expr_Dict(self, node, target):
        record = Record("dict", (), ())
        for key_node, value_node in zip(node.keys, node.values):
            if key_node is None:  # {**other, ...}
                other = self.record_of(value_node)
                if other is None or other.kind != "dict":
                    raise self.error(UnsupportedSyntaxError, value_node, "'**' in a dict "
                                     "literal needs a dict built in the function or passed in")
                for k, v in zip(other.keys, other.values):
                    record = record.with_item(k, v)
                continue
            key = self.record_key(key_node)
            if key is MISSING:
                raise self.error(UnsupportedSyntaxError, key_node, "dict keys must be known "
                                 "when the code is built", _DYNAMIC_KEY_HINT)
            record = record.with_item(key, self.expr(value_node))
        return record

    def expr_DictComp(self, node, target):
        """``{k: v for ... in <a container>}``: a loop that s2sad unrolls, writing each item."""
        name = self.names.temp()
        self.env[name] = Record("dict", (), ())
        store = gast.Subscript(value=gast.Name(id=name, ctx=gast.Load(), annotation=None,
                                               type_comment=None),
                               slice=node.key, ctx=gast.Store())
        body = [gast.Assign(targets=[store], value=node.value, type_comment=None)]
        self.comprehension(node.generators, body, node)
        return self.env.pop(name)

    def comprehension(self, generators, body, node):
        """Lower the ``for``/``if`` clauses of a comprehension around `body`, its variables
        kept local to it."""
        for generator in reversed(generators):
            for condition in reversed(generator.ifs):
                body = [gast.If(test=condition, body=body, orelse=[])]
            body = [gast.For(target=generator.target, iter=generator.iter, body=body,
                             orelse=[], type_comment=None)]
        for stmt in gast.walk(gast.Module(body=body, type_ignores=[])):
            if isinstance(stmt, gast.stmt):
                gast.copy_location(stmt, node)
        local = {n.id for g in generators for n in gast.walk(g.target)
                 if isinstance(n, gast.Name)}
        saved = {n: self.env[n] for n in local if n in self.env}
        self.statements(body)
        for n in local:
            self.env.pop(n, None)
        self.env.update(saved)

    def expr_Tuple(self, node, target):
        """A tuple holding a container is a Record too (``return loss, {"acc": a}``)."""
        if not any(isinstance(e, (gast.Dict, gast.DictComp)) or self.record_of(e) is not None
                   for e in node.elts):
            return super().expr_Tuple(node, target)
        values = []
        for elt in node.elts:
            value = self.expr(elt)
            if isinstance(value, Multiple):
                raise self.error(UnsupportedSyntaxError, elt, "a tuple returned by a call "
                                 "cannot be nested in a tuple", "unpack it first: a, b = g(x)")
            values.append(value)
        return Record("tuple", tuple(range(len(values))), tuple(values))

    # ----------------------------------------------------------------------------- reads
    def expr_Subscript(self, node, target):
        base = self.record_of(node.value)
        if base is None:
            return super().expr_Subscript(node, target)
        key = self.record_key(node.slice)
        if key is MISSING:
            if base.kind in ("list", "tuple"):  # layers[i]: the items as a list of the trace
                items = self.materialized(base, node)
                index = self.index(node.slice)
                return self.emit(REGISTRY.by_name["getitem"], (items,), (("index", index),),
                                 node, target)
            raise self.error(UnsupportedSyntaxError, node.slice, "this key of a dict is only "
                             "known when the code runs", _DYNAMIC_KEY_HINT)
        return self.assign(self.item(base, key, node), target, node)

    def expr_Attribute(self, node, target):
        base = self.record_of(node.value)
        if base is None:
            return super().expr_Attribute(node, target)
        if base.kind not in ("namedtuple", "dataclass") or not base.has(node.attr):
            raise self.error(S2sadError, node, f"{base.describe()} has no field {node.attr!r}",
                             "check the spelling")
        return self.assign(base.get(node.attr), target, node)

    def materialized(self, record: Record, node):
        """A list or tuple Record as a list value of the trace (``np.stack(layers)``)."""
        if record.kind not in ("list", "tuple"):
            raise self.error(UnsupportedSyntaxError, node, f"a {record.describe()} is used "
                             "as an array here", "read its items by key: d['W']")
        items = [self.materialized(v, node) if isinstance(v, Record) else v
                 for v in record.values]
        result = self.emit(REGISTRY.by_name["new_list"], (), (), node)
        for item in items:
            result = self.emit(REGISTRY.by_name["list_append"], (result, item), (), node)
        return result

    # ----------------------------------------------------------------------------- calls
    def expr_Call(self, node, target):
        func = node.func
        if isinstance(func, gast.Attribute):
            base = self.record_of(func.value)
            if base is not None and base.kind == "dict":
                return self.dict_method(base, func.attr, node, target)
        builtin = _static_callable(self, func)
        if builtin in (len, dict, list, tuple) and len(node.args) == 1 and not node.keywords:
            record = self.record_of(node.args[0])
            if record is not None:
                return self.builtin_on(builtin, record, node, target)
        if builtin is runtime.stop_gradient and len(node.args) == 1 and (
            self.record_of(node.args[0]) is not None
        ):
            return self.stopped(self.record_of(node.args[0]), node)
        return super().expr_Call(node, target)

    def dict_method(self, record: Record, method: str, node, target):
        if method == "get" and 1 <= len(node.args) <= 2 and not node.keywords:
            key = self.record_key(node.args[0])
            if key is MISSING:
                raise self.error(UnsupportedSyntaxError, node.args[0], "this key of a dict is "
                                 "only known when the code runs", _DYNAMIC_KEY_HINT)
            if record.has(key):
                return self.assign(record.get(key), target, node)
            if len(node.args) == 2:
                return self.expr(node.args[1], target)
            return self.assign(Const(None), target, node)
        if method == "copy" and not node.args:
            return record
        if method in _VIEWS:
            raise self.error(UnsupportedSyntaxError, node, f"d.{method}() is supported as the "
                             "iterable of a for loop or a comprehension",
                             f"loop over it: 'for ... in d.{method}():'")
        raise self.error(UnsupportedSyntaxError, node, f"the dict method '.{method}()' is not "
                         "supported", "use d[k], d.get(k), d[k] = v, and loops over d.items()")

    def builtin_on(self, builtin, record: Record, node, target):
        if builtin is len:
            return self.assign(Const(len(record.keys)), target, node)
        if builtin is dict:
            if record.kind != "dict":
                raise self.error(UnsupportedSyntaxError, node, "dict() of a "
                                 f"{record.describe()}", "build the dict with a literal")
            return record
        kind = "list" if builtin is list else "tuple"
        values = record.values if record.kind != "dict" else tuple(
            Const(k) for k in record.keys)
        return Record(kind, tuple(range(len(values))), values)

    def stopped(self, record: Record, node):
        """``s2sad.stop_gradient(container)``: each leaf held constant."""
        prim = REGISTRY.by_name["stop_gradient"]
        leaves = iter([self.emit(prim, (leaf,), (), node) if isinstance(leaf, Var) else leaf
                       for leaf in record.leaves()])
        return record.rebuilt(leaves)

    def expr_Compare(self, node, target):
        """``k in d``: known when the code is built."""
        if len(node.ops) == 1 and isinstance(node.ops[0], (gast.In, gast.NotIn)):
            record = self.record_of(node.comparators[0])
            if record is not None and record.kind == "dict":
                key = self.record_key(node.left)
                if key is MISSING:
                    raise self.error(UnsupportedSyntaxError, node.left, "this key is only "
                                     "known when the code runs", _DYNAMIC_KEY_HINT)
                found = record.has(key) == isinstance(node.ops[0], gast.In)
                return self.assign(Const(found), target, node)
        if len(node.ops) == 1 and isinstance(node.ops[0], (gast.Eq, gast.NotEq)):
            left, right = self.record_key(node.left), self.record_key(node.comparators[0])
            if MISSING not in (left, right) and str in (type(left), type(right)):
                # k != "b" on a key of an unrolled loop: known when the code is built
                same = left == right and type(left) is type(right)
                return self.assign(Const(same == isinstance(node.ops[0], gast.Eq)), target,
                                   node)
        if any(isinstance(op, (gast.In, gast.NotIn)) for op in node.ops):
            raise self.error(UnsupportedSyntaxError, node, "'in' is supported for the keys of "
                             "a dict built in the function or passed in",
                             "compare with == and combine with 'or', or use np.isin")
        return super().expr_Compare(node, target)

    # ---------------------------------------------------------------------------- writes
    def assign_record_item(self, record: Record, target, stmt):
        """``d[k] = v``: a new Record with the item replaced or added."""
        base_node = target.value
        key = self.record_key(target.slice)
        if key is MISSING:
            raise self.error(UnsupportedSyntaxError, target.slice, "this key of a dict is "
                             "only known when the code runs", _DYNAMIC_KEY_HINT)
        if record.kind != "dict" and not record.has(key) and not (
            isinstance(key, int) and record.kind == "list" and -len(record.keys) <= key < 0
        ):
            raise self.error(S2sadError, target, f"{key!r} is not a key of "
                             f"{record.describe()}", "only a dict takes new keys")
        if record.kind in ("tuple", "namedtuple"):
            raise self.error(UnsupportedSyntaxError, target, "tuples cannot be assigned into",
                             "build a new tuple")
        if isinstance(key, int) and key < 0:
            key += len(record.keys)
        value = self.expr(stmt.value)
        if isinstance(value, Multiple):
            raise self.error(UnsupportedSyntaxError, stmt.value, "a tuple returned by a call "
                             "cannot be stored in a dict", "unpack it first: a, b = g(x)")
        # The fence lets only `name[key] = v` through: the name holds the new Record.
        self.env[base_node.id] = record.with_item(key, value)

    # ----------------------------------------------------------------------------- loops
    def static_items(self, node):
        """The items a ``for`` over `node` visits, when they are known when the code is built
        (a Record, its keys/values/items, ``enumerate`` or ``zip`` of those): a list of values
        (atoms, Records, or tuples of those for unpacking), else None."""
        record = self.record_of(node)
        if record is not None:
            return [Const(k) for k in record.keys] if record.kind == "dict" \
                else list(record.values)
        if not isinstance(node, gast.Call) or node.keywords:
            return None
        func = node.func
        if isinstance(func, gast.Attribute) and func.attr in _VIEWS and not node.args:
            record = self.record_of(func.value)
            if record is None or record.kind != "dict":
                return None
            keys = [Const(k) for k in record.keys]
            return {"keys": keys, "values": list(record.values),
                    "items": list(zip(keys, record.values))}[func.attr]
        builtin = _static_callable(self, func)
        if builtin is enumerate and len(node.args) in (1, 2):
            items = self.static_items(node.args[0])
            start = 0 if len(node.args) == 1 else self.record_key(node.args[1])
            if items is None or not isinstance(start, int):
                return None
            return [(Const(start + i), item) for i, item in enumerate(items)]
        if builtin is zip and node.args:
            parts = [self.static_items(a) for a in node.args]
            return None if any(p is None for p in parts) else list(zip(*parts))
        if builtin is reversed and len(node.args) == 1:
            items = self.static_items(node.args[0])
            return None if items is None else items[::-1]
        return None

    def stmt_For(self, stmt):
        items = self.static_items(stmt.iter)
        if items is None:
            return super().stmt_For(stmt)
        if any(isinstance(n, gast.Break) for s in stmt.body for n in gast.walk(s)):
            raise self.error(UnsupportedSyntaxError, stmt, "'break' in a loop over a dict or "
                             "a pytree, which s2sad unrolls", "compute a mask or a flag instead")
        for item in items:
            self.bind_target(stmt.target, item)
            self.statements(stmt.body)
        self.statements(stmt.orelse)

    def bind_target(self, target, value):
        if isinstance(target, gast.Name):
            self.env[target.id] = value
            return
        if not isinstance(target, (gast.Tuple, gast.List)):
            raise self.error(UnsupportedSyntaxError, target, "this loop target is not "
                             "supported", "use names: 'for k, v in d.items():'")
        parts = value.values if isinstance(value, Record) else value
        if not isinstance(parts, tuple) or len(parts) != len(target.elts):
            raise self.error(S2sadError, target, f"cannot unpack this item into "
                             f"{len(target.elts)} names")
        for elt, part in zip(target.elts, parts):
            self.bind_target(elt, part)
