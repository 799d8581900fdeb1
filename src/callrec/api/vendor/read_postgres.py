"""The query path's reads on PostgreSQL: async psycopg on the event loop, no threads.

A small pool of autocommit connections, no ping before use (a dropped connection is retried
once instead; every read here is safe to repeat). A page, its window's total and the records
revision that keys the page cache are read in one REPEATABLE READ, READ ONLY transaction,
sent as one pipeline: one round trip for page 1 or the next page of a walk.

Credentials (with the records revision) are held in memory (callrec.api.vendor.credentials_memory),
so a page cache hit touches no database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import psycopg
from psycopg_pool import AsyncConnectionPool

from callrec.api.vendor.credentials_memory import CredentialsMemory
from callrec.api.vendor.page_reader import PageRequest, PageRows, remember_walk, remembered_start
from callrec.api.vendor.walk_memory import WalkMemory
from callrec.store.accounts import CREDENTIALS_SQL, KeyCredentials, credentials_from_rows
from callrec.store.change_notices import ACKS_CHANNEL, libpq_conninfo
from callrec.store.page_plan import (
    REVISION_SQL,
    CountStatements,
    Statement,
    WindowCounts,
    count_statements,
    for_paramstyle,
    page_statement,
)

T = TypeVar("T")
POOL_CONNECTIONS = 4  # one event loop keeps a few in flight; more only adds contention
BEGIN_SNAPSHOT = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
_CREDENTIALS = for_paramstyle(CREDENTIALS_SQL, "format")
_REVISION = for_paramstyle(REVISION_SQL, "format")


def _format(statement: Statement) -> tuple[str, tuple[Any, ...]]:
    sql, params = statement
    return for_paramstyle(sql, "format"), params


class PostgresReader:
    def __init__(self, database_url: str, memory: WalkMemory) -> None:
        self._pool = AsyncConnectionPool(
            libpq_conninfo(database_url),
            min_size=1,
            max_size=POOL_CONNECTIONS,
            kwargs={"autocommit": True},
            open=False,
        )
        self._memory = memory
        self._held = CredentialsMemory(libpq_conninfo(database_url), self._acknowledge)

    async def open(self) -> None:
        await self._pool.open(wait=True, timeout=30)
        await self._held.open()

    async def close(self) -> None:
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
                return await work(conn)
        except psycopg.OperationalError:
            # Most likely a connection the server or a proxy dropped while it sat in the pool:
            # the pool discards it, and the read is repeated once on another.
            async with self._pool.connection() as conn:
                return await work(conn)

    async def rows(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        statement = for_paramstyle(sql, "format")

        async def read(conn: psycopg.AsyncConnection[Any]) -> list[tuple[Any, ...]]:
            cursor = await conn.execute(statement, params)
            return [tuple(row) for row in await cursor.fetchall()]

        return await self._on_a_connection(read)

    async def credentials(self, api_key: str) -> KeyCredentials | None:
        held = self._held.get(api_key)
        if held is not None:
            return held

        async def lookup(conn: psycopg.AsyncConnection[Any]) -> KeyCredentials | None:
            cursor = await conn.execute(_CREDENTIALS, (api_key,))
            return credentials_from_rows(await cursor.fetchall())

        reading = self._held.reading()
        found = await self._on_a_connection(lookup)
        if found is not None:
            self._held.keep(reading, found)
        return found

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
        plan: CountStatements | None = None if counts else count_statements(ws, start, end)
        statement = page_statement(ws, start, end, request.offset, request.size, counts, after)
        async with conn.pipeline() as pipeline:
            await conn.execute(BEGIN_SNAPSHOT)
            revision_cursor = await conn.execute(_REVISION, (ws,))
            count_cursors = (
                [await conn.execute(*_format(s)) for s in plan.statements] if plan else []
            )
            page_cursor = await conn.execute(*_format(statement)) if statement else None
            if statement is not None:
                await conn.execute("COMMIT")
            await pipeline.sync()
            [(revision,)] = await revision_cursor.fetchall()
            if plan is not None:
                counts = plan.counts([await cursor.fetchall() for cursor in count_cursors])
            elif revision != hint:
                return None  # (already committed: nothing to undo)
            if page_cursor is None:
                assert counts is not None
                statement = page_statement(ws, start, end, request.offset, request.size, counts)
                assert statement is not None
                page_cursor = await conn.execute(*_format(statement))
                await conn.execute("COMMIT")
                await pipeline.sync()
        if after is not None and revision != hint:
            return None
        rows = await page_cursor.fetchall()
        assert counts is not None
        return remember_walk(self._memory, request, revision, counts, rows)
