"""The pipeline, stage after stage: parse -> fence -> lower -> reverse -> optimize -> emit.

This module only wires the stages together; each stage lives in its own module. The API asks
for a :class:`Request` and gets generated source back (which the loader compiles and caches).
It is the API's one door into the compiler: what the API needs of the front end and the
lowering (parsing, the fence, the names of derivative code) is re-exported here.

Within one build (:func:`parsing_once`) each function is parsed once, by whichever stage asks
first, and fenced once: the API, the walk for dependencies and the lowering's inliner share
the same :class:`ParsedFunction`.
"""

from __future__ import annotations

import builtins
import types
from dataclasses import dataclass

import gast

from .backends import get_backend
from .backends.emit import Generated, source_and_lines
from .errors import NonDifferentiableError, S2sadError, UnsupportedSyntaxError
from .frontend import fence
from .frontend.methods import (
    callee_classes,
    class_attribute,
    defining_class,
    is_super_call,
    self_classes,
    specialized,
)
from .frontend.parse import (
    ParsedFunction,
    derivative_of,
    parse_function,
    parsing_once,
    user_function,
)
from .ir import Function
from .lowering.function import derivative_names, lower_function
from .pytree import classes_of, to_data
from .transforms.forward import forward
from .transforms.in_place import accumulate_in_place
from .transforms.known_shapes import settle_known_shapes
from .transforms.negations import cancel_negations
from .transforms.optimize import optimize as run_optimizer
from .transforms.reverse import AdjointSpec, reverse
from .transforms.splats import spread_splats
from .transforms.ufunc_reductions import call_ufunc_reductions

MODES = ("ssa", "grad", "vjp", "vjp_batch", "jvp", "tangent")


@dataclass(frozen=True)
class Request:
    """What to generate: `mode` is one of MODES; `wrt` holds parameter names.

    `steps` are derivatives taken first, innermost first, as ``(mode, wrt)`` pairs: the Hessian
    code of f is ``Request("jvp", wrt, steps=(("grad", wrt),))``, the forward mode of f's
    gradient program. Each step is a transformation of the IR the step before produced.
    `backend` names the backend the code is written for (``s2sad.backends``); an unknown
    name is refused here, before any work.
    """

    mode: str
    wrt: tuple = ()
    optimize: bool = True
    steps: tuple = ()
    backend: str = "numpy"
    # Parameters given as containers (s2sad.pytree): ((name, TreeDef), ...). Each leaf is a
    # parameter of the generated code; a name in `wrt` stands for all its leaves.
    trees: tuple = ()
    # The output is ``(value, aux)`` and only `value` is differentiated (has_aux=True).
    has_aux: bool = False
    # Parameters the code may take to be scalars: it is built for calls that give them
    # Python floats (a specialisation: no adjoint of theirs is summed down to their shape).
    scalars: tuple = ()
    # Parameters the code may take to be arrays of these shapes and dtypes, ((name, shape,
    # dtype), ...; dtype "f8", "i8"... or "py" for a Python number): it is built for calls
    # that give them such arrays (api/signatures.py).
    shapes: tuple = ()

    def __post_init__(self):
        get_backend(self.backend)

    def key(self) -> tuple:
        trees = tuple((name, tree.signature()) for name, tree in self.trees)
        return (self.mode, self.wrt, self.optimize, self.steps, self.backend, trees,
                self.has_aux, self.scalars, self.shapes)



def parameter_names(parsed: ParsedFunction) -> list:
    args = parsed.node.args
    return [a.id for a in (*args.posonlyargs, *args.args)]


def resolve_wrt(parsed: ParsedFunction, wrt) -> tuple:
    """Parameter names for `wrt` given by position, name, or a tuple of those."""
    params = parameter_names(parsed)
    items = wrt if isinstance(wrt, (tuple, list)) else (wrt,)
    names = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise NonDifferentiableError(
                f"wrt must be a parameter position or name, not {item!r}",
                parsed.location(parsed.node), f"the parameters are {', '.join(params)}")
        if isinstance(item, int):
            if not -len(params) <= item < len(params):
                raise NonDifferentiableError(
                    f"wrt={item} is out of range: {parsed.node.name} has {len(params)} "
                    "parameter(s)", parsed.location(parsed.node),
                    f"the parameters are {', '.join(params) or '(none)'}")
            names.append(params[item])
        else:
            if item not in params:
                raise NonDifferentiableError(
                    f"{parsed.node.name} has no parameter named {item!r}",
                    parsed.location(parsed.node), f"the parameters are {', '.join(params)}")
            names.append(item)
    if len(set(names)) != len(names):
        raise NonDifferentiableError("wrt names a parameter twice", parsed.location(parsed.node),
                                     "list each parameter once")
    return tuple(names)


def _local_names(parsed: ParsedFunction) -> set:
    local = set(parameter_names(parsed))
    for node in gast.walk(parsed.node):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            local.add(node.id)
    return local


def _static(parsed: ParsedFunction, node, local: set):
    """The object a global Name/Attribute chain denotes (iterative: x.T.T... may be long)."""
    attrs = []
    while isinstance(node, gast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if not isinstance(node, gast.Name) or node.id in local:
        return None
    obj = parsed.scope.get(node.id)
    for attr in reversed(attrs):
        if obj is None:
            return None
        obj = getattr(obj, attr, None)
    return obj


def dependencies(parsed: ParsedFunction) -> tuple:
    """What the generated code depends on besides the function's own text.

    Returns ``(namespace, sources, origins)``: the objects of the free names that the function
    and every function it calls (which the lowering inlines) read, the source hashes of those
    callees (editing a callee invalidates the caller's cached derivative), and for each global
    name the module globals it comes from.
    """
    namespace: dict = {}
    sources: list = []
    origins: dict = {}  # name -> the module globals it was found in (to revalidate builds)
    seen: set = set()
    pending = [parsed]
    # What each function knows of its first parameter's class (a method specialized to the
    # class of self, and the methods it calls on self): see frontend/methods.py.
    classes = {id(parsed): self_classes(parsed.fn)}
    while pending:
        current = pending.pop()
        local = _local_names(current)
        module_globals = getattr(current.fn, "__globals__", None)
        known = classes.get(id(current), {})
        for node in gast.walk(current.node):
            if isinstance(node, gast.Name) and node.id not in local and node.id in current.scope:
                obj = current.scope[node.id]
                if module_globals is not None and module_globals.get(node.id) is obj:
                    origins.setdefault(node.id, module_globals)
                if node.id in namespace and namespace[node.id] is not obj:
                    raise UnsupportedSyntaxError(
                        f"the name {node.id!r} means different objects in "
                        f"{parsed.node.name} and a function it calls",
                        current.location(node), "rename one of the two globals")
                namespace[node.id] = obj
            if isinstance(node, (gast.Name, gast.Attribute)):
                obj = _static(current, node, local)
                callee, callee_knows = user_function(obj), {}
                if callee is None:
                    callee, callee_knows = _method(node, obj, known, namespace, current)
                if callee is not None and id(callee) not in seen and (
                    callee is not getattr(parsed, "fn", None)
                ):
                    seen.add(id(callee))
                    try:
                        inner = parse_function(callee)
                    except S2sadError:
                        continue  # reported with its location when the call is lowered
                    sources.append(inner.source_hash)
                    pending.append(inner)
                    classes[id(inner)] = callee_knows
    return namespace, sources, origins


def _method(node, obj, known: dict, namespace: dict, current: ParsedFunction) -> tuple:
    """``(function, what it knows of its first parameter's class)`` for a classmethod read
    through its class (`obj`, ``Model.create``), or for ``self.helper`` (``super().helper``)
    whose `self` has a known class, recording in `namespace` which kind of attribute it is (a
    method, staticmethod or classmethod: each is inlined differently); (None, {}) otherwise."""
    if isinstance(obj, types.MethodType) and isinstance(obj.__self__, type):
        return user_function(obj.__func__), callee_classes("class", obj.__func__, obj.__self__)
    if not isinstance(node, gast.Attribute):
        return None, {}
    base, after = node.value, None
    if is_super_call(base, lambda name: current.scope.get(name, getattr(builtins, name, None))):
        params = parameter_names(current)
        base = gast.Name(params[0], gast.Load(), None, None) if params else base
        if params and params[0] in known:
            after = defining_class(known[params[0]][0], current.fn)
            if after is None:
                return None, {}
    if not (isinstance(base, gast.Name) and base.id in known):
        return None, {}
    cls, is_instance = known[base.id]
    found = class_attribute(cls, node.attr, is_instance, after)
    if found is None:
        return None, {}
    kind, function = found
    where = "super()" if after is not None else base.id
    namespace[f"{where}.{node.attr}"] = kind  # not an identifier: never bound
    return user_function(function), callee_classes(kind, function, cls)


def _derivative_program(parsed: ParsedFunction, steps) -> Function:
    """The derivative program of `parsed` that `steps` (``(mode, wrt)`` pairs) describe, as IR
    (for s2sad.grad calls inside differentiated code, which inline it)."""
    # A program of its own, fenced as one: the same ParsedFunction may also be inlined at a
    # plain call elsewhere in the build (which marks it inlined).
    ir = lower(parsed, inlined=False)
    for mode, wrt in steps:
        ir = derive(ir, mode, resolve_wrt(parsed, wrt))
    return ir


def fence_check(parsed: ParsedFunction, inlined: bool | None = None) -> None:
    """Refuse, with a located error, what s2sad cannot differentiate in `parsed` (the fence;
    once per function and mode)."""
    fence.check(parsed, inlined)


def lower(parsed: ParsedFunction, inlined: bool | None = None, trees: tuple = ()) -> Function:
    """The SSA IR of a parsed function (fenced first); `trees` as in :class:`Request`."""
    fence.check(parsed, inlined)
    return lower_function(parsed, derive=_derivative_program, trees=dict(trees))


def _leaf_params(parsed: ParsedFunction, ir: Function, trees: tuple) -> dict:
    """Each parameter of `parsed` -> the parameters of `ir` holding it (its leaves, for a
    container, except those that are not differentiated: ints, strings...)."""
    kept = {name: tree.differentiable() for name, tree in trees}
    flat, position = {}, 0
    for name in parameter_names(parsed):
        flags = kept.get(name, [True])
        names = ir.params[position:position + len(flags)]
        flat[name] = tuple(n for n, keep in zip(names, flags) if keep)  # no CONST leaves
        position += len(flags)
    return flat


def derive(ir: Function, mode: str, wrt: tuple, optimize: bool = True,
           aux: int = 0) -> Function:
    """One derivative of `ir`: its tangent program (``"jvp"``; ``"tangent"`` without the
    outputs themselves) or an adjoint program (the other modes). Both transformations take
    any program they produce, so derivatives of derivatives are this function applied
    again. The last `aux` values the function returns
    are not differentiated (has_aux): an adjoint program returns them as they are, a tangent
    program returns their tangents too (the caller drops them)."""
    if mode in ("jvp", "tangent"):  # "tangent": the tangents without the outputs
        result = forward(ir, wrt, primal_outputs=mode == "jvp")
    else:
        result = reverse(ir, AdjointSpec(wrt, mode, aux=aux))
    if not optimize:
        return result
    result = run_optimizer(settle_known_shapes(result))
    if result.param_shapes or result.scalar_params:  # a program specialised on a signature
        result = run_optimizer(cancel_negations(spread_splats(result)))
    return result


def _aux_leaves(parsed: ParsedFunction, ir: Function) -> int:
    """How many of the values `ir` returns are the `aux` of ``return value, aux``."""
    ret = ir.body[-1]
    tree = ir.out_tree
    if tree is None and ret.is_tuple and len(ret.values) == 2:
        return 1
    if tree is not None and tree.kind == "tuple" and len(tree.children) == 2:
        first = tree.children[0]
        return len(ret.values) - (1 if first is None else first.n_leaves)
    raise S2sadError("with has_aux=True the function must return a pair (value, aux)",
                     ret.loc or parsed.location(parsed.node),
                     "return value, aux (aux may be any value or container)")


def generate(parsed: ParsedFunction, request: Request) -> Generated:
    """Run the stages for `request` on an already parsed function."""
    with parsing_once():  # the callees the lowering inlines are parsed once
        return _generate(parsed, request)


def _generate(parsed: ParsedFunction, request: Request) -> Generated:
    ir = lower(parsed, trees=request.trees)
    if request.scalars:
        ir = ir.replace(scalar_params=frozenset(request.scalars) & set(ir.params))
    if request.shapes:
        ir = ir.replace(param_shapes=tuple(fact for fact in request.shapes
                                           if fact[0] in ir.params))
    flat = _leaf_params(parsed, ir, request.trees)

    def leaves(wrt):
        return tuple(leaf for w in wrt for leaf in flat.get(w, (w,)))

    out_tree = to_data(ir.out_tree, classes_of(request.trees))
    aux = _aux_leaves(parsed, ir) if request.has_aux else 0
    for mode, wrt in request.steps:
        ir = derive(ir, mode, leaves(wrt))
    ret = ir.body[-1]
    meta = {"n_out": len(ret.values), "tuple_out": ret.is_tuple, "params": ir.params,
            "wrt": list(leaves(request.wrt)), "recursions": list(ir.recursions),
            "out_tree": out_tree}
    result = ir if request.mode == "ssa" else derive(ir, request.mode, leaves(request.wrt),
                                                      request.optimize, aux)
    if request.optimize and request.mode != "ssa":
        result = accumulate_in_place(result)  # the emitted program only: never derived again
        if request.backend == "numpy":
            result = call_ufunc_reductions(result)
    meta["aux"] = aux
    meta["scalar_if"] = None if result.scalar_if is None else list(result.scalar_if)
    text, lines = source_and_lines(result, request.backend)
    return Generated(result.name, text, {**meta, "backend": request.backend, "lines": lines})


__all__ = ["MODES", "Generated", "ParsedFunction", "Request", "dependencies", "derivative_names",
           "derivative_of", "derive", "fence_check", "generate", "get_backend", "lower",
           "parse_function", "parsing_once", "resolve_wrt", "specialized", "user_function"]
