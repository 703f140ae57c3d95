"""The disk cache: generated source kept between processes, and trusted only if this user wrote it.

This module is the cache's interface: the settings, :func:`read` and :func:`write` for the
loader, :func:`clear` and :func:`info` for ``s2sad cache``, and the per-process state (folders
not used, warnings given, writes counted). The work is done by

- :mod:`.cachefiles`, the file layer: a private folder, opened once per operation, checked
  entries, atomic writes, the HMAC key;
- :mod:`.entryformat`, the bytes of an entry: its name, its signed header, the checks it must
  pass before the loader runs it;
- :mod:`.pruning`, what the folder holds, and removing it.

The loader executes what it reads here, so an entry is used only when nobody but the current
user can have written it:

- The folder (``$S2SAD_CACHE_DIR``, else ``$XDG_CACHE_HOME/s2sad`` or ``~/.cache/s2sad``) is
  created with mode 0700 whatever the umask. A folder owned by another user, or writable by
  group or others, is not used (one :class:`CacheWarning` per folder and process).
- Every operation opens the folder once and works relative to that descriptor, so swapping the
  folder for another one between the check and the use changes nothing.
- Entries are opened with ``O_NOFOLLOW | O_NONBLOCK`` (a symlink is refused, a FIFO cannot
  block) and accepted only if they are regular files of this user, not writable by others, and
  at most :data:`MAX_ENTRY_BYTES` long.
- Each entry carries an HMAC-SHA256 of its bytes keyed by a random secret kept in the folder
  (``hmac-key``, mode 0600, created once with ``O_EXCL`` and linked into place). An entry
  planted by someone who can write the folder but not read the key fails the check; it is
  deleted and rebuilt, never executed. The header's schema is validated as well.
- Any OS error on the folder (no permission, read-only, disk full...) turns the disk cache off
  for the rest of the process, with one warning; the memory cache keeps working.
- The folder is bounded: entries carry the s2sad version in their name and header, entries of
  older versions, entries unused for ``$S2SAD_CACHE_MAX_AGE_DAYS`` and the least recently used
  beyond ``$S2SAD_CACHE_MAX_BYTES`` are removed when writing (at most once per
  :data:`PRUNE_EVERY` writes).
"""

from __future__ import annotations

import os
import sys
import threading
import warnings
from pathlib import Path

from ..version import __version__  # noqa: F401  (the version has one home; see the tests)
from . import cachefiles, pruning
from .cachefiles import KEY_BYTES, KEY_FILE, SUPPORTED, TEMP_PREFIX, Untrusted, describe
from .entryformat import (
    CACHE_FORMAT,
    HEADER_PREFIX,
    BadSignature,
    Entry,
    authenticate,
    entry_name,
    parse,
    serialize,
)
from .entryformat import content_hash as _content_hash  # noqa: F401  (kept for the tests)
from .entryformat import sign as _sign  # noqa: F401  (kept for the tests)
from .pruning import STALE_TEMP_SECONDS

__all__ = [
    "CACHE_FORMAT", "HEADER_PREFIX", "KEY_BYTES", "KEY_FILE", "SUPPORTED", "TEMP_PREFIX",
    "STALE_TEMP_SECONDS", "MAX_ENTRY_BYTES", "DEFAULT_MAX_BYTES", "DEFAULT_MAX_AGE_DAYS",
    "PRUNE_EVERY", "TOUCH_EVERY", "CacheWarning", "RejectedEntry", "FolderError", "Entry",
    "configured_folder", "enabled", "cache_dir", "max_bytes", "max_age_days", "entry_name",
    "disabled_reason", "read", "write", "prune", "clear", "info",
]

MAX_ENTRY_BYTES = 16 * 1024 * 1024
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
DEFAULT_MAX_AGE_DAYS = 30.0
PRUNE_EVERY = 64
#: A hit refreshes the entry's time (its last use, for pruning) at most this often (seconds).
TOUCH_EVERY = 3600.0


class CacheWarning(UserWarning):
    """The disk cache was not used (a folder that is not private, an OS error, a forged
    entry); s2sad keeps working from memory."""


class RejectedEntry(Exception):
    """An entry that exists but must not be used; it has been deleted if it was ours."""


class FolderError(Exception):
    """``s2sad cache`` cannot work on the folder (not private to this user, or an OS error)."""


# --------------------------------------------------------------------------------- settings
def configured_folder() -> Path:
    """The cache folder the settings name, whether or not the disk cache is on."""
    explicit = os.environ.get("S2SAD_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "s2sad"


def enabled() -> bool:
    """False when ``S2SAD_CACHE`` is 0, false, no or off."""
    return os.environ.get("S2SAD_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


def cache_dir() -> Path | None:
    """The disk cache folder, or None when the disk cache is off."""
    return configured_folder() if enabled() and SUPPORTED else None


def _number_setting(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:  # also NaN
        _warn_once(("setting", name), f"{name}={text!r} is not a non-negative number; "
                   f"using the default, {default:g}")
        return default
    return value


def max_bytes() -> int:
    """The size the folder is pruned to (``$S2SAD_CACHE_MAX_BYTES``)."""
    return int(_number_setting("S2SAD_CACHE_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_age_days() -> float:
    """Entries unused for longer are removed (``$S2SAD_CACHE_MAX_AGE_DAYS``)."""
    return _number_setting("S2SAD_CACHE_MAX_AGE_DAYS", DEFAULT_MAX_AGE_DAYS)


# ------------------------------------------------------------------------ per-process state
_state_lock = threading.Lock()
_disabled: dict[str, str] = {}  # folder -> why it is not used in this process
_warned: set = set()
_writes: dict[str, int] = {}  # folder -> writes since the last prune


def _warn_once(what, message: str) -> None:
    with _state_lock:
        if what in _warned:
            return
        _warned.add(what)
    warnings.warn(message, CacheWarning, stacklevel=_caller_level())


# The s2sad package (this module lives in s2sad/loading/): a warning skips all its frames.
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _caller_level() -> int:
    """The stack level of the first frame outside s2sad: the user's call is what a warning
    points at."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level


def _disable(folder: Path, reason: str) -> None:
    """Stop using `folder` for the rest of this process, saying why once."""
    with _state_lock:
        _disabled.setdefault(str(folder), reason)
    _warn_once(("folder", str(folder)), f"s2sad: the disk cache {folder} is not used: {reason}; "
               "derivatives are cached in memory only (see 'Cache and trust' in docs/guide.md)")


def disabled_reason(folder: Path) -> str | None:
    """Why `folder` is not used in this process, or None."""
    return _disabled.get(str(folder))


# ---------------------------------------------------------------------------------- folder
class _Folder:
    """``with _Folder(create) as fd``: the open cache folder, or None when the disk cache is
    off, unusable or (without `create`) absent. An OS error or an untrusted folder or key
    inside the block turns the disk cache off for this process."""

    def __init__(self, create: bool):
        self.create = create
        self.path = cache_dir()
        self.fd = None

    def __enter__(self) -> int | None:
        if self.path is None or str(self.path) in _disabled:
            return None
        try:
            self.fd = cachefiles.open_folder(self.path, self.create)
        except Untrusted as exc:
            _disable(self.path, str(exc))
        except OSError as exc:
            _disable(self.path, describe(exc))
        return self.fd

    def __exit__(self, kind, exc, tb) -> bool:
        if self.fd is not None:
            os.close(self.fd)
        if isinstance(exc, Untrusted):
            _disable(self.path, str(exc))
            return True
        if isinstance(exc, OSError):
            _disable(self.path, describe(exc))
            return True
        return False


# ------------------------------------------------------------------------------ read, write
def _reject(dfd: int, name: str, reason: str, owned: bool = True) -> RejectedEntry:
    if owned:
        cachefiles.discard(dfd, name)
    return RejectedEntry(f"{name}: {reason}")


def read(key: str) -> Entry | None:
    """The entry for `key`, or None when there is none (or the disk cache is off or not
    usable). Raises RejectedEntry for an entry that exists but is not trusted or malformed."""
    with _Folder(create=False) as dfd:
        if dfd is None:
            return None
        name = entry_name(key)
        try:
            data = cachefiles.read_private(dfd, name, MAX_ENTRY_BYTES, TOUCH_EVERY)
        except cachefiles.UnusableFile as exc:
            if not exc.ours:
                _warn_once(("entry", str(cache_dir())), f"s2sad: the disk cache {cache_dir()} "
                           f"holds {name}, which belongs to another user; it is not used")
            raise _reject(dfd, name, exc.reason, owned=exc.ours) from None
        if data is None:
            return None
        secret = cachefiles.read_key(dfd)
        if secret is None:
            raise _reject(dfd, name, "no key to check it with")
        try:
            payload = authenticate(secret, data)
        except BadSignature as exc:
            if exc.forged:
                _warn_once(("forged", str(cache_dir())), f"s2sad: {name} in the disk cache "
                           f"{cache_dir()} was not written by s2sad with this folder's key; "
                           "it was deleted, not run")
            raise _reject(dfd, name, "HMAC mismatch") from None
        try:
            return parse(key, payload)
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError) as exc:
            raise _reject(dfd, name, f"malformed: {exc}") from None
    return None  # the folder failed inside the block


def write(key: str, entry: Entry) -> None:
    """Store `entry` under `key` atomically (a temporary file moved into place); an OS error
    turns the disk cache off for this process instead of failing."""
    with _Folder(create=True) as dfd:
        if dfd is None:
            return
        secret = cachefiles.read_key(dfd)
        if secret is None:
            secret = cachefiles.create_key(dfd)
        data = serialize(secret, key, entry)
        if len(data) > MAX_ENTRY_BYTES:
            return
        cachefiles.write_atomically(dfd, entry_name(key), data)
        folder = str(cache_dir())
        with _state_lock:
            count = _writes.get(folder, 0)
            _writes[folder] = count + 1
        if count % PRUNE_EVERY == 0:  # the first write of the process, then every so often
            prune(dfd)


def prune(dfd: int, now: float | None = None) -> int:
    """Remove leftovers, entries of older s2sad versions, entries unused for longer than
    :func:`max_age_days`, then the least recently used until the folder holds at most
    :func:`max_bytes`. Returns the number of files removed."""
    listing = pruning.list_folder(dfd)  # first: a folder that cannot be listed reads no setting
    return pruning.prune(dfd, listing, max_age_days(), max_bytes(), now)


# -------------------------------------------------------------------------- s2sad cache ...
def _open_for_cli(folder: Path) -> int | None:
    try:
        return cachefiles.open_folder(folder, create=False)
    except Untrusted as exc:
        raise FolderError(str(exc)) from None
    except OSError as exc:
        raise FolderError(f"{folder}: {describe(exc)}") from None


def clear() -> tuple[Path, int, int]:
    """Remove every entry and temporary file from the cache folder (the key stays unless it is
    unusable). Returns (folder, files removed, bytes freed); raises FolderError for a folder
    that is not private to this user (other users' files are not touched)."""
    folder = configured_folder()
    try:
        dfd = _open_for_cli(folder)
    except FolderError as exc:
        raise FolderError(f"{folder} is left alone: {exc}") from None
    if dfd is None:
        return folder, 0, 0
    try:
        removed, freed = pruning.clear_folder(dfd)
    except OSError as exc:
        raise FolderError(f"{folder}: {describe(exc)}") from None
    finally:
        os.close(dfd)
    return folder, removed, freed


def info() -> dict:
    """What ``s2sad cache info`` prints: the folder, whether it is used, its key, its entries
    and the limits. Raises FolderError."""
    folder = configured_folder()
    if not SUPPORTED:
        state = "off (not supported on this platform)"
    elif not enabled():
        state = f"off (S2SAD_CACHE={os.environ.get('S2SAD_CACHE', '')})"
    else:
        reason = disabled_reason(folder)
        state = "on" if reason is None else f"not used: {reason}"
    details = {"folder": str(folder), "state": state, "key": "none yet", "entries": 0,
               "bytes": 0, "other_versions": 0, "temporary": 0,
               "max_bytes": max_bytes(), "max_age_days": max_age_days()}
    try:
        dfd = _open_for_cli(folder)
    except FolderError as exc:
        details.update(state=f"not used: {exc}", key="not inspected")
        return details
    if dfd is None:
        details["key"] = "none yet (the folder does not exist)"
        return details
    try:
        listing = pruning.list_folder(dfd)
        details.update(key=cachefiles.key_status(dfd), entries=len(listing.entries),
                       bytes=listing.total_bytes, other_versions=len(listing.others),
                       temporary=len(listing.temps))
    except OSError as exc:
        raise FolderError(f"{folder}: {describe(exc)}") from None
    finally:
        os.close(dfd)
    return details
