"""What the disk cache folder holds, and removing it: the pruning that keeps the folder
bounded, and the emptying that ``s2sad cache clear`` asks for.

Pruning removes leftovers of processes killed while writing, entries of older s2sad versions,
entries unused for too long, then the least recently used until the folder is small enough.
An entry's time is its last use (reads touch it, see :func:`.cachefiles.read_private`).
Files whose names are not s2sad's are never touched.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass

from ..version import __version__
from .cachefiles import KEY_FILE, TEMP_PREFIX, Untrusted, discard, read_key
from .entryformat import ENTRY_NAME, LEGACY_ENTRY_NAME, entry_name

#: Leftovers of a process killed while writing are removed once this old (seconds).
STALE_TEMP_SECONDS = 600.0


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
            matched = ENTRY_NAME.fullmatch(name)
            if name == KEY_FILE:
                listing.key = True
            elif name.startswith(TEMP_PREFIX):
                listing.temps.append((st.st_mtime, st.st_size, name))
            elif matched and matched["version"] == current:
                listing.entries.append((st.st_mtime, st.st_size, name))
            elif matched:
                listing.others.append((st.st_mtime, st.st_size, name, matched["version"]))
            elif LEGACY_ENTRY_NAME.fullmatch(name):
                listing.others.append((st.st_mtime, st.st_size, name, ""))
    return listing


def _version_tuple(version: str) -> tuple:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def prune(dfd: int, listing: Listing, max_age_days: float, max_bytes: int,
          now: float | None = None) -> int:
    """Remove, of what `listing` found in the open folder `dfd`, leftovers, entries of older
    s2sad versions, entries unused for longer than `max_age_days`, then the least recently
    used until the folder holds at most `max_bytes`. Returns the number of files removed."""
    now = time.time() if now is None else now
    doomed = [name for mtime, _, name in listing.temps if now - mtime > STALE_TEMP_SECONDS]
    ours = _version_tuple(__version__)
    kept = []
    oldest = now - max_age_days * 86400.0
    for mtime, size, name, version in listing.others:
        if _version_tuple(version) < ours or mtime < oldest:
            doomed.append(name)
        else:
            kept.append((mtime, size, name))
    for mtime, size, name in listing.entries:
        (doomed.append(name) if mtime < oldest else kept.append((mtime, size, name)))
    total = sum(size for _, size, _ in kept)
    for _, size, name in sorted(kept):
        if total <= max_bytes:
            break
        doomed.append(name)
        total -= size
    for name in doomed:
        discard(dfd, name)
    return len(doomed)


def clear_folder(dfd: int) -> tuple[int, int]:
    """Remove every entry and temporary file from the open folder `dfd`, and the key only if
    it is unusable. Returns (files removed, bytes freed)."""
    listing = list_folder(dfd)
    items = listing.entries + [item[:3] for item in listing.others] + listing.temps
    for _, _, name in items:
        discard(dfd, name)
    try:
        read_key(dfd)
    except Untrusted:
        discard(dfd, KEY_FILE)
    return len(items), sum(size for _, size, _ in items)
