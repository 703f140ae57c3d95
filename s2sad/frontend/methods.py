"""Methods: what ``self.helper(x)`` calls, known when the code is transformed.

``s2sad.grad(model.loss)`` differentiates ``Model.loss`` with ``self`` held constant, and
``self`` is an argument of the generated code. For calls such as ``self.helper(x)`` to be
inlined, the class of ``self`` must be known when the code is transformed: the API
differentiates a copy of the function *specialized* to that class (:func:`specialized`), one
per class, so that an instance of another class (a subclass overriding ``helper``) is never
served code inlined from the wrong method. Its methods, staticmethods and classmethods are
looked up on the class, statically (:func:`class_attribute`), by the lowering and by the walk
for dependencies, which makes their sources part of what the build depends on.
"""

from __future__ import annotations

import inspect
import types
import weakref

import gast

# Classes of these packages have no methods s2sad inlines (numbers, arrays).
_LIBRARY = frozenset({"builtins", "numpy"})

# class -> {function: its copy specialized to the class}. Weak on the class; each copy holds
# its class weakly, so neither keeps the other alive.
_SPECIALIZED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def specialized(function, instance):
    """`function` (whose first parameter is bound to `instance`: an object, or a class for a
    classmethod) as a copy that knows the class of its first parameter; `function` itself
    when that cannot help or could mislead: an instance whose own attributes hide a method of
    its class (``self.f = ...``)."""
    is_instance = not isinstance(instance, type)
    cls = type(instance) if is_instance else instance
    if not isinstance(function, types.FunctionType) or not _positional(function) or (
            cls.__module__.split(".")[0] in _LIBRARY):
        return function
    own = getattr(instance, "__dict__", None) if is_instance else None
    if any(class_attribute(cls, name, True) is not None for name in own or ()):
        return function
    if is_instance and cls.__getattribute__ is not object.__getattribute__:
        return function  # its attributes are not what the class says
    try:
        table = _SPECIALIZED.setdefault(cls, {})
    except TypeError:  # a class that takes no weak references
        return function
    copy = table.get(function)
    if copy is None:
        copy = types.FunctionType(function.__code__, function.__globals__, function.__name__,
                                  function.__defaults__, function.__closure__)
        copy.__dict__.update(function.__dict__)
        copy.__qualname__ = function.__qualname__
        copy.__module__ = function.__module__
        copy.__kwdefaults__ = function.__kwdefaults__
        copy.__s2sad_self__ = (weakref.ref(cls), is_instance)
        table[function] = copy
    return copy


def self_classes(fn) -> dict:
    """``{first parameter name: (class, whether it is an instance of it)}`` for a function
    :func:`specialized` to its first parameter's class; else empty."""
    ref, is_instance = getattr(fn, "__s2sad_self__", (None, True))
    cls = ref() if ref is not None else None
    if cls is None:
        return {}
    return {_positional(fn)[0]: (cls, is_instance)}


def class_attribute(cls, name: str, instance: bool, after=None):
    """``(kind, function)`` for the attribute `name` of `cls` that a call through an instance
    (`instance`) or the class itself would run: kind ``"method"`` (called with the instance
    first, or as a plain function through the class), ``"static"`` or ``"class"`` (called
    with the class first); None for anything else (data, properties, missing names).
    With `after` (a class of ``cls.__mro__``), the attribute ``super()`` finds in a method
    defined in `after`: the first one of the classes after it."""
    if after is not None:
        mro = cls.__mro__
        owners = [k for k in mro[mro.index(after) + 1:] if name in vars(k)]
        if not owners:
            return None
        found = vars(owners[0])[name]
    else:
        try:
            found = inspect.getattr_static(cls, name)
        except AttributeError:
            return None
    if isinstance(found, staticmethod):
        return ("static", found.__func__) if isinstance(found.__func__,
                                                         types.FunctionType) else None
    if isinstance(found, classmethod):
        return ("class", found.__func__) if isinstance(found.__func__,
                                                        types.FunctionType) else None
    if isinstance(found, types.FunctionType):
        return ("method", found) if instance else ("static", found)
    return None


def defining_class(cls, function):
    """The class of ``cls.__mro__`` that defines `function` (as a method, staticmethod or
    classmethod; compared by code, so a specialized copy is found too), or None."""
    code = getattr(function, "__code__", None)
    for klass in cls.__mro__:
        for value in vars(klass).values():
            inner = value.__func__ if isinstance(value, (staticmethod, classmethod)) else value
            if code is not None and getattr(inner, "__code__", None) is code:
                return klass
    return None


def is_super_call(node, resolve) -> bool:
    """Whether the gast `node` is ``super()`` (no arguments; `resolve` names to objects)."""
    return (isinstance(node, gast.Call) and isinstance(node.func, gast.Name)
            and node.func.id == "super" and not node.args and not node.keywords
            and resolve(node.func.id) is super)


def callee_classes(kind: str, function, cls) -> dict:
    """What the inlined `function` (reached through an attribute of kind `kind` of `cls`)
    knows of its first parameter's class."""
    params = _positional(function)
    if kind == "static" or not params:
        return {}
    return {params[0]: (cls, kind == "method")}


def _positional(function) -> list:
    code = function.__code__
    return list(code.co_varnames[: code.co_argcount])
