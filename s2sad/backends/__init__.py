"""Backends: how the primitives of the IR are spelled in generated code, and what it sees.

A primitive has three layers, on JAX's lines:

- its **binding**, ``Primitive.spelling`` (``'np.log'``, ``'+'``, ``'T'``): the Python syntax
  that denotes it in user code and in rule templates, which the lowering reads;
- its **rules** (VJP and JVP templates), written once against the binding, so the IR they
  produce is the same whatever the target;
- its **spelling** in the generated text, which is the backend's: :meth:`Backend.spelling`
  gives the backend's override of the primitive's name, else the binding itself.

A backend also owns the one table of names generated code is compiled with
(:meth:`Backend.namespace`: modules, runtime helpers, user primitives); the loader binds
exactly that table, and rule templates resolve names against the default backend's table.

``get_backend(name)`` finds a registered backend; ``register(backend)`` adds one (a second
target such as numba is a new :class:`Backend`, not a fork of the emitter).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from ..errors import S2sadError

_MISSING = object()


@dataclass(frozen=True, eq=False)
class Backend:
    """A target of code generation.

    `spellings` maps primitive names (``Primitive.name``: ``'sin'``, ``'math.sin'``) to the
    text that spells them instead of their binding, in the same form: a dotted callable for a
    call, an operator token for an operator, an attribute name for an attribute. `modules`,
    `helpers` and `user` are the tables of names generated code reads; they are held, not
    copied, so names registered later (a user primitive, scipy once its rules load) are seen.
    Where two tables name the same thing, helpers win over modules, modules over user
    primitives.

    Three optional hooks let a target that is not plain Python run the same IR (the default
    backend has none, so its code is written and loaded exactly as before):
    `prepare(fn)` takes the IR function before it is written and returns the one to write
    (rewriting what the target spells otherwise, refusing what it cannot run);
    `statement(stmt, backend)` spells one statement, or returns None for the default
    spelling; `finish(function, generated)` takes the compiled Python function and returns
    what the API calls (a just-in-time compiled one).
    """

    name: str
    spellings: Mapping[str, str] = field(default_factory=dict)
    modules: Mapping[str, object] = field(default_factory=dict)
    helpers: Mapping[str, object] = field(default_factory=dict)
    user: Mapping[str, object] = field(default_factory=dict)
    prepare: Callable | None = None
    statement: Callable | None = None
    finish: Callable | None = None

    def __post_init__(self):
        object.__setattr__(self, "spellings", MappingProxyType(dict(self.spellings)))

    def spelling(self, prim) -> str:
        """How `prim` is written in this backend's code."""
        return self.spellings.get(prim.name, prim.spelling)

    def namespace(self) -> dict:
        """The names generated code is compiled with, and nothing else (a new dict)."""
        return {**self.user, **self.modules, **self.helpers}

    def lookup(self, name: str, default=None):
        """``namespace().get(name, default)`` without building the table."""
        for table in (self.helpers, self.modules, self.user):
            found = table.get(name, _MISSING)
            if found is not _MISSING:
                return found
        return default

    def extend(self, name: str, spellings: Mapping[str, str] = (), **tables) -> Backend:
        """A backend named `name` like this one, with `spellings` overriding (and extending)
        this one's, and any of the tables (``modules=``, ``helpers=``, ``user=``) replaced."""
        return replace(self, name=name, spellings={**self.spellings, **dict(spellings)},
                       **tables)

    def __repr__(self) -> str:
        return f"<s2sad backend {self.name!r}>"


#: Registered backends by name.
BACKENDS: dict[str, Backend] = {}


def register(backend: Backend) -> Backend:
    """Make `backend` available to ``get_backend(backend.name)``."""
    if not isinstance(backend, Backend):
        raise TypeError(f"expected a Backend, got {backend!r}")
    existing = BACKENDS.get(backend.name)
    if existing is not None and existing is not backend:
        raise ValueError(f"a backend named {backend.name!r} is registered already")
    BACKENDS[backend.name] = backend
    return backend


def unregister(name: str) -> None:
    """Forget the backend `name` (the default one stays)."""
    if name == DEFAULT:
        raise ValueError(f"the {DEFAULT!r} backend cannot be unregistered")
    BACKENDS.pop(name, None)


def get_backend(backend=None) -> Backend:
    """The backend called `backend` (a name; a Backend is returned as it is; None is the
    default). An unknown name is an S2sadError listing the known ones."""
    if backend is None:
        backend = DEFAULT
    if isinstance(backend, Backend):
        return backend
    found = BACKENDS.get(backend) if isinstance(backend, str) else None
    if found is None:
        raise S2sadError(f"unknown backend {backend!r}",
                         hint=f"the backends are {', '.join(sorted(BACKENDS))} "
                         f"(default {DEFAULT!r}); a new one is registered with "
                         "s2sad.backends.register")
    return found


class LazyTable(Mapping):
    """A backend's table of names, made by `make` when it is first read, then kept: the
    helpers of a backend whose library (numba, array_api_compat) is imported only when code
    is first built for it."""

    def __init__(self, make: Callable[[], dict]):
        self._make = make
        self._table: dict | None = None

    def _made(self) -> dict:
        if self._table is None:
            self._table = self._make()
        return self._table

    def __getitem__(self, name):
        return self._made()[name]

    def __iter__(self):
        return iter(self._made())

    def __len__(self):
        return len(self._made())


DEFAULT = "numpy"

# All registered always; numba and array_api_compat are imported when code is first built
# for their backends.
from .array_api import ARRAY_API  # noqa: E402
from .numba import NUMBA  # noqa: E402
from .numpy import NUMPY  # noqa: E402

__all__ = ["ARRAY_API", "BACKENDS", "DEFAULT", "NUMBA", "NUMPY", "Backend", "LazyTable",
           "get_backend", "register", "unregister"]
