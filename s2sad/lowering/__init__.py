"""Lowering: the desugared AST of a function becomes its SSA trace (``ir``).

``expressions`` lowers expressions and rule templates to primitive operations; ``function``
lowers statements (assignments, branches, loops) with one name per value; ``calls`` lowers
calls: inlining user functions, closures, ``s2sad.grad`` inside differentiated code, and
recursion.
"""
