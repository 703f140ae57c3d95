"""``s2sad cache info`` and ``s2sad cache clear``, run as ``python -m s2sad`` in a subprocess
with a cache folder of the test's own."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from s2sad.loading import diskcache

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not diskcache.SUPPORTED, reason="no disk cache on this platform")


def run(folder, *args, **env):
    environment = dict(os.environ, S2SAD_CACHE_DIR=str(folder), **env)
    return subprocess.run([sys.executable, "-m", "s2sad", *args], capture_output=True,
                          text=True, env=environment, cwd=REPO, timeout=120)


def info(folder, **env):
    done = run(folder, "cache", "info", **env)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    fields = dict(line.split(":", 1) for line in done.stdout.splitlines())
    return {name: value.strip() for name, value in fields.items()}


def fill(folder):
    """Two entries, made by `s2sad show` in a new process."""
    for mode in ("reverse", "forward"):
        done = run(folder, "show", "examples/lecture.py:f", "--mode", mode)
        assert done.returncode == 0, done.stderr
    return sorted(p for p in folder.iterdir() if p.suffix == ".py")


def test_info_of_a_folder_not_made_yet(tmp_path):
    folder = tmp_path / "cache"
    shown = info(folder)
    assert shown["folder"] == str(folder)
    assert shown["state"] == "on"
    assert shown["key"] == "none yet (the folder does not exist)"
    assert shown["entries"] == "0 (0 bytes)"
    assert shown["limits"].startswith(f"{diskcache.DEFAULT_MAX_BYTES} bytes")
    assert not folder.exists()  # looking does not create it


def test_info_counts_entries_bytes_and_shows_the_key_and_limits(tmp_path):
    folder = tmp_path / "cache"
    written = fill(folder)
    assert len(written) == 2
    (folder / f"0.0.1-{'a' * 64}.py").write_text("old\n")
    (folder / ".tmp-1-x.py").write_text("half")
    shown = info(folder, S2SAD_CACHE_MAX_BYTES="1000000", S2SAD_CACHE_MAX_AGE_DAYS="7.5")
    size = sum(p.stat().st_size for p in written) + 4
    assert shown["entries"] == f"2 ({size} bytes)"
    assert shown["key"] == "ok (hmac-key, mode 600)"
    assert shown["other"] == "1 entries of other s2sad versions, 1 temporary files"
    assert shown["limits"] == ("1000000 bytes (S2SAD_CACHE_MAX_BYTES), entries unused for 7.5 "
                               "days are removed (S2SAD_CACHE_MAX_AGE_DAYS)")


def test_info_says_when_the_cache_is_off_or_not_used(tmp_path):
    folder = tmp_path / "cache"
    assert info(folder, S2SAD_CACHE="0")["state"] == "off (S2SAD_CACHE=0)"
    folder.mkdir()
    folder.chmod(0o777)
    shown = info(folder)
    assert shown["state"] == ("not used: it is writable by other users (mode 777); make it "
                              f"private with: chmod 700 {folder}")
    assert shown["key"] == "not inspected"


def test_clear_removes_entries_and_leftovers_and_keeps_the_key(tmp_path):
    folder = tmp_path / "cache"
    written = fill(folder)
    key = (folder / diskcache.KEY_FILE).read_bytes()
    (folder / ".tmp-1-x.py").write_text("half")
    (folder / "notes.txt").write_text("mine\n")
    freed = sum(p.stat().st_size for p in written) + 4
    done = run(folder, "cache", "clear")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"removed 3 files ({freed} bytes) from {folder}\n"
    assert sorted(p.name for p in folder.iterdir()) == [diskcache.KEY_FILE, "notes.txt"]
    assert (folder / diskcache.KEY_FILE).read_bytes() == key
    assert info(folder)["entries"] == "0 (0 bytes)"
    # The next process transforms again and caches again, with the same key.
    assert len(fill(folder)) == 2
    assert (folder / diskcache.KEY_FILE).read_bytes() == key


def test_clear_removes_a_key_file_that_is_not_private(tmp_path):
    folder = tmp_path / "cache"
    fill(folder)
    (folder / diskcache.KEY_FILE).chmod(0o644)
    assert info(folder)["key"].startswith("unusable: its key file hmac-key is readable")
    assert run(folder, "cache", "clear").returncode == 0
    assert list(folder.iterdir()) == []
    fill(folder)
    assert info(folder)["key"] == "ok (hmac-key, mode 600)"


def test_clear_of_a_missing_folder_removes_nothing(tmp_path):
    folder = tmp_path / "cache"
    done = run(folder, "cache", "clear")
    assert (done.returncode, done.stdout) == (0, f"removed 0 files (0 bytes) from {folder}\n")
    assert not folder.exists()


def test_clear_leaves_a_folder_that_is_not_private_alone(tmp_path):
    folder = tmp_path / "cache"
    written = fill(folder)
    folder.chmod(0o777)
    done = run(folder, "cache", "clear")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (f"s2sad: error: {folder} is left alone: it is writable by other "
                           f"users (mode 777); make it private with: chmod 700 {folder}\n")
    assert all(p.exists() for p in written)


def test_show_with_an_unusable_cache_prints_one_warning_line_and_the_code(tmp_path):
    folder = tmp_path / "cache"
    folder.mkdir()
    folder.chmod(0o777)
    done = run(folder, "show", "examples/lecture.py:f")
    assert done.returncode == 0
    assert "def f_grad(" in done.stdout
    assert done.stderr == (f"s2sad: the disk cache {folder} is not used: it is writable by "
                           f"other users (mode 777); make it private with: chmod 700 {folder}; "
                           "derivatives are cached in memory only (see 'Cache and trust' in "
                           "docs/guide.md)\n")


def test_cache_needs_an_action():
    done = run(Path("unused"), "cache")
    assert done.returncode == 2
    assert "info" in done.stderr and "clear" in done.stderr
    assert "Traceback" not in done.stderr
