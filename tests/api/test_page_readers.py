"""The query path's readers against real databases: a walk's total is read once per window
and revision, and its next page continues from where the last one ended.

Rows are changed here behind the revision's back (raw SQL, no bump), which no real writer
does: it is how a test can see which reads a page really made.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from callrec.api.vendor.page_reader import PageReader, PageRequest, PageRows
from callrec.api.vendor.read_postgres import PostgresReader
from callrec.api.vendor.read_sqlite import SqliteReader
from callrec.api.vendor.readers import open_page_reader
from callrec.api.vendor.walk_memory import WalkMemory
from callrec.store import accounts, make_engine, page_plan, upgrade
from callrec.store.records import bump_records_revision, insert_records
from callrec.wire.times import parse_iso_instant
from tests.conftest import Tenant
from tests.helpers import make_record

START = parse_iso_instant("2024-03-10T00:00:00Z").micros
END = parse_iso_instant("2024-03-11T00:00:00Z").micros


def _pages(engine: Engine, *wanted: tuple[int, int, int]) -> list[PageRows]:
    """Pages (workspace, current, revision hint) read in order by one reader."""

    async def read() -> list[PageRows]:
        reader: PageReader = await open_page_reader(engine)
        try:
            found = []
            for workspace_id, current, hint in wanted:
                request = PageRequest(workspace_id, START, END, current, 5)
                found.append(await reader.page(request, hint))
            return found
        finally:
            await reader.close()

    return asyncio.run(read())


def _store(engine: Engine, tenant: Tenant, count: int) -> None:
    records = [make_record(f"c{i:02d}", f"2024-03-10T{i % 20:02d}:00:00Z") for i in range(count)]
    with engine.begin() as conn:
        insert_records(conn, tenant.workspace.id, records)


def _behind_the_revision(engine: Engine, sql: str, **params: Any) -> None:
    with engine.begin() as conn:
        conn.execute(text(sql), params)


def _callids(page: PageRows) -> list[str]:
    return [row[0] for row in page.rows]


def test_the_next_page_of_a_walk_continues_after_the_last_one(
    engine: Engine, tenant: Tenant
) -> None:
    _store(engine, tenant, 12)
    ws = tenant.workspace.id
    first, second = _pages(engine, (ws, 1, 0), (ws, 2, 0))
    assert first.revision == second.revision == 1  # the hint was old: nothing remembered used
    assert _callids(second) == ["c05", "c06", "c07", "c08", "c09"]


def test_a_remembered_total_and_position_are_used_under_their_revision_only(
    engine: Engine, tenant: Tenant
) -> None:
    _store(engine, tenant, 12)
    ws = tenant.workspace.id

    async def walk() -> tuple[PageRows, PageRows, PageRows]:
        reader = await open_page_reader(engine)
        try:
            page_1 = await reader.page(PageRequest(ws, START, END, 1, 5), 1)
            # The first record gone and the counters changed, both without a revision bump:
            # by OFFSET page 2 would now start at c06, and the total would be re-counted.
            for sql in (
                "DELETE FROM call_records WHERE workspace_id = :ws AND callid = 'c00'",
                "UPDATE call_counts SET n = n + 100 WHERE workspace_id = :ws",
            ):
                await asyncio.to_thread(_behind_the_revision, engine, sql, ws=ws)
            page_2 = await reader.page(PageRequest(ws, START, END, 2, 5), 1)
            with engine.begin() as conn:
                bump_records_revision(conn, ws)
            page_2_again = await reader.page(PageRequest(ws, START, END, 2, 5), 1)
            return page_1, page_2, page_2_again
        finally:
            await reader.close()

    page_1, page_2, page_2_again = asyncio.run(walk())
    assert page_1.total == page_2.total == 12  # remembered for revision 1, not re-read
    assert _callids(page_2) == ["c05", "c06", "c07", "c08", "c09"]
    assert page_2_again.revision == 2  # revision 2: counted and paged afresh
    assert page_2_again.total > 12
    assert _callids(page_2_again) == ["c06", "c07", "c08", "c09", "c10"]


def test_sqlite_answers_repeated_credentials_from_memory_until_anything_commits(
    tmp_path: Any,
) -> None:
    url = f"sqlite:///{tmp_path / 'callrec.db'}"
    engine = make_engine(url)
    upgrade(engine)
    workspace = accounts.create_workspace(engine, "acme")
    key = accounts.create_key(engine, "acme")
    reader = SqliteReader(url, WalkMemory())
    statements: list[str] = []

    async def ask() -> list[str]:
        await reader.credentials(key.api_key)
        reader._conn.set_trace_callback(statements.append)
        await reader.credentials(key.api_key)  # nothing changed: one pragma, no table
        seen_unchanged = list(statements)
        with engine.begin() as conn:
            bump_records_revision(conn, workspace.id)
        statements.clear()
        found = await reader.credentials(key.api_key)
        assert found is not None
        assert found.records_revision == 1
        return seen_unchanged

    try:
        unchanged = asyncio.run(ask())
    finally:
        asyncio.run(reader.close())
        engine.dispose()
    assert unchanged == ["PRAGMA data_version"]
    assert statements[0] == "PRAGMA data_version"
    assert any("api_keys" in s for s in statements[1:])


def test_a_dropped_postgresql_connection_is_replaced_without_failing_the_read(
    database_url: str, engine: Engine, tenant: Tenant
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's pool; SQLite has no server to drop the connection")

    other_key = accounts.create_key(engine, tenant.workspace.name).api_key

    async def ask_around_a_drop() -> tuple[object, object]:
        reader = await open_page_reader(engine)
        try:
            before = await reader.credentials(tenant.api_key)
            assert isinstance(reader, PostgresReader)
            async with reader._pool.connection() as pooled:  # its one connection so far
                pid = pooled.info.backend_pid
            with engine.begin() as conn:  # what a restart or an idle timeout does to it
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            # Another key: the first one's credentials are held in memory, not read again.
            after = await reader.credentials(other_key)
            return before, after
        finally:
            await reader.close()

    before, after = asyncio.run(ask_around_a_drop())
    assert before is not None
    assert after is not None
    assert after.workspace_id == before.workspace_id


def test_a_page_whose_seek_needs_the_counts_first_is_read_from_one_snapshot(
    engine: Engine, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deep page nothing was remembered for (here every page: no plain OFFSET allowed):
    the counts are read before the page, in the same snapshot, and the page is exact."""
    monkeypatch.setattr(page_plan, "DIRECT_OFFSET", 0)
    _store(engine, tenant, 12)
    ws = tenant.workspace.id
    pages = [_pages(engine, (ws, current, 0))[0] for current in (1, 2, 3, 4)]  # fresh readers
    assert [_callids(p) for p in pages] == [
        ["c00", "c01", "c02", "c03", "c04"],
        ["c05", "c06", "c07", "c08", "c09"],
        ["c10", "c11"],
        [],
    ]
    assert {(p.total, p.revision) for p in pages} == {(12, 1)}
