"""Fresh names for generated code."""

from __future__ import annotations

from .nodes import Function
from .traverse import assigned


class NameSource:
    """Fresh names that never collide with the user's names or with each other."""

    def __init__(self, taken=()):
        self.taken = set(taken)
        self.counter = 0
        # The next suffix to try per base: names are only ever added, so the first free
        # `base_k` never moves back, and long code does not retry k = 1, 2, ... each time.
        self.suffix: dict = {}

    def state(self) -> tuple:
        """What `restore` needs to take the names handed out since back."""
        return set(self.taken), self.counter, dict(self.suffix)

    def restore(self, state: tuple) -> None:
        taken, counter, suffix = state
        self.taken, self.counter, self.suffix = set(taken), counter, dict(suffix)

    @classmethod
    def for_function(cls, fn: Function) -> NameSource:
        """Names that avoid everything `fn` already uses (its source names and variables)."""
        return cls(fn.source_names | set(fn.params) | assigned(fn.body))

    def reserve(self, name: str) -> None:
        self.taken.add(name)

    def temp(self) -> str:
        """The next ``tN`` name."""
        while True:
            self.counter += 1
            name = f"t{self.counter}"
            if name not in self.taken:
                self.taken.add(name)
                return name

    def derived(self, base: str) -> str:
        """`base` itself if free, else ``base_1``, ``base_2``..."""
        if base not in self.taken:
            self.taken.add(base)
            return base
        k = self.suffix.get(base, 1)
        while f"{base}_{k}" in self.taken:
            k += 1
        self.suffix[base] = k + 1
        name = f"{base}_{k}"
        self.taken.add(name)
        return name
