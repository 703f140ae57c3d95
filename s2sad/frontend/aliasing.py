"""Aliasing: refuse a write in place that NumPy would make visible through another name.

s2sad gives every assignment a new value (SSA): ``y[0] = v`` and ``y += v`` make a new y and
leave every other name as it was. In NumPy they write into y's memory, which other names may
share: ``y = x[1:]`` is a view of x, ``y = x`` the same array. Such a write changes those
names too, and s2sad would silently compute on a copy. The check here is conservative and
static (types are unknown, so ``y += v`` counts as a write in place): at an in-place write to
y, if another name may share y's memory and is read later, the function is rejected. It is
the fence's second walk (see :func:`.fence.check`), after the syntax walk.
"""

from __future__ import annotations

import ast
import types

import gast

from ..errors import UnsupportedSyntaxError
from .parse import ParsedFunction

# Calls and attributes whose result may share memory with their (first) argument.
_VIEW_FUNCTIONS = {"reshape", "ravel", "transpose", "asarray", "squeeze", "expand_dims",
                   "moveaxis", "swapaxes", "atleast_1d", "atleast_2d", "atleast_3d",
                   "diagonal", "broadcast_to", "view", "asanyarray", "flip", "fliplr",
                   "flipud", "rot90", "rollaxis", "permute_dims", "matrix_transpose", "real",
                   "imag", "conj", "conjugate", "real_if_close", "ascontiguousarray"}
# Calls whose result is a new list of views of their (first) argument.
_VIEW_LISTS = {"split", "array_split", "hsplit", "vsplit", "dsplit", "unstack"}
_VIEW_ATTRIBUTES = {"T", "real", "imag", "mT"}
_SEQUENCE_BUILTINS = (enumerate, zip, reversed, list, tuple)
_OPS = {gast.Add: "+", gast.Sub: "-", gast.Mult: "*", gast.Div: "/", gast.Pow: "**",
        gast.MatMult: "@", gast.Mod: "%", gast.FloorDiv: "//"}


class _Aliasing:
    """Which names may share memory (a forward analysis over the AST), and where a write in
    place would change a name that is read later.

    `state` maps each name to its set of storage tokens: the node of the assignment that made
    a new value, ``("param", p)`` for a parameter, ``("outer", n)`` for a global or a variable
    of an enclosing function. Two names share memory when their tokens intersect. Tokens of
    number literals are ``("scalar", ...)``: numbers are never written in place.
    """

    def __init__(self, parsed: ParsedFunction, fn, external_params: bool):
        self.parsed = parsed
        self.fn = fn
        self.external_params = external_params  # an inlined callee: its arguments are shared
        self.origin: dict = {}  # name -> the expression that made it a view or alias
        self.loops: list = []  # enclosing loop nodes (a later iteration reads the whole body)
        params = [a.id for a in (*fn.args.posonlyargs, *fn.args.args)]
        if fn.args.vararg is not None:
            params.append(fn.args.vararg.id)
        self.local = set(params) | {n.id for n in gast.walk(fn) if isinstance(n, gast.Name)
                                    and isinstance(n.ctx, gast.Store)}
        self.loads = [n for n in gast.walk(fn) if isinstance(n, gast.Name)
                      and isinstance(n.ctx, gast.Load)]
        self.state = {p: {("param", p)} for p in params}

    # ------------------------------------------------------------------ values
    def tokens(self, name) -> set:
        if name in self.state:
            return self.state[name]
        if name in self.local:
            return set()  # not assigned yet on this path
        return {("outer", name)}

    def is_module_function(self, func) -> bool:
        if not isinstance(func, gast.Attribute) or not isinstance(func.value, gast.Name):
            return False
        if func.value.id in self.local:
            return False
        return isinstance(self.parsed.resolve(func.value.id), types.ModuleType)

    def sources(self, node) -> set:
        """The tokens of the memory the value of `node` may share."""
        if isinstance(node, gast.Name):
            return set(self.tokens(node.id))
        if isinstance(node, gast.Subscript):
            inner = self.sources(node.value)
            items = {t[1] for t in inner if _is_item(t)}  # an item of a list is itself
            fancy = any(isinstance(n, (gast.List, gast.Compare, gast.Call))
                        for n in gast.walk(node.slice))
            return items if fancy else inner | items  # a basic index of an array: a view
        if isinstance(node, gast.Attribute) and node.attr in _VIEW_ATTRIBUTES:
            return self.sources(node.value)
        if isinstance(node, gast.IfExp):
            return self.sources(node.body) | self.sources(node.orelse)
        if isinstance(node, (gast.List, gast.Tuple)):  # a new list holding its items
            return _holding(node, [self.sources(e) for e in node.elts])
        if isinstance(node, gast.Dict):  # a new dict holding its values
            return _holding(node, [self.sources(v) for v in node.values])
        if isinstance(node, (gast.ListComp, gast.DictComp, gast.SetComp, gast.GeneratorExp)):
            # A new container whose items may be the items (or rows) of what it iterates, or
            # any value its expression names.
            held = [{_whole(t[1]) if _is_item(t) else t for t in self.sources(g.iter)}
                    for g in node.generators]
            element = node.value if isinstance(node, gast.DictComp) else node.elt
            items = _items(*held, self.sources(element))
            # One value may be held by several items ([p for _ in range(2)]).
            return {id(node)} | items | ({("shared", id(node))} if items else set())
        if isinstance(node, gast.Call):
            func = node.func
            if isinstance(func, gast.Attribute) and func.attr == "pop":  # items.pop()
                return {t[1] for t in self.sources(func.value) if _is_item(t)}
            if isinstance(func, gast.Attribute) and func.attr in ("items", "values", "copy"):
                # d.items(), d.copy(): new containers holding the same values
                return {id(node)} | {t for t in self.sources(func.value) if _is_item(t)}
            if isinstance(func, gast.Attribute) and func.attr in _VIEW_FUNCTIONS:
                if self.is_module_function(func):  # np.reshape(x, ...)
                    return self.sources(node.args[0]) if node.args else set()
                return self.sources(func.value)  # x.reshape(...)
            if isinstance(func, gast.Attribute) and func.attr in _VIEW_LISTS and (
                    self.is_module_function(func) and node.args):  # np.split(x, 2)
                return {id(node)} | _items(self.sources(node.args[0]))
            if isinstance(func, gast.Name) and func.id not in self.local and (
                self.parsed.resolve(func.id) in _SEQUENCE_BUILTINS
            ):
                return set().union(set(), *(self.sources(a) for a in node.args))
        return set()

    def value_tokens(self, node) -> set:
        shared = self.sources(node)
        if shared:
            return shared
        scalar = isinstance(node, gast.Constant) or (
            isinstance(node, gast.UnaryOp) and isinstance(node.operand, gast.Constant))
        return {("scalar", id(node)) if scalar else id(node)}

    def bind(self, target, value_node, stmt):
        if isinstance(target, gast.Name):
            self.state[target.id] = self.value_tokens(value_node)
            if self.sources(value_node):
                self.origin[target.id] = value_node
            else:
                self.origin.pop(target.id, None)
        elif isinstance(target, gast.Tuple):
            if isinstance(value_node, gast.Tuple) and len(value_node.elts) == len(target.elts):
                for elt, value in zip(target.elts, value_node.elts):
                    self.bind(elt, value, stmt)
                return
            # a, b = pair: each name gets its own part of what the value shares
            shared = self.sources(value_node)
            for i, elt in enumerate(target.elts):
                if isinstance(elt, gast.Name):
                    parts = {("part", i, t) for t in shared if not _is_item(t)}
                    parts |= {t[1] for t in shared if _is_item(t)}
                    self.state[elt.id] = parts or {id(elt)}
                    self.origin[elt.id] = value_node

    # ------------------------------------------------------------------ writes
    def read_later(self, name, stmt) -> bool:
        end = (stmt.end_lineno, stmt.end_col_offset)
        for load in self.loads:
            if load.id != name:
                continue
            if (load.lineno, load.col_offset) > end:
                return True
            if any(_inside(load, loop) for loop in self.loops):
                return True
        return False

    def write(self, name, stmt, items=()):
        """An in-place write to `name` at `stmt` (and to the memory of `items`, tokens of the
        values a list or dict holds): reject it if it would change another name. (Appending
        to a list writes the list, not its items.)"""
        def written(tokens):
            return {t for t in tokens if not (isinstance(t, tuple) and t[0] in ("scalar",
                                                                              "item"))}

        own, in_items = written(self.tokens(name)), written(items)
        mine = own | in_items
        if not mine:
            return
        for other, theirs in self.state.items():
            # A list holding this array (items.append(y)) sees the write through its item.
            held = {t[1] for t in theirs if _is_item(t)}
            if other == name or not self.read_later(other, stmt):
                continue
            if any(_overlap(m, t) for m in own for t in theirs):
                self.fail(name, other, stmt)
            if any(_overlap(m, t) for m in in_items for t in theirs):
                self.fail(name, other, stmt, item=True)
            if any(_overlap(m, t) for m in mine for t in held):
                self.fail(name, other, stmt, in_list=True)
        for token in map(_whole, mine):
            if isinstance(token, tuple) and token[0] == "outer":  # a global, a closure's
                self.fail(name, token[1], stmt, outer=True)
            # In a called function, even `a += v` on its own parameter writes into the
            # caller's array when the caller passes one (types are not known here).
            if isinstance(token, tuple) and token[0] == "param" and self.external_params:
                self.fail(name, token[1], stmt, outer=True)

    def fail(self, name, other, stmt, outer=False, in_list=False, item=False):
        made = self.origin.get(name)
        if item and other == name:
            target = _source(stmt.target)
            raise UnsupportedSyntaxError(
                f"this updates an item of {name!r} in place, and another of its items may hold "
                f"the same array: NumPy would change both; s2sad computes on a copy",
                self.parsed.location(stmt),
                f"write '{target} = {target} {_OPS.get(type(stmt.op), '+')} ...' instead")
        if in_list:
            message = (f"this writes into {name!r} in place, and the list {other!r}, read "
                       f"later, holds it: NumPy would change the list's item too; s2sad "
                       f"computes on a copy")
            hint = (f"append a copy ('{other}.append({name}.copy())'), or write "
                    f"'{name} = {name} {_OPS.get(type(stmt.op), '+')} ...'"
                    if isinstance(stmt, gast.AugAssign) else
                    f"append a copy: '{other}.append({name}.copy())'")
            raise UnsupportedSyntaxError(message, self.parsed.location(stmt), hint)
        if outer and other == name and isinstance(stmt, gast.AugAssign) and isinstance(
                stmt.target, gast.Name):
            op = _OPS.get(type(stmt.op), "+")
            message = (f"this updates the parameter {name!r} in place: when the caller passes "
                       f"an array, NumPy changes the caller's array too, which s2sad does not "
                       f"model")
            hint = (f"write '{name} = {name} {op} ...', a new value, instead (or "
                    f"'{name} = {name}.copy()' first)")
        elif outer and other == name:
            message = (f"this writes into {name!r} in place, which belongs to the caller "
                       f"(NumPy would change the caller's array; s2sad computes on a copy)")
            hint = f"write into a copy: '{name} = {name}.copy()' first"
        elif outer:
            message = (f"this writes into {name!r} in place, which may be a view of {other!r} "
                       f"of the caller (NumPy would change {other!r}; s2sad computes on a copy)")
            hint = f"make {name!r} a copy, or operate on {other!r} directly"
        else:
            message = (f"this writes into {name!r} in place, which may share memory with "
                       f"{other!r} (a NumPy view or the same array), and {other!r} is read "
                       f"later: NumPy would change {other!r} too; s2sad computes on a copy")
            source = _source(made) if made is not None else other
            hint = f"write '{name} = {source}.copy()', or operate on {other!r} directly"
            if isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
                hint += f"\n(for numbers, '{name} = {name} {_OPS.get(type(stmt.op), '+')} ...')"
            elif item:  # d["a"] += v on an array the dict holds: give the item a new value
                item = _source(stmt.target)
                hint = f"write '{item} = {item} {_OPS.get(type(stmt.op), '+')} ...' instead"
        raise UnsupportedSyntaxError(message, self.parsed.location(stmt), hint)

    # ------------------------------------------------------------------ statements
    def block(self, stmts):
        for stmt in stmts:
            self.statement(stmt)

    def statement(self, stmt):
        if isinstance(stmt, gast.Assign):
            value = stmt.value
            if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) and (
                value.func.attr == "pop" and isinstance(value.func.value, gast.Name)
            ):
                self.write(value.func.value.id, stmt)
            for target in stmt.targets:
                if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
                    self.write(target.value.id, stmt)
                else:
                    self.bind(target, stmt.value, stmt)
        elif isinstance(stmt, gast.AugAssign):
            target = stmt.target
            name = target.value.id if isinstance(target, gast.Subscript) else target.id
            # d["a"] += v on an array held by a dict or list updates that array in place:
            # every name sharing it sees the change.
            container = self.sources(target.value) if isinstance(target, gast.Subscript) \
                else set()
            held = {t[1] for t in container if _is_item(t)}
            if any(isinstance(t, tuple) and t[0] == "shared" for t in container) and (
                    self.read_later(name, stmt)):
                # {"a": x, "b": x}: the array of d["a"] is d["b"]'s too
                self.fail(name, name, stmt, item=True)
            self.write(name, stmt, held)
            if isinstance(target, gast.Name) and all(
                isinstance(t, tuple) and t[0] == "scalar" for t in self.tokens(name)
            ):  # a number plus something: a new value (an array if the other one is)
                self.state[name] = {id(stmt)}
        elif isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call):
            call = stmt.value  # items.append(v) or a debugging call (print, logger.info)
            if isinstance(call.func, gast.Attribute) and call.func.attr == "append" and (
                    isinstance(call.func.value, gast.Name)):
                name = call.func.value.id
                self.write(name, stmt)
                self.state[name] = self.tokens(name) | _items(*(self.sources(a)
                                                                 for a in call.args))
        elif isinstance(stmt, gast.If):
            before = self.copy_state()
            self.block(stmt.body)
            after_body = self.copy_state()
            self.state = before
            self.block(stmt.orelse)
            self.merge(after_body)
        elif isinstance(stmt, (gast.For, gast.While)):
            self.loops.append(stmt)
            entry = self.copy_state()
            for _ in range(2):  # twice: what one iteration aliases, the next one sees
                if isinstance(stmt, gast.For):
                    self.bind(stmt.target, stmt.iter, stmt)
                self.block(stmt.body)
                self.merge(entry)
            self.loops.pop()
        elif isinstance(stmt, gast.FunctionDef):
            _Aliasing(self.parsed, stmt, external_params=True).run()

    def copy_state(self) -> dict:
        return {name: set(tokens) for name, tokens in self.state.items()}

    def merge(self, other: dict):
        for name, tokens in other.items():
            self.state[name] = self.state.get(name, set()) | tokens

    def run(self):
        self.block(self.fn.body)


def _holding(node, parts: list) -> set:
    """The tokens of a new container `node` holding values of `parts` (their tokens); marked
    ``shared`` when two of its items may be one value."""
    tokens = {id(node)} | _items(*parts)
    seen: set = set()
    for part in parts:
        mine = {t for t in part if not _is_item(t)}
        if mine & seen:
            tokens.add(("shared", id(node)))
        seen |= mine
    return tokens


def _is_item(token) -> bool:
    return isinstance(token, tuple) and token[0] == "item"


def _items(*token_sets) -> set:
    """The tokens of values held by a list (not the list's own memory)."""
    return {("item", t) for tokens in token_sets for t in tokens if not _is_item(t)}


def _whole(token):
    """The token of the value a part (``a`` of ``a, b = pair``) was taken from."""
    while isinstance(token, tuple) and token[0] == "part":
        token = token[2]
    return token


def _overlap(a, b) -> bool:
    """Whether two tokens may denote overlapping memory: the same value, or a part of it
    (different parts of one value do not overlap)."""
    if a == b:
        return True
    a_part = isinstance(a, tuple) and a[0] == "part"
    b_part = isinstance(b, tuple) and b[0] == "part"
    if a_part and b_part:
        return a[1] == b[1] and _overlap(a[2], b[2])
    if a_part:
        return _overlap(a[2], b)
    if b_part:
        return _overlap(a, b[2])
    return False


def _inside(node, outer) -> bool:
    return any(n is node for n in gast.walk(outer))


def _source(node) -> str:
    return ast.unparse(gast.gast_to_ast(node))


def check_in_place_writes(parsed: ParsedFunction, inlined: bool) -> None:
    """Raise :class:`UnsupportedSyntaxError` at the first write in place in `parsed` that
    another name would see. `inlined`: the function is a callee inlined into its caller, so
    its parameters are the caller's arrays (a write into one changes the caller's)."""
    _Aliasing(parsed, parsed.node, external_params=inlined).run()
