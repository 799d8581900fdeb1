"""What the query path asks of the database, whichever backend answers.

Two questions per request, each exact as of the moment it is asked: the key's credentials
(with the workspace's records revision, which keys the page cache), and, on a cache miss, a
page with its window's total and the revision they were read at, all from one snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from callrec.api.vendor.walk_memory import WalkMemory, WindowKey
from callrec.store.accounts import KeyCredentials
from callrec.store.page_plan import Position, WindowCounts, position_after


@dataclass(frozen=True, slots=True)
class PageRequest:
    workspace_id: int
    start_us: int
    end_us: int
    current: int
    size: int

    @property
    def offset(self) -> int:
        return (self.current - 1) * self.size

    def window(self, revision: int) -> WindowKey:
        return WindowKey(self.workspace_id, revision, self.start_us, self.end_us)


@dataclass(frozen=True, slots=True)
class PageRows:
    """A page as stored (tuples in STORED_COLUMNS order), its window's total, and the
    records revision of the snapshot both were read in."""

    revision: int
    total: int
    rows: list[tuple[Any, ...]]


class PageReader(Protocol):
    async def credentials(self, api_key: str) -> KeyCredentials | None: ...

    async def page(self, request: PageRequest, revision_hint: int) -> PageRows:
        """``revision_hint`` is the revision the caller last saw: remembered totals and
        positions are used only if the snapshot's revision turns out to be the same."""
        ...

    async def rows(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """One small read-only statement (``?`` placeholders) for other hot lookups."""
        ...

    async def close(self) -> None: ...


def remember_walk(
    memory: WalkMemory,
    request: PageRequest,
    revision: int,
    counts: WindowCounts,
    rows: list[tuple[Any, ...]],
) -> PageRows:
    """Keep the window's counts and where this page ended, for the walk's next page."""
    window = request.window(revision)
    memory.remember_counts(window, counts)
    if len(rows) == request.size:
        memory.remember_end(window, request.size, request.current, position_after(rows))
    return PageRows(revision, counts.total, rows)


def remembered_start(memory: WalkMemory, request: PageRequest, revision: int) -> Position | None:
    return memory.start_of(request.window(revision), request.size, request.current)
