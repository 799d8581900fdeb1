"""Admin token operations (CLI only: tokens are made on the server, never over HTTP)."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from callrec.operations.actor import Actor
from callrec.operations.audit import record
from callrec.store import accounts, admin_tokens
from callrec.store.admin_tokens import AdminToken, token_to_dict
from callrec.store.dialect import write_transaction


def create_token(
    engine: Engine, actor: Actor, name: str, workspace: str | None, read_only: bool
) -> tuple[AdminToken, str]:
    actor.check_operator("create admin tokens")
    with write_transaction(engine) as conn:
        workspace_id = None if workspace is None else accounts.workspace_row(conn, workspace).id
        token, plain = admin_tokens.create_token(conn, name, workspace_id, read_only)
        record(conn, actor, "token.create", "token", name, workspace_id,
               after=token_to_dict(token))  # fmt: skip
    return token, plain


def revoke_token(engine: Engine, actor: Actor, name: str) -> AdminToken:
    actor.check_operator("revoke admin tokens")
    with write_transaction(engine) as conn:
        before = admin_tokens.token_row(conn, name)
        after = admin_tokens.revoke_token(conn, name)
        record(conn, actor, "token.revoke", "token", name, before.workspace_id,
               token_to_dict(before), token_to_dict(after))  # fmt: skip
    return after
