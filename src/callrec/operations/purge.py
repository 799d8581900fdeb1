"""Purging call records that started before a moment: one workspace's, or every one's.

The purge runs in bounded transactions (callid chunks, whole partitions) and keeps the
rollups and hourly counters exact (callrec.store.purge); the audit entry with its counts is
written once the purge is done. A purge cut short leaves no entry; running it again finishes
it and records it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from callrec.operations.actor import Actor
from callrec.operations.audit import record
from callrec.store import accounts
from callrec.store.accounts import iso_instant
from callrec.store.dialect import write_transaction
from callrec.store.errors import InvalidValue
from callrec.store.purge import PurgeReport
from callrec.store.purge import purge as purge_store
from callrec.wire.times import TimeFormatError, parse_date_or_instant


@dataclass(frozen=True, slots=True)
class PurgeResult:
    before_us: int
    workspace: str | None  # None: every workspace
    report: PurgeReport


def purge_to_dict(result: PurgeResult) -> dict[str, Any]:
    return {
        "before": iso_instant(result.before_us),
        "workspace": result.workspace,
        **result.report.as_json(),
    }


def parse_before(before: str) -> int:
    """An ISO 8601 instant with an offset, or a date (00:00 UTC), as microseconds."""
    try:
        return parse_date_or_instant(before)
    except TimeFormatError as exc:
        raise InvalidValue(f"is not a date or an instant: {exc}", "before") from exc


def purge_records(
    engine: Engine, actor: Actor, before: str, workspace: str | None = None
) -> PurgeResult:
    """Remove the calls that started before ``before``, of ``workspace`` or of every one."""
    before_us = parse_before(before)
    workspace_id: int | None = None
    if workspace is not None:
        with engine.connect() as conn:
            ws = accounts.workspace_row(conn, workspace)
        actor.check_sees(ws.id, f"no workspace named {workspace!r}")
        workspace_id = ws.id
    actor.check_operator("purge call records")
    result = PurgeResult(before_us, workspace, purge_store(engine, before_us, workspace_id))
    with write_transaction(engine) as conn:
        record(conn, actor, "records.purge", "workspace" if workspace else "records",
               workspace or "*", workspace_id, after=purge_to_dict(result))  # fmt: skip
    return result
