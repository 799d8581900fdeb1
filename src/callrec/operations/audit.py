"""The audit log: every change to an account object, who made it, before and after.

``record`` is called inside the operation's own transaction, so a change and its entry
commit together or not at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection, Engine

from callrec.operations.actor import Actor
from callrec.store.schema import audit_log
from callrec.wire.times import datetime_from_micros, now_micros


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at_us: int
    actor: str
    action: str
    object_type: str
    object_id: str
    workspace_id: int | None
    before: Any
    after: Any


def record(
    conn: Connection,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str,
    workspace_id: int | None,
    before: Any = None,
    after: Any = None,
) -> None:
    conn.execute(
        insert(audit_log).values(
            at_us=now_micros(),
            actor=actor.name,
            action=action,
            object_type=object_type,
            object_id=object_id,
            workspace_id=workspace_id,
            before_json=None if before is None else json.dumps(before, sort_keys=True),
            after_json=None if after is None else json.dumps(after, sort_keys=True),
        )
    )


def list_audit(
    engine: Engine | Connection, actor: Actor, before_id: int | None = None, limit: int = 100
) -> list[AuditEntry]:
    """Newest first; a workspace token reads only its own workspace's entries."""
    a = audit_log.c
    query = select(audit_log).order_by(a.id.desc()).limit(limit)
    if actor.workspace_id is not None:
        query = query.where(a.workspace_id == actor.workspace_id)
    if before_id is not None:
        query = query.where(a.id < before_id)
    if isinstance(engine, Connection):
        rows = engine.execute(query).all()
    else:
        with engine.connect() as conn:
            rows = conn.execute(query).all()
    return [
        AuditEntry(
            r.id,
            r.at_us,
            r.actor,
            r.action,
            r.object_type,
            r.object_id,
            r.workspace_id,
            None if r.before_json is None else json.loads(r.before_json),
            None if r.after_json is None else json.loads(r.after_json),
        )
        for r in rows
    ]


def audit_to_dict(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": datetime_from_micros(entry.at_us).isoformat().replace("+00:00", "Z"),
        "actor": entry.actor,
        "action": entry.action,
        "objectType": entry.object_type,
        "objectId": entry.object_id,
        "before": entry.before,
        "after": entry.after,
    }
