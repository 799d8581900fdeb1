"""Push targets: the URL (and signing secret) each workspace's records are pushed to."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine

from callrec.store.dialect import write_transaction
from callrec.store.errors import NotFound
from callrec.store.schema import push_targets, workspaces
from callrec.store.secret_box import box_from_env, push_target_context
from callrec.wire.times import now_micros

t = push_targets.c


@dataclass(frozen=True, slots=True)
class PushTarget:
    workspace: str
    url: str
    signed: bool  # a secret is set; the secret itself is never read back out
    enabled: bool
    created_us: int
    updated_us: int
    delivered_records: int
    last_success_us: int | None
    last_failure_us: int | None
    last_error: str | None


def workspace_id_named(conn: Connection, name: str) -> int:
    found = conn.execute(select(workspaces.c.id).where(workspaces.c.name == name)).scalar()
    if found is None:
        raise NotFound(f"no workspace named {name!r}")
    return int(found)


def _no_target(workspace: str) -> NotFound:
    return NotFound(
        f"workspace {workspace!r} has no push target; set one with "
        f"`callrec push set --workspace {workspace} URL`"
    )


def _target(conn: Connection, workspace: str) -> PushTarget:
    workspace_id = workspace_id_named(conn, workspace)
    row = conn.execute(select(push_targets).where(t.workspace_id == workspace_id)).one_or_none()
    if row is None:
        raise _no_target(workspace)
    return PushTarget(
        workspace=workspace,
        url=row.url,
        signed=bool(row.secret),
        enabled=bool(row.enabled),
        created_us=row.created_us,
        updated_us=row.updated_us,
        delivered_records=row.delivered_records,
        last_success_us=row.last_success_us,
        last_failure_us=row.last_failure_us,
        last_error=row.last_error,
    )


def target_row(conn: Connection, workspace: str) -> PushTarget:
    return _target(conn, workspace)


def store_push_target(
    conn: Connection, workspace: str, url: str, secret: str | None, clear_secret: bool = False
) -> PushTarget:
    """Create or change a workspace's target, in the caller's transaction. A new target is
    enabled; a changed one keeps its enabled state, and its secret unless a new one is given
    or ``clear_secret``."""
    now = now_micros()
    workspace_id = workspace_id_named(conn, workspace)
    stored = (
        None if secret is None else box_from_env().seal(secret, push_target_context(workspace_id))
    )
    exists = conn.execute(select(t.workspace_id).where(t.workspace_id == workspace_id)).scalar()
    if exists is None:
        conn.execute(
            insert(push_targets).values(
                workspace_id=workspace_id,
                url=url,
                secret=stored,
                enabled=True,
                created_us=now,
                updated_us=now,
                delivered_records=0,
            )
        )
    else:
        values: dict[str, object] = {"url": url, "updated_us": now}
        if secret is not None or clear_secret:
            values["secret"] = stored
        conn.execute(update(push_targets).where(t.workspace_id == workspace_id).values(values))
    return _target(conn, workspace)


def set_push_target(
    engine: Engine, workspace: str, url: str, secret: str | None, clear_secret: bool = False
) -> PushTarget:
    with write_transaction(engine) as conn:
        return store_push_target(conn, workspace, url, secret, clear_secret)


def get_push_target(engine: Engine, workspace: str) -> PushTarget:
    with engine.connect() as conn:
        return _target(conn, workspace)


def change_push_enabled(conn: Connection, workspace: str, enabled: bool) -> PushTarget:
    """Disabling stops both queueing new records and sending queued ones; enabling resumes
    sending what was queued before. In the caller's transaction."""
    workspace_id = workspace_id_named(conn, workspace)
    result = conn.execute(
        update(push_targets)
        .where(t.workspace_id == workspace_id)
        .values(enabled=enabled, updated_us=now_micros())
    )
    if result.rowcount == 0:
        raise _no_target(workspace)
    return _target(conn, workspace)


def set_push_enabled(engine: Engine, workspace: str, enabled: bool) -> None:
    with write_transaction(engine) as conn:
        change_push_enabled(conn, workspace, enabled)
