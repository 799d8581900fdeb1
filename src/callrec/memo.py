"""A memo for hot paths: values made from their keys, all dropped at once when it is full.

A hit is a plain dict lookup (no call into Python), which is why money and times on the
query path and the log format use it instead of ``functools.lru_cache``. Dropping
everything when full lets it follow what is asked for now, in bounded memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class ClearingMemo(dict[K, V]):
    """``memo[key]`` is ``make(key)``, kept until ``limit`` values are held; a key ``keep``
    refuses (a caller's long text, say) is made every time and never held."""

    def __init__(
        self, make: Callable[[K], V], limit: int, keep: Callable[[K], bool] | None = None
    ) -> None:
        super().__init__()
        self.make = make
        self.limit = limit
        self.keep = keep

    def __missing__(self, key: K) -> V:
        value = self.make(key)
        if self.keep is None or self.keep(key):
            if len(self) >= self.limit:
                self.clear()
            self[key] = value
        return value
