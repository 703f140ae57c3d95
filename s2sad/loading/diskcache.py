"""The disk cache: generated source kept between processes, and trusted only if this user wrote it.

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

import ast
import errno
import hashlib
import hmac
import json
import os
import re
import secrets
import stat
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..version import __version__

CACHE_FORMAT = 3
HEADER_PREFIX = "# s2sad-cache "
KEY_FILE = "hmac-key"
KEY_BYTES = 32
TEMP_PREFIX = ".tmp-"
MAX_ENTRY_BYTES = 16 * 1024 * 1024
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
DEFAULT_MAX_AGE_DAYS = 30.0
PRUNE_EVERY = 64
#: Leftovers of a process killed while writing are removed once this old (seconds).
STALE_TEMP_SECONDS = 600.0
#: A hit refreshes the entry's time (its last use, for pruning) at most this often (seconds).
TOUCH_EVERY = 3600.0

_ENTRY_NAME = re.compile(r"(?P<version>[0-9A-Za-z.+_]+)-(?P<key>[0-9a-f]{64})\.py")
_LEGACY_ENTRY_NAME = re.compile(r"[0-9a-f]{64}\.py")
_HMAC_HEX = re.compile(r"[0-9a-f]{64}")
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_READ_FLAGS = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
               | getattr(os, "O_CLOEXEC", 0))
_CREATE_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                 | getattr(os, "O_CLOEXEC", 0))
#: Everything here works relative to an open folder; where that is impossible (Windows) the
#: disk cache is off.
SUPPORTED = (hasattr(os, "geteuid") and hasattr(os, "O_NOFOLLOW")
             and {os.open, os.unlink, os.link, os.stat} <= os.supports_dir_fd
             and os.scandir in os.supports_fd)


class CacheWarning(UserWarning):
    """The disk cache was not used (a folder that is not private, an OS error, a forged
    entry); s2sad keeps working from memory."""


class RejectedEntry(Exception):
    """An entry that exists but must not be used; it has been deleted if it was ours."""


@dataclass(frozen=True)
class Entry:
    """What a cache entry holds."""

    name: str
    source: str
    meta: dict


class _Untrusted(Exception):
    """The folder or its key file is not private to this user."""


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


def entry_name(key: str) -> str:
    """The file name of the entry for `key`: the s2sad version, then the key."""
    return f"{re.sub(r'[^0-9A-Za-z.+]', '_', __version__)}-{key}.py"


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


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


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


def _euid() -> int:
    return os.geteuid()


# ---------------------------------------------------------------------------------- folder
def _make_private_folders(folder: Path) -> None:
    """Create `folder` and its missing parents with mode 0700, whatever the umask."""
    missing = []
    path = folder
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    for path in reversed(missing):
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue
        fd = os.open(path, _DIR_FLAGS | os.O_NOFOLLOW)
        try:
            if os.fstat(fd).st_uid == _euid():
                os.fchmod(fd, 0o700)  # the umask may have removed the owner's bits
        finally:
            os.close(fd)


def _open_folder(folder: Path, create: bool) -> int | None:
    """A descriptor of `folder` once it is known to be private, None when it does not exist
    (and `create` is false). Raises _Untrusted or OSError."""
    try:
        fd = os.open(folder, _DIR_FLAGS)
    except FileNotFoundError:
        if not create:
            return None
        _make_private_folders(folder)
        fd = os.open(folder, _DIR_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISDIR(st.st_mode):
            raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(folder))
        if st.st_uid != _euid():
            raise _Untrusted(f"it belongs to another user (uid {st.st_uid}); s2sad runs code "
                             "it reads from there, so it must be yours")
        if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise _Untrusted(f"it is writable by other users (mode {stat.S_IMODE(st.st_mode):o})"
                             f"; make it private with: chmod 700 {folder}")
        if st.st_mode & (stat.S_IRUSR | stat.S_IXUSR) != stat.S_IRUSR | stat.S_IXUSR:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(folder))
    except BaseException:
        os.close(fd)
        raise
    return fd


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
            self.fd = _open_folder(self.path, self.create)
        except _Untrusted as exc:
            _disable(self.path, str(exc))
        except OSError as exc:
            _disable(self.path, _describe(exc))
        return self.fd

    def __exit__(self, kind, exc, tb) -> bool:
        if self.fd is not None:
            os.close(self.fd)
        if isinstance(exc, _Untrusted):
            _disable(self.path, str(exc))
            return True
        if isinstance(exc, OSError):
            _disable(self.path, _describe(exc))
            return True
        return False


def _describe(exc: OSError) -> str:
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{exc.strerror or type(exc).__name__}{where}"


# ------------------------------------------------------------------------------------- key
def _read_key(dfd: int) -> bytes | None:
    """The folder's secret, or None if there is none yet. Raises _Untrusted for a key file
    that could be known to someone else or is not what s2sad wrote."""
    try:
        fd = os.open(KEY_FILE, _READ_FLAGS, dir_fd=dfd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _Untrusted(f"its key file {KEY_FILE} is a symbolic link") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _Untrusted(f"its key file {KEY_FILE} is not a regular file")
        if st.st_uid != _euid():
            raise _Untrusted(f"its key file {KEY_FILE} belongs to another user")
        if st.st_mode & 0o077:
            raise _Untrusted(f"its key file {KEY_FILE} is readable or writable by others "
                             f"(mode {stat.S_IMODE(st.st_mode):o}); remove it")
        secret = os.read(fd, KEY_BYTES + 1)
    finally:
        os.close(fd)
    if len(secret) != KEY_BYTES:
        raise _Untrusted(f"its key file {KEY_FILE} is damaged (not {KEY_BYTES} bytes); "
                         "remove it")
    return secret


def _create_key(dfd: int) -> bytes:
    """Create the folder's secret, atomically: written in full to a fresh file, then linked
    to its name (which fails if another process made one first; then that one is used)."""
    temp = f"{TEMP_PREFIX}key-{os.getpid()}-{secrets.token_hex(8)}"
    fd = os.open(temp, _CREATE_FLAGS, 0o600, dir_fd=dfd)
    try:
        try:
            os.fchmod(fd, 0o600)
            _write_all(fd, secrets.token_bytes(KEY_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temp, KEY_FILE, src_dir_fd=dfd, dst_dir_fd=dfd, follow_symlinks=False)
        except FileExistsError:
            pass
    finally:
        os.unlink(temp, dir_fd=dfd)
    secret = _read_key(dfd)
    if secret is None:
        raise FileNotFoundError(errno.ENOENT, "the key file vanished", KEY_FILE)
    return secret


def key_status(dfd: int) -> str:
    """A one-line description of the folder's key, for ``s2sad cache info``."""
    try:
        secret = _read_key(dfd)
    except _Untrusted as exc:
        return f"unusable: {exc}"
    except OSError as exc:
        return f"unreadable: {_describe(exc)}"
    if secret is None:
        return "none yet (created with the first entry)"
    return f"ok ({KEY_FILE}, mode 600)"


# ------------------------------------------------------------------------------ entry format
def _sign(secret: bytes, payload: bytes) -> str:
    return hmac.new(secret, payload, hashlib.sha256).hexdigest()


def _content_hash(name, meta, body: str) -> str:
    """SHA-256 of the name, metadata and code (tells an accidental corruption from a forgery;
    only the HMAC makes an entry trusted)."""
    header = json.dumps({"name": name, "meta": meta}, sort_keys=True)
    return hashlib.sha256((header + "\n" + body).encode()).hexdigest()


def serialize(secret: bytes, key: str, entry: Entry) -> bytes:
    """The bytes of an entry: ``# s2sad-cache HMAC {header}`` on the first line, then the
    code; the HMAC covers every byte after it."""
    info = {"format": CACHE_FORMAT, "key": key, "version": __version__, "name": entry.name,
            "meta": entry.meta, "sha256": _content_hash(entry.name, entry.meta, entry.source)}
    payload = (json.dumps(info, sort_keys=True) + "\n" + entry.source).encode("utf-8")
    return HEADER_PREFIX.encode() + _sign(secret, payload).encode() + b" " + payload


_META_LISTS = ("params", "wrt", "recursions")


def _check_meta(meta) -> None:
    if not isinstance(meta, dict):
        raise ValueError("meta is not an object")
    for name in _META_LISTS:
        items = meta.get(name)
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ValueError(f"meta.{name} is not a list of names")
    if not set(meta["wrt"]) <= set(meta["params"]):
        raise ValueError("meta.wrt names a parameter that meta.params lacks")
    n_out = meta.get("n_out")
    if type(n_out) is not int or n_out < 0:
        raise ValueError("meta.n_out is not a count")
    if type(meta.get("tuple_out")) is not bool:
        raise ValueError("meta.tuple_out is not a boolean")
    scalar_if = meta.get("scalar_if")
    if scalar_if is not None and (
        not isinstance(scalar_if, list) or not all(isinstance(i, str) for i in scalar_if)
        or not set(scalar_if) <= set(meta["params"])
    ):
        raise ValueError("meta.scalar_if is not a list of parameters")


def _parse(key: str, payload: bytes) -> Entry:
    """The entry in `payload` (authenticated already); ValueError if it is malformed."""
    text = payload.decode("utf-8")
    header, newline, body = text.partition("\n")
    if not newline:
        raise ValueError("no code after the header")
    info = json.loads(header)
    if not isinstance(info, dict):
        raise ValueError("the header is not an object")
    if info.get("format") != CACHE_FORMAT or info.get("version") != __version__:
        raise ValueError("another format or s2sad version")
    if info.get("key") != key:
        raise ValueError("the entry of another key")
    name = info.get("name")
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError("the name is not an identifier")
    _check_meta(info.get("meta"))
    if info.get("sha256") != _content_hash(name, info["meta"], body):
        raise ValueError("content hash mismatch")
    tree = ast.parse(body)
    if not any(isinstance(node, ast.FunctionDef) and node.name == name for node in tree.body):
        raise ValueError(f"the code does not define {name}")
    compile(tree, "<s2sad cache entry>", "exec")  # errors ast.parse leaves to the compiler
    return Entry(name, body, info["meta"])


def _looks_like_plain_corruption(payload: bytes) -> bool:
    """True when the content hash matches, so only the HMAC is wrong: not a damaged file but
    one written with another key, by someone else."""
    try:
        header, _, body = payload.decode("utf-8").partition("\n")
        info = json.loads(header)
        return not (isinstance(info, dict)
                    and info.get("sha256") == _content_hash(info.get("name"), info.get("meta"),
                                                            body))
    except (ValueError, TypeError, RecursionError):
        return True


# ------------------------------------------------------------------------------ read, write
def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_bounded(fd: int, limit: int) -> bytes:
    chunks, total = [], 0
    while total <= limit:
        chunk = os.read(fd, min(1 << 20, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _discard(dfd: int, name: str) -> None:
    """Remove the entry `name` (a symlink itself, never its target); it may be gone already."""
    try:
        os.unlink(name, dir_fd=dfd)
    except FileNotFoundError:
        pass
    except OSError:
        pass  # a directory, say: the next write reports it


def _reject(dfd: int, name: str, reason: str, owned: bool = True) -> RejectedEntry:
    if owned:
        _discard(dfd, name)
    return RejectedEntry(f"{name}: {reason}")


def read(key: str) -> Entry | None:
    """The entry for `key`, or None when there is none (or the disk cache is off or not
    usable). Raises RejectedEntry for an entry that exists but is not trusted or malformed."""
    with _Folder(create=False) as dfd:
        if dfd is None:
            return None
        name = entry_name(key)
        try:
            fd = os.open(name, _READ_FLAGS, dir_fd=dfd)
        except FileNotFoundError:
            return None
        except OSError as exc:  # ELOOP for a symbolic link, EACCES for an unreadable entry
            raise _reject(dfd, name, _describe(exc)) from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise _reject(dfd, name, "not a regular file")
            if st.st_uid != _euid():
                _warn_once(("entry", str(cache_dir())), f"s2sad: the disk cache {cache_dir()} "
                           f"holds {name}, which belongs to another user; it is not used")
                raise _reject(dfd, name, "owned by another user", owned=False)
            if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                raise _reject(dfd, name, "writable by other users")
            if st.st_size > MAX_ENTRY_BYTES:
                raise _reject(dfd, name, "too large")
            data = _read_bounded(fd, MAX_ENTRY_BYTES)
            if len(data) > MAX_ENTRY_BYTES:
                raise _reject(dfd, name, "too large")
            if time.time() - st.st_mtime > TOUCH_EVERY:
                try:
                    os.utime(fd)  # its last use, for pruning
                except OSError:
                    pass  # a read-only cache is still a cache
        finally:
            os.close(fd)
        secret = _read_key(dfd)
        if secret is None:
            raise _reject(dfd, name, "no key to check it with")
        prefix = HEADER_PREFIX.encode()
        signature, payload = data[len(prefix):len(prefix) + 64], data[len(prefix) + 65:]
        if (not data.startswith(prefix) or data[len(prefix) + 64:len(prefix) + 65] != b" "
                or not hmac.compare_digest(signature, _sign(secret, payload).encode())):
            if data.startswith(prefix) and not _looks_like_plain_corruption(payload):
                _warn_once(("forged", str(cache_dir())), f"s2sad: {name} in the disk cache "
                           f"{cache_dir()} was not written by s2sad with this folder's key; "
                           "it was deleted, not run")
            raise _reject(dfd, name, "HMAC mismatch")
        try:
            return _parse(key, payload)
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError) as exc:
            raise _reject(dfd, name, f"malformed: {exc}") from None
    return None  # the folder failed inside the block


def write(key: str, entry: Entry) -> None:
    """Store `entry` under `key` atomically (a temporary file moved into place); an OS error
    turns the disk cache off for this process instead of failing."""
    with _Folder(create=True) as dfd:
        if dfd is None:
            return
        secret = _read_key(dfd)
        if secret is None:
            secret = _create_key(dfd)
        data = serialize(secret, key, entry)
        if len(data) > MAX_ENTRY_BYTES:
            return
        temp = f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(8)}.py"
        fd = os.open(temp, _CREATE_FLAGS, 0o600, dir_fd=dfd)
        try:
            try:
                _write_all(fd, data)
            finally:
                os.close(fd)
            os.replace(temp, entry_name(key), src_dir_fd=dfd, dst_dir_fd=dfd)
        except BaseException:
            _discard(dfd, temp)
            raise
        folder = str(cache_dir())
        with _state_lock:
            count = _writes.get(folder, 0)
            _writes[folder] = count + 1
        if count % PRUNE_EVERY == 0:  # the first write of the process, then every so often
            prune(dfd)


# ---------------------------------------------------------------------------------- pruning
def _version_tuple(version: str) -> tuple:
    return tuple(int(part) for part in re.findall(r"\d+", version))


@dataclass
class Listing:
    """What the folder holds, for pruning and ``s2sad cache info``."""

    entries: list  # (mtime, size, name), entries of the running version
    others: list  # (mtime, size, name, version), entries of other versions or formats
    temps: list  # (mtime, size, name), temporary files
    key: bool

    @property
    def total_bytes(self) -> int:
        return sum(item[1] for item in self.entries + self.others)


def list_folder(dfd: int) -> Listing:
    """The entries and leftovers in the open folder `dfd` (other files are not s2sad's)."""
    current = entry_name("0" * 64).rpartition("-")[0]
    listing = Listing([], [], [], False)
    with os.scandir(dfd) as found:
        for item in found:
            try:
                st = item.stat(follow_symlinks=False)
            except OSError:
                continue
            name = item.name
            matched = _ENTRY_NAME.fullmatch(name)
            if name == KEY_FILE:
                listing.key = True
            elif name.startswith(TEMP_PREFIX):
                listing.temps.append((st.st_mtime, st.st_size, name))
            elif matched and matched["version"] == current:
                listing.entries.append((st.st_mtime, st.st_size, name))
            elif matched:
                listing.others.append((st.st_mtime, st.st_size, name, matched["version"]))
            elif _LEGACY_ENTRY_NAME.fullmatch(name):
                listing.others.append((st.st_mtime, st.st_size, name, ""))
    return listing


def prune(dfd: int, now: float | None = None) -> int:
    """Remove leftovers, entries of older s2sad versions, entries unused for longer than
    :func:`max_age_days`, then the least recently used until the folder holds at most
    :func:`max_bytes`. Returns the number of files removed."""
    now = time.time() if now is None else now
    listing = list_folder(dfd)
    doomed = [name for mtime, _, name in listing.temps if now - mtime > STALE_TEMP_SECONDS]
    ours = _version_tuple(__version__)
    kept = []
    oldest = now - max_age_days() * 86400.0
    for mtime, size, name, version in listing.others:
        if _version_tuple(version) < ours or mtime < oldest:
            doomed.append(name)
        else:
            kept.append((mtime, size, name))
    for mtime, size, name in listing.entries:
        (doomed.append(name) if mtime < oldest else kept.append((mtime, size, name)))
    total, limit = sum(size for _, size, _ in kept), max_bytes()
    for _, size, name in sorted(kept):
        if total <= limit:
            break
        doomed.append(name)
        total -= size
    for name in doomed:
        _discard(dfd, name)
    return len(doomed)


def _clear_open(dfd: int) -> tuple[int, int]:
    listing = list_folder(dfd)
    items = listing.entries + [item[:3] for item in listing.others] + listing.temps
    for _, _, name in items:
        _discard(dfd, name)
    try:
        _read_key(dfd)
    except _Untrusted:
        _discard(dfd, KEY_FILE)
    return len(items), sum(size for _, size, _ in items)


class FolderError(Exception):
    """``s2sad cache`` cannot work on the folder (not private to this user, or an OS error)."""


def _open_for_cli(folder: Path) -> int | None:
    try:
        return _open_folder(folder, create=False)
    except _Untrusted as exc:
        raise FolderError(str(exc)) from None
    except OSError as exc:
        raise FolderError(f"{folder}: {_describe(exc)}") from None


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
        removed, freed = _clear_open(dfd)
    except OSError as exc:
        raise FolderError(f"{folder}: {_describe(exc)}") from None
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
        listing = list_folder(dfd)
        details.update(key=key_status(dfd), entries=len(listing.entries),
                       bytes=listing.total_bytes, other_versions=len(listing.others),
                       temporary=len(listing.temps))
    except OSError as exc:
        raise FolderError(f"{folder}: {_describe(exc)}") from None
    finally:
        os.close(dfd)
    return details
