"""Loading: compile generated source into functions (``loader``), with caches in memory and
on disk that never serve stale, corrupt or planted code. The disk cache is ``diskcache`` (its
interface), over ``cachefiles`` (a private folder, checked files, atomic writes, the HMAC
key), ``entryformat`` (an entry's name, signed header and checks) and ``pruning`` (what the
folder holds, and removing it)."""
