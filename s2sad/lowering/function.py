"""Lower whole functions: statements, control flow, calls (inlined), recursion.

`FunctionLowerer` extends the expression lowering of `lower.py` with everything that belongs
to a function body: SSA versions of reassigned names, branches with their merge copies, loops
with their carried variables and write-backs, and calls to other Python functions, lambdas and
closures, which are inlined (or, for recursion, called with linked derivatives).
"""

from __future__ import annotations

import types

import gast

from ..errors import S2sadError, UnsupportedSyntaxError, check_nesting, with_nesting_room
from ..frontend.desugar import desugar
from ..frontend.parse import MISSING, ParsedFunction, derivative_of, user_function
from ..ir.nodes import (
    Break,
    Comment,
    Const,
    Copy,
    For,
    Function,
    If,
    NameSource,
    Op,
    Return,
    Var,
    While,
    always_breaks,
    assigned,
    children,
    last_breaking_if,
    map_names,
)
from ..rules import REGISTRY, Primitive
from .expressions import (
    RESERVED_NAMES,
    LocalFunction,
    Lowerer,
    Multiple,
)


def _append_on_fallthrough(block: list, stmts: list) -> None:
    """Append `stmts` to every path through `block` that does not end in ``break``: a loop's
    write-backs belong to the iterations that reach the end of the body, so that the reverse
    sweep replays them on exactly those paths. The merge copies that follow an ``if``
    containing a ``break`` move into its branches with them."""
    if block and isinstance(block[-1], Break):
        return
    k = last_breaking_if(block)
    if k is None:
        block.extend(stmts)
        return
    tail = block[k + 1:]
    del block[k + 1:]
    for branch in (block[k].body, block[k].orelse):
        if not always_breaks(branch):
            _append_on_fallthrough(branch, [_copy_stmt(s) for s in tail + stmts])


def _copy_stmt(stmt):
    if isinstance(stmt, Copy):
        return Copy(stmt.target, stmt.value, stmt.loc, stmt.carry)
    if isinstance(stmt, Op):
        return Op(stmt.target, stmt.prim, stmt.args, stmt.kwargs, stmt.loc)
    raise TypeError(f"cannot move {stmt!r} into a branch")


class FunctionLowerer(Lowerer):
    """Lowers a whole user function, renaming reassigned variables to keep SSA form.

    Calls to other Python functions are inlined: the callee is parsed, fenced and lowered into
    the caller's trace with its locals renamed apart, so one adjoint sweep covers both and the
    generated code stays a single readable function.
    """

    MAX_INLINE_DEPTH = 32

    def __init__(self, parsed: ParsedFunction, names: NameSource, parent=None, derive=None):
        super().__init__(names, parsed.resolve, parsed.location)
        self.parsed = parsed
        # derive(parsed, steps) -> a derivative program (IR): the pipeline, handed down by
        # transform.py so that s2sad.grad(h) inside differentiated code can be inlined.
        self.derive = parent.derive if parent is not None else derive
        self.defined: set = set()
        self.parent = parent
        self.loops: list = []  # carried-variable maps of the enclosing loops
        # Recursive functions called (by name): their generated derivatives are linked in.
        self.recursions: set = parent.recursions if parent is not None else set()
        # Facts about the whole function being lowered (shared with inlined callees).
        self.flags: dict = parent.flags if parent is not None else {"ssa": True}
        if parent is not None:  # share the caller's output and globals
            self.out = parent.out
            self.globals_used = parent.globals_used

    def stack(self):
        lowerer = self
        while lowerer is not None:
            yield lowerer.parsed
            lowerer = lowerer.parent

    def version(self, user_name: str) -> str:
        """The IR name for a new assignment of `user_name`."""
        if self.parent is not None:
            return self.names.derived(user_name)  # an inlined callee: stay apart from caller
        if user_name in self.defined or user_name in RESERVED_NAMES:
            name = self.names.derived(user_name)
        else:
            name = user_name
            self.names.reserve(name)
        self.defined.add(name)
        return name

    def params(self) -> list:
        args = self.parsed.node.args
        return [a.id for a in (*args.posonlyargs, *args.args)]

    def lower_body(self, node=None):
        """Lower a function body (desugared to a single final return); the returned atom(s)."""
        node = node or self.parsed.node
        if isinstance(node, gast.Lambda):
            return self.expr(node.body)
        desugar(node, self.parsed.location)
        result = self.statements(node.body)
        if result is None:
            raise S2sadError(f"{node.name!r} does not return a value",
                             self.parsed.location(node),
                             "a differentiated function must end with 'return <value>'")
        return result

    def statements(self, stmts):
        """Lower `stmts` into `self.out`; the returned atom(s) if they end in a return."""
        for stmt in stmts:
            if isinstance(stmt, gast.Pass) or (isinstance(stmt, gast.Expr) and isinstance(
                stmt.value, gast.Constant)
            ):
                continue  # a docstring
            if isinstance(stmt, gast.Return):
                return self.returned(stmt)
            getattr(self, "stmt_" + type(stmt).__name__)(stmt)
        return None

    def sub_block(self, stmts, prologue=None):
        """Lower a nested block into its own list, on a copy of the environment."""
        saved_out, saved_env = self.out, self.env
        self.out, self.env = [], dict(saved_env)
        if prologue is not None:
            prologue()
        self.statements(stmts)
        block, env = self.out, self.env
        self.out, self.env = saved_out, saved_env
        return block, env

    def stmt_Expr(self, stmt):
        """``items.append(value)``: a new version of the list (the fence allows no other)."""
        call = stmt.value
        name = call.func.value.id
        if name not in self.env:
            raise self.error(S2sadError, call, f"name {name!r} is not defined",
                             "create the list first: 'items = []'")
        value = self.expr(call.args[0])
        self.env[name] = self.emit(REGISTRY.by_name["list_append"], (self.env[name], value), (),
                                   stmt, self.version(name))

    # ------------------------------------------------------------------------- control flow
    def stmt_If(self, stmt):
        test = self.expr(stmt.test)
        body, body_env = self.sub_block(stmt.body)
        orelse, else_env = self.sub_block(stmt.orelse)
        paths = [(block, env) for block, env in ((body, body_env), (orelse, else_env))
                 if not (block and isinstance(block[-1], Break))]
        for name in sorted({n for _, env in paths for n in env}):
            values = [env.get(name) for _, env in paths]
            if all(v == values[0] for v in values):
                if values[0] is not None:
                    self.env[name] = values[0]
                continue
            if any(isinstance(v, (LocalFunction, Multiple)) for v in values):
                raise self.error(UnsupportedSyntaxError, stmt, f"{name!r} is a function or tuple "
                                 "assigned differently in the two branches")
            merged = self.version(name)
            for block, env in paths:
                # A name the other branch never assigns is None there, as in an unset
                # variable: generated code must never fail with a NameError.
                value = env.get(name, Const(None))
                block.append(Copy(merged, value, self.parsed.location(stmt)))
            self.env[name] = Var(merged)
        self.out.append(If(test, body, orelse, self.parsed.location(stmt)))

    def _assigned_in(self, stmts) -> list:
        """Names (re)bound in `stmts`: assigned, assigned into (y[i] = v), or appended to."""
        names = []
        for stmt in stmts:
            for node in gast.walk(stmt):
                name = None
                if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                    name = node.id
                elif isinstance(node, gast.Subscript) and isinstance(node.ctx, gast.Store) and (
                    isinstance(node.value, gast.Name)
                ):
                    name = node.value.id
                elif isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and (
                    node.func.attr in ("append", "pop")
                    and isinstance(node.func.value, gast.Name)
                ):
                    name = node.func.value.id
                if name is not None and name not in names:
                    names.append(name)
        return names

    def _read_outside(self, loop) -> set:
        """Names read outside the repeated part of `loop` (its ``else`` runs once, after)."""
        inside = {id(n) for n in gast.walk(loop)} - {id(n) for s in loop.orelse
                                                     for n in gast.walk(s)}
        return {n.id for n in gast.walk(self.parsed.node) if isinstance(n, gast.Name)
                and isinstance(n.ctx, gast.Load) and id(n) not in inside}

    def _carried(self, loop, extra_targets=()) -> dict:
        """Loop-carried variables: assigned in the loop (or its ``else``) and defined before
        or read after it."""
        assigned = self._assigned_in(loop.body + loop.orelse) + list(extra_targets)
        outside = self._read_outside(loop)
        carried = {}
        for name in sorted(set(assigned)):
            before = self.env.get(name)
            if isinstance(before, (LocalFunction, Multiple)):
                raise self.error(UnsupportedSyntaxError, loop,
                                 f"{name!r} is a function or tuple reassigned in a loop")
            if before is not None or name in outside:
                carried[name] = self.version(name)
                # Defined before the loop, or None (the loop may run zero times).
                self.out.append(Copy(carried[name], before if before is not None else Const(None),
                                     self.parsed.location(loop)))
        return carried

    def write_back(self, node):
        """Copy the current values of the innermost loop's carried variables into place."""
        carried = self.loops[-1]
        for name, carried_name in carried.items():
            atom = self.env.get(name)
            if atom is not None and atom != Var(carried_name):
                self.out.append(Copy(carried_name, atom, self.parsed.location(node), carry=True))

    def stmt_Break(self, stmt):
        self.write_back(stmt)
        self.out.append(Break(self.parsed.location(stmt)))

    def loop_body(self, loop, carried, prologue):
        def start():
            for name, carried_name in carried.items():
                self.env[name] = Var(carried_name)
            prologue()

        self.loops.append(carried)
        try:
            saved_out, saved_env = self.out, self.env
            self.out, self.env = [], dict(saved_env)
            start()
            self.statements(loop.body)
            body, self.out = self.out, []
            self.write_back(loop)
            _append_on_fallthrough(body, self.out)
            self.out, self.env = saved_out, saved_env
        finally:
            self.loops.pop()
        for name, carried_name in carried.items():
            self.env[name] = Var(carried_name)
        return body

    def stmt_For(self, stmt):
        bounds, reverse, limit, elements = self.loop_range(stmt)
        target = stmt.target
        names = [target.id] if isinstance(target, gast.Name) else [e.id for e in target.elts]
        carried = self._carried(stmt, names)
        index_user = names[0] if elements is None else None
        index = self.version(index_user) if index_user else self.names.derived("i")

        def prologue():
            if elements is None:
                self.env[index_user] = Var(index)
                return
            if len(names) != len(elements):
                raise self.error(UnsupportedSyntaxError, target,
                                 f"cannot unpack {len(elements)} values into {len(names)} names")
            for name, make in zip(names, elements):
                self.env[name] = make(Var(index), self.version(name))

        body = self.loop_body(stmt, carried, prologue)
        orelse = self.loop_else(stmt, carried)
        self.out.append(For(index, bounds, body, self.parsed.location(stmt), reverse, limit,
                            orelse))

    def loop_else(self, loop, carried) -> list:
        """The ``else`` block of `loop`, run when it ends without ``break``: it starts from
        the carried values and writes its own back into them, as an iteration does (so after
        the loop they hold the value of whichever path ran)."""
        if not loop.orelse:
            return []
        # Its write-backs reassign carried names outside the loop: not the SSA form that
        # reverse mode reads (ssa.normalize makes it so).
        self.flags["ssa"] = False
        self.loops.append(carried)
        saved_out, self.out = self.out, []
        try:
            self.statements(loop.orelse)
            self.write_back(loop)
        finally:
            orelse, self.out = self.out, saved_out
            self.loops.pop()
        for name, carried_name in carried.items():
            self.env[name] = Var(carried_name)
        return orelse

    def loop_range(self, stmt):
        """(bounds, reverse, limit, element makers) of a for loop's iterable."""
        node = stmt.iter
        reverse, limit = False, None
        if isinstance(node, gast.Call) and self.static_object(node.func) is reversed:
            reverse, node = True, node.args[0]
        if isinstance(node, gast.Subscript) and isinstance(node.slice, gast.Slice) and (
            node.slice.lower is None and node.slice.step is None
        ):
            limit, node = self.expr(node.slice.upper), node.value
        if isinstance(node, gast.Call) and self.static_object(node.func) is range:
            if node.keywords or not 1 <= len(node.args) <= 3:
                raise self.error(UnsupportedSyntaxError, node, "range() takes 1 to 3 arguments")
            return tuple(self.expr(a) for a in node.args), reverse, limit, None
        if reverse or limit is not None:
            raise self.error(UnsupportedSyntaxError, node, "only ranges can be reversed or "
                             "sliced in a for loop header", "loop over range(...) instead")
        getitem = REGISTRY.by_name["getitem"]
        length = REGISTRY.by_name["len"]

        def element(sequence):
            return lambda index, name: self.emit(getitem, (sequence,), (("index", index),),
                                                 stmt, name)

        static = self.static_object(node.func) if isinstance(node, gast.Call) else MISSING
        if static is enumerate:
            if len(node.args) != 1 or node.keywords:
                raise self.error(UnsupportedSyntaxError, node,
                                 "enumerate() with a start value is not supported")
            sequence = self.expr(node.args[0])
            n = self.emit(length, (sequence,), (), node)
            return (n,), False, None, [lambda index, name: self.assign(index, name, stmt),
                                       element(sequence)]
        if static is zip:
            sequences = [self.expr(a) for a in node.args]
            n = self.emit(length, (sequences[0],), (), node)
            for other in sequences[1:]:
                n = self.emit(REGISTRY.by_name["min"], (n, self.emit(length, (other,), (), node)),
                              (), node)
            return (n,), False, None, [element(s) for s in sequences]
        sequence = self.expr(node)
        n = self.emit(length, (sequence,), (), node)
        return (n,), False, None, [element(sequence)]

    def stmt_While(self, stmt):
        carried = self._carried(stmt)
        self.loops.append(carried)
        saved_out, saved_env = self.out, self.env
        self.out, self.env = [], dict(saved_env)
        for name, carried_name in carried.items():
            self.env[name] = Var(carried_name)
        test = self.expr(stmt.test)
        test_body = self.out
        self.out, self.env = saved_out, saved_env
        self.loops.pop()
        body = self.loop_body(stmt, carried, lambda: None)
        orelse = self.loop_else(stmt, carried)
        self.out.append(While(test_body, test, body, self.parsed.location(stmt), orelse))

    def lower(self) -> Function:
        node = self.parsed.node
        params = self.params()
        for p in params:
            self.env[p] = Var(p)
            self.defined.add(p)
        defaults = tuple(
            Const(d.value) if isinstance(d, gast.Constant) else None for d in node.args.defaults
        )
        result = self.lower_body()
        loc = self.parsed.location(node.body[-1])
        parts = result if isinstance(result, Multiple) else (result,)
        if any(isinstance(p, LocalFunction) for p in parts):
            raise UnsupportedSyntaxError(f"{node.name!r} returns a function", loc,
                             "differentiate the returned function itself, or return its value")
        if isinstance(result, Multiple):
            self.out.append(Return(tuple(result), True, loc))
        else:
            self.out.append(Return((result,), False, loc))
        return Function(node.name, params, self.out, defaults,
                        source_names=frozenset(self.names.taken),
                        globals_used=self.globals_used, recursions=tuple(sorted(self.recursions)),
                        ssa=self.flags["ssa"])

    def returned(self, stmt):
        value = stmt.value
        if value is None:
            raise S2sadError("the function returns None", self.parsed.location(stmt),
                             "return the value to differentiate")
        if isinstance(value, gast.Tuple):
            parts = []
            for elt in value.elts:
                atom = self.expr(elt)
                if isinstance(atom, Multiple):
                    raise self.error(UnsupportedSyntaxError, elt, "nested tuples in a return "
                                     "are not supported", "return a flat tuple")
                parts.append(atom)
            return Multiple(parts)
        return self.expr(value)

    # ------------------------------------------------------------------------- statements
    def stmt_Assign(self, stmt):
        first = stmt.targets[0]
        if len(stmt.targets) == 1 and isinstance(first, gast.Tuple):
            return self.assign_tuple(first, stmt)
        if len(stmt.targets) == 1 and isinstance(first, gast.Subscript):
            return self.assign_item(first, stmt)
        if isinstance(first, gast.Name):
            target = self.version(first.id)
            atom = self.expr(stmt.value, target)
            self.env[first.id] = atom
        else:
            atom = self.expr(stmt.value)
            self.unpack(first, atom, stmt)
        for extra in stmt.targets[1:]:
            if isinstance(extra, gast.Name):
                target = self.version(extra.id)
                self.env[extra.id] = self.assign(atom, target, stmt)
            else:
                self.unpack(extra, atom, stmt)

    def assign_item(self, target, stmt):
        """``y[index] = v``: a new version of y (the old array is never written)."""
        name = target.value.id
        if name not in self.env:
            raise self.error(S2sadError, target, f"name {name!r} is assigned into before it is "
                             "defined", "create it first, e.g. with np.zeros")
        base = self.env[name]
        index = self.index(target.slice)
        value = self.expr(stmt.value)
        self.env[name] = self.emit(REGISTRY.by_name["setitem"], (base, value),
                                   (("index", index),), stmt, self.version(name))

    def assign_tuple(self, target_node, stmt):
        names = [t.id for t in target_node.elts]
        value = stmt.value
        if isinstance(value, gast.Tuple) and len(value.elts) == len(names):
            new = [self.version(n) for n in names]
            atoms = [self.expr(v, t) for v, t in zip(value.elts, new)]
        else:
            atom = self.expr(value)
            if not isinstance(atom, Multiple):
                return self.unpack(target_node, atom, stmt)
            if len(atom) != len(names):
                raise self.error(S2sadError, stmt, f"cannot unpack {len(atom)} values into "
                                 f"{len(names)} names")
            atoms = [self.assign(a, self.version(n), stmt) for a, n in zip(atom, names)]
        for n, atom in zip(names, atoms):
            self.env[n] = atom

    def unpack(self, target_node, atom, stmt):
        if isinstance(atom, Multiple):
            return self.assign_tuple(target_node, gast.Assign(targets=[target_node],
                                                              value=stmt.value))
        getitem = REGISTRY.by_name["getitem"]
        for i, elt in enumerate(target_node.elts):
            name = self.version(elt.id)
            self.env[elt.id] = self.emit(getitem, (atom,), (("index", Const(i)),), stmt, name)

    def stmt_AugAssign(self, stmt):
        prim = REGISTRY.binops[type(stmt.op)]
        name = stmt.target.id
        if name not in self.env:
            raise S2sadError(f"name {name!r} is updated before it is assigned",
                             self.parsed.location(stmt), "assign it first")
        current = self.env[name]
        value = self.expr(stmt.value)
        self.env[name] = self.emit(prim, (current, value), (), stmt, self.version(name))

    # ------------------------------------------------------------------------- inlining
    def expr_Call(self, node, target):
        """Calls that only a function body has: of a local function, of ``s2sad.grad(h)``,
        and ``items.pop()``; everything else is a primitive call or an inlined callee."""
        func = node.func
        if isinstance(func, gast.Name) and isinstance(self.env.get(func.id), LocalFunction):
            return self.inline_local(self.env[func.id], node, target)
        if isinstance(func, gast.Lambda):  # (lambda v: v * 2)(x)
            return self.inline_local(LocalFunction(func, self), node, target)
        if isinstance(func, gast.Call) and getattr(
            self.static_object(func.func), "__s2sad_operator__", None
        ) == "grad":
            return self.derivative_call(node, target)
        if (isinstance(func, gast.Attribute) and func.attr == "pop" and not node.args
                and isinstance(func.value, gast.Name) and func.value.id in self.env):
            # items.pop(): the last item; the list becomes a new version without it.
            name = func.value.id
            items = self.env[name]
            getitem = REGISTRY.by_name["getitem"]
            last = self.emit(getitem, (items,), (("index", Const(-1)),), node, target)
            self.env[name] = self.emit(getitem, (items,), (("index", Const(slice(None, -1))),),
                                       node, self.version(name))
            return last
        return super().expr_Call(node, target)

    def callee_of(self, obj):
        """The plain Python function behind `obj` if a call to it should be inlined."""
        return user_function(obj)

    def unresolved_call(self, func, name: str) -> S2sadError:
        """Say why the function a call calls is not known when the code is transformed."""
        why = "s2sad inlines or differentiates a call when it transforms the code, so it must " \
              "know then which function is called"
        if isinstance(func, gast.Name) and func.id in self.env:
            return self.error(
                UnsupportedSyntaxError, func,
                f"{name!r} is a variable here, so the function it calls is only known when the "
                f"code runs;\n{why}",
                "call the function by its own name (np.sin(x)), or choose with a branch: "
                "y = np.sin(x) if c else np.cos(x)")
        if isinstance(func, gast.Name):
            return self.error(S2sadError, func, f"the name {name!r} is not defined",
                              "define or import it at module level before differentiating")
        return self.error(
            UnsupportedSyntaxError, func,
            f"the function of this call is computed by an expression;\n{why}",
            "name the function first: a def, or 'h = lambda ...' followed by 'h(x)'; or call "
            "a lambda directly: (lambda v: v * 2)(x)")

    def inline(self, callee, node, target):
        from ..frontend import fence
        from ..frontend.parse import parse_function

        parsed = parse_function(callee)
        derived = derivative_of(callee)
        if derived is not None:  # a call of s2sad.grad(h): h's gradient program, inlined
            return self.inline_gradient(parsed, derived[1], node, target)
        if any(p.source_hash == parsed.source_hash and p.fn is callee for p in self.stack()):
            return self.recursive_call(callee, parsed, node, target)
        if len(list(self.stack())) > self.MAX_INLINE_DEPTH:
            raise self.error(UnsupportedSyntaxError, node, "calls are nested too deeply")
        parsed.inlined = True
        fence.check(parsed)
        child = FunctionLowerer(parsed, self.names, parent=self)
        defaults = getattr(callee, "__defaults__", None) or ()
        self.bind_call(child, parsed.node, node, defaults)
        result = child.lower_body()
        if target is not None and not isinstance(result, Multiple):
            return self.assign(result, target, node)
        return result

    def recursive_call(self, callee, parsed, node, target):
        """A recursive call cannot be inlined: call the function itself in the forward sweep,
        and its own generated derivative (``g_vjp`` / ``g_jvp``) in the derivative code."""
        name = getattr(callee, "__name__", "")
        if self.resolve(name) is not callee:
            raise self.error(UnsupportedSyntaxError, node, "this recursive call cannot be "
                             "differentiated", "call the recursive function by its own name")
        if not isinstance(callee, types.FunctionType) or callee.__defaults__ or (
            parsed.node.args.vararg is not None or parsed.node.args.kwonlyargs
        ):
            raise self.error(UnsupportedSyntaxError, node, "recursive functions with default "
                             "values or *args cannot be differentiated yet",
                             "pass every argument explicitly")
        holder = FunctionLowerer(parsed, self.names, parent=self)
        self.bind_call(holder, parsed.node, node, ())
        params = holder.params()
        prim = recursion_primitive(callee, params)
        self.recursions.add(name)
        return self.emit(prim, tuple(holder.env[p] for p in params), (), node, target)

    def bind_call(self, child, fn_node, node, defaults=(), extra=()):
        """Bind the call `node`'s arguments to `fn_node`'s parameters in `child.env`."""
        name = getattr(fn_node, "name", "lambda")
        args = fn_node.args
        params = [a.id for a in (*args.posonlyargs, *args.args)]
        positional = self.spread(node.args, node.keywords, node)
        if len(positional) > len(params) and args.vararg is None:
            raise self.error(S2sadError, node, f"too many arguments for {name}",
                             f"it takes ({', '.join(params)})")
        if args.vararg is not None:
            child.env[args.vararg.id] = Multiple(self.atom_of(a) for a in positional[len(params):])
        bound = dict(zip(params, positional))
        for kw in node.keywords:
            if kw.arg not in params or kw.arg in bound:
                raise self.error(S2sadError, kw.value, f"unexpected keyword {kw.arg!r} for "
                                 f"{name}", f"its parameters are ({', '.join(params)})")
            bound[kw.arg] = kw.value
        first_default = len(params) - len(defaults)
        for i, p in enumerate(params):
            if p in bound:
                atom = self.atom_of(bound[p])
                if isinstance(atom, Multiple):
                    raise self.error(UnsupportedSyntaxError, bound[p],
                                     "passing a tuple of values is not supported")
                child.env[p] = atom
            elif i >= first_default:
                child.env[p] = self.default_atom(defaults[i - first_default], p, node)
            else:
                raise self.error(S2sadError, node, f"{name}() is missing the argument {p!r}",
                                 f"its parameters are ({', '.join(params)})")
        child.env.update(extra)

    # ------------------------------------------------------------------ local functions
    def stmt_FunctionDef(self, stmt):
        self.env[stmt.name] = LocalFunction(stmt, self)

    def expr_Lambda(self, node, target):
        return LocalFunction(node, self)

    def inline_local(self, local, node, target):
        """Inline a call of a lambda or nested def; it sees its definer's variables now."""
        depth = len(list(self.stack()))
        if depth > self.MAX_INLINE_DEPTH:
            raise self.error(UnsupportedSyntaxError, node, "calls are nested too deeply",
                             "recursion is not supported")
        child = FunctionLowerer(local.owner.parsed, self.names, parent=self)
        child.env = dict(local.owner.env)
        defaults = [self.static_default(d, local) for d in local.node.args.defaults]
        self.bind_call(child, local.node, node, tuple(defaults))
        result = child.lower_body(local.node)
        if target is not None and not isinstance(result, (Multiple, LocalFunction)):
            return self.assign(result, target, node)
        return result

    def static_default(self, node, local):
        if isinstance(node, gast.Constant):
            return node.value
        raise self.error(UnsupportedSyntaxError, node, "default values of local functions must "
                         "be constants", "pass the value as an argument instead")

    def derivative_call(self, node, target):
        """``s2sad.grad(h, wrt)(args)`` inside differentiated code.

        For a module-level `h` the gradient function is built now and inlined. For a local `h`
        (a lambda or nested def closing over this function's variables) the closure is
        converted: its free variables become extra parameters, its gradient is generated as
        usual, and that code is inlined with the current values of those variables, so the
        outer derivative flows through them (no perturbation confusion).
        """
        inner = node.func
        if len(inner.args) < 1:
            raise self.error(S2sadError, inner, "s2sad.grad needs a function")
        h = self.expr(inner.args[0]) if not self.is_static(inner.args[0]) else None
        options = {}
        for i, arg in enumerate([*inner.args[1:], *(kw.value for kw in inner.keywords)]):
            key = "wrt" if i < len(inner.args) - 1 else inner.keywords[i - len(inner.args) +
                                                                       1].arg
            value = self.const_index(arg) if not isinstance(arg, gast.Constant) else arg.value
            if value is MISSING:
                raise self.error(UnsupportedSyntaxError, arg, "wrt must be a constant here")
            options[key] = value
        steps = (("grad", options.get("wrt", 0)),)
        if h is None:
            from ..frontend.parse import parse_function

            obj = self.static_object(inner.args[0])
            callee = parse_function(obj)
            steps = (derivative_of(obj) or (None, ()))[1] + steps  # grad of a gradient
            return self.inline_gradient(callee, steps, node, target)
        if not isinstance(h, LocalFunction):
            raise self.error(UnsupportedSyntaxError, inner.args[0],
                             "s2sad.grad inside a differentiated function needs a function",
                             "pass a function defined in this module or in this function")
        return self.inline_converted(h, steps, node, target)

    def inline_gradient(self, parsed, steps, node, target, extra=None):
        """Inline the derivative program of `parsed` that `steps` describe (its IR, built by
        the pipeline): its names renamed apart, its parameters bound to this call's
        arguments."""
        if self.derive is None:
            raise self.error(UnsupportedSyntaxError, node, "s2sad.grad cannot be used here")
        program = self.derive(parsed, steps)
        fn_node = parsed.node
        params = [a.id for a in (*fn_node.args.posonlyargs, *fn_node.args.args)]
        extra = extra or {}
        signature = gast.FunctionDef(
            name=fn_node.name, args=gast.arguments(
                args=[gast.Name(p, gast.Param(), None, None) for p in params if p not in extra],
                posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None,
                defaults=[]), body=[], decorator_list=[], returns=None, type_comment=None,
            type_params=[])
        binding = FunctionLowerer(parsed, self.names, parent=self)
        self.bind_call(binding, signature, node, (), extra)
        own = set(program.params) | assigned(program.body)
        renamed = {name: self.names.derived(name) for name in sorted(own)}
        loc = self.parsed.location(node)
        for p in program.params:
            self.out.append(Copy(renamed[p], binding.env[p], loc))
        body = map_names(program.body, lambda name: renamed.get(name, name))
        ret = body.pop()
        self.out.extend(s for s in body if not isinstance(s, Comment))
        self.globals_used.update(program.globals_used)
        self.recursions.update(program.recursions)
        self.flags["ssa"] = False  # the gradient accumulates its adjoints in place
        result = Multiple(ret.values) if ret.is_tuple else ret.values[0]
        if target is not None and not isinstance(result, Multiple):
            return self.assign(result, target, node)
        return result

    def is_static(self, node) -> bool:
        return isinstance(node, (gast.Name, gast.Attribute)) and (
            self.static_object(node) is not MISSING)

    def inline_converted(self, local, steps, node, target):
        """The gradient of a lambda or nested def: its free variables become parameters."""
        from ..frontend.parse import ParsedFunction

        fn_node = local.node
        params = [a.id for a in (*fn_node.args.posonlyargs, *fn_node.args.args)]
        assigned = {n.id for n in gast.walk(fn_node) if isinstance(n, gast.Name)
                    and isinstance(n.ctx, gast.Store)}
        free = sorted({n.id for n in gast.walk(fn_node) if isinstance(n, gast.Name)
                       and n.id in local.owner.env and n.id not in params
                       and n.id not in assigned})
        body = [gast.Return(value=fn_node.body)] if isinstance(fn_node, gast.Lambda) else (
            fn_node.body)
        name = getattr(fn_node, "name", "lambda_")
        arguments = gast.arguments(
            args=[gast.Name(p, gast.Param(), None, None) for p in params + free],
            posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None,
            defaults=[])
        converted = gast.FunctionDef(name=name, args=arguments, body=body, decorator_list=[],
                                     returns=None, type_comment=None, type_params=[])
        gast.copy_location(converted, fn_node)
        owner = local.owner.parsed
        parsed = ParsedFunction(fn=None, node=converted, filename=owner.filename,
                                line_offset=owner.line_offset, col_offset=owner.col_offset,
                                source=owner.source, source_hash="", scope=owner.scope,
                                file_lines=owner.file_lines)
        extra = {f: local.owner.env[f] for f in free}
        return self.inline_gradient(parsed, steps, node, target, extra)

    def atom_of(self, node_or_atom):
        if isinstance(node_or_atom, (Var, Const)):
            return node_or_atom
        return self.expr(node_or_atom)

    def default_atom(self, value, param, node):
        if value is None or isinstance(value, (bool, int, float, str)):
            return Const(value)
        if isinstance(value, tuple) and all(isinstance(v, (int, float)) for v in value):
            return Const(value)
        raise self.error(UnsupportedSyntaxError, node,
                         f"the default value of {param!r} is not a constant",
                         "pass the argument explicitly")


def _all_names(node) -> set:
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}


def lower_function(parsed: ParsedFunction, derive=None) -> Function:
    """The SSA IR of a fenced function (`derive` generates gradients of nested calls)."""
    def run():
        desugar(parsed.node, parsed.location)  # first: it introduces `result`, `returned`
        names = NameSource(_all_names(parsed.node) | RESERVED_NAMES | {parsed.node.name})
        return FunctionLowerer(parsed, names, derive=derive).lower()

    function = with_nesting_room(check_nesting(parsed.node, parsed.location), run)
    _check_block_nesting(function)
    return function


# Branches and loops nested deeper than this would not compile once generated: Python allows
# 100 levels of indentation, and derivative code adds its own (the def, loops of the sweeps).
MAX_BLOCK_NESTING = 90


def _check_block_nesting(function: Function) -> None:
    """Refuse, at the first branch or loop past the bound, blocks nested deeper than
    MAX_BLOCK_NESTING (a long chain of conditional expressions nests one branch per link)."""
    deepest, first_too_deep = 0, None
    stack = [(stmt, 1) for stmt in reversed(function.body)]
    while stack:
        stmt, depth = stack.pop()
        blocks = children(stmt)
        if not blocks:
            continue
        deepest = max(deepest, depth)
        if depth == MAX_BLOCK_NESTING + 1 and first_too_deep is None:
            first_too_deep = stmt
        for block in reversed(blocks):
            stack.extend((inner, depth + 1) for inner in reversed(block))
    if first_too_deep is not None:
        raise UnsupportedSyntaxError(
            f"branches and loops nest {deepest} levels deep here (each conditional expression "
            "'a if c else b' and each 'elif' is a branch inside the one before); code nested "
            f"deeper than {MAX_BLOCK_NESTING} levels would not compile once generated, as "
            "Python allows 100 levels of indentation", first_too_deep.loc,
            "split the chain over several statements, or compute the cases with "
            "np.where(condition, a, b)")



_RECURSION_PRIMITIVES: dict = {}


def recursion_primitive(callee, params) -> Primitive:
    """The primitive for calls of the recursive function `callee`: its VJP and JVP call the
    derivative functions s2sad generates for `callee` itself (linked in by the API)."""
    key = (callee, tuple(params))
    if key in _RECURSION_PRIMITIVES:
        return _RECURSION_PRIMITIVES[key]
    name = callee.__name__
    arglist = ", ".join(params)
    dots = ", ".join(f"{p}_dot" for p in params)
    vjp_name, jvp_name = derivative_names(name)
    prim = Primitive(
        name=f"recursive:{callee.__module__}.{callee.__qualname__}", spelling=name,
        argnames=tuple(params),
        vjp={p: f"{vjp_name}({arglist}, g)[{i + 1}]" for i, p in enumerate(params)},
        jvp={p: f"{jvp_name}({arglist}, {dots})[1]" for p in params},
    )
    prim.jvp_all = f"{jvp_name}({arglist}, {dots})[1]"
    # Every argument's adjoint comes from one call: the reverse sweep emits it once per operation
    # (the per-argument templates above index it), or recursion would take exponential time.
    prim.vjp_all = f"{vjp_name}({arglist}, g)"
    prim.impl = callee
    prim.scope = {
        vjp_name: Primitive(name=vjp_name, spelling=vjp_name, argnames=(*params, "g")),
        jvp_name: Primitive(name=jvp_name, spelling=jvp_name,
                            argnames=(*params, *(f"{p}_dot" for p in params))),
    }
    for helper in prim.scope.values():
        helper.user = True  # no rules: differentiating a recursive derivative again fails clearly
    _RECURSION_PRIMITIVES[key] = prim
    return prim


def derivative_names(function_name: str) -> tuple:
    """Namespace names of a recursive function's generated VJP and JVP (with respect to all
    of its arguments; distinct from the name of any function s2sad generates)."""
    return f"{function_name}_vjp_all", f"{function_name}_jvp_all"


# --------------------------------------------------------------------------------- templates
