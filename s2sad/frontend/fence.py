"""Fence: reject what the compiler does not support, before any transformation.

One walk over the AST. Anything outside the supported subset raises
:class:`UnsupportedSyntaxError` naming the construct, pointing at ``file:line:col`` and giving a
hint. Later stages may then assume the subset and never fail with an internal error on it.
:func:`check` then runs the second walk, :mod:`.aliasing`'s refusal of writes in place that
another name would see.
"""

from __future__ import annotations

import gast

from ..errors import UnsupportedSyntaxError, check_nesting, with_nesting_room
from ..rules.effects import DEBUGGING_CALLS, is_debugging_call
from .aliasing import check_in_place_writes
from .parse import MISSING, ParsedFunction

_PRIMITIVE_HINT = (
    "move it outside the differentiated function, or mark the callee with @s2sad.primitive\n"
    "and give it a rule with s2sad.defvjp"
)

# Rejected node type -> (what it is called in the message, hint).
_REJECTED = {
    gast.Match: ("'match' statements", "use if / elif / else"),
    gast.With: ("'with' statements", _PRIMITIVE_HINT),
    gast.AsyncWith: ("'async with' statements", _PRIMITIVE_HINT),
    gast.AsyncFor: ("'async for' loops", _PRIMITIVE_HINT),
    gast.Raise: ("'raise' statements", "check inputs before calling the differentiated function"),
    gast.Nonlocal: ("'nonlocal' declarations", "pass the value in as an argument instead"),
    gast.Delete: ("'del' statements", "drop the 'del'; the generated code manages its own names"),
    gast.Import: ("imports inside the function", "import at module level"),
    gast.ImportFrom: ("imports inside the function", "import at module level"),
    gast.ClassDef: ("classes defined inside the function", "define the class at module level"),
    gast.AsyncFunctionDef: ("async functions", "differentiate a plain 'def' function"),
    gast.Yield: ("'yield' (generators)", "return an array instead of yielding values"),
    gast.YieldFrom: ("'yield from' (generators)", "return an array instead of yielding values"),
    gast.Await: ("'await'", "differentiate a plain synchronous function"),
    gast.SetComp: ("set comprehensions", "build a list instead: [... for ...] (a set has no "
                   "order, so its elements have no derivative s2sad can follow)"),
    gast.Set: ("set literals", "use a tuple or an array"),
    gast.JoinedStr: ("f-strings outside debugging statements",
                     "build strings outside the differentiated function (print(f'...') works)"),
    gast.AnnAssign: ("annotated assignments", "drop the annotation: 'x = ...'"),
}

_OPERATORS = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow, gast.MatMult, gast.Mod,
              gast.FloorDiv)
_OPERATOR_NAMES = {gast.LShift: "<<", gast.RShift: ">>",
                   gast.BitOr: "|", gast.BitXor: "^", gast.BitAnd: "&"}

_ALLOWED = (
    gast.Assign, gast.AugAssign, gast.Return, gast.Expr, gast.Pass,
    gast.If, gast.For, gast.While, gast.Break, gast.Continue,
    gast.Compare, gast.BoolOp, gast.IfExp, gast.And, gast.Or, gast.Not,
    gast.Eq, gast.NotEq, gast.Lt, gast.LtE, gast.Gt, gast.GtE, gast.Is, gast.IsNot,
    gast.BinOp, gast.UnaryOp, gast.Call, gast.Name, gast.Constant, gast.Attribute,
    gast.Tuple, gast.List, gast.Subscript, gast.Slice, gast.keyword,
    gast.Dict, gast.DictComp, gast.In, gast.NotIn,
    gast.Load, gast.Store, gast.arguments,
    gast.ListComp, gast.GeneratorExp, gast.comprehension, gast.NamedExpr, gast.Try, gast.Global,
    *_OPERATORS, gast.USub, gast.UAdd,
)


class _Fence(gast.NodeVisitor):
    def __init__(self, parsed: ParsedFunction):
        self.parsed = parsed

    def fail(self, node, what, hint):
        raise UnsupportedSyntaxError(f"{what} are not supported", self.parsed.location(node),
                                     hint)

    def check_signature(self, fn, top=False):
        args = fn.args
        if args.kwarg is not None:
            self.fail(args.kwarg, "'**kwargs' parameters", "list the parameters explicitly")
        if args.vararg is not None and top:
            self.fail(args.vararg, "'*args' parameters of the differentiated function",
                      "list the parameters explicitly (functions it calls may take *args)")
        if args.kwonlyargs and top:
            self.fail(args.kwonlyargs[0], "keyword-only parameters of the differentiated "
                      "function", "make them ordinary parameters (before any '*'); functions "
                      "it calls may have keyword-only parameters")

    def visit_body(self, fn, top=False):
        self.check_signature(fn, top)
        for stmt in fn.body:
            self.visit(stmt)

    def generic_visit(self, node):
        rejected = _REJECTED.get(type(node))
        if rejected is not None:
            self.fail(node, *rejected)
        if not isinstance(node, _ALLOWED):
            name = type(node).__name__
            self.fail(node, f"'{name}' nodes", "rewrite it with assignments, arithmetic and "
                      "NumPy calls")
        super().generic_visit(node)

    def visit_Expr(self, node):
        call = node.value
        is_docstring = isinstance(call, gast.Constant) and isinstance(call.value, str)
        is_append = (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute)
                     and call.func.attr == "append" and isinstance(call.func.value, gast.Name)
                     and len(call.args) == 1 and not call.keywords)
        if isinstance(call, (gast.Yield, gast.YieldFrom, gast.Await)):
            self.visit(call)
        is_debugging = isinstance(call, gast.Call) and is_debugging_call(
            self._static(call.func))
        if not (is_docstring or is_append or is_debugging):
            self.fail(node, "expression statements (calls for their side effects)",
                      "assign the result to a name, or move the call out of the function "
                      f"(debugging calls run as written: {DEBUGGING_CALLS})")
        if is_debugging:
            self.visit(call.func)
            for value in [*call.args, *(kw.value for kw in call.keywords)]:
                self._visit_printed(value.value if isinstance(value, gast.Starred) else value)
            return
        self.generic_visit(node)

    def _visit_printed(self, node):
        """An argument of a debugging statement, which may be an f-string (with constant
        format specs): its text is never differentiated."""
        if not isinstance(node, gast.JoinedStr):
            return self.visit(node)
        for part in node.values:
            if isinstance(part, gast.FormattedValue):
                spec = part.format_spec
                if spec is not None and not all(isinstance(v, gast.Constant)
                                                for v in spec.values):
                    self.fail(spec, "f-string fields inside a format spec ('{x:{width}}')",
                              "write the format spec as a constant: '{x:8.3f}'")
                self.visit(part.value)

    def _static(self, node):
        """The object a global Name/Attribute chain denotes (None if it is not one)."""
        if isinstance(node, gast.Attribute):
            base = self._static(node.value)
            return None if base is None else getattr(base, node.attr, None)
        if isinstance(node, gast.Name):
            obj = self.parsed.resolve(node.id)
            return None if obj is MISSING else obj
        return None

    def visit_Assert(self, node):
        """``assert test, message``: checked on the primal values where it stands."""
        self.visit(node.test)
        if node.msg is not None:
            self._visit_printed(node.msg)

    def visit_FunctionDef(self, node):
        if node.decorator_list:
            self.fail(node.decorator_list[0], "decorators on nested functions",
                      "define the decorated function at module level")
        self.visit_body(node)

    def visit_Lambda(self, node):
        self.check_signature(node)
        self.visit(node.body)

    def visit_BinOp(self, node):
        op = type(node.op)
        if op not in _OPERATORS:
            symbol = _OPERATOR_NAMES.get(op, op.__name__)
            self.fail(node, f"bitwise operators such as '{symbol}'",
                      "they are not differentiable; compute them outside the function")
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        if type(node.op) not in _OPERATORS:
            symbol = _OPERATOR_NAMES.get(type(node.op), type(node.op).__name__)
            self.fail(node, f"augmented assignments with '{symbol}='",
                      "it is not differentiable; compute it outside the function")
        if isinstance(node.target, gast.Subscript):
            self._check_target(node.target)
        elif not isinstance(node.target, gast.Name):
            self.fail(node.target, "augmented assignments to attributes",
                      "assign to a plain name: 'y = y + ...'")
        self.generic_visit(node)

    def _check_loop_else(self, node):
        """A loop's ``else`` runs once after it; one that leaves (return, break, continue)
        would leave the enclosing code, which is not lowered."""
        for stmt in node.orelse:
            for inner in gast.walk(stmt):
                if isinstance(inner, gast.Return) or isinstance(
                    inner, (gast.Break, gast.Continue)
                ) and not any(isinstance(loop, (gast.For, gast.While))
                              and inner in _nodes(loop.body) for loop in gast.walk(stmt)):
                    word = type(inner).__name__.lower()
                    self.fail(inner, f"'{word}' statements in the 'else' clause of a loop",
                              "set a flag in the 'else' clause and act on it after the loop")

    def visit_For(self, node):
        self._check_loop_else(node)
        self._check_loop_target(node.target)
        self.generic_visit(node)

    def _check_loop_target(self, target):
        """A name, or a tuple of them, nested or not: ``for i, (a, b) in ...``."""
        if isinstance(target, (gast.Tuple, gast.List)):
            for elt in target.elts:
                self._check_loop_target(elt)
        elif not isinstance(target, gast.Name):
            self.fail(target, "this kind of loop target", "loop over plain names")

    def visit_comprehension(self, node):
        if node.is_async:
            self.fail(node.target, "asynchronous comprehensions", "use a plain 'for'")
        self._check_loop_target(node.target)
        self.generic_visit(node)

    def visit_Try(self, node):
        if node.handlers:
            self.fail(node, "'try' statements with 'except'",
                      "catch errors around the call of the differentiated function, or check "
                      "its inputs first;\nor put the try/except in a function marked "
                      "@s2sad.primitive, with a rule from s2sad.defvjp")
        for leaving in _leaving(node.body + node.finalbody):
            word = type(leaving).__name__.lower()
            self.fail(leaving, f"'{word}' statements inside 'try' / 'finally'",
                      "move the 'finally' code before the 'return' (or 'break', 'continue'), "
                      "or the 'try' into a function of its own")
        self.generic_visit(node)

    def visit_Global(self, node):
        for inner in gast.walk(self.parsed.node):
            bound = inner.id if isinstance(inner, gast.Name) and not isinstance(
                inner.ctx, gast.Load) else getattr(inner, "name", None)
            if bound in node.names and isinstance(inner, (gast.Name, gast.FunctionDef)):
                self.fail(node, f"assignments to a global variable ({bound!r})",
                          "return the new value and assign it outside the function; "
                          "reading a global needs no 'global' declaration")

    def visit_While(self, node):
        self._check_loop_else(node)
        self.generic_visit(node)

    def visit_Return(self, node):
        if node.value is None:
            self.fail(node, "bare 'return' statements (returning None)",
                      "return the value to differentiate")
        self.generic_visit(node)

    def visit_UnaryOp(self, node):
        if isinstance(node.op, gast.Invert):
            self.fail(node, "bitwise inversions ('~')", "bitwise operators are not "
                      "differentiable; use 'not' for a condition")
        self.generic_visit(node)

    def visit_Assign(self, node):
        for target in node.targets:
            self._check_target(target)
        self.visit(node.value)

    def _check_target(self, target):
        if isinstance(target, gast.Name):
            return
        if isinstance(target, gast.Tuple):
            for elt in target.elts:
                if not isinstance(elt, gast.Name):
                    self.fail(elt, "nested or starred unpacking targets",
                              "unpack into plain names")
            return
        if isinstance(target, gast.Subscript):
            if not isinstance(target.value, gast.Name):
                self.fail(target, "assignments into nested subscripts or attributes",
                          "assign into a plain array variable: 'y[i, j] = ...'")
            return
        self.fail(target, "assignments to attributes", "assign to a plain name")

    def visit_Starred(self, node):
        self.fail(node, "'*' unpacking outside a call's arguments", "unpack into names")

    def visit_Call(self, node):
        for arg in node.args:
            if isinstance(arg, gast.Starred):
                self.visit(arg.value)
            else:
                self.visit(arg)
        for kw in node.keywords:
            if kw.arg is None:
                self.fail(kw.value, "'**' keyword unpacking", "pass the keywords one by one")
            self.visit(kw.value)
        self.visit(node.func)


def check(parsed: ParsedFunction, inlined: bool | None = None) -> None:
    """Raise :class:`UnsupportedSyntaxError` at the first unsupported construct in `parsed`.

    `inlined` (default: ``parsed.inlined``) checks it as a callee inlined into its caller,
    whose arguments it shares. Once `parsed` passed in a mode, checking it again in that mode
    does nothing: a build fences each function once, however many stages ask.
    """
    if inlined is None:
        inlined = parsed.inlined
    mode = (parsed.fn is not None and not inlined, inlined)
    if mode in parsed.fenced:
        return
    _check(parsed, inlined)
    parsed.fenced.add(mode)


def _check(parsed: ParsedFunction, inlined: bool) -> None:
    """The walks of :func:`check`, run every time."""
    depth = check_nesting(parsed.node, parsed.location)

    def walk():
        _Fence(parsed).visit_body(parsed.node, top=parsed.fn is not None and not inlined)
        check_in_place_writes(parsed, inlined)

    with_nesting_room(depth, walk)


def _leaving(stmts):
    """The ``return`` statements in `stmts`, and the ``break`` / ``continue`` statements that
    are not inside a loop of their own (nested functions are not entered)."""
    stack = [(s, False) for s in reversed(stmts)]
    while stack:
        node, in_loop = stack.pop()
        if isinstance(node, gast.Return) or isinstance(node, (gast.Break, gast.Continue)) and (
                not in_loop):
            yield node
        if isinstance(node, (gast.FunctionDef, gast.Lambda)):
            continue
        inner = in_loop or isinstance(node, (gast.For, gast.While))
        stack.extend((c, inner) for c in reversed(list(gast.iter_child_nodes(node))))


def _nodes(stmts) -> list:
    return [node for stmt in stmts for node in gast.walk(stmt)]
