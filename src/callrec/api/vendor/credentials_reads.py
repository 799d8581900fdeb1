"""Reading a key's credentials on PostgreSQL: at most one read per key at a time, and a key in
steady use read again before its held entry expires.

Held entries expire a second after they were read (callrec.api.vendor.credentials_memory).
Without this, every request arriving as a busy key's entry expired went to the database
itself: with 16 connections that was a burst of up to 16 reads queueing for the reader's
four pooled connections once a second, the slowest of a cache hit's requests.

A request joins a read already under way only if no change notice arrived since that read
began: a read older than a notice may predate the change it announces.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from callrec.api.vendor.credentials_memory import CredentialsMemory
from callrec.observability.metrics import CREDENTIALS_READS
from callrec.store.accounts import KeyCredentials

log = logging.getLogger("callrec.api")

Lookup = Callable[[str], Awaitable[KeyCredentials | None]]
_WAITED = CREDENTIALS_READS.labels("waited")
_AHEAD = CREDENTIALS_READS.labels("ahead")


class CredentialsReads:
    def __init__(self, held: CredentialsMemory, lookup: Lookup) -> None:
        self._held = held
        self._lookup = lookup
        # Per key, the read under way and the notices applied when it began.
        self._reads: dict[str, tuple[int, asyncio.Task[KeyCredentials | None]]] = {}

    async def get(self, api_key: str) -> KeyCredentials | None:
        held = self._held.get(api_key)
        if held is not None:
            if self._held.due_for_refresh(api_key) and api_key not in self._reads:
                _AHEAD.inc()
                self._start(api_key).add_done_callback(_log_failure)
            return held
        under_way = self._reads.get(api_key)
        if under_way is not None and under_way[0] == self._held.notices:
            return await asyncio.shield(under_way[1])
        _WAITED.inc()
        return await asyncio.shield(self._start(api_key))

    def _start(self, api_key: str) -> asyncio.Task[KeyCredentials | None]:
        task = asyncio.get_running_loop().create_task(self._read(api_key))
        self._reads[api_key] = (self._held.notices, task)

        def finished(done: asyncio.Task[KeyCredentials | None]) -> None:
            if self._reads.get(api_key, (0, None))[1] is done:
                del self._reads[api_key]

        task.add_done_callback(finished)
        return task

    async def _read(self, api_key: str) -> KeyCredentials | None:
        reading = self._held.reading()
        found = await self._lookup(api_key)
        if found is None:
            self._held.drop(api_key)
        else:
            self._held.keep(reading, found)
        return found

    async def close(self) -> None:
        reads = [task for _, task in self._reads.values()]
        for task in reads:
            task.cancel()
        await asyncio.gather(*reads, return_exceptions=True)


def _log_failure(task: asyncio.Task[KeyCredentials | None]) -> None:
    """A read ahead nobody waits for: its failure is logged (the entry expires as before)."""
    if not task.cancelled() and (error := task.exception()) is not None:
        log.warning("reading credentials ahead of their expiry failed: %s", error)
