"""Lower whole functions: statements and SSA naming, branches, and the entry point.

`FunctionLowerer` extends the expression lowering (`expressions.Lowerer`) with everything that
belongs to a function body: SSA versions of reassigned names, assignments and unpacking,
branches with their merge copies, and the function's return. Its loops (carried variables,
write-backs, ``for``/``while ... else``) are lowered by `loops.LoopLowering`, its calls of user
code (inlining, closures, nested ``s2sad.grad``, recursion) by `calls.CallLowering`, its
statements run for their effect (``append``, ``print``, ``assert``) by `effects.EffectLowering`.
"""

from __future__ import annotations

import gast

from ..errors import S2sadError, UnsupportedSyntaxError, check_nesting, with_nesting_room
from ..frontend.desugar import desugar
from ..frontend.parse import ParsedFunction
from ..ir import (
    Break,
    Const,
    Copy,
    Function,
    If,
    NameSource,
    Return,
    Var,
    children,
)
from ..pytree import TreeDef, is_leaf, leaf_names
from ..rules import REGISTRY
from .atoms import LocalFunction, Multiple, Record
from .calls import CallLowering, derivative_names
from .effects import EffectLowering
from .expressions import RESERVED_NAMES, Lowerer
from .loops import LoopLowering
from .records import RecordLowering

__all__ = ["MAX_BLOCK_NESTING", "FunctionLowerer", "derivative_names", "lower_function"]


class FunctionLowerer(RecordLowering, CallLowering, LoopLowering, EffectLowering, Lowerer):
    """Lowers a whole user function, renaming reassigned variables to keep SSA form.

    Calls to other Python functions are inlined (`CallLowering`): the callee is lowered into
    the caller's trace by a child lowerer (`lowerer_for`) with its locals renamed apart, so one
    adjoint sweep covers both and the generated code stays a single readable function.
    """

    def __init__(self, parsed: ParsedFunction, names: NameSource, parent=None, derive=None,
                 trees=None):
        super().__init__(names, parsed.resolve, parsed.location)
        self.trees = dict(trees or {})  # parameter -> TreeDef: given as a container
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

    def lowerer_for(self, parsed: ParsedFunction) -> FunctionLowerer:
        """A lowerer for a callee inlined into this function (sharing its output and names)."""
        return FunctionLowerer(parsed, self.names, parent=self)

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
        desugar(node, self.parsed.location, self.parsed.resolve)
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

    # ----------------------------------------------------------------------------- branches
    def stmt_If(self, stmt):
        test = self.expr(stmt.test)
        if isinstance(test, Const) and not any(isinstance(n, gast.Break) for s in (
            stmt.body + stmt.orelse) for n in gast.walk(s)
        ):  # known when the code is built (a key of an unrolled loop): only the branch taken
            self.statements(stmt.body if test.value else stmt.orelse)
            return
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
            if any(isinstance(v, Record) for v in values):
                if any(v is None for v in values):  # made on one path only: unset after
                    self.env.pop(name, None)
                    continue
                self.env[name] = self.merged_record(name, values, paths, stmt)
                continue
            if any(isinstance(v, (LocalFunction, Multiple)) for v in values):
                raise self.error(UnsupportedSyntaxError, stmt, f"{name!r} is a function or tuple "
                                 "assigned differently in the two branches")
            self.env[name] = self.merged(name, [env.get(name, Const(None)) for _, env in paths],
                                         paths, stmt)
        self.out.append(If(test, body, orelse, self.parsed.location(stmt)))

    def merged(self, name: str, values, paths, stmt) -> Var:
        """One variable holding, after a branch, the value each path gave `name` (a name the
        other branch never assigns is None there, as in an unset variable: generated code
        must never fail with a NameError)."""
        merged = self.version(name)
        for (block, _), value in zip(paths, values):
            block.append(Copy(merged, value, self.parsed.location(stmt)))
        return Var(merged)

    def merged_record(self, name: str, values, paths, stmt) -> Record:
        """A container assigned differently in the branches, merged item by item (its
        structure must be the same on every path)."""
        first = values[0]
        if not all(isinstance(v, Record) and first.same_structure(v) for v in values):
            raise self.error(UnsupportedSyntaxError, stmt, f"{name!r} is a container whose "
                             "keys differ between the branches (or is not set on one)",
                             "give it the same keys on every path, e.g. set d[k] = 0.0 first")
        leaves = [v.leaves() for v in values]
        merged = [column[0] if all(c == column[0] for c in column)
                  else self.merged(name, column, paths, stmt) for column in zip(*leaves)]
        return first.rebuilt(iter(merged))

    # --------------------------------------------------------------------- the function
    def lower(self) -> Function:
        """The IR of the whole function: its parameters, body and return."""
        node = self.parsed.node
        params = []
        for p in self.params():
            self.defined.add(p)
            if p in self.trees:  # a container: one parameter per leaf
                leaves = [self.version(n) for n in leaf_names(p, self.trees[p])]
                params.extend(leaves)
                self.env[p] = record_of_tree(self.trees[p], iter(leaves))
            else:
                params.append(p)
                self.env[p] = Var(p)
        defaults = tuple(
            Const(d.value) if isinstance(d, gast.Constant) else None for d in node.args.defaults
        )
        result = self.lower_body()
        loc = self.parsed.location(node.body[-1])
        parts = result if isinstance(result, Multiple) else (result,)
        if any(isinstance(p, LocalFunction) for p in parts):
            raise UnsupportedSyntaxError(f"{node.name!r} returns a function", loc,
                             "differentiate the returned function itself, or return its value")
        out_tree = None
        if any(isinstance(p, Record) for p in parts):  # containers: return their leaves
            out_tree = result.tree() if isinstance(result, Record) else TreeDef(
                "tuple", tuple(range(len(parts))),
                tuple(p.tree() if isinstance(p, Record) else None for p in parts))
            leaves = [leaf for p in parts
                      for leaf in (p.leaves() if isinstance(p, Record) else [p])]
            self.out.append(Return(tuple(leaves), True, loc))
        elif isinstance(result, Multiple):
            self.out.append(Return(tuple(result), True, loc))
        else:
            self.out.append(Return((result,), False, loc))
        return Function(node.name, params, self.out, defaults,
                        source_names=frozenset(self.names.taken),
                        globals_used=self.globals_used, recursions=tuple(sorted(self.recursions)),
                        ssa=self.flags["ssa"], out_tree=out_tree)

    def returned(self, stmt):
        value = stmt.value
        if value is None:
            raise S2sadError("the function returns None", self.parsed.location(stmt),
                             "return the value to differentiate")
        if isinstance(value, gast.Tuple):
            return Multiple(self.returned_part(elt) for elt in value.elts)
        return self.expr(value)

    def returned_part(self, elt):
        """An item of a returned tuple; a nested tuple is a container (its leaves are
        outputs)."""
        if isinstance(elt, gast.Tuple):
            values = tuple(self.returned_part(e) for e in elt.elts)
            return Record("tuple", tuple(range(len(values))), values)
        atom = self.expr(elt)
        if isinstance(atom, Multiple):
            raise self.error(UnsupportedSyntaxError, elt, "a tuple returned by a call cannot "
                             "be nested in the returned tuple", "unpack it first: a, b = g(x)")
        return atom

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
        record = self.record_of(target.value)
        if record is not None:
            return self.assign_record_item(record, target, stmt)
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
        if isinstance(atom, Record):  # a, b = pair (a container): its items
            return self.bind_target(target_node, tuple(
                atom.values if atom.kind != "dict" else (Const(k) for k in atom.keys)))
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


def _all_names(node) -> set:
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}


def record_of_tree(tree: TreeDef, leaves) -> Record:
    """The Record of structure `tree` whose leaves are the variables named by `leaves`."""
    values = tuple(Var(next(leaves)) if is_leaf(child) else record_of_tree(child, leaves)
                   for child in tree.children)
    return Record(tree.kind, tree.keys, values, tree.cls)


def lower_function(parsed: ParsedFunction, derive=None, trees=None) -> Function:
    """The SSA IR of a fenced function (`derive` generates gradients of nested calls).
    `trees` maps parameters given as containers to their structure (s2sad.pytree): each of
    their leaves becomes a parameter of its own."""
    def run():
        # first: it introduces `result`, `returned`
        desugar(parsed.node, parsed.location, parsed.resolve)
        names = NameSource(_all_names(parsed.node) | RESERVED_NAMES | {parsed.node.name})
        return FunctionLowerer(parsed, names, derive=derive, trees=trees).lower()

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

