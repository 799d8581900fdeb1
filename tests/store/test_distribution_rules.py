"""The schema rules that keep callrec distributable with Citus (docs/scaling.md).

Tenant tables are hash-distributed by workspace_id: every primary and unique key includes it,
and every statement that touches them names one workspace. Every other table is a reference
table (small, copied to every node). A new table must be put in one list or the other.
"""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine

from callrec.ingest.pipeline import Pipeline
from callrec.model import RawCdr
from callrec.rating.billing import ChargedPeriod
from callrec.rating.deck import RateRow
from callrec.rating.rerate import rerate
from callrec.store import accounts, records
from callrec.store.purge import purge
from callrec.store.push_batches import (
    claim_batch,
    list_parked,
    mark_delivered,
    mark_failed,
    queue_status,
    retry_parked,
)
from callrec.store.push_targets import set_push_target
from callrec.store.rating_data import replace_deck_rows
from callrec.store.record_search import RecordFilter, Window, iter_window, search_page
from callrec.store.records import count_window, insert_records, page_rows
from callrec.store.stats import window_stats
from callrec.wire.times import parse_iso_instant
from tests.helpers import make_record

TENANT_TABLES = {
    "call_records",
    "call_record_ids",
    "call_counts",
    "call_rollups",
    "rate_deck",
    "push_targets",
    "push_outbox",
    "push_batches",
}
REFERENCE_TABLES = {
    "workspaces",
    "api_keys",
    "numbers",
    "fx_rates",
    "unrouted_cdrs",
    "ingest_sources",
    "service_keys",
    # The admin API's: a token or an audit entry names a workspace (or none: an operator's).
    "admin_tokens",
    "audit_log",
    "idempotency_keys",
    # The console's: a user belongs to a workspace, or to none (an operator).
    "console_users",
    "console_sessions",
    "alembic_version",
}
_TENANT_REFERENCE = re.compile(
    rf"\b(?:FROM|JOIN|INTO|UPDATE)\s+({'|'.join(sorted(TENANT_TABLES))})\b", re.I
)
_WORKSPACE_FILTER = re.compile(r"\bworkspace_id\s*(?:=|IN\b)", re.I)


def _parent_tables(engine: Engine) -> set[str]:
    names = set(inspect(engine).get_table_names())
    return {n for n in names if not re.fullmatch(r"call_records_p\d{6}", n)}


def test_every_table_is_classified(engine: Engine) -> None:
    assert _parent_tables(engine) == TENANT_TABLES | REFERENCE_TABLES


def test_every_key_of_tenant_data_includes_the_workspace(engine: Engine) -> None:
    inspector = inspect(engine)
    for table in TENANT_TABLES:
        primary = inspector.get_pk_constraint(table)["constrained_columns"]
        assert "workspace_id" in primary, table
        for unique in inspector.get_unique_constraints(table):
            assert "workspace_id" in unique["column_names"], (table, unique)
        for index in inspector.get_indexes(table):
            if index.get("unique"):
                assert "workspace_id" in index["column_names"], (table, index)


def _at(text: str) -> int:
    return parse_iso_instant(text).micros


def test_every_statement_on_tenant_data_names_a_workspace(engine: Engine) -> None:
    ws = accounts.create_workspace(engine, "acme", "USD")
    accounts.add_number(engine, "915027021995", "acme")
    statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def capture(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    set_push_target(engine, "acme", "http://receiver.invalid/hook", None)
    start = _at("2024-03-10T10:00:00Z")
    with engine.begin() as conn:
        replace_deck_rows(
            conn, ws.id, [RateRow("91", "out", 0, Decimal("0.01"), ChargedPeriod(60, 60))]
        )
        insert_records(conn, ws.id, [make_record("priced-1", "2024-03-10T09:00:00Z")])
    raw = RawCdr("raw-1", "915027021995", "919812345678", start, start, start + 10**7, 10,
                 "200", "NORMAL_CLEARING", "", "test")  # fmt: skip
    Pipeline(engine).process([raw, raw])
    with engine.connect() as conn:
        count_window(conn, ws.id, start - 10**10, start + 10**10)
        page_rows(conn, ws.id, start - 10**10, start + 10**10, 0, 10)
        window_stats(conn, ws.id, start - 10**10, start + 10**10, "day", "Asia/Kolkata")
    search = Window(ws.id, start - 10**10, start + 10**10)
    for record_filter in (RecordFilter(number="915027021995"), RecordFilter(call_source=3)):
        list(iter_window(engine, search, record_filter))
        search_page(engine, search, record_filter, 1)
    rerate(engine, ws, start - 10**10, start + 10**10)
    pushed = claim_batch(engine, ws.id, start, 10**6, 100)  # the delivery worker's statements
    assert pushed is not None
    mark_failed(engine, pushed, "HTTP 500", start, None)
    list_parked(engine, "acme")
    retry_parked(engine, "acme", None, start)
    pushed = claim_batch(engine, ws.id, start, 10**6, 100)
    assert pushed is not None
    mark_delivered(engine, pushed, start)
    queue_status(engine, "acme", start)
    purge(engine, _at("2024-03-10T09:30:00Z"))
    event.remove(engine, "before_cursor_execute", capture)

    tenant_statements = [s for s in statements if _TENANT_REFERENCE.search(s)]
    assert len(tenant_statements) >= 8  # the workflow above really touched tenant data
    offenders = [
        s
        for s in tenant_statements
        if not s.lstrip().upper().startswith("INSERT") and not _WORKSPACE_FILTER.search(s)
    ]
    assert offenders == []
    inserts = [s for s in tenant_statements if s.lstrip().upper().startswith("INSERT")]
    assert all("workspace_id" in s for s in inserts)


def test_statements_run_on_the_driver_directly_name_a_workspace() -> None:
    """These bypass SQLAlchemy's events, so the workflow above cannot see them."""
    assert records.DRIVER_STATEMENTS
    for statement in records.DRIVER_STATEMENTS:
        assert _TENANT_REFERENCE.search(statement), statement
        assert _WORKSPACE_FILTER.search(statement), statement
