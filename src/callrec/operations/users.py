"""Console users: create, list, disable/enable, delete, set a password; log in and out.

Users are managed by operators only (the CLI); every change is in the audit log, never a
password or its hash. Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's
second recommended profile); hashing and checking take tens of milliseconds on purpose, so
faces call ``check_password`` off their event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine

from callrec.operations.actor import Actor
from callrec.operations.audit import record
from callrec.store import accounts
from callrec.store import console_users as users
from callrec.store.console_users import ConsoleUserRow, SessionRow, user_to_dict
from callrec.store.dialect import write_transaction
from callrec.store.errors import InvalidValue
from callrec.wire.times import now_micros

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # hashing cost grows with length: a bound keeps login cheap

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Checked when the name is unknown, so a wrong name costs what a wrong password costs."""
    return _hasher.hash("callrec: no such user")


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidValue(f"must be at least {MIN_PASSWORD_LENGTH} characters", "password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidValue(f"must be at most {MAX_PASSWORD_LENGTH} characters", "password")
    if "\x00" in password:
        raise InvalidValue("must not contain a NUL character", "password")


def hash_password(password: str) -> str:
    check_password_rules(password)
    return _hasher.hash(password)


def check_password(user: ConsoleUserRow | None, password: str) -> bool:
    """Whether ``password`` is ``user``'s; as slow for a missing user as for a present one."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return _hasher.verify(user.password_hash if user else _dummy_hash(), password) and (
            user is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def create_user(
    engine: Engine, actor: Actor, name: str, password: str, workspace: str | None
) -> ConsoleUserRow:
    """A user of ``workspace``, or an operator when it is None."""
    actor.check_operator("create console users")
    users.check_name(name)
    password_hash = hash_password(password)
    with write_transaction(engine) as conn:
        workspace_id = None if workspace is None else accounts.workspace_row(conn, workspace).id
        user = users.create_user(conn, name, password_hash, workspace_id, now_micros())
        record(conn, actor, "user.create", "user", user.name, workspace_id,
               after=user_to_dict(user))  # fmt: skip
    return user


def list_users(engine: Engine, actor: Actor, workspace: str | None = None) -> list[ConsoleUserRow]:
    actor.check_operator("list console users")
    with engine.connect() as conn:
        workspace_id = None if workspace is None else accounts.workspace_row(conn, workspace).id
        return users.list_users(conn, workspace_id)


def set_user_enabled(engine: Engine, actor: Actor, name: str, enabled: bool) -> ConsoleUserRow:
    """Disabling also ends the user's sessions."""
    actor.check_operator("disable or enable console users")
    with write_transaction(engine) as conn:
        before = users.user_row(conn, name)
        users.set_enabled(conn, before.id, enabled)
        after = users.user_row(conn, name)
        record(conn, actor, "user.enable" if enabled else "user.disable", "user", name,
               before.workspace_id, user_to_dict(before), user_to_dict(after))  # fmt: skip
    return after


def set_password(engine: Engine, actor: Actor, name: str, password: str) -> ConsoleUserRow:
    """A new password ends the user's sessions (a stolen session dies with the old one)."""
    actor.check_operator("set console users' passwords")
    password_hash = hash_password(password)
    with write_transaction(engine) as conn:
        user = users.user_row(conn, name)
        users.set_password_hash(conn, user.id, password_hash)
        record(conn, actor, "user.password", "user", name, user.workspace_id)
    return user


def delete_user(engine: Engine, actor: Actor, name: str) -> None:
    actor.check_operator("delete console users")
    with write_transaction(engine) as conn:
        user = users.user_row(conn, name)
        users.delete_user(conn, user.id)
        record(conn, actor, "user.delete", "user", name, user.workspace_id,
               before=user_to_dict(user))  # fmt: skip


# Sessions. ``now_us`` comes from the face (the service's clock), so expiry can be tested.


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    idle_us: int
    lifetime_us: int


def find_login(engine: Engine, name: str) -> ConsoleUserRow | None:
    if len(name) > 64:
        return None
    with engine.connect() as conn:
        return users.find_user(conn, name)


def may_log_in(engine: Engine, user: ConsoleUserRow) -> bool:
    """An enabled user whose workspace (for a workspace user) is enabled too."""
    if not user.enabled:
        return False
    if user.workspace_id is None:
        return True
    with engine.connect() as conn:
        return accounts.workspace_by_id(conn, user.workspace_id).enabled


def start_session(
    engine: Engine, user: ConsoleUserRow, policy: SessionPolicy, now_us: int
) -> tuple[str, SessionRow]:
    with write_transaction(engine) as conn:
        users.purge_expired_sessions(conn, now_us)
        return users.create_session(conn, user.id, now_us, policy.lifetime_us)


# Refreshing "last seen" on every request would write on every page view; a minute's
# precision is plenty for an idle timeout counted in minutes.
_TOUCH_EVERY_US = 60_000_000


def resume_session(
    engine: Engine, token: str, policy: SessionPolicy, now_us: int
) -> SessionRow | None:
    """The live session for a cookie's token, its idle clock restarted; None when the token
    is unknown, expired (then deleted), or its user (or the user's workspace) is disabled.
    Most page views only read: a write happens when the session expired or "last seen" is
    due (SQLite's single write lock is the ingest's, not every page view's)."""
    with engine.connect() as conn:
        found = users.find_session(conn, token)
        if found is None:
            return None
        user = found.user
        allowed = user.enabled and (
            user.workspace_id is None or accounts.workspace_by_id(conn, user.workspace_id).enabled
        )
    if now_us >= found.expires_us or now_us - found.seen_us >= policy.idle_us:
        with write_transaction(engine) as conn:
            users.delete_session(conn, found.id)
        return None
    if not allowed:
        return None
    if now_us - found.seen_us >= _TOUCH_EVERY_US:
        with write_transaction(engine) as conn:
            users.touch_session(conn, found.id, now_us)
    return found


def end_session(engine: Engine, token: str) -> None:
    with write_transaction(engine) as conn:
        users.end_session(conn, token)
