"""Monthly partitions on PostgreSQL and purge on both backends."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from callrec.store import accounts
from callrec.store.partitions import existing_partitions
from callrec.store.purge import purge
from callrec.store.records import insert_records
from callrec.store.schema import call_record_ids, call_records
from callrec.wire.times import parse_iso_instant
from tests.helpers import make_record


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()  # type: ignore[arg-type]


def _store(engine: Engine, workspace_id: int, starts: dict[str, str]) -> int:
    with engine.begin() as conn:
        outcome = insert_records(
            conn, workspace_id, [make_record(callid, start) for callid, start in starts.items()]
        )
    return outcome.inserted


STARTS = {
    "jan-2023": "2023-01-15T10:00:00Z",
    "feb-2024": "2024-02-29T23:59:59Z",
    "mar-2024-early": "2024-03-01T00:00:00Z",
    "mar-2024-late": "2024-03-20T00:00:00+05:30",
    "apr-2024": "2024-04-02T00:00:00Z",
}


def test_any_month_can_be_written_and_partitions_follow_the_data(engine: Engine) -> None:
    ws = accounts.create_workspace(engine, "acme")
    assert _store(engine, ws.id, STARTS) == 5
    with engine.connect() as conn:
        names = [name for name, _start, _end in existing_partitions(conn)]
    if engine.dialect.name == "postgresql":
        assert names == [
            "call_records_p202301",
            "call_records_p202402",
            "call_records_p202403",
            "call_records_p202404",
        ]
    else:
        assert names == []


def test_purge_removes_what_started_before_the_cut_and_forgets_its_callids(
    engine: Engine,
) -> None:
    acme = accounts.create_workspace(engine, "acme")
    other = accounts.create_workspace(engine, "other")
    _store(engine, acme.id, STARTS)
    _store(
        engine, other.id, {"other-feb": "2024-02-10T00:00:00Z", "other-may": "2024-05-01T00:00:00Z"}
    )

    report = purge(engine, parse_iso_instant("2024-03-10T00:00:00Z").micros)

    # jan-2023, feb-2024, mar-2024-early (acme) and other-feb are before the cut.
    assert report.records == 4
    if engine.dialect.name == "postgresql":
        assert report.partitions_dropped == ["call_records_p202301", "call_records_p202402"]
    else:
        assert report.partitions_dropped == []
    with engine.connect() as conn:
        left = set(conn.execute(select(call_records.c.callid)).scalars())
        registered = set(conn.execute(select(call_record_ids.c.callid)).scalars())
    assert left == {"mar-2024-late", "apr-2024", "other-may"}
    assert registered == left
    # A purged call imported again is stored again, not taken for a duplicate.
    assert _store(engine, acme.id, {"jan-2023": STARTS["jan-2023"]}) == 1
    # Purging again removes nothing more than what came back.
    assert purge(engine, parse_iso_instant("2024-03-10T00:00:00Z").micros).records == 1
    assert _count(engine, call_records) == 3


def test_purge_of_one_workspace_keeps_the_others_and_drops_no_partition(engine: Engine) -> None:
    acme = accounts.create_workspace(engine, "acme")
    other = accounts.create_workspace(engine, "other")
    _store(
        engine, acme.id, {"acme-jan": "2024-01-10T00:00:00Z", "acme-may": "2024-05-01T00:00:00Z"}
    )
    _store(engine, other.id, {"other-jan": "2024-01-10T00:00:00Z"})

    report = purge(engine, parse_iso_instant("2024-03-10T00:00:00Z").micros, acme.id)

    assert (report.records, report.partitions_dropped) == (1, [])
    with engine.connect() as conn:
        left = set(conn.execute(select(call_records.c.callid)).scalars())
        registered = set(conn.execute(select(call_record_ids.c.callid)).scalars())
    assert left == registered == {"acme-may", "other-jan"}
