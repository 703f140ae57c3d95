"""Loading: compile generated source into functions (``loader``), with caches in memory and
on disk (``diskcache``) that never serve stale, corrupt or planted code."""
