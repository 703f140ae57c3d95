"""The disk cache's file layer: a folder and files that only the current user can have written.

The loader executes what the cache holds, so every file operation here refuses what another
user could have planted or swapped:

- The folder is created with mode 0700 whatever the umask, and used only if it belongs to this
  user and is not writable by group or others (:func:`open_folder`). Every operation works
  relative to that open descriptor, so swapping the folder after the check changes nothing.
- Files are opened with ``O_NOFOLLOW | O_NONBLOCK`` (a symlink is refused, a FIFO cannot
  block) and read only if they are regular files of this user, not writable by others, and
  not longer than the caller's limit (:func:`read_private`).
- Files are written whole to a fresh temporary name (``O_EXCL``) and then moved or linked into
  place, so a reader never sees half a file (:func:`write_atomically`, :func:`create_key`).
- The folder's secret (``hmac-key``, mode 0600) keys the HMAC of every entry
  (:mod:`.entryformat`); a key file that someone else could know is refused.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
import time
from pathlib import Path

KEY_FILE = "hmac-key"
KEY_BYTES = 32
TEMP_PREFIX = ".tmp-"

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


class Untrusted(Exception):
    """The folder or its key file is not private to this user."""


class UnusableFile(Exception):
    """A file that exists but must not be used. `ours` is false when it belongs to another
    user: then it must be left alone, not deleted."""

    def __init__(self, reason: str, ours: bool = True):
        super().__init__(reason)
        self.reason = reason
        self.ours = ours


def _euid() -> int:
    return os.geteuid()


def describe(exc: OSError) -> str:
    """An OS error in a few words, with the file it concerns."""
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{exc.strerror or type(exc).__name__}{where}"


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


def open_folder(folder: Path, create: bool) -> int | None:
    """A descriptor of `folder` once it is known to be private, None when it does not exist
    (and `create` is false). Raises Untrusted or OSError."""
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
            raise Untrusted(f"it belongs to another user (uid {st.st_uid}); s2sad runs code "
                            "it reads from there, so it must be yours")
        if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise Untrusted(f"it is writable by other users (mode {stat.S_IMODE(st.st_mode):o})"
                            f"; make it private with: chmod 700 {folder}")
        if st.st_mode & (stat.S_IRUSR | stat.S_IXUSR) != stat.S_IRUSR | stat.S_IXUSR:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(folder))
    except BaseException:
        os.close(fd)
        raise
    return fd


# ------------------------------------------------------------------------------------- key
def read_key(dfd: int) -> bytes | None:
    """The folder's secret, or None if there is none yet. Raises Untrusted for a key file
    that could be known to someone else or is not what s2sad wrote."""
    try:
        fd = os.open(KEY_FILE, _READ_FLAGS, dir_fd=dfd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Untrusted(f"its key file {KEY_FILE} is a symbolic link") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Untrusted(f"its key file {KEY_FILE} is not a regular file")
        if st.st_uid != _euid():
            raise Untrusted(f"its key file {KEY_FILE} belongs to another user")
        if st.st_mode & 0o077:
            raise Untrusted(f"its key file {KEY_FILE} is readable or writable by others "
                            f"(mode {stat.S_IMODE(st.st_mode):o}); remove it")
        secret = os.read(fd, KEY_BYTES + 1)
    finally:
        os.close(fd)
    if len(secret) != KEY_BYTES:
        raise Untrusted(f"its key file {KEY_FILE} is damaged (not {KEY_BYTES} bytes); "
                        "remove it")
    return secret


def create_key(dfd: int) -> bytes:
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
    secret = read_key(dfd)
    if secret is None:
        raise FileNotFoundError(errno.ENOENT, "the key file vanished", KEY_FILE)
    return secret


def key_status(dfd: int) -> str:
    """A one-line description of the folder's key, for ``s2sad cache info``."""
    try:
        secret = read_key(dfd)
    except Untrusted as exc:
        return f"unusable: {exc}"
    except OSError as exc:
        return f"unreadable: {describe(exc)}"
    if secret is None:
        return "none yet (created with the first entry)"
    return f"ok ({KEY_FILE}, mode 600)"


# ---------------------------------------------------------------------------- files inside
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


def discard(dfd: int, name: str) -> None:
    """Remove the file `name` (a symlink itself, never its target); it may be gone already."""
    try:
        os.unlink(name, dir_fd=dfd)
    except FileNotFoundError:
        pass
    except OSError:
        pass  # a directory, say: the next write reports it


def read_private(dfd: int, name: str, limit: int, touch_after: float) -> bytes | None:
    """The bytes of the file `name`, or None when there is none. Raises UnusableFile for a
    symlink, a file that is not regular, not this user's or writable by others, or longer
    than `limit`. A file last touched more than `touch_after` seconds ago is touched: its
    time is its last use, for pruning."""
    try:
        fd = os.open(name, _READ_FLAGS, dir_fd=dfd)
    except FileNotFoundError:
        return None
    except OSError as exc:  # ELOOP for a symbolic link, EACCES for an unreadable file
        raise UnusableFile(describe(exc)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnusableFile("not a regular file")
        if st.st_uid != _euid():
            raise UnusableFile("owned by another user", ours=False)
        if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise UnusableFile("writable by other users")
        if st.st_size > limit:
            raise UnusableFile("too large")
        data = _read_bounded(fd, limit)
        if len(data) > limit:
            raise UnusableFile("too large")
        if time.time() - st.st_mtime > touch_after:
            try:
                os.utime(fd)
            except OSError:
                pass  # a read-only cache is still a cache
    finally:
        os.close(fd)
    return data


def write_atomically(dfd: int, name: str, data: bytes) -> None:
    """Store `data` as `name`: written to a fresh temporary file (mode 0600) that is then
    moved into place, so no reader sees part of it; on failure the temporary file goes."""
    temp = f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(8)}.py"
    fd = os.open(temp, _CREATE_FLAGS, 0o600, dir_fd=dfd)
    try:
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
        os.replace(temp, name, src_dir_fd=dfd, dst_dir_fd=dfd)
    except BaseException:
        discard(dfd, temp)
        raise
