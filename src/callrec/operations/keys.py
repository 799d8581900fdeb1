"""API key operations: create, read, enable/disable, whitelist, rotate, delete.

A workspace token manages its own workspace's keys; audit entries never hold a secret.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.engine import Connection, Engine

from callrec.operations.actor import Actor
from callrec.operations.audit import record
from callrec.store import accounts
from callrec.store.accounts import ApiKey, key_to_dict
from callrec.store.dialect import write_transaction
from callrec.wire.times import now_micros


def _missing(api_key: str) -> str:
    return f"no API key {api_key!r}"


def _visible(conn: Connection, actor: Actor, api_key: str) -> ApiKey:
    actor.check_sees(accounts.key_workspace_id(conn, api_key), _missing(api_key))
    return accounts.key_row(conn, api_key)


def create_key(
    engine: Engine,
    actor: Actor,
    workspace: str,
    allow_ips: Sequence[str] | None = None,
    require_body_signature: bool = False,
) -> ApiKey:
    with write_transaction(engine) as conn:
        ws = accounts.workspace_row(conn, workspace)
        actor.check_sees(ws.id, f"no workspace named {workspace!r}")
        actor.check_may_change()
        key = accounts.create_key(
            conn, workspace, allow_ips, require_body_signature=require_body_signature
        )
        record(conn, actor, "key.create", "key", key.api_key, ws.id, after=key_to_dict(key))
    return key


def get_key(engine: Engine, actor: Actor, api_key: str) -> ApiKey:
    with engine.connect() as conn:
        return _visible(conn, actor, api_key)


def list_keys(
    engine: Engine,
    actor: Actor,
    workspace: str | None = None,
    after: str | None = None,
    limit: int | None = None,
) -> list[ApiKey]:
    with engine.connect() as conn:
        if workspace is not None:
            ws = accounts.workspace_row(conn, workspace)
            actor.check_sees(ws.id, f"no workspace named {workspace!r}")
        elif actor.workspace_id is not None:
            workspace = accounts.workspace_by_id(conn, actor.workspace_id).name
        return accounts.list_keys(conn, workspace, after, limit)


def _change(
    engine: Engine, actor: Actor, api_key: str, action: str, change: Callable[[Connection], ApiKey]
) -> ApiKey:
    with accounts.credentials_transaction(engine) as conn:
        workspace_id = accounts.key_workspace_id(conn, api_key)
        actor.check_sees(workspace_id, _missing(api_key))
        actor.check_may_change()
        before = accounts.key_row(conn, api_key)
        after = change(conn)
        record(conn, actor, action, "key", api_key, workspace_id,
               key_to_dict(before), key_to_dict(after))  # fmt: skip
    return after


def set_key_enabled(engine: Engine, actor: Actor, api_key: str, enabled: bool) -> ApiKey:
    action = "key.enable" if enabled else "key.disable"
    return _change(
        engine, actor, api_key, action, lambda c: accounts.set_key_enabled(c, api_key, enabled)
    )


def set_key_allow_ips(
    engine: Engine, actor: Actor, api_key: str, allow_ips: Sequence[str]
) -> ApiKey:
    return _change(
        engine,
        actor,
        api_key,
        "key.allow_ips",
        lambda c: accounts.set_key_allow_ips(c, api_key, allow_ips),
    )


def set_key_requires_body_signature(
    engine: Engine, actor: Actor, api_key: str, required: bool
) -> ApiKey:
    return _change(
        engine,
        actor,
        api_key,
        "key.body_signature",
        lambda c: accounts.set_key_requires_body_signature(c, api_key, required),
    )


def update_key(
    engine: Engine,
    actor: Actor,
    api_key: str,
    *,
    enabled: bool | None = None,
    allow_ips: Sequence[str] | None = None,
    require_body_signature: bool | None = None,
) -> ApiKey:
    """Several changes to one key in one transaction and one audit entry."""

    def change(conn: Connection) -> ApiKey:
        key = accounts.key_row(conn, api_key)
        if enabled is not None:
            key = accounts.set_key_enabled(conn, api_key, enabled)
        if allow_ips is not None:
            key = accounts.set_key_allow_ips(conn, api_key, allow_ips)
        if require_body_signature is not None:
            key = accounts.set_key_requires_body_signature(conn, api_key, require_body_signature)
        return key

    return _change(engine, actor, api_key, "key.update", change)


def rotate_key(engine: Engine, actor: Actor, api_key: str, grace_seconds: int = 0) -> ApiKey:
    """A new secret (returned once); the old one signs for ``grace_seconds`` more.

    The query path judges the grace against its own clock on every request, so neither its
    credentials cache nor its page cache lets the old secret sign after the grace.
    """
    return _change(
        engine,
        actor,
        api_key,
        "key.rotate",
        lambda c: accounts.rotate_key(c, api_key, grace_seconds, now_micros()),
    )


def delete_key(engine: Engine, actor: Actor, api_key: str) -> None:
    with accounts.credentials_transaction(engine) as conn:
        workspace_id = accounts.key_workspace_id(conn, api_key)
        actor.check_sees(workspace_id, _missing(api_key))
        actor.check_may_change()
        before = accounts.key_row(conn, api_key)
        accounts.delete_key(conn, api_key)
        record(conn, actor, "key.delete", "key", api_key, workspace_id, key_to_dict(before))
