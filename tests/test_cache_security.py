"""The disk cache runs what it reads, so it reads only what this user wrote: a private folder,
entries that are this user's regular files, signed with a secret only this user can read, with
a header of the expected shape. Everything else is skipped or deleted and rebuilt, never run,
and never an error: the memory cache keeps working.

``s2sad.loading.loader.stats`` counts 'transforms', 'disk_hits' and 'disk_corrupt' (an entry
rejected).
"""

import errno
import hashlib
import hmac
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import s2sad
from s2sad.loading import cachefiles, diskcache, loader
from s2sad.loading.diskcache import CacheWarning

REPO = Path(__file__).resolve().parent.parent
HEADER = diskcache.HEADER_PREFIX
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _permissions_bypassed() -> bool:
    """True when file permissions do not stop this process (root with CAP_DAC_OVERRIDE)."""
    import tempfile

    with tempfile.TemporaryDirectory() as temporary:
        locked = Path(temporary) / "locked"
        locked.mkdir(mode=0o000)
        try:
            os.listdir(locked)
            return True
        except PermissionError:
            return False
        finally:
            locked.chmod(0o700)


BYPASSED = _permissions_bypassed()
NOBODY = 65534

pytestmark = pytest.mark.skipif(not diskcache.SUPPORTED, reason="no disk cache on this platform")


def _f(x, w):
    return np.sum(np.exp(-x * w) + x * x)


def _g(x):
    return np.sum(np.sin(x))


def _expected(x, w):
    return -w * np.exp(-x * w) + 2 * x


X = np.array([0.3, -0.4, 1.1])
W = np.array([2.0, 0.5, -1.0])


def delta(before):
    keys = ("transforms", "disk_hits", "disk_corrupt")
    return {k: loader.stats[k] - before[k] for k in keys}


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A cache folder of this test's own (not created yet), empty caches, fresh warnings."""
    path = tmp_path / "cache"
    monkeypatch.setenv("S2SAD_CACHE_DIR", str(path))
    monkeypatch.setattr(diskcache, "_warned", set())
    monkeypatch.setattr(diskcache, "_disabled", {})
    monkeypatch.setattr(diskcache, "_writes", {})
    s2sad.clear_cache()
    yield path
    s2sad.clear_cache()


def entries(path):
    return sorted(p for p in path.glob("*.py") if not p.name.startswith(".")) \
        if path.exists() else []


def grad_fresh(record=None):
    """The gradient of _f at (X, W) after emptying the memory cache, checked; returns what the
    caches did and the CacheWarning messages."""
    s2sad.clear_cache()
    before = loader.stats.copy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = s2sad.grad(_f)(X, W)
    np.testing.assert_allclose(got, _expected(X, W), rtol=1e-14)
    assert not hasattr(__import__("builtins"), "S2SAD_PLANTED_CODE_RAN")
    messages = [str(w.message) for w in caught if issubclass(w.category, CacheWarning)]
    return delta(before), messages


def one_entry(path):
    grad_fresh()
    (entry,) = entries(path)
    return entry


def sign(path, payload: bytes) -> bytes:
    """An entry signed with the folder's real key (as s2sad itself would write it)."""
    secret = (path / diskcache.KEY_FILE).read_bytes()
    return HEADER.encode() + diskcache._sign(secret, payload).encode() + b" " + payload


def split(raw: bytes):
    """(info, body) of an entry's bytes."""
    payload = raw[len(HEADER) + 65:]
    header, _, body = payload.decode().partition("\n")
    return json.loads(header), body


# --------------------------------------------------------------------------------- folder
def test_the_folder_and_its_parents_are_created_private_whatever_the_umask(tmp_path,
                                                                           monkeypatch):
    nested = tmp_path / "a" / "b" / "cache"
    monkeypatch.setenv("S2SAD_CACHE_DIR", str(nested))
    s2sad.clear_cache()
    old = os.umask(0)
    try:
        s2sad.grad(_f)
    finally:
        os.umask(old)
    for path in (tmp_path / "a", tmp_path / "a" / "b", nested):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path
    key = nested / diskcache.KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.stat().st_size == diskcache.KEY_BYTES
    (entry,) = entries(nested)
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600


@pytest.mark.parametrize("mode", [0o770, 0o777, 0o1777, 0o722])
def test_a_folder_writable_by_others_is_not_used_and_memory_still_works(folder, mode):
    folder.mkdir()
    folder.chmod(mode)
    changes, messages = grad_fresh()
    assert changes == {"transforms": 1, "disk_hits": 0, "disk_corrupt": 0}
    assert len(messages) == 1
    assert "is not used: it is writable by other users" in messages[0]
    assert f"chmod 700 {folder}" in messages[0]
    assert list(folder.iterdir()) == []  # nothing read, nothing written
    # The memory cache still works, and the warning is not repeated.
    before = loader.stats.copy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s2sad.grad(_f)(X, W)
        s2sad.grad(_f, wrt=1)(X, W)
    # wrt=1, and the program of grad(_f) specialised on the signature of (X, W), which its
    # second call builds (api/signatures.py)
    assert delta(before)["transforms"] == 2
    assert not [w for w in caught if issubclass(w.category, CacheWarning)]


def test_a_folder_of_another_user_is_not_used(folder, monkeypatch):
    planted = one_entry(folder)
    good = planted.read_bytes()
    # Seen by another user, the very same folder belongs to someone else.
    monkeypatch.setattr(cachefiles, "_euid", lambda: os.geteuid() + 1)
    changes, messages = grad_fresh()
    assert changes == {"transforms": 1, "disk_hits": 0, "disk_corrupt": 0}
    assert len(messages) == 1 and "belongs to another user" in messages[0]
    assert planted.read_bytes() == good  # left alone


@pytest.mark.skipif(not ROOT or not BYPASSED, reason="giving a folder to another user needs root")
def test_a_folder_really_owned_by_another_user_is_not_used(folder):
    folder.mkdir(mode=0o700)
    os.chown(folder, NOBODY, NOBODY)
    changes, messages = grad_fresh()
    assert changes["transforms"] == 1 and changes["disk_hits"] == 0
    assert len(messages) == 1 and f"(uid {NOBODY})" in messages[0]
    assert list(folder.iterdir()) == []


def test_a_folder_that_is_a_file_is_not_used(folder):
    folder.write_text("not a folder\n")
    changes, messages = grad_fresh()
    assert changes["transforms"] == 1
    assert len(messages) == 1 and "Not a directory" in messages[0]
    assert folder.read_text() == "not a folder\n"


# ------------------------------------------------------------------------------ OS errors
@pytest.mark.skipif(BYPASSED, reason="permissions do not stop this process (root)")
@pytest.mark.parametrize("where", ["folder", "parent"])
def test_a_folder_without_search_permission_is_not_used(folder, where):
    one_entry(folder)
    locked = folder if where == "folder" else folder.parent
    locked.chmod(0o600)
    try:
        changes, messages = grad_fresh()
    finally:
        locked.chmod(0o700)
    assert changes == {"transforms": 1, "disk_hits": 0, "disk_corrupt": 0}
    assert len(messages) == 1 and "Permission denied" in messages[0]


@pytest.mark.skipif(BYPASSED, reason="permissions do not stop this process (root)")
def test_a_read_only_folder_is_read_but_not_written(folder):
    one_entry(folder)
    folder.chmod(0o500)
    try:
        assert grad_fresh()[0]["disk_hits"] == 1
        changes, messages = grad_fresh_of(_g, np.ones(2))
    finally:
        folder.chmod(0o700)
    assert changes["transforms"] == 1
    assert len(messages) == 1 and "Permission denied" in messages[0]


def grad_fresh_of(fn, x):
    s2sad.clear_cache()
    before = loader.stats.copy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s2sad.grad(fn)(x)
    return delta(before), [str(w.message) for w in caught
                           if issubclass(w.category, CacheWarning)]


@pytest.mark.parametrize("error", [errno.EACCES, errno.ENOSPC, errno.EROFS, errno.EIO])
def test_any_os_error_turns_the_disk_cache_off_for_the_process_with_one_warning(
        folder, monkeypatch, error):
    real_open = os.open
    calls = []

    def failing_open(path, *args, **kwargs):
        if str(path) == str(folder):
            calls.append(path)
            raise OSError(error, os.strerror(error), str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(cachefiles.os, "open", failing_open)
    changes, messages = grad_fresh()
    assert changes == {"transforms": 1, "disk_hits": 0, "disk_corrupt": 0}
    assert messages == [f"s2sad: the disk cache {folder} is not used: {os.strerror(error)} "
                        f"({folder}); derivatives are cached in memory only (see 'Cache and "
                        "trust' in docs/guide.md)"]
    # Not tried again in this process, and not warned about again.
    tried = len(calls)
    changes, messages = grad_fresh()
    assert changes["transforms"] == 1 and messages == [] and len(calls) == tried


def test_a_full_disk_while_writing_leaves_no_partial_entry(folder, monkeypatch):
    one_entry(folder)  # the key exists
    for entry in entries(folder):
        entry.unlink()

    def full(fd, data):
        os.write(fd, data[:10])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(cachefiles, "_write_all", full)
    changes, messages = grad_fresh()
    assert changes["transforms"] == 1
    assert len(messages) == 1 and "No space left on device" in messages[0]
    assert sorted(p.name for p in folder.iterdir()) == [diskcache.KEY_FILE]


# ---------------------------------------------------------------------------------- entries
def entry_of_new_process(folder):
    run_grad_in_new_process(folder)
    (entry,) = entries(folder)
    return entry


def test_a_fifo_at_an_entry_path_is_skipped_at_once(folder):
    entry = entry_of_new_process(folder)
    entry.unlink()
    os.mkfifo(entry, 0o600)
    changes, _ = run_grad_in_new_process(folder)  # a hang would be a timeout
    assert changes == {"transforms": 1, "disk_hits": 0, "disk_corrupt": 1}
    assert stat.S_ISREG(entry.lstat().st_mode)


@pytest.mark.parametrize("target", ["/dev/zero", "elsewhere", "missing"])
def test_a_symlink_at_an_entry_path_is_skipped_at_once(folder, tmp_path, target):
    entry = entry_of_new_process(folder)
    good = entry.read_bytes()
    if target == "elsewhere":  # a valid entry, even: a link is never followed
        target = tmp_path / "valid-entry.py"
        target.write_bytes(good)
    elif target == "missing":
        target = tmp_path / "nothing-here"
    entry.unlink()
    entry.symlink_to(target)
    changes, _ = run_grad_in_new_process(folder)
    assert changes == {"transforms": 1, "disk_hits": 0, "disk_corrupt": 1}
    assert not entry.is_symlink() and entry.read_bytes() == good


def test_an_entry_writable_by_others_is_rejected_and_rewritten(folder):
    entry = one_entry(folder)
    entry.chmod(0o666)
    changes, _ = grad_fresh()
    assert changes == {"transforms": 1, "disk_hits": 0, "disk_corrupt": 1}
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert grad_fresh()[0]["disk_hits"] == 1


@pytest.mark.skipif(not ROOT or not BYPASSED, reason="giving a file to another user needs root")
def test_an_entry_of_another_user_is_not_used(folder):
    entry = one_entry(folder)
    os.chown(entry, NOBODY, NOBODY)
    changes, messages = grad_fresh()
    assert changes == {"transforms": 1, "disk_hits": 0, "disk_corrupt": 1}
    assert len(messages) == 1 and "belongs to another user" in messages[0]
    assert entry.stat().st_uid == os.geteuid()  # replaced by this user's own


def test_an_entry_over_the_size_bound_is_not_read(folder, monkeypatch):
    entry = one_entry(folder)
    monkeypatch.setattr(diskcache, "MAX_ENTRY_BYTES", entry.stat().st_size - 1)
    changes, _ = grad_fresh()
    assert changes == {"transforms": 1, "disk_hits": 0, "disk_corrupt": 1}
    assert entries(folder) == []  # and an entry over the bound is not written either


def _payload_scaling_the_gradient(body: str, name: str) -> str:
    return (f"import builtins\nbuiltins.S2SAD_PLANTED_CODE_RAN = True\n{body}\n"
            f"_real_{name} = {name}\n"
            f"def {name}(*args):\n    return 1000.0 * _real_{name}(*args)\n")


def test_a_forged_entry_with_a_valid_plain_hash_is_rejected_deleted_and_rebuilt(folder):
    entry = one_entry(folder)
    good = entry.read_bytes()
    info, body = split(good)
    body = _payload_scaling_the_gradient(body, info["name"])
    # What an attacker who can write the folder but not read the key can do: a consistent
    # header with a recomputed SHA-256, and a signature of their own.
    info["sha256"] = diskcache._content_hash(info["name"], info["meta"], body)
    payload = (json.dumps(info, sort_keys=True) + "\n" + body).encode()
    forged_signature = hmac.new(b"attacker" * 4, payload, hashlib.sha256).hexdigest()
    entry.write_bytes(HEADER.encode() + forged_signature.encode() + b" " + payload)

    changes, messages = grad_fresh()  # checks the gradient is right and nothing ran
    assert changes == {"transforms": 1, "disk_hits": 0, "disk_corrupt": 1}
    assert messages == [f"s2sad: {entry.name} in the disk cache {folder} was not written by "
                        "s2sad with this folder's key; it was deleted, not run"]
    assert entry.read_bytes() == good
    # s2sad.source, which only prints, does not run it either.
    entry.write_bytes(HEADER.encode() + forged_signature.encode() + b" " + payload)
    s2sad.clear_cache()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text = s2sad.source(_f)
    assert "1000.0" not in text
    assert not hasattr(__import__("builtins"), "S2SAD_PLANTED_CODE_RAN")


def test_an_entry_signed_with_the_real_key_runs(folder):
    """The counterpart of the forgery test: the check is the key, not the content."""
    entry = one_entry(folder)
    info, body = split(entry.read_bytes())
    body = body.replace("return ", "return 1.0 * ", 1)
    info["sha256"] = diskcache._content_hash(info["name"], info["meta"], body)
    entry.write_bytes(sign(folder, (json.dumps(info, sort_keys=True) + "\n" + body).encode()))
    s2sad.clear_cache()
    assert "1.0 * " in s2sad.source(_f)


# --------------------------------------------------------------------------------- the key
def _key_symlink(folder, key):
    elsewhere = folder.parent / "stolen-key"
    elsewhere.write_bytes(key.read_bytes())
    elsewhere.chmod(0o600)
    key.unlink()
    key.symlink_to(elsewhere)


def _key_folder(folder, key):
    key.unlink()
    key.mkdir()


def _key_mode(mode):
    return lambda folder, key: key.chmod(mode)


def _key_size(folder, key):
    key.write_bytes(key.read_bytes()[:16])


KEY_PROBLEMS = {
    "symlink": (_key_symlink, "is a symbolic link"),
    "folder": (_key_folder, "is not a regular file"),
    "readable-by-group": (_key_mode(0o640), "readable or writable by others"),
    "readable-by-all": (_key_mode(0o644), "readable or writable by others"),
    "wrong-size": (_key_size, "is damaged"),
}


@pytest.mark.parametrize("problem", sorted(KEY_PROBLEMS))
def test_a_key_file_that_is_not_private_turns_the_disk_cache_off(folder, problem):
    entry = one_entry(folder)
    good = entry.read_bytes()
    spoil, message = KEY_PROBLEMS[problem]
    spoil(folder, folder / diskcache.KEY_FILE)
    changes, messages = grad_fresh()
    assert changes == {"transforms": 1, "disk_hits": 0, "disk_corrupt": 0}
    assert len(messages) == 1 and message in messages[0]
    assert entry.read_bytes() == good  # not deleted: the key, not the entry, is in doubt


@pytest.mark.skipif(not ROOT or not BYPASSED, reason="giving a file to another user needs root")
def test_a_key_file_of_another_user_turns_the_disk_cache_off(folder):
    one_entry(folder)
    os.chown(folder / diskcache.KEY_FILE, NOBODY, NOBODY)
    changes, messages = grad_fresh()
    assert changes["disk_hits"] == 0
    assert len(messages) == 1 and "key file hmac-key belongs to another user" in messages[0]


def test_processes_racing_to_create_the_key_agree_on_one(folder):
    script = textwrap.dedent("""
        import sys, time
        from s2sad.loading import diskcache
        start = float(sys.argv[1])
        while time.time() < start:
            pass
        for i in range(5):
            diskcache.write(f"{sys.argv[2]}{i:063x}", diskcache.Entry(
                "f", "def f(x):\\n    return x\\n", {"params": ["x"], "wrt": ["x"],
                "n_out": 1, "tuple_out": False, "recursions": []}))
    """)
    start = str(time.time() + 2.0)
    runs = [subprocess.Popen([sys.executable, "-c", script, start, str(i)], env=dict(
        os.environ, S2SAD_CACHE_DIR=str(folder)), cwd=REPO) for i in range(4)]
    assert [run.wait(timeout=120) for run in runs] == [0] * 4
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []
    for i in range(4):
        for j in range(5):
            assert diskcache.read(f"{i}{j:063x}").source == "def f(x):\n    return x\n"


# ------------------------------------------------------------------------------- the header
def _with_header(header_text):
    def spoil(info, body):
        return header_text, body
    return spoil


def _edit_info(edit):
    def spoil(info, body):
        edit(info)
        return json.dumps(info, sort_keys=True), body
    return spoil


def _set_meta(name, value):
    return _edit_info(lambda info: info["meta"].__setitem__(name, value))


def _drop_meta(name):
    return _edit_info(lambda info: info["meta"].pop(name))


def _nested_meta(info, body):
    info["meta"] = "NESTED"
    nested = '{"a": ' * 50_000 + "1" + "}" * 50_000
    return json.dumps(info, sort_keys=True).replace('"NESTED"', nested), body


MALFORMED = {
    "empty-list": _with_header("[]"),
    "number": _with_header("1"),
    "null": _with_header("null"),
    "string": _with_header('"s2sad"'),
    "deeply-nested-list": _with_header("[" * 100_000 + "]" * 100_000),
    "deeply-nested-meta": _nested_meta,
    "no-meta": _edit_info(lambda info: info.pop("meta")),
    "meta-is-a-list": _edit_info(lambda info: info.__setitem__("meta", [])),
    "meta-is-null": _edit_info(lambda info: info.__setitem__("meta", None)),
    "no-params": _drop_meta("params"),
    "params-not-names": _set_meta("params", [1, 2]),
    "params-a-string": _set_meta("params", "xw"),
    "wrt-not-in-params": _set_meta("wrt", ["z"]),
    "n_out-a-string": _set_meta("n_out", "1"),
    "n_out-a-boolean": _set_meta("n_out", True),
    "n_out-negative": _set_meta("n_out", -1),
    "tuple_out-an-int": _set_meta("tuple_out", 0),
    "no-tuple_out": _drop_meta("tuple_out"),
    "recursions-a-dict": _set_meta("recursions", {}),
    "wrong-function-name": _edit_info(lambda info: info.__setitem__("name", "g_vjp")),
    "name-not-an-identifier": _edit_info(lambda info: info.__setitem__("name", "f-vjp")),
    "name-a-number": _edit_info(lambda info: info.__setitem__("name", 3)),
    "no-name": _edit_info(lambda info: info.pop("name")),
    "another-key": _edit_info(lambda info: info.__setitem__("key", "0" * 64)),
    "no-key": _edit_info(lambda info: info.pop("key")),
    "another-version": _edit_info(lambda info: info.__setitem__("version", "0.0.1")),
    "another-format": _edit_info(lambda info: info.__setitem__("format", 1)),
    "format-true": _edit_info(lambda info: info.__setitem__("format", True)),
    "body-not-python": lambda info, body: (json.dumps(info, sort_keys=True), body + "\n)\n"),
    "body-return-outside-function": lambda info, body: (json.dumps(info, sort_keys=True),
                                                        "return 1\n" + body),
    "body-with-null-byte": lambda info, body: (json.dumps(info, sort_keys=True),
                                               body + "# \0\n"),
}


@pytest.mark.parametrize("malformed", sorted(MALFORMED))
def test_a_signed_but_malformed_entry_is_deleted_and_rebuilt(folder, malformed):
    entry = one_entry(folder)
    good = entry.read_bytes()
    info, body = split(good)
    header, body = MALFORMED[malformed](info, body)
    if isinstance(header, str) and header.startswith("{") and "sha256" in header:
        try:  # keep the plain hash right, so that only the schema is wrong
            parsed = json.loads(header)
            parsed["sha256"] = diskcache._content_hash(parsed.get("name"), parsed.get("meta"),
                                                       body)
            header = json.dumps(parsed, sort_keys=True)
        except (ValueError, RecursionError, TypeError, AttributeError):
            pass
    entry.write_bytes(sign(folder, (header + "\n" + body).encode()))

    changes, _ = grad_fresh()
    assert changes == {"transforms": 1, "disk_hits": 0, "disk_corrupt": 1}
    assert entry.read_bytes() == good
    assert grad_fresh()[0]["disk_hits"] == 1


# ---------------------------------------------------------------------------------- bounds
def _entry(i, size=0):
    return diskcache.Entry("f", "def f(x):\n    return x\n" + "#" * size + "\n",
                           {"params": ["x"], "wrt": ["x"], "n_out": 1, "tuple_out": False,
                            "recursions": []})


def _key(i):
    return f"{i:064x}"


def test_entries_of_older_versions_and_old_formats_are_pruned_on_write(folder):
    grad_fresh()
    older = folder / f"0.0.9-{'a' * 64}.py"
    legacy = folder / f"{'b' * 64}.py"  # the first format: no version in the name
    newer = folder / f"99.0-{'c' * 64}.py"
    stranger = folder / "notes.txt"
    for path in (older, legacy, newer, stranger):
        path.write_text("x\n")
    diskcache._writes.clear()  # the next write is the first of a process: it prunes
    diskcache.write(_key(1), _entry(1))
    assert not older.exists() and not legacy.exists()
    assert newer.exists() and stranger.exists()  # another install's, and not s2sad's at all


def test_entries_unused_for_too_long_are_pruned(folder, monkeypatch):
    monkeypatch.setenv("S2SAD_CACHE_MAX_AGE_DAYS", "2")
    diskcache.write(_key(1), _entry(1))
    diskcache.write(_key(2), _entry(2))
    three_days_ago = time.time() - 3 * 86400
    old = folder / diskcache.entry_name(_key(1))
    os.utime(old, (three_days_ago, three_days_ago))
    diskcache._writes.clear()
    diskcache.write(_key(3), _entry(3))
    assert not old.exists()
    assert (folder / diskcache.entry_name(_key(2))).exists()


def test_a_hit_counts_as_a_use_for_pruning(folder, monkeypatch):
    monkeypatch.setenv("S2SAD_CACHE_MAX_AGE_DAYS", "2")
    diskcache.write(_key(1), _entry(1))
    path = folder / diskcache.entry_name(_key(1))
    three_days_ago = time.time() - 3 * 86400
    os.utime(path, (three_days_ago, three_days_ago))
    assert diskcache.read(_key(1)) is not None
    assert time.time() - path.stat().st_mtime < 60
    diskcache._writes.clear()
    diskcache.write(_key(2), _entry(2))
    assert path.exists()


def test_the_folder_is_pruned_to_its_size_least_recently_used_first(folder, monkeypatch):
    monkeypatch.setattr(diskcache, "PRUNE_EVERY", 1)
    diskcache.write(_key(0), _entry(0, 1000))
    size = (folder / diskcache.entry_name(_key(0))).stat().st_size
    monkeypatch.setenv("S2SAD_CACHE_MAX_BYTES", str(3 * size))
    now = time.time()
    for i in range(1, 6):
        diskcache.write(_key(i), _entry(i, 1000))
        os.utime(folder / diskcache.entry_name(_key(i)), (now - 1000 + i, now - 1000 + i))
        os.utime(folder / diskcache.entry_name(_key(0)), (now, now))  # used all along
    kept = {p.name for p in entries(folder)}
    assert kept == {diskcache.entry_name(_key(i)) for i in (0, 4, 5)}
    assert sum(p.stat().st_size for p in entries(folder)) <= 3 * size


def test_pruning_runs_on_the_first_write_then_once_per_prune_every_writes(folder, monkeypatch):
    calls = []
    real = diskcache.prune
    monkeypatch.setattr(diskcache, "prune", lambda fd: calls.append(1) or real(fd))
    for i in range(2 * diskcache.PRUNE_EVERY + 1):
        diskcache.write(_key(i), _entry(i))
    assert len(calls) == 3


@pytest.mark.parametrize("name, value", [("S2SAD_CACHE_MAX_BYTES", "lots"),
                                         ("S2SAD_CACHE_MAX_AGE_DAYS", "-1"),
                                         ("S2SAD_CACHE_MAX_AGE_DAYS", "nan")])
def test_a_bad_limit_setting_warns_once_and_uses_the_default(folder, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.warns(CacheWarning, match=f"{name}={value!r} is not a non-negative number"):
        limits = (diskcache.max_bytes(), diskcache.max_age_days())
    assert limits == (diskcache.DEFAULT_MAX_BYTES, diskcache.DEFAULT_MAX_AGE_DAYS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        diskcache.max_bytes(), diskcache.max_age_days()


def test_stale_temporary_files_are_pruned_fresh_ones_are_not(folder):
    diskcache.write(_key(1), _entry(1))
    stale, fresh = folder / ".tmp-1-dead.py", folder / ".tmp-2-busy.py"
    for path in (stale, fresh):
        path.write_text("half an entr")
    long_ago = time.time() - 2 * diskcache.STALE_TEMP_SECONDS
    os.utime(stale, (long_ago, long_ago))
    diskcache._writes.clear()
    diskcache.write(_key(2), _entry(2))
    assert not stale.exists() and fresh.exists()


# --------------------------------------------------------------------------- killed writers
MODULE = """\
import numpy as np


def f(x, w):
    return np.sum(np.exp(-x * w) + x * x)
"""

RUNNER = """\
import json, os, signal, sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import s2sad
from s2sad.loading import cachefiles, loader
import killed_module

kill_at = int(sys.argv[2])
if kill_at:
    real = cachefiles._write_all
    calls = []

    def write_half_then_die(fd, data):
        calls.append(1)
        if len(calls) == kill_at:
            real(fd, data[: len(data) // 2])
            os.kill(os.getpid(), signal.SIGKILL)
        real(fd, data)

    cachefiles._write_all = write_half_then_die
x, w = np.array([0.3, -0.4, 1.1]), np.array([2.0, 0.5, -1.0])
got = s2sad.grad(killed_module.f)(x, w)
assert np.allclose(got, -w * np.exp(-x * w) + 2 * x)
print(json.dumps({k: loader.stats[k] for k in ("transforms", "disk_hits", "disk_corrupt")}))
"""


def run_grad_in_new_process(folder, kill_at=0, module_dir=None):
    module_dir = module_dir or folder.parent
    (module_dir / "killed_module.py").write_text(MODULE)
    runner = module_dir / "runner.py"
    runner.write_text(RUNNER)
    done = subprocess.run([sys.executable, str(runner), str(module_dir), str(kill_at)],
                          env=dict(os.environ, S2SAD_CACHE_DIR=str(folder)),
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    if kill_at:
        assert done.returncode == -signal.SIGKILL, done.stderr
        return None, done.stderr
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout), done.stderr


@pytest.mark.parametrize("kill_at, what", [(1, "the key"), (2, "the entry")])
def test_a_process_killed_while_writing_leaves_nothing_the_next_one_trips_on(
        tmp_path, kill_at, what):
    folder = tmp_path / "cache"
    run_grad_in_new_process(folder, kill_at=kill_at)
    leftovers = [p.name for p in folder.iterdir()]
    assert all(name.startswith(diskcache.TEMP_PREFIX) or name == diskcache.KEY_FILE
               for name in leftovers), leftovers
    assert any(name.startswith(diskcache.TEMP_PREFIX) for name in leftovers)  # killed mid-way

    changes, stderr = run_grad_in_new_process(folder)
    assert changes == {"transforms": 1, "disk_hits": 0, "disk_corrupt": 0}
    assert stderr == ""
    changes, _ = run_grad_in_new_process(folder)
    assert changes == {"transforms": 0, "disk_hits": 1, "disk_corrupt": 0}


def test_a_process_killed_at_any_moment_of_many_writes_leaves_only_whole_entries(folder):
    script = textwrap.dedent("""
        import sys
        from s2sad.loading import diskcache
        print("ready", flush=True)
        i = 0
        while True:
            diskcache.write(f"{i:064x}", diskcache.Entry(
                "f", "def f(x):\\n    return x\\n" + "#" * 200_000 + "\\n",
                {"params": ["x"], "wrt": ["x"], "n_out": 1, "tuple_out": False,
                 "recursions": []}))
            i += 1
    """)
    writer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                              env=dict(os.environ, S2SAD_CACHE_DIR=str(folder)), cwd=REPO)
    try:
        assert writer.stdout.readline().strip() == b"ready"
        time.sleep(1.0)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=60)
        writer.stdout.close()
    written = entries(folder)
    assert written
    for path in written:
        key = path.stem.rpartition("-")[2]
        entry = diskcache.read(key)  # whole and valid, or absent: never rejected
        assert entry is not None and entry.name == "f"


# ------------------------------------------------------------------------ the test suite
def test_the_suite_runs_with_a_cache_folder_of_its_own(tmp_path_factory):
    folder = Path(os.environ["S2SAD_CACHE_DIR"])
    assert folder.is_relative_to(tmp_path_factory.getbasetemp())
    # S2SAD_UPDATE_GOLDEN is the suite's own switch (conftest.py keeps it), not a setting
    assert [name for name in os.environ if name.startswith("S2SAD_")
            and name not in ("S2SAD_CACHE_DIR", "S2SAD_UPDATE_GOLDEN")] == []


def test_a_cache_warning_points_at_the_users_call(folder):
    folder.mkdir()
    folder.chmod(0o777)
    s2sad.clear_cache()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s2sad.grad(_f)(X, W)
    (warning,) = [w for w in caught if issubclass(w.category, CacheWarning)]
    assert warning.filename == __file__  # not a frame inside s2sad/


def test_the_compiler_fingerprint_covers_every_stage():
    # An edit anywhere in s2sad (a transformation, the lowering, the API) must change the key
    # of every disk cache entry, or edited code would reuse code the old compiler generated.
    files = {path.relative_to(loader.PACKAGE).as_posix() for path in loader.compiler_files()}
    for module in ("transforms/reverse.py", "lowering/function.py", "frontend/fence.py",
                   "api/build.py", "ir/nodes.py", "rules/elementwise.py", "runtime/__init__.py",
                   "loading/loader.py", "transform.py"):
        assert module in files
