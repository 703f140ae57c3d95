"""Stepping into generated code: ``s2sad.grad(f, debug=True)``.

A gradient call goes through a dozen frames of s2sad's (binding the arguments, checking them,
choosing the program) before the generated code runs; a student stepping in with pdb would
press ``s`` twenty times to get there. A debugged gradient function runs the call under a
debugger that lets every other frame run untraced and stops at the first line of the
generated code itself (a frame whose file is ``<s2sad ...>``, which pdb lists from the text
the loader registered with linecache, each line followed by the user's line it comes from).
From there ``n``, ``s``, ``p t1_bar``, ``l`` and ``c`` work as usual.
"""

from __future__ import annotations

import functools
import pdb

GENERATED = "<s2sad "  # the start of every generated function's file name (loading/loader.py)


class GeneratedCodeDebugger(pdb.Pdb):
    """pdb that first stops at the first line of generated code, not at a call, nor in any
    frame before it (those run untraced)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reached = False  # True once a generated function has been entered

    def stop_here(self, frame) -> bool:
        if not self.reached:
            code = frame.f_code
            # The factory's module code and the factory itself (a program compiled during
            # the call: the one for float arguments) are not the generated function.
            if not code.co_filename.startswith(GENERATED) or code.co_name == "<module>" or (
                    code.co_name.startswith("__s2sad")):
                return False
            self.reached = True
            self.entered = frame
        return super().stop_here(frame)

    def user_call(self, frame, argument_list) -> None:
        if frame is getattr(self, "entered", None):
            return  # go on to its first line: the call itself is nothing to look at
        super().user_call(frame, argument_list)


def debugged(function):
    """`function` (a gradient function) as a function that runs each call under
    :class:`GeneratedCodeDebugger`, and returns what `function` returns (None if the user
    quits the debugger)."""

    # The general path runs the program s2sad.source shows, not one specialised on the
    # arguments' signature (api/signatures.py): the lines a student reads.
    general = getattr(function, "__s2sad_general__", None)

    @functools.wraps(function)
    def call(*args, **kwargs):
        if general is not None:
            return GeneratedCodeDebugger().runcall(general, args, kwargs)
        return GeneratedCodeDebugger().runcall(function, *args, **kwargs)

    del call.__wrapped__  # its signature is function's (update_wrapper copied __signature__)
    return call
