"""Removing call records that started before a moment (data retention).

On PostgreSQL whole monthly partitions before the cut are dropped, which is instant whatever
their size; the rest (the cut's own month, and SQLite) is deleted in chunks of one
transaction each, workspace by workspace, so a purge never holds one long lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.engine import Engine

from callrec.store.dialect import write_transaction
from callrec.store.partitions import existing_partitions, forget
from callrec.store.records import HOUR_US, bump_records_revision
from callrec.store.rollups import FACT_COLUMNS, add_facts, facts_from_row
from callrec.store.rollups import apply as apply_rollups
from callrec.store.schema import (
    call_counts,
    call_record_ids,
    call_records,
    call_rollups,
    workspaces,
)

CHUNK = 10_000
c = call_records.c
ids = call_record_ids.c
counts = call_counts.c


@dataclass(slots=True)
class PurgeReport:
    records: int = 0
    partitions_dropped: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {"records": self.records, "partitionsDropped": self.partitions_dropped}


def _drop_partitions(engine: Engine, before_us: int, report: PurgeReport) -> None:
    with engine.connect() as conn:
        doomed = [
            (name, start, end) for name, start, end in existing_partitions(conn) if end <= before_us
        ]
    for name, start, end in doomed:
        with engine.begin() as conn:
            report.records += conn.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar_one()
            conn.exec_driver_sql(f"DROP TABLE {name}")
            # The month's rollup hours and days were made of this partition's records only.
            # One workspace per statement, as every statement on tenant data names one.
            for workspace_id in conn.execute(select(workspaces.c.id)).scalars().all():
                conn.execute(
                    delete(call_rollups).where(
                        call_rollups.c.workspace_id == workspace_id,
                        call_rollups.c.period_us >= start,
                        call_rollups.c.period_us < end,
                    )
                )
        report.partitions_dropped.append(name)
    forget(engine, [name for name, _start, _end in doomed])


def _delete_in_chunks(engine: Engine, workspace_id: int, before_us: int, chunk: int = CHUNK) -> int:
    deleted = 0
    while True:
        with engine.begin() as conn:
            keys = (
                select(c.workspace_id, c.start_us, c.callid)
                .where(c.workspace_id == workspace_id, c.start_us < before_us)
                .limit(chunk)
            )
            gone = conn.execute(
                delete(call_records)
                .where(tuple_(c.workspace_id, c.start_us, c.callid).in_(keys))
                .returning(*(getattr(c, name) for name in FACT_COLUMNS))
            ).all()
            apply_rollups(conn, workspace_id, add_facts({}, map(facts_from_row, gone), sign=-1))
            deleted += len(gone)
            if len(gone) < chunk:
                return deleted


def _forget_callids(engine: Engine, workspace_id: int, before_us: int, chunk: int = CHUNK) -> None:
    """Purged calls leave the dedupe registry too: re-importing them later stores them again."""
    while True:
        with engine.begin() as conn:
            keys = (
                select(ids.workspace_id, ids.callid)
                .where(ids.workspace_id == workspace_id, ids.start_us < before_us)
                .limit(chunk)
            )
            result = conn.execute(
                delete(call_record_ids).where(tuple_(ids.workspace_id, ids.callid).in_(keys))
            )
            if result.rowcount < chunk:
                return


def _recount(engine: Engine, workspace_id: int, before_us: int) -> None:
    """Hourly counters: hours wholly before the cut go; the cut's own hour is counted anew."""
    cut_hour = before_us // HOUR_US * HOUR_US
    with write_transaction(engine) as conn:
        bump_records_revision(conn, workspace_id)
        conn.execute(
            delete(call_counts).where(
                counts.workspace_id == workspace_id, counts.hour_us < cut_hour
            )
        )
        if cut_hour == before_us:
            return
        remaining = conn.execute(
            select(func.count())
            .select_from(call_records)
            .where(
                c.workspace_id == workspace_id,
                c.start_us >= cut_hour,
                c.start_us < cut_hour + HOUR_US,
            )
        ).scalar_one()
        conn.execute(
            update(call_counts)
            .where(counts.workspace_id == workspace_id, counts.hour_us == cut_hour)
            .values(n=remaining)
        )


def purge(engine: Engine, before_us: int, workspace_id: int | None = None) -> PurgeReport:
    """Every workspace's records before the cut, or only ``workspace_id``'s.

    Partitions hold every workspace's calls, so they are dropped only by a purge of all.
    """
    report = PurgeReport()
    if workspace_id is not None:
        workspace_ids = [workspace_id]
    else:
        _drop_partitions(engine, before_us, report)
        with engine.connect() as conn:
            workspace_ids = list(conn.execute(select(workspaces.c.id)).scalars())
    for workspace_id in workspace_ids:
        report.records += _delete_in_chunks(engine, workspace_id, before_us)
        _forget_callids(engine, workspace_id, before_us)
        _recount(engine, workspace_id, before_us)
    return report


EVERYTHING_US = 2**62  # later than any start time


def purge_workspace_records(engine: Engine, workspace_id: int, chunk: int = CHUNK) -> int:
    """Every record of one workspace, in transactions of at most ``chunk`` rows each."""
    deleted = _delete_in_chunks(engine, workspace_id, EVERYTHING_US, chunk)
    _forget_callids(engine, workspace_id, EVERYTHING_US, chunk)
    with write_transaction(engine) as conn:
        bump_records_revision(conn, workspace_id)
        conn.execute(delete(call_counts).where(counts.workspace_id == workspace_id))
    return deleted
