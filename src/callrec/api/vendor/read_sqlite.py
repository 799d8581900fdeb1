"""The query path's reads on SQLite: a plain sqlite3 connection used on the event loop.

Its statements take microseconds (indexed ranges, at most a page of rows), so a hop to a
database thread costs more than the work. Credentials are kept in memory and dropped as soon
as ``PRAGMA data_version`` says another connection committed anything, so they are never
stale: a key disabled by ``callrec key disable`` in another process fails its next request.

The standard library's sqlite3, the library the store's writers use in this same process:
a second copy of SQLite (APSW bundles its own) does not see the first's POSIX locks, and
closing a file in one drops the other's locks on it. With APSW here, writes committed by
the store were lost (tests/api/test_snapshot.py, docs/decisions.md).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy.engine import make_url

from callrec.api.vendor.page_reader import PageRequest, PageRows, remember_walk, remembered_start
from callrec.api.vendor.walk_memory import WalkMemory
from callrec.store.accounts import CREDENTIALS_SQL, KeyCredentials, credentials_from_rows
from callrec.store.page_plan import REVISION_SQL, count_statements, page_statement

MAX_REMEMBERED_KEYS = 10_000
BUSY_TIMEOUT_SECONDS = 5  # WAL readers do not wait for writers; this only bounds recovery


class SqliteReader:
    def __init__(self, database_url: str, memory: WalkMemory) -> None:
        path = make_url(database_url).database or ""
        self._conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
        )
        self._conn.execute("PRAGMA query_only = ON")
        self._version_cursor = self._conn.cursor()  # asked on every request: made once
        self._memory = memory
        self._seen_version: int | None = None
        self._credentials: dict[str, KeyCredentials] = {}

    def _rows(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, params).fetchall()

    def _forget_if_changed(self) -> None:
        (version,) = self._version_cursor.execute("PRAGMA data_version").fetchone()
        if version != self._seen_version:
            self._credentials.clear()
            self._seen_version = version

    async def rows(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        return self._rows(sql, params)

    async def credentials(self, api_key: str) -> KeyCredentials | None:
        self._forget_if_changed()
        found = self._credentials.get(api_key)
        if found is None:
            found = credentials_from_rows(self._rows(CREDENTIALS_SQL, (api_key,)))
            if found is not None:
                if len(self._credentials) >= MAX_REMEMBERED_KEYS:
                    self._credentials.clear()
                self._credentials[api_key] = found
        return found

    async def page(self, request: PageRequest, revision_hint: int) -> PageRows:
        ws, start, end = request.workspace_id, request.start_us, request.end_us
        self._conn.execute("BEGIN")
        try:
            [(revision,)] = self._rows(REVISION_SQL, (ws,))
            counts = self._memory.counts(request.window(revision))
            if counts is None:
                plan = count_statements(ws, start, end)
                counts = plan.counts([self._rows(*s) for s in plan.statements])
            after = remembered_start(self._memory, request, revision)
            statement = page_statement(ws, start, end, request.offset, request.size, counts, after)
            assert statement is not None  # counts are known
            rows = self._rows(*statement)
        finally:
            self._conn.execute("COMMIT")
        return remember_walk(self._memory, request, revision, counts, rows)

    async def close(self) -> None:
        self._conn.close()
