"""Runtime helpers of the elementwise rules (``rules/elementwise.py``); generated code calls them.

Each helper is registered as a primitive with its own rules, so the rule set stays closed.
"""

from __future__ import annotations

#: Name -> helper, merged into the namespace of generated code (runtime.HELPERS).
HELPERS: dict = {}
