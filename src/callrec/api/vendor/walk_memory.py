"""What a walk through a window leaves behind for its next page, per records revision.

An export asks page 1, 2, 3, ... of one window. Its total is the same for every page until
the workspace's records change, and page N+1 starts right after page N's last record. Both
are remembered under the revision they were read at, so they are exact (a change makes them
unreachable, as for the page cache), and bounded in count (least recently used forgotten).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, NamedTuple, TypeVar

from callrec.store.page_plan import Position, WindowCounts

K = TypeVar("K")
V = TypeVar("V")


class _Lru(Generic[K, V]):
    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)


class WindowKey(NamedTuple):
    workspace_id: int
    records_revision: int
    start_us: int
    end_us: int


class WalkMemory:
    """Window totals (and the hours behind them) and where each page of a walk ended."""

    def __init__(self, max_windows: int = 1024, max_positions: int = 4096) -> None:
        self._counts: _Lru[WindowKey, WindowCounts] = _Lru(max_windows)
        self._positions: _Lru[tuple[WindowKey, int, int], Position] = _Lru(max_positions)

    def counts(self, window: WindowKey) -> WindowCounts | None:
        return self._counts.get(window)

    def remember_counts(self, window: WindowKey, counts: WindowCounts) -> None:
        self._counts.put(window, counts)

    def start_of(self, window: WindowKey, size: int, current: int) -> Position | None:
        """Where page ``current`` starts, if page ``current - 1`` of this size was read."""
        return self._positions.get((window, size, current))

    def remember_end(self, window: WindowKey, size: int, current: int, end: Position) -> None:
        self._positions.put((window, size, current + 1), end)
