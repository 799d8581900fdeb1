"""Workspace operations: create, read, update (rename, currency, zone, on/off), delete."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.engine import Engine

from callrec.operations.actor import Actor
from callrec.operations.audit import record
from callrec.store import accounts, console_users
from callrec.store.accounts import Workspace, workspace_to_dict
from callrec.store.dialect import write_transaction
from callrec.store.errors import Conflict
from callrec.store.purge import CHUNK, purge_workspace_records
from callrec.store.schema import (
    admin_tokens,
    api_keys,
    call_counts,
    call_rollups,
    numbers,
    push_batches,
    push_outbox,
    push_targets,
    rate_deck,
    workspaces,
)


def _missing(name: str) -> str:
    return f"no workspace named {name!r}"


def create_workspace(
    engine: Engine, actor: Actor, name: str, currency: str = "USD", time_zone: str = "UTC"
) -> Workspace:
    actor.check_operator("create workspaces")
    with write_transaction(engine) as conn:
        ws = accounts.create_workspace(conn, name, currency, time_zone)
        record(conn, actor, "workspace.create", "workspace", ws.name, ws.id,
               after=workspace_to_dict(ws))  # fmt: skip
    return ws


def get_workspace(engine: Engine, actor: Actor, name: str) -> Workspace:
    with engine.connect() as conn:
        ws = accounts.get_workspace(conn, name)
    actor.check_sees(ws.id, _missing(name))
    return ws


def visible_workspace_id(engine: Engine, actor: Actor, name: str) -> int:
    return get_workspace(engine, actor, name).id


def list_workspaces(
    engine: Engine, actor: Actor, after: str | None = None, limit: int | None = None
) -> list[Workspace]:
    if actor.workspace_id is not None:
        with engine.connect() as conn:
            own = accounts.workspace_by_id(conn, actor.workspace_id)
        return [own] if after is None or own.name > after else []
    return accounts.list_workspaces(engine, after, limit)


def update_workspace(
    engine: Engine,
    actor: Actor,
    name: str,
    *,
    new_name: str | None = None,
    currency: str | None = None,
    time_zone: str | None = None,
    enabled: bool | None = None,
) -> Workspace:
    with accounts.credentials_transaction(engine) as conn:
        before = accounts.workspace_row(conn, name)
        actor.check_sees(before.id, _missing(name))
        actor.check_operator("change a workspace")
        after = accounts.update_workspace(
            conn, name, new_name=new_name, currency=currency, time_zone=time_zone, enabled=enabled
        )
        action = "workspace.rename" if after.name != before.name else "workspace.update"
        record(conn, actor, action, "workspace", before.name, before.id,
               workspace_to_dict(before), workspace_to_dict(after))  # fmt: skip
    return after


def delete_workspace(
    engine: Engine, actor: Actor, name: str, purge: bool = False, batch: int = CHUNK
) -> int:
    """Delete a workspace with its keys, numbers, rate deck, push target, rollups and
    console users.

    Refused while it holds records, unless ``purge``: then its records are deleted first in
    transactions of at most ``batch`` rows each, never one giant transaction. Returns how
    many records were purged.
    """
    ws = get_workspace(engine, actor, name)
    actor.check_operator("delete a workspace")
    purged = purge_workspace_records(engine, ws.id, batch) if purge else 0
    with accounts.credentials_transaction(engine) as conn:
        ws = accounts.workspace_row(conn, name)  # again: it may have changed meanwhile
        if accounts.workspace_holds_records(conn, ws.id):
            raise Conflict(
                f"workspace {name!r} holds call records: delete it with purge to remove them too"
            )
        console_users.delete_workspace_users(conn, ws.id)
        for table in (push_outbox, push_batches, push_targets, rate_deck, call_counts,
                      call_rollups, numbers, api_keys, admin_tokens):  # fmt: skip
            conn.execute(delete(table).where(table.c.workspace_id == ws.id))
        conn.execute(delete(workspaces).where(workspaces.c.id == ws.id))
        record(conn, actor, "workspace.delete", "workspace", ws.name, ws.id,
               before={**workspace_to_dict(ws), "purgedRecords": purged})  # fmt: skip
    return purged
