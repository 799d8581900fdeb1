"""The query path's reads on PostgreSQL: async psycopg on the event loop, no threads.

A small pool of autocommit connections, no ping before use (a dropped connection is retried
once instead; every read here is safe to repeat). A page, its window's total and the records
revision that keys the page cache come from one snapshot: one statement for page 1 or the
next page of a walk (``snapshot_statement``), read in binary (psycopg then converts no text);
a deep page whose seek needs the counts first reads both in one REPEATABLE READ, READ ONLY
transaction, sent as one pipeline.

Credentials (with the records revision) are held in memory (callrec.api.vendor.credentials_memory)
and read again before they expire (callrec.api.vendor.credentials_reads), so a page cache hit
touches no database.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import psycopg
from psycopg_pool import AsyncConnectionPool

from callrec.api.vendor.credentials_memory import CredentialsMemory
from callrec.api.vendor.credentials_reads import CredentialsReads
from callrec.api.vendor.page_reader import PageRequest, PageRows, remember_walk, remembered_start
from callrec.api.vendor.walk_memory import WalkMemory
from callrec.observability.metrics import DB_CONNECTIONS_IN_USE
from callrec.store.accounts import CREDENTIALS_SQL, KeyCredentials, credentials_from_rows
from callrec.store.change_notices import ACKS_CHANNEL, libpq_conninfo
from callrec.store.page_plan import (
    REVISION_SQL,
    Statement,
    WindowCounts,
    count_statements,
    for_paramstyle,
    page_statement,
    snapshot_statement,
    split_snapshot,
)

T = TypeVar("T")
POOL_CONNECTIONS = 4  # one event loop keeps a few in flight; more only adds contention
BEGIN_SNAPSHOT = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
_CREDENTIALS = for_paramstyle(CREDENTIALS_SQL, "format")
_REVISION = for_paramstyle(REVISION_SQL, "format")
_IN_USE = DB_CONNECTIONS_IN_USE.labels("reader")


def _format(statement: Statement) -> tuple[str, tuple[Any, ...]]:
    sql, params = statement
    return for_paramstyle(sql, "format"), params


class PostgresReader:
    def __init__(
        self, database_url: str, memory: WalkMemory, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._pool = AsyncConnectionPool(
            libpq_conninfo(database_url),
            min_size=1,
            max_size=POOL_CONNECTIONS,
            kwargs={"autocommit": True},
            open=False,
        )
        self._memory = memory
        self._held = CredentialsMemory(libpq_conninfo(database_url), self._acknowledge, clock)
        self._credentials = CredentialsReads(self._held, self._lookup_credentials)

    async def open(self) -> None:
        await self._pool.open(wait=True, timeout=30)
        await self._held.open()

    async def close(self) -> None:
        await self._credentials.close()
        await self._held.close()
        await self._pool.close()

    async def _acknowledge(self, nonce: str) -> None:
        async def answer(conn: psycopg.AsyncConnection[Any]) -> None:
            await conn.execute("SELECT pg_notify(%s, %s)", (ACKS_CHANNEL, nonce))

        await self._on_a_connection(answer)

    async def _on_a_connection(
        self, work: Callable[[psycopg.AsyncConnection[Any]], Awaitable[T]]
    ) -> T:
        try:
            async with self._pool.connection() as conn:
                return await self._counted(work, conn)
        except psycopg.OperationalError:
            # Most likely a connection the server or a proxy dropped while it sat in the pool:
            # the pool discards it, and the read is repeated once on another.
            async with self._pool.connection() as conn:
                return await self._counted(work, conn)

    @staticmethod
    async def _counted(
        work: Callable[[psycopg.AsyncConnection[Any]], Awaitable[T]],
        conn: psycopg.AsyncConnection[Any],
    ) -> T:
        _IN_USE.inc()
        try:
            return await work(conn)
        finally:
            _IN_USE.dec()

    async def rows(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        statement = for_paramstyle(sql, "format")

        async def read(conn: psycopg.AsyncConnection[Any]) -> list[tuple[Any, ...]]:
            cursor = await conn.execute(statement, params)
            return [tuple(row) for row in await cursor.fetchall()]

        return await self._on_a_connection(read)

    async def credentials(self, api_key: str) -> KeyCredentials | None:
        return await self._credentials.get(api_key)

    async def _lookup_credentials(self, api_key: str) -> KeyCredentials | None:
        async def lookup(conn: psycopg.AsyncConnection[Any]) -> KeyCredentials | None:
            cursor = await conn.execute(_CREDENTIALS, (api_key,))
            return credentials_from_rows(await cursor.fetchall())

        return await self._on_a_connection(lookup)

    async def page(self, request: PageRequest, revision_hint: int) -> PageRows:
        async def read(conn: psycopg.AsyncConnection[Any]) -> PageRows:
            found = await self._read(conn, request, revision_hint)
            if found is None:  # what was remembered is for another revision
                found = await self._read(conn, request, None)
            assert found is not None
            return found

        return await self._on_a_connection(read)

    async def _read(
        self, conn: psycopg.AsyncConnection[Any], request: PageRequest, hint: int | None
    ) -> PageRows | None:
        """One snapshot; None when remembered counts or position turned out to be stale."""
        ws, start, end = request.workspace_id, request.start_us, request.end_us
        counts: WindowCounts | None = None
        after = None
        if hint is not None:
            counts = self._memory.counts(request.window(hint))
            after = remembered_start(self._memory, request, hint)
        statement = page_statement(ws, start, end, request.offset, request.size, counts, after)
        if statement is None:
            return await self._read_counts_first(conn, request)
        plan = None if counts else count_statements(ws, start, end)
        cursor = conn.cursor(binary=True)
        await cursor.execute(*_format(snapshot_statement(ws, plan, statement)))
        revision, read_counts, rows = split_snapshot(await cursor.fetchall())
        if (plan is None or after is not None) and revision != hint:
            return None  # the remembered counts or position are another revision's
        counts = counts if read_counts is None else read_counts
        assert counts is not None
        return remember_walk(self._memory, request, revision, counts, rows)

    async def _read_counts_first(
        self, conn: psycopg.AsyncConnection[Any], request: PageRequest
    ) -> PageRows:
        """A deep page nothing was remembered for: its seek is planned from the counts."""
        ws, start, end = request.workspace_id, request.start_us, request.end_us
        plan = count_statements(ws, start, end)
        async with conn.pipeline() as pipeline:
            await conn.execute(BEGIN_SNAPSHOT)
            revision_cursor = await conn.execute(_REVISION, (ws,))
            count_cursors = [await conn.execute(*_format(s)) for s in plan.statements]
            await pipeline.sync()
            [(revision,)] = await revision_cursor.fetchall()
            counts = plan.counts([await cursor.fetchall() for cursor in count_cursors])
            statement = page_statement(ws, start, end, request.offset, request.size, counts)
            assert statement is not None
            page_cursor = await conn.execute(*_format(statement))
            await conn.execute("COMMIT")
            await pipeline.sync()
        rows = await page_cursor.fetchall()
        return remember_walk(self._memory, request, revision, counts, rows)
