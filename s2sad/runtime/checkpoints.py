"""Loop checkpointing: ``for i in s2sad.checkpoint(range(n)):``.

The gradient of such a loop keeps the loop's state every `every` trips (every ``√n`` by
default) instead of the values of every trip, and in its reverse sweep recomputes each stretch
of trips from its saved state before reversing it: memory O(√n) for twice the forward work.
These are the marker users write and the helpers the generated code calls to cut the range
into stretches.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TypeVar

_I = TypeVar("_I", bound=Iterable)


def checkpoint(iterable: _I, every: int | None = None) -> _I:
    """Mark a ``for`` loop over a ``range`` for checkpointing: its gradient keeps the loop's
    state every `every` trips (``√n`` by default) and recomputes the trips in between. When
    the function runs as itself, the range is looped over as it is."""
    if every is not None and (not isinstance(every, int) or every < 1):
        raise ValueError("checkpoint: every must be a positive int or None")
    return iterable


def checkpoint_every(start: int, stop: int, step: int, every: int | None) -> int:
    """The trips between two saved states: `every`, or the square root of the trip count."""
    if every:
        return int(every)
    return max(1, math.isqrt(len(range(start, stop, step))))


def segment_count(start: int, stop: int, step: int, every: int) -> int:
    """How many stretches of `every` trips the range has."""
    return -(-len(range(start, stop, step)) // every)


def segment_start(start: int, step: int, every: int, segment: int) -> int:
    """The first index of stretch `segment`."""
    return start + segment * every * step


def segment_stop(start: int, stop: int, step: int, every: int, segment: int) -> int:
    """The index where stretch `segment` ends (exclusive)."""
    end = start + (segment + 1) * every * step
    return min(end, stop) if step > 0 else max(end, stop)


def segment_begins(index: int, start: int, step: int, every: int) -> bool:
    """Whether the trip at `index` starts a stretch (its state is saved)."""
    return (index - start) // step % every == 0


#: The helpers generated code calls (the marker itself is never called there).
HELPERS = {f.__name__: f for f in (checkpoint_every, segment_count, segment_start,
                                    segment_stop, segment_begins)}
