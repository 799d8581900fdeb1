"""The query path's planned statements (counters, seek, keyset) give exactly the plain OFFSET
page and count, whatever the window, depth and page size."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy.engine import Connection, Engine

from callrec.store import accounts, page_plan
from callrec.store.dialect import driver_rows
from callrec.store.page_plan import (
    Position,
    count_statements,
    page_statement,
    position_after,
    snapshot_statement,
    split_snapshot,
)
from callrec.store.records import page_rows
from tests.store.test_window_counts import _store, _windows


def _run(conn: Connection, statement: tuple[str, tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return driver_rows(conn, *statement)


def test_planned_pages_and_keyset_continuations_equal_offset_pages(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(page_plan, "DIRECT_OFFSET", 0)  # use the counters for every page
    rng = random.Random(15)
    acme = accounts.create_workspace(engine, "acme")
    _store(engine, acme.id, rng, "a", 300)
    for start, end in _windows(rng)[:15]:
        with engine.connect() as conn:
            everything = [r.callid for r in page_rows(conn, acme.id, start, end, 0, 10_000)]
            plan = count_statements(acme.id, start, end)
            counts = plan.counts([_run(conn, s) for s in plan.statements])
            assert counts.total == len(everything)
            for size in (1, 7, 50):
                walked: list[str] = []
                after = None
                for current in range(1, len(everything) // size + 3):
                    offset = (current - 1) * size
                    by_seek = page_statement(acme.id, start, end, offset, size, counts)
                    assert by_seek is not None
                    rows = _run(conn, by_seek)
                    assert [r[0] for r in rows] == everything[offset : offset + size]
                    if after is not None:  # the keyset continuation of the previous page
                        by_key = page_statement(acme.id, start, end, offset, size, None, after)
                        assert by_key is not None
                        assert _run(conn, by_key) == rows
                    walked += [r[0] for r in rows]
                    after = position_after(rows) if rows else None
                assert walked == everything


def _binary(conn: Connection, statement: tuple[str, tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """As the PostgreSQL reader runs it: binary results."""
    sql, params = statement
    cursor = conn.connection.dbapi_connection.cursor(binary=True)  # type: ignore[union-attr]
    cursor.execute(page_plan.for_paramstyle(sql, "format"), params)
    return [tuple(row) for row in cursor.fetchall()]


def test_one_snapshot_statement_reads_what_the_separate_statements_read(
    database_url: str, engine: Engine
) -> None:
    """PostgreSQL's miss: revision, counts and page from one statement, the same values (and
    types) as the statements run one by one, for empty, one-hour and many-hour windows."""
    if database_url.startswith("sqlite"):
        pytest.skip("the one-statement read is PostgreSQL's")
    rng = random.Random(16)
    acme = accounts.create_workspace(engine, "acme")
    _store(engine, acme.id, rng, "a", 300)
    windows = [*_windows(rng)[:20], (0, 1), (1, 10 * page_plan.HOUR_US)]  # last two: empty
    with engine.connect() as conn:
        [(revision,)] = _run(conn, (page_plan.REVISION_SQL, (acme.id,)))
        for start, end in windows:
            plan = count_statements(acme.id, start, end)
            counts = plan.counts([_run(conn, s) for s in plan.statements])
            for offset, after in ((0, None), (3, None), (0, Position(start, ""))):
                page = page_statement(acme.id, start, end, offset, 7, counts, after)
                assert page is not None
                expected = _run(conn, page)
                for asked in (plan, None):
                    got = split_snapshot(_binary(conn, snapshot_statement(acme.id, asked, page)))
                    assert got == (revision, counts if asked else None, expected)
                    if expected:
                        assert [type(v) for v in got[2][0]] == [type(v) for v in expected[0]]
