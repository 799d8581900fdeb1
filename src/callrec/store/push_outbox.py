"""The push outbox's write side: records queued for delivery in the transaction storing them.

Called from ``insert_records`` for every batch any ingest path stores, so it must cost next
to nothing when the workspace has no push target: one primary-key lookup, nothing else.
A record committed is a record queued; a rolled-back batch queues nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Connection

from callrec.store.dialect import positional_placeholder
from callrec.store.schema import push_outbox, push_targets
from callrec.wire.times import now_micros


def _target_enabled_sql(conn: Connection) -> str:
    return (
        f"SELECT enabled FROM {push_targets.name} "
        f"WHERE workspace_id = {positional_placeholder(conn)}"
    )


def _enqueue_sql(conn: Connection) -> str:
    # A callid still queued from before a purge (and stored again since) is queued once:
    # the record is read when it is sent, so the newer version goes out.
    p = positional_placeholder(conn)
    return (
        f"INSERT INTO {push_outbox.name} (workspace_id, callid, enqueued_us) "
        f"VALUES ({p}, {p}, {p}) ON CONFLICT DO NOTHING"
    )


def enqueue_for_push(conn: Connection, workspace_id: int, callids: Sequence[str]) -> None:
    """Queue these newly stored callids if the workspace pushes records.

    Runs inside the caller's transaction. Records stored while the target is disabled (or
    before one is set) are not queued: a target pushes what is stored while it is enabled.
    """
    if not callids:
        return
    enabled = conn.exec_driver_sql(_target_enabled_sql(conn), (workspace_id,)).scalar()
    if not enabled:
        return
    enqueued_us = now_micros()
    conn.exec_driver_sql(
        _enqueue_sql(conn), [(workspace_id, callid, enqueued_us) for callid in callids]
    )
