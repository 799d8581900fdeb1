"""Admin API tokens: stored as a SHA-256 hash only; the plain token is shown once.

A token is 256 random bits, so a fast hash is enough: nobody can search that space, and
unlike an API secret (which signs, so the server must keep it) nothing needs it back.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Engine

from callrec.store.accounts import iso_instant
from callrec.store.errors import AlreadyExists, InvalidValue, NotFound
from callrec.store.schema import admin_tokens, idempotency_keys, workspaces
from callrec.wire.times import now_micros

TOKEN_PREFIX = "cra_"  # recognisable in logs and by secret scanners
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True, slots=True)
class AdminToken:
    id: int
    name: str
    workspace_id: int | None
    workspace: str | None  # None: an operator token
    read_only: bool
    created_us: int
    revoked_us: int | None

    @property
    def scope(self) -> str:
        where = f"workspace:{self.workspace}" if self.workspace else "operator"
        return f"{where}:read-only" if self.read_only else where


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def _query() -> Any:
    return select(admin_tokens, workspaces.c.name.label("workspace_name")).outerjoin(
        workspaces, workspaces.c.id == admin_tokens.c.workspace_id
    )


def _token_from(row: Any) -> AdminToken:
    return AdminToken(
        row.id,
        row.name,
        row.workspace_id,
        row.workspace_name,
        row.read_only,
        row.created_us,
        row.revoked_us,
    )


def create_token(
    conn: Connection, name: str, workspace_id: int | None, read_only: bool
) -> tuple[AdminToken, str]:
    """The token's record and the plain token, which is not stored."""
    if not _NAME.fullmatch(name):
        raise InvalidValue(
            "{field} must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter "
            "or digit",
            "name",
        )
    if conn.execute(select(admin_tokens.c.id).where(admin_tokens.c.name == name)).first():
        raise AlreadyExists(f"an admin token named {name!r} already exists")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = conn.execute(
        insert(admin_tokens)
        .values(
            name=name,
            token_sha256=token_hash(plain),
            workspace_id=workspace_id,
            read_only=read_only,
            created_us=now_micros(),
        )
        .returning(admin_tokens.c.id)
    ).scalar_one()
    row = conn.execute(_query().where(admin_tokens.c.id == token_id)).one()
    return _token_from(row), plain


def list_tokens(engine: Engine) -> list[AdminToken]:
    with engine.connect() as conn:
        rows = conn.execute(_query().order_by(admin_tokens.c.name)).all()
    return [_token_from(r) for r in rows]


def token_row(conn: Connection, name: str) -> AdminToken:
    row = conn.execute(_query().where(admin_tokens.c.name == name)).one_or_none()
    if row is None:
        raise NotFound(f"no admin token named {name!r}")
    return _token_from(row)


def revoke_token(conn: Connection, name: str) -> AdminToken:
    """Revoke a token; the answers kept under its Idempotency-Keys go (no one can replay them)."""
    token = token_row(conn, name)
    if token.revoked_us is None:
        conn.execute(
            update(admin_tokens)
            .where(admin_tokens.c.id == token.id)
            .values(revoked_us=now_micros())
        )
    conn.execute(delete(idempotency_keys).where(idempotency_keys.c.token_id == token.id))
    return token_row(conn, name)


def authenticate(engine: Engine, token: str) -> AdminToken | None:
    """The live token with this value, or None (unknown or revoked)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    with engine.connect() as conn:
        row = conn.execute(
            _query().where(
                admin_tokens.c.token_sha256 == token_hash(token),
                admin_tokens.c.revoked_us.is_(None),
            )
        ).one_or_none()
    return None if row is None else _token_from(row)


def token_to_dict(token: AdminToken) -> dict[str, Any]:
    return {
        "name": token.name,
        "scope": token.scope,
        "workspace": token.workspace,
        "readOnly": token.read_only,
        "createdAt": iso_instant(token.created_us),
        "revokedAt": None if token.revoked_us is None else iso_instant(token.revoked_us),
    }
