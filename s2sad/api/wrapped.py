"""NumPy and SciPy functions differentiated directly: ``s2sad.grad(np.tanh)``.

A compiled function has no Python source, but when s2sad has rules for it, the one-line
function that calls it (``def tanh(x): return np.tanh(x)``) stands for it: its source is made
here and registered with ``linecache``, so the rest of the pipeline reads it like any user
function. Code ported from autograd or JAX (``elementwise_grad(np.tanh)``) relies on this.
"""

from __future__ import annotations

import importlib
import linecache
import threading

from ..rules import REGISTRY

_made: dict = {}  # id(primitive object) -> (the object, its wrapper function)
_lock = threading.Lock()


def wrapper_of(obj):
    """The Python function standing for the primitive `obj` (np.tanh...), or None when `obj`
    is no primitive s2sad can spell."""
    if callable(obj) and getattr(obj, "__code__", None) is None:
        known = _made.get(id(obj))
        if known is not None and known[0] is obj:
            return known[1]
        prim = REGISTRY.lookup(obj)
        if prim is None or prim.user or not prim.differentiable or "." not in prim.spelling:
            return None
        with _lock:
            function = _wrapper(prim)
            _made[id(obj)] = (obj, function)
            return function
    return None


def _wrapper(prim):
    params = [a for a in prim.argnames if not a.startswith("*")]
    name = prim.spelling.rsplit(".", 1)[1]
    text = f"def {name}({', '.join(params)}):\n    return {prim.spelling}({', '.join(params)})\n"
    filename = f"<s2sad: {prim.spelling}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    module = prim.spelling.split(".", 1)[0]
    namespace = {module: importlib.import_module({"np": "numpy"}.get(module, module))}
    exec(compile(text, filename, "exec"), namespace)  # noqa: S102 - our own one-line text
    return namespace[name]
