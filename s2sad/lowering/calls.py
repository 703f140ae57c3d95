"""Lower calls of user code: inlined functions, lambdas and nested defs, ``s2sad.grad``
inside differentiated code, and recursion.

A call of another Python function is inlined: the callee is parsed, fenced and lowered into the
caller's trace with its locals renamed apart, so one adjoint sweep covers both. A lambda or
nested def is inlined where it is called, seeing its definer's variables. ``s2sad.grad(h)(x)``
inlines the derivative program of `h` that the pipeline's `derive` callback builds (a local `h`
is closure-converted first: its free variables become parameters). A recursive call cannot be
inlined: it becomes a primitive whose rules call the derivatives generated for the function
itself. `CallLowering` is a part of `FunctionLowerer` (function.py).
"""

from __future__ import annotations

import types

import gast

from ..errors import S2sadError, UnsupportedSyntaxError
from ..frontend.parse import MISSING, derivative_of, user_function
from ..ir import (
    Comment,
    Const,
    Copy,
    Var,
    assigned,
    map_names,
)
from ..rules import REGISTRY, Primitive
from .atoms import LocalFunction, Multiple, Record
from .methods import MethodCalls


class CallLowering(MethodCalls):
    """The calls of `FunctionLowerer`: inlining, local functions, nested gradients, recursion."""

    MAX_INLINE_DEPTH = 32

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
        if isinstance(func, gast.Attribute):
            method = self.method_of(func)
            if method is not None:
                return self.inline_method(method, func, node, target)
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
        child = self.lowerer_for(parsed)
        defaults = getattr(callee, "__defaults__", None) or ()
        self.bind_call(child, parsed.node, node, defaults,
                       kwdefaults=getattr(callee, "__kwdefaults__", None) or {})
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
        holder = self.lowerer_for(parsed)
        self.bind_call(holder, parsed.node, node, ())
        params = holder.params()
        prim = recursion_primitive(callee, params)
        self.recursions.add(name)
        return self.emit(prim, tuple(holder.env[p] for p in params), (), node, target)

    def bind_call(self, child, fn_node, node, defaults=(), extra=(), kwdefaults=None):
        """Bind the call `node`'s arguments to `fn_node`'s parameters in `child.env`
        (`defaults` of the trailing positional ones, `kwdefaults` of the keyword-only ones
        by name)."""
        name = getattr(fn_node, "name", "lambda")
        args = fn_node.args
        params = [a.id for a in (*args.posonlyargs, *args.args)]
        kwonly = [a.id for a in args.kwonlyargs]
        described = ", ".join(params + (["*"] if kwonly and args.vararg is None else [])
                              + kwonly)
        positional = self.spread(node.args, node.keywords, node)
        if len(positional) > len(params) and args.vararg is None:
            raise self.error(S2sadError, node, f"too many arguments for {name}",
                             f"it takes ({described})")
        if args.vararg is not None:
            child.env[args.vararg.id] = Multiple(self.atom_of(a) for a in positional[len(params):])
        bound = dict(zip(params, positional))
        for kw in node.keywords:
            if kw.arg not in params + kwonly or kw.arg in bound:
                raise self.error(S2sadError, kw.value, f"unexpected keyword {kw.arg!r} for "
                                 f"{name}", f"its parameters are ({described})")
            bound[kw.arg] = kw.value
        first_default = len(params) - len(defaults)
        kwdefaults = kwdefaults or {}
        for i, p in enumerate(params + kwonly):
            if p in bound:
                atom = self.atom_of(bound[p])
                if isinstance(atom, Multiple):
                    raise self.error(UnsupportedSyntaxError, bound[p],
                                     "passing a tuple of values is not supported")
                child.env[p] = atom
            elif i < len(params) and i >= first_default:
                child.env[p] = self.default_atom(defaults[i - first_default], p, node)
            elif i >= len(params) and p in kwdefaults:
                child.env[p] = self.default_atom(kwdefaults[p], p, node)
            else:
                raise self.error(S2sadError, node, f"{name}() is missing the argument {p!r}",
                                 f"its parameters are ({described})")
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
        child = self.lowerer_for(local.owner.parsed)
        child.env = dict(local.owner.env)
        args = local.node.args
        defaults = [self.static_default(d, local) for d in args.defaults]
        kwdefaults = {a.id: self.static_default(d, local)
                      for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None}
        self.bind_call(child, local.node, node, tuple(defaults), kwdefaults=kwdefaults)
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
        steps = (("grad", self.nested_wrt(inner, options)),)
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

    def nested_wrt(self, call, options: dict):
        """The wrt of ``s2sad.grad(h, ...)`` in differentiated code, given as ``wrt``,
        ``argnums`` (JAX) or ``argnum`` (autograd); another keyword, or two of these, is an
        error (ignoring it would differentiate with respect to the wrong input)."""
        spellings = ("wrt", "argnums", "argnum")
        unknown = sorted(set(options) - set(spellings))
        if unknown:
            raise self.error(UnsupportedSyntaxError, call, f"s2sad.grad inside a differentiated "
                             f"function takes no {', '.join(unknown)}",
                             "give only the function and wrt (argnums, argnum)")
        given = [name for name in spellings if options.get(name) is not None]
        if len(given) > 1:
            raise self.error(S2sadError, call, f"s2sad.grad was given {' and '.join(given)}: "
                             "these are names of one option", "give only one of them")
        return options[given[0]] if given else 0

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
        binding = self.lowerer_for(parsed)
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
        if fn_node.args.kwonlyargs:  # as s2sad.grad refuses them when the original runs
            raise self.error(UnsupportedSyntaxError, fn_node.args.kwonlyargs[0],
                             "keyword-only parameters of the differentiated function are not "
                             "supported", "make them ordinary parameters (before any '*')")
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
        if isinstance(node_or_atom, (Var, Const, Record)):
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


# One primitive per recursive function and parameter list: every call site shares it.
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
    for helper in prim.scope.values():  # no rules: differentiating them again is refused
        helper.user = True
        helper.refusal = "derivatives of derivatives through a recursive call are not supported"
    _RECURSION_PRIMITIVES[key] = prim
    return prim


def derivative_names(function_name: str) -> tuple:
    """Namespace names of a recursive function's generated VJP and JVP (with respect to all
    of its arguments; distinct from the name of any function s2sad generates)."""
    return f"{function_name}_vjp_all", f"{function_name}_jvp_all"
