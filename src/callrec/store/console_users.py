"""Console users and their sessions.

A user's password is kept only as an argon2id hash (made and checked in
callrec.operations.users); a session only as the sha256 of its cookie's token, which is
256 random bits, so a fast hash is enough and a copy of the database opens no session.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from callrec.store.accounts import iso_instant
from callrec.store.errors import AlreadyExists, InvalidValue, NotFound
from callrec.store.schema import console_sessions, console_users, workspaces

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


@dataclass(frozen=True, slots=True)
class ConsoleUserRow:
    id: int
    name: str
    workspace_id: int | None
    workspace: str | None  # None: an operator
    enabled: bool
    created_us: int
    password_hash: str

    @property
    def is_operator(self) -> bool:
        return self.workspace_id is None


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: int
    user: ConsoleUserRow
    csrf_token: str
    seen_us: int
    expires_us: int


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def _query() -> Any:
    return select(console_users, workspaces.c.name.label("workspace_name")).outerjoin(
        workspaces, workspaces.c.id == console_users.c.workspace_id
    )


def _user_from(row: Any) -> ConsoleUserRow:
    return ConsoleUserRow(
        row.id,
        row.name,
        row.workspace_id,
        row.workspace_name,
        row.enabled,
        row.created_us,
        row.password_hash,
    )


def check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise InvalidValue(
            "must be 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter "
            "or digit",
            "name",
        )


def create_user(
    conn: Connection, name: str, password_hash: str, workspace_id: int | None, now_us: int
) -> ConsoleUserRow:
    check_name(name)
    if conn.execute(select(console_users.c.id).where(console_users.c.name == name)).first():
        raise AlreadyExists(f"a console user named {name!r} already exists")
    conn.execute(
        insert(console_users).values(
            name=name,
            password_hash=password_hash,
            workspace_id=workspace_id,
            enabled=True,
            created_us=now_us,
        )
    )
    return user_row(conn, name)


def find_user(conn: Connection, name: str) -> ConsoleUserRow | None:
    row = conn.execute(_query().where(console_users.c.name == name)).one_or_none()
    return None if row is None else _user_from(row)


def user_row(conn: Connection, name: str) -> ConsoleUserRow:
    found = find_user(conn, name)
    if found is None:
        raise NotFound(f"no console user named {name!r}")
    return found


def list_users(conn: Connection, workspace_id: int | None = None) -> list[ConsoleUserRow]:
    query = _query().order_by(console_users.c.name)
    if workspace_id is not None:
        query = query.where(console_users.c.workspace_id == workspace_id)
    return [_user_from(r) for r in conn.execute(query).all()]


def set_enabled(conn: Connection, user_id: int, enabled: bool) -> None:
    conn.execute(update(console_users).where(console_users.c.id == user_id).values(enabled=enabled))
    if not enabled:
        end_sessions(conn, user_id)


def set_password_hash(conn: Connection, user_id: int, password_hash: str) -> None:
    conn.execute(
        update(console_users)
        .where(console_users.c.id == user_id)
        .values(password_hash=password_hash)
    )
    end_sessions(conn, user_id)


def delete_user(conn: Connection, user_id: int) -> None:
    end_sessions(conn, user_id)
    conn.execute(delete(console_users).where(console_users.c.id == user_id))


def delete_workspace_users(conn: Connection, workspace_id: int) -> None:
    """A deleted workspace's users go with it (they could see nothing else)."""
    ids = select(console_users.c.id).where(console_users.c.workspace_id == workspace_id)
    conn.execute(delete(console_sessions).where(console_sessions.c.user_id.in_(ids)))
    conn.execute(delete(console_users).where(console_users.c.workspace_id == workspace_id))


def end_sessions(conn: Connection, user_id: int) -> None:
    conn.execute(delete(console_sessions).where(console_sessions.c.user_id == user_id))


def create_session(
    conn: Connection, user_id: int, now_us: int, lifetime_us: int
) -> tuple[str, SessionRow]:
    """The cookie's token (not stored) and the session."""
    token = secrets.token_urlsafe(32)
    conn.execute(
        insert(console_sessions).values(
            token_sha256=token_hash(token),
            user_id=user_id,
            csrf_token=secrets.token_urlsafe(32),
            created_us=now_us,
            seen_us=now_us,
            expires_us=now_us + lifetime_us,
        )
    )
    found = find_session(conn, token)
    assert found is not None
    return token, found


def find_session(conn: Connection, token: str) -> SessionRow | None:
    """The session with this cookie token, expired or not (the caller judges)."""
    if not token or len(token) > 100:
        return None
    s = console_sessions.c
    row = conn.execute(
        select(console_sessions).where(s.token_sha256 == token_hash(token))
    ).one_or_none()
    if row is None:
        return None
    user = conn.execute(_query().where(console_users.c.id == row.user_id)).one()
    return SessionRow(row.id, _user_from(user), row.csrf_token, row.seen_us, row.expires_us)


def delete_session(conn: Connection, session_id: int) -> None:
    conn.execute(delete(console_sessions).where(console_sessions.c.id == session_id))


def touch_session(conn: Connection, session_id: int, now_us: int) -> None:
    conn.execute(
        update(console_sessions).where(console_sessions.c.id == session_id).values(seen_us=now_us)
    )


def end_session(conn: Connection, token: str) -> None:
    conn.execute(
        delete(console_sessions).where(console_sessions.c.token_sha256 == token_hash(token))
    )


def purge_expired_sessions(conn: Connection, now_us: int) -> None:
    conn.execute(delete(console_sessions).where(console_sessions.c.expires_us <= now_us))


def user_to_dict(user: ConsoleUserRow) -> dict[str, Any]:
    """The JSON shape of a user (CLI --json, audit entries): never the hash."""
    return {
        "name": user.name,
        "role": "operator" if user.is_operator else "workspace",
        "workspace": user.workspace,
        "enabled": user.enabled,
        "createdAt": iso_instant(user.created_us),
    }
