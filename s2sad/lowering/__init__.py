"""Lowering: the desugared AST of a function becomes its SSA trace (``ir``).

``expressions`` lowers expressions (``primitive_calls`` their calls of primitives, ``folding``
their constants); ``templates`` lowers rule templates through the same code; ``function``
lowers statements (assignments, branches) with one name per value and is the entry point
(`lower_function`); ``loops`` lowers ``for`` and ``while`` with their carried variables;
``calls`` lowers calls of user code: inlined functions, closures, ``s2sad.grad`` inside
differentiated code, and recursion. ``atoms`` holds the two values that are not IR atoms.
"""
