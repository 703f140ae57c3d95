"""The default backend: plain Python and NumPy, each primitive spelled as it is bound.

Its tables are the ones the rules fill as they load: ``np`` and ``math`` (and ``scipy`` once
the scipy rules register), the runtime helpers of ``s2sad/runtime/``, and the functions made
primitives with ``@s2sad.primitive``.
"""

from __future__ import annotations

from .. import runtime
from ..rules.registry import TEMPLATE_MODULES
from ..rules.user import USER_FUNCTIONS
from . import Backend, register

NUMPY = register(Backend("numpy", modules=TEMPLATE_MODULES, helpers=runtime.HELPERS,
                         user=USER_FUNCTIONS))
