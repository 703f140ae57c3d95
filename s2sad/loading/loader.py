"""Load: compile generated source into a function, and cache it in memory and on disk.

- The generated text is registered with :mod:`linecache` under a ``<s2sad ...>`` file name, so
  tracebacks and ``pdb`` show the generated lines, for as long as a function compiled from it
  lives.
- The in-memory cache is kept on the function object itself (it dies with the function), keyed
  by everything the code depends on: source hash, mode, ``wrt``, options, the identity of the
  globals it reads, and the s2sad version. Generated text is also shared between functions of
  one key (closures of one source). A per-key lock makes concurrent builds of one key produce
  one result.
- The disk cache (:mod:`s2sad.loading.diskcache`: ``$S2SAD_CACHE_DIR``, else
  ``$XDG_CACHE_HOME/s2sad`` or ``~/.cache/s2sad``; ``S2SAD_CACHE=0`` turns it off) stores the
  source text, keyed by a SHA-256 of `key` and signed with a per-user secret; an entry that is
  not this user's own is deleted and rebuilt, never executed.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import linecache
import os
import threading
import traceback
import types
import weakref
from collections import Counter, OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..backends import get_backend
from ..backends.emit import Generated
from ..version import __version__
from . import diskcache

CACHE_FORMAT = diskcache.CACHE_FORMAT
stats: Counter = Counter()  # transforms, memory_hits, disk_hits, disk_corrupt (for tests/bench)


@dataclass
class Loaded:
    """A compiled generated function."""

    generated: Generated
    function: object

    def link(self, name: str, value) -> None:
        """Bind the free name `name` of the generated code (a recursive function's
        derivative, known only once this function exists)."""
        code = self.function.__code__
        if name in code.co_freevars:
            self.function.__closure__[code.co_freevars.index(name)].cell_contents = value

    @property
    def source(self) -> str:
        return self.generated.source

    @property
    def meta(self) -> dict:
        return self.generated.meta


def base_namespace(backend=None) -> dict:
    """What every generated function for `backend` (default NumPy) can refer to, besides the
    user's own names: the backend's one table, :meth:`s2sad.backends.Backend.namespace`."""
    return get_backend(backend).namespace()


_FACTORY = "__s2sad_factory__"


def compile_generated(generated: Generated, snapshot: dict, live_globals: dict | None = None,
                      defaults=None, links=()) -> Loaded:
    """Compile `generated` into a function.

    Names in `snapshot` (closure values, globals of inlined functions from other modules) and
    in the namespace of the backend the code was written for (``generated.meta["backend"]``:
    modules, s2sad's helpers, user primitives) are bound once, as closure cells of a factory
    around the generated `def`.
    Every other name is looked up at call time in `live_globals`, the differentiated function's
    own module globals, so rebinding a global after taking a derivative is seen, as it is by
    the original function. `links` are names bound later with :meth:`Loaded.link`.
    """
    backend = get_backend(generated.meta.get("backend"))
    bound = {**snapshot, **backend.namespace()}
    for name in links:
        bound.setdefault(name, None)
    names = sorted(n for n in bound if n.isidentifier())
    body = "".join("    " + line if line.strip() else line
                   for line in generated.source.splitlines(True))
    text = f"def {_FACTORY}({', '.join(names)}):\n{body}    return {generated.name}\n"
    digest = hashlib.sha256(generated.source.encode()).hexdigest()[:12]
    filename = f"<s2sad {generated.name} {digest}>"
    scope = live_globals if live_globals is not None else {"__builtins__": builtins}
    factory = types.FunctionType(_factory_code(text, filename), scope, _FACTORY)
    function = factory(*(bound[n] for n in names))
    _show_source(filename, text, function, generated.meta.get("lines"))
    if defaults is not None and function.__defaults__ is None and defaults:
        function.__defaults__ = defaults
    if backend.finish is not None:  # e.g. numba's njit, around the Python function
        function = backend.finish(function, generated)
    return Loaded(generated, function)


_COMPILED_LIMIT = 256
_compiled: OrderedDict = OrderedDict()  # factory text -> its code object (least recent first)
_compiled_guard = threading.Lock()


def _factory_code(text: str, filename: str) -> types.CodeType:
    """The code object of the factory `text`, compiled once for every function that shares it
    (closures of one source share their generated text)."""
    with _compiled_guard:
        code = _compiled.get(text)
        if code is not None:
            _compiled.move_to_end(text)
            return code
    namespace: dict = {}
    exec(compile(text, filename, "exec"), {"__builtins__": builtins}, namespace)  # noqa: S102
    code = namespace[_FACTORY].__code__
    with _compiled_guard:
        _compiled[text] = code
        while len(_compiled) > _COMPILED_LIMIT:
            _compiled.popitem(last=False)
    return code


# filename -> how many live generated functions show it: its linecache entry goes with the last
_source_users: Counter = Counter()
# filename -> where its lines come from in the user's code (backends.emit.source_and_lines)
_line_maps: dict = {}
# Reentrant: a finalizer may run (garbage collection) while this thread holds the lock.
_source_guard = threading.RLock()


def _show_source(filename: str, text: str, function, lines: dict | None = None) -> None:
    """Register `text` with linecache while `function` (compiled from it) lives, so tracebacks
    and pdb show the generated lines, each followed by the user's line it comes from
    (``# model.py:12``, from `lines`); the entry is dropped with the last such function."""
    shown = _annotated(text, lines).splitlines(True) if lines and lines.get("map") else (
        text.splitlines(True))
    # The factory's header names every helper it binds: pdb's `l` shows a short one instead.
    shown[0] = f"def {_FACTORY}(...):  # binds np, math and s2sad's helpers for the code below\n"
    with _source_guard:
        linecache.cache[filename] = (len(text), None, shown, filename)
        if lines and lines.get("map"):
            _line_maps[filename] = lines
        _source_users[filename] += 1
    weakref.finalize(function, _forget_source, filename).atexit = False


def _annotated(text: str, lines: dict) -> str:
    """The factory `text` with ``  # file.py:LINE`` after each generated line that has a
    place in the user's code (line L of the generated code is line L + 1 of the factory)."""
    rows = text.splitlines(True)
    names = [os.path.basename(name) for name in lines["files"]]
    flat, last = lines["map"], len(rows) - 1
    for row, file, line in zip(flat[0::3], flat[1::3], flat[2::3]):
        if row < last:  # every row but the factory's last ends with a newline
            rows[row] = f"{rows[row][:-1]}  # {names[file]}:{line}\n"
    return "".join(rows)


def origin(filename: str, lineno: int) -> tuple | None:
    """``(user file, user line)`` that line `lineno` of the generated code shown as
    `filename` (a frame's file and line) comes from; None when unknown."""
    lines = _line_maps.get(filename)
    if not lines:
        return None
    flat = lines["map"]
    for k in range(0, len(flat), 3):
        if flat[k] == lineno - 1:
            return lines["files"][flat[k + 1]], flat[k + 2]
    return None


def raised_in_generated_code(exc: BaseException) -> bool:
    """Whether `exc` was raised while generated code ran (a frame of it is in the
    traceback): the user's computation failed, not s2sad."""
    return any(frame.f_code.co_filename in _line_maps or frame.f_code.co_filename.startswith(
        "<s2sad ") and frame.f_code.co_name != "<module>"
        for frame, _ in traceback.walk_tb(exc.__traceback__))


def add_origin_note(exc: BaseException) -> None:
    """Add to `exc`, raised inside generated code, a note naming the generated line that
    failed and the user's line it comes from (Python 3.11+: ``add_note``; on 3.10 the
    traceback's own ``# file.py:LINE`` annotations say it)."""
    if not hasattr(exc, "add_note"):
        return
    failing = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename in _line_maps:
            failing = (frame.f_code.co_filename, lineno, frame.f_code.co_name)
    if failing is None:
        return
    filename, lineno, name = failing
    generated = linecache.getline(filename, lineno).split("  # ")[0].strip()
    note = f"s2sad: raised in the generated {name} ({filename}, line {lineno}): {generated}"
    found = origin(filename, lineno)
    if found is not None:
        user_file, user_line = found
        text = linecache.getline(user_file, user_line).strip()
        note += f"\n  which comes from {user_file}:{user_line}: {text}"
    if note not in getattr(exc, "__notes__", ()):
        exc.add_note(note)


def _forget_source(filename: str) -> None:
    with _source_guard:
        _source_users[filename] -= 1
        if _source_users[filename] <= 0:
            del _source_users[filename]
            linecache.cache.pop(filename, None)
            _line_maps.pop(filename, None)


# ------------------------------------------------------------------------------- disk cache
cache_dir = diskcache.cache_dir


# The s2sad package (this module lives in s2sad/loading/).
PACKAGE = Path(__file__).resolve().parent.parent


def compiler_files() -> list:
    """Every source file of s2sad, all stages included: what the fingerprint covers."""
    return sorted(PACKAGE.rglob("*.py"))


def _compiler_fingerprint() -> str:
    """A digest of s2sad's own source files, so an edited or upgraded compiler never reuses
    code generated by another one (the version number alone misses editable installs)."""
    digest = hashlib.sha256()
    for path in compiler_files():
        digest.update(path.relative_to(PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


COMPILER_FINGERPRINT = _compiler_fingerprint()


def disk_key(parts) -> str:
    text = json.dumps([CACHE_FORMAT, __version__, COMPILER_FINGERPRINT, *parts],
                      sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def read_disk(key: str) -> Generated | None:
    """The cached entry for `key`, or None if absent, untrusted or corrupt (see
    :mod:`s2sad.loading.diskcache`); a rejected entry is counted as 'disk_corrupt', never
    executed."""
    try:
        entry = diskcache.read(key)
    except diskcache.RejectedEntry:
        stats["disk_corrupt"] += 1
        return None
    return None if entry is None else Generated(entry.name, entry.source, entry.meta)


def write_disk(key: str, generated: Generated) -> None:
    """Store `generated`; the disk cache is optional, so this never fails."""
    diskcache.write(key, diskcache.Entry(generated.name, generated.source, generated.meta))


# ----------------------------------------------------------------------------- memory cache
# Each function's compiled derivatives are kept on the function itself (in its __dict__), not in
# a table keyed weakly by the function: generated code refers back to the function (its module
# globals hold it), and a weak-key table's value that refers to its key keeps both alive
# forever. On the function, the two form a cycle that the garbage collector frees with it.
TABLE = "__s2sad_cache__"
_holders: weakref.WeakSet = weakref.WeakSet()  # functions holding a table, for clear_cache
_holders_guard = threading.Lock()


def function_cache(fn) -> dict | None:
    """`fn`'s own cache table (a dict whose entries callers name), or None when `fn` takes no
    attributes. The table lives and dies with `fn`, and :func:`clear_cache` empties it."""
    attributes = getattr(fn, "__dict__", None)
    if not isinstance(attributes, dict):
        return None
    table = attributes.get(TABLE)
    if table is not None and table.get("owner") == id(fn):
        return table
    with _holders_guard:
        table = attributes.get(TABLE)
        # A table with another owner was copied from the wrapped function by functools.wraps.
        if table is None or table.get("owner") != id(fn):
            table = {"owner": id(fn)}
            attributes[TABLE] = table
            try:
                _holders.add(fn)
            except TypeError:  # not weakly referenceable: clear_cache cannot reach it
                pass
        return table


# Generated text shared by every function with the same key (closures of one source that
# differ only in captured floats or arrays, which the generated code reads by name): the
# second such function costs a lookup, not a transform. Least recently used first.
_SHARED_LIMIT = 512
_shared: OrderedDict = OrderedDict()
_shared_guard = threading.Lock()

# key -> [lock, users], for the keys being built right now only (it empties when they are done).
_locks: dict = {}
_locks_guard = threading.Lock()


@contextmanager
def key_lock(key):
    """Hold the lock of `key` (any hashable): one thread at a time builds a given key, and the
    others then find its result. Reentrant, so a build may ask for its own key again."""
    with _locks_guard:
        entry = _locks.get(key)
        if entry is None:
            entry = _locks[key] = [threading.RLock(), 0]
        entry[1] += 1
    try:
        with entry[0]:
            yield
    finally:
        with _locks_guard:
            entry[1] -= 1
            if entry[1] == 0 and _locks.get(key) is entry:
                del _locks[key]


#: Called by clear_cache: the API's own memo of recent builds registers itself here.
on_clear: list = []


def clear_cache() -> None:
    """Forget every compiled function held in memory (the disk cache is left alone)."""
    for hook in on_clear:
        hook()
    with _holders_guard:
        holders = list(_holders)
        _holders.clear()
    for fn in holders:
        fn.__dict__.pop(TABLE, None)
    with _shared_guard:
        _shared.clear()
    with _compiled_guard:
        _compiled.clear()


def _generate(key: tuple, build) -> Generated:
    """The generated text for `key`: from the shared memory cache, the disk cache, or
    `build()`, which runs at most once per key at a time."""
    dkey = disk_key(key)
    with key_lock(("generate", dkey)):
        with _shared_guard:
            generated = _shared.get(dkey)
            if generated is not None:
                _shared.move_to_end(dkey)
                stats["shared_hits"] += 1
                return generated
        generated = read_disk(dkey)
        if generated is not None:
            stats["disk_hits"] += 1
        else:
            generated = build()
            stats["transforms"] += 1
            write_disk(dkey, generated)
        with _shared_guard:
            _shared[dkey] = generated
            while len(_shared) > _SHARED_LIMIT:
                _shared.popitem(last=False)
        return generated


def get_or_build(fn, key: tuple, identity: tuple, build, namespace: dict,
                 defaults=None, live_globals: dict | None = None, links=()) -> Loaded:
    """The compiled function for (`fn`, `key`), building it with `build()` at most once.

    `key` describes the generated text (it also keys the shared and the disk cache);
    `identity` adds what only matters to `fn` (the identity of the global objects the code
    reads). `build()` is called only when every cache misses; `namespace` holds the names
    bound once (see :func:`compile_generated`), `live_globals` the dict where the others are
    looked up.
    """
    mem_key = (key, identity)
    table = function_cache(fn)
    per_fn = table.setdefault("memory", {}) if table is not None else {}
    hit = per_fn.get(mem_key)
    if hit is not None:
        stats["memory_hits"] += 1
        return hit
    with key_lock(("build", id(fn), mem_key)):
        hit = per_fn.get(mem_key)
        if hit is not None:
            stats["memory_hits"] += 1
            return hit
        generated = _generate(key, build)
        loaded = compile_generated(generated, namespace, live_globals, defaults, links)
        per_fn[mem_key] = loaded
        return loaded
