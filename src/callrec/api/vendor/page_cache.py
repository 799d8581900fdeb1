"""Encoded queryPage answers, kept per workspace revision.

Dashboards poll page 1 and exports walk pages: the same answer is asked for again and again
until the workspace's records change. Entries are keyed by the workspace's records revision,
bumped in every transaction that changes its records (insert, rerate, purge): a request
looks up the revision it just read with the key's credentials, and a page read afresh is
kept under the revision of the snapshot it was read in. So a cached answer is never stale:
a change simply makes its old entries unreachable, and LRU eviction forgets them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import NamedTuple

from callrec.observability.metrics import PAGE_CACHE_LOOKUPS

_HIT = PAGE_CACHE_LOOKUPS.labels("hit")
_MISS = PAGE_CACHE_LOOKUPS.labels("miss")


class PageKey(NamedTuple):
    workspace_id: int
    records_revision: int
    start_us: int
    end_us: int
    offset_seconds: int
    current: int
    size: int


class PageCache:
    def __init__(self, max_bytes: int = 24 * 1024 * 1024) -> None:
        self._max_bytes = max_bytes
        self._bytes = 0
        self._entries: OrderedDict[PageKey, bytes] = OrderedDict()
        self.hits = 0
        self.misses = 0
        # Used on the event loop only today; the lock keeps it safe for any thread.
        self._lock = threading.Lock()

    def get(self, key: PageKey) -> bytes | None:
        with self._lock:
            body = self._entries.get(key)
            if body is None:
                self.misses += 1
                _MISS.inc()
            else:
                self.hits += 1
                _HIT.inc()
                self._entries.move_to_end(key)
            return body

    def __len__(self) -> int:
        return len(self._entries)

    def put(self, key: PageKey, body: bytes) -> None:
        """Keep an answer; one over a sixteenth of the cache (or any, when it is 0) is not."""
        if len(body) > self._max_bytes // 16:
            return
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._bytes -= len(previous)
            self._entries[key] = body
            self._bytes += len(body)
            while self._bytes > self._max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= len(evicted)
