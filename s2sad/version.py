"""The version of s2sad: one place, read by the package, the disk cache and the packaging
(``pyproject.toml`` reads it as a dynamic version)."""

__version__ = "0.1.0"
