"""``s2sad cache info|clear``: look after the disk cache of generated code."""

from __future__ import annotations

import argparse
import sys

from .common import examples_of


def register(sub) -> None:
    """Add the ``cache`` verb to the subparsers `sub`."""
    cache = sub.add_parser("cache", help="show or clear the disk cache of generated code",
                           epilog=examples_of("cache"),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    cache.add_argument("action", choices=("info", "clear"),
                       help="info: the folder, its entries and key; clear: remove the entries")
    cache.set_defaults(run=run)


def run(args) -> int:
    """``s2sad cache info`` / ``s2sad cache clear``; returns the exit status."""
    from ..loading import diskcache

    try:
        if args.action == "clear":
            folder, removed, freed = diskcache.clear()
            print(f"removed {removed} file{'s' * (removed != 1)} ({freed} bytes) from {folder}")
            return 0
        details = diskcache.info()
    except diskcache.FolderError as exc:
        print(f"s2sad: error: {exc}", file=sys.stderr)
        return 1
    age = f"{details['max_age_days']:g}"
    print(f"folder:   {details['folder']}\n"
          f"state:    {details['state']}\n"
          f"key:      {details['key']}\n"
          f"entries:  {details['entries']} ({details['bytes']} bytes)\n"
          f"other:    {details['other_versions']} entries of other s2sad versions, "
          f"{details['temporary']} temporary files\n"
          f"limits:   {details['max_bytes']} bytes (S2SAD_CACHE_MAX_BYTES), entries unused for "
          f"{age} days are removed (S2SAD_CACHE_MAX_AGE_DAYS)")
    return 0
