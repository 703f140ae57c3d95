"""Containers as arguments and outputs (pytrees), and ``has_aux``.

When an argument to differentiate is a dict, list, tuple, NamedTuple or dataclass of arrays
and numbers, its structure is part of the build (see s2sad.pytree): the generated code takes
its leaves, and the functions here flatten the caller's containers into leaves and build the
gradients, tangents and outputs back into containers of the same structure. ``has_aux=True``
(the function returns ``(value, aux)``) goes through here too: `aux` is returned as the
function computed it, not differentiated.

A call without containers and without `has_aux` never comes here: it keeps the fast paths of
gradients.py and products.py.
"""

from __future__ import annotations

import inspect

import numpy as np

from ..errors import S2sadError
from ..loading.loader import add_origin_note
from ..pytree import classes_of, flatten, from_data, is_container, same_shape, unflatten
from ..runtime import NonScalarSeed
from ..values import matched_all, private_copy, separated
from .build import build, guarded, unwrap


def containers_in(args, kwargs) -> bool:
    """Whether a call's arguments hold a container (cheap: one look at each argument)."""
    return any(type(a) in (dict, list, tuple) or is_container(a) for a in args) or any(
        is_container(v) for v in kwargs.values())


def used_as_container(f, wrt) -> bool:
    """Whether `f`'s code reads a field of a wrt parameter (``p.w``, not an array's ``x.T``)
    or loops over its ``.items()``, ``.keys()`` or ``.values()``: it may be a dataclass, a
    NamedTuple or a dict when called, and its derivative is then built at the call, with
    the argument's structure."""
    import gast

    from ..rules import REGISTRY
    from ..transform import fence_check, parse_function, resolve_wrt

    try:
        parsed = parse_function(unwrap(f))
        fence_check(parsed)  # what no argument makes right is refused at once
        names = set(resolve_wrt(parsed, wrt))
    except S2sadError:
        return False
    views = ("items", "keys", "values")
    for node in gast.walk(parsed.node):
        if isinstance(node, gast.Attribute) and isinstance(node.value, gast.Name) and (
            node.value.id in names and node.attr not in REGISTRY.attributes
            and (node.attr not in REGISTRY.methods or node.attr in views)
        ):
            return True
    return False


class TreeCall:
    """One call of a derivative of `fn` whose arguments may hold containers: the arguments
    bound, the structures of those to differentiate, and their leaves."""

    def __init__(self, f, wrt, args, kwargs):
        self.f = f
        fn = unwrap(f)
        signature = inspect.signature(fn)
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise S2sadError(f"bad arguments for {getattr(fn, '__name__', 'f')}: {exc}",
                             hint=f"call it as {getattr(fn, '__name__', 'f')}{signature}"
                             ) from None
        bound.apply_defaults()
        self.values = list(bound.args)
        self.names = list(signature.parameters)[:len(self.values)]
        self.single = not isinstance(wrt, (tuple, list))
        items = (wrt,) if self.single else tuple(wrt)
        self.wrt = tuple(self.names[w] if isinstance(w, int) and not isinstance(w, bool)
                         and -len(self.names) <= w < len(self.names) else w for w in items)
        self.trees = tuple((name, flatten(self.values[self.names.index(name)])[1])
                           for name in self.wrt if name in self.names
                           and is_container(self.values[self.names.index(name)]))

    def build(self, mode: str, has_aux: bool):
        return build(self.f, mode, self.wrt if not self.single else self.wrt[0],
                     trees=self.trees, has_aux=has_aux)

    def flat_args(self, built) -> list:
        """The generated code's arguments: each container's leaves in place of it, the
        values to differentiate checked (integers made floats)."""
        trees = dict(self.trees)
        flat = []
        for name, value in zip(self.names, self.values):
            flat.extend(flatten(value)[0] if name in trees else [value])
        for position in built.wrt_positions:
            flat[position] = built.check_differentiable(flat[position], position)
        return flat

    def regrouped(self, grads) -> object:
        """The flat gradients as one entry per wrt argument (a container for a container)."""
        trees = dict(self.trees)
        out, position = [], 0
        for name in self.wrt:
            tree = trees.get(name)
            if tree is None:
                out.append(grads[position])
                position += 1
                continue
            part = []
            for differentiated in tree.differentiable():  # None for an int, a string...
                part.append(grads[position] if differentiated else None)
                position += differentiated
            out.append(unflatten(tree, part))
        return out[0] if self.single else tuple(out)

    def output_tree(self, built):
        try:
            return from_data(built.loaded.meta.get("out_tree"), classes_of(self.trees))
        except (ValueError, KeyError, IndexError, TypeError):
            raise S2sadError("the cached structure of the output does not match this call",
                             built.location(), "run s2sad.clear_cache()") from None


def _outputs(leaves, tree, tuple_out):
    """The function's output from its leaves: a container of `tree`'s structure, a tuple,
    or one value."""
    if tree is not None:
        return unflatten(tree, leaves)
    return tuple(leaves) if tuple_out else leaves[0]


def _split_aux(tree):
    """(structure of the value, structure of aux) of an output ``(value, aux)``."""
    if tree is None:
        return None, None
    return tree.children[0], tree.children[1]


def tree_grad(f, wrt, has_aux: bool, with_value: bool, args, kwargs):
    """``grad`` / ``value_and_grad`` of a call whose arguments hold containers, or with
    has_aux: the gradients in the arguments' structure (and the value; and aux)."""
    call = TreeCall(f, wrt, args, kwargs)
    built = call.build("vjp" if with_value else "grad", has_aux)
    flat = call.flat_args(built)
    aux = built.loaded.meta.get("aux", 0)
    n_value = built.n_out - aux
    tree = call.output_tree(built)
    if n_value != 1 or (not has_aux and built.tuple_out):
        built.not_scalar(())
    generated = built.function
    try:
        result = generated(*flat, 1.0) if with_value else generated(*flat)
    except NonScalarSeed as exc:
        built.not_scalar(exc.shape)
    except Exception as exc:
        add_origin_note(exc)
        raise
    result = result if isinstance(result, tuple) and (
        with_value or len(built.wrt_positions) + aux > 1) else (result,)
    if with_value:
        outputs, grads = result[:built.n_out], result[built.n_out:]
        if np.ndim(outputs[0]) != 0:
            built.not_scalar(np.shape(outputs[0]))
    else:
        grads, outputs = result[:len(result) - aux], (None,) + tuple(result[len(result) - aux:])
    grads = matched_all(grads, [flat[p] for p in built.wrt_positions])
    grads = separated(tuple(grads), (args, kwargs))
    gradient = call.regrouped(grads)
    value = outputs[0]
    if has_aux:
        _, aux_tree = _split_aux(tree)
        aux_value = _outputs(list(outputs[1:]), aux_tree, False)
        if with_value:
            return (value, aux_value), gradient
        return gradient, aux_value
    return (value, gradient) if with_value else gradient


def tree_vjp(f, args, wrt, has_aux: bool):
    """``vjp`` of a call whose arguments or output hold containers (or with has_aux): the
    output, the function taking a cotangent of the output's structure (and aux)."""
    call = TreeCall(f, wrt, args, {})
    built = call.build("vjp", has_aux)
    flat = call.flat_args(built)
    aux = built.loaded.meta.get("aux", 0)
    tree = call.output_tree(built)
    value_tree, aux_tree = _split_aux(tree) if has_aux else (tree, None)
    n_value = built.n_out - aux
    generated = built.function
    output = unwrap(f)(*private_copy(call.values))
    outputs = flatten(output)[0] if tree is not None else (
        list(output) if built.tuple_out else [output])
    if len(outputs) != built.n_out:
        raise S2sadError("the function returned a value of another structure than its code "
                         "shows", built.location(), "return the same structure on every path")
    value_leaves = outputs[:n_value]
    value = _outputs(value_leaves, value_tree, built.tuple_out and not has_aux
                     and tree is None)
    value = separated(value, args)

    def vjp_fn(cotangent):
        """The cotangents of the wrt arguments for `cotangent`, of the output's structure."""
        leaves, structure = flatten(cotangent) if value_tree is not None else (
            (list(cotangent) if isinstance(value, tuple) else [cotangent]), None)
        if value_tree is not None and not same_shape(structure, value_tree):
            raise S2sadError("the cotangent must have the output's structure "
                             f"({value_tree.describe()})", built.location(),
                             "give one array or number per leaf of the output")
        if len(leaves) != n_value:
            raise S2sadError(f"the cotangent has {len(leaves)} parts, the output {n_value}",
                             built.location(), "give one cotangent per output")
        seeds = [built.seed(g, o, "the cotangent") for g, o in zip(leaves, value_leaves)]
        out = generated(*flat, *seeds)
        grads = matched_all(out[built.n_out:], [flat[p] for p in built.wrt_positions])
        return call.regrouped(separated(tuple(grads), (args, cotangent)))

    if has_aux:
        return value, vjp_fn, _outputs(outputs[n_value:], aux_tree, False)
    return value, vjp_fn


def tree_jvp(f, primals, tangents, has_aux: bool = False):
    """``jvp`` of a call whose arguments or output hold containers: tangents of the
    arguments' structure in, the output and its tangent of the output's structure out."""
    wrt = tuple(i for i, t in enumerate(tangents) if t is not None)
    call = TreeCall(f, wrt, primals, {})
    built = call.build("jvp", has_aux)
    flat = call.flat_args(built)
    dots = []
    for position, name in zip(wrt, call.wrt):
        leaves, structure = flatten(tangents[position])
        tree = dict(call.trees).get(name)
        if not same_shape(structure, tree):
            raise S2sadError(f"the tangent of {name!r} must have its structure", built.location(),
                             "give one tangent per leaf of the argument")
        flags = [True] if tree is None else tree.differentiable()
        dots.extend(leaf for leaf, keep in zip(leaves, flags) if keep)
    dots = [built.seed(d, flat[p], f"the tangent of {built.params[p]!r}")
            for d, p in zip(dots, built.wrt_positions)]
    generated = built.function
    result = generated(*flat, *dots)
    n_out = built.n_out
    aux = built.loaded.meta.get("aux", 0)
    tree = call.output_tree(built)
    values, tangents_out = list(result[:n_out]), list(matched_all(result[n_out:],
                                                                  result[:n_out]))
    tuple_out = built.tuple_out and tree is None
    if has_aux:
        value_tree, aux_tree = _split_aux(tree)
        n_value = n_out - aux
        out = (_outputs(values[:n_value], value_tree, False),
               _outputs(tangents_out[:n_value], value_tree, False),
               _outputs(values[n_value:], aux_tree, False))
    else:
        out = (_outputs(values, tree, tuple_out),
               _outputs(tangents_out, tree, tuple_out))
    return guarded(lambda: separated(out, primals, tangents))
