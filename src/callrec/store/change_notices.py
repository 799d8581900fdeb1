"""Notices that a workspace's credentials or records changed, for servers that hold them.

On PostgreSQL the query path keeps credentials (with the records revision) in memory and
drops them when a notice arrives (callrec.api.vendor.credentials_memory). A notice is sent
with ``pg_notify`` inside the changing transaction, so PostgreSQL delivers it when that
commits, and never for a change rolled back. SQLite needs none: its reader asks ``PRAGMA
data_version``, which sees every commit by any connection.

PostgreSQL hands a notice to listeners a little after the commit (microseconds; several
milliseconds on a loaded machine). A change that must be in force at once (a key or
workspace disabled) goes through ``account_change``: each listening server answers its
notice on ACKS_CHANNEL once it has dropped what it held, and the change returns when every
server has answered, or after DELIVERY_WAIT_SECONDS, when anything a server held from
before the change has expired anyway (credentials_memory.FRESH_SECONDS is no longer).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, make_url

CHANGES_CHANNEL = "callrec_changes"
ACKS_CHANNEL = "callrec_changes_seen"
# A server's listening connection is named so that a change can count who must answer.
LISTENER_NAME = "callrec credentials listener"
# The payload of a change whose workspace is not at hand (a key's), then a nonce to answer.
EVERY_WORKSPACE = "*"
DELIVERY_WAIT_SECONDS = 1.0

_NOTIFY = text("SELECT pg_notify(:channel, :payload)")
_LISTENERS = (
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE application_name = %s AND datname = current_database()"
)


def announce_change(conn: Connection, workspace_id: int | None) -> None:
    """Tell listening servers, at commit, that ``workspace_id`` (None: any) changed."""
    if conn.dialect.name == "postgresql":
        payload = EVERY_WORKSPACE if workspace_id is None else str(workspace_id)
        _notify(conn, payload)


def _notify(conn: Connection, payload: str) -> None:
    conn.execute(_NOTIFY, {"channel": CHANGES_CHANNEL, "payload": payload})


def nonce_of(payload: str) -> str | None:
    """The nonce a server answers on ACKS_CHANNEL, if the change asked for an answer."""
    return payload if payload.startswith(EVERY_WORKSPACE) and len(payload) > 1 else None


def libpq_conninfo(engine_or_url: Engine | str) -> str:
    """A SQLAlchemy URL (``postgresql+psycopg://``, ``postgres://``) as libpq's URI."""
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def account_change(engine: Engine) -> Iterator[Callable[[Connection], None]]:
    """Wrap a transaction that changes credentials; call what it yields inside it.

    On PostgreSQL, leaving the block (after the commit) waits until every listening server
    has answered the change's notice, at most DELIVERY_WAIT_SECONDS.
    """
    if engine.dialect.name != "postgresql":
        yield lambda _conn: None
        return
    import psycopg  # here: a server on SQLite never loads the driver (~10 MB, issue 15)

    nonce = f"{EVERY_WORKSPACE}{secrets.token_hex(8)}"
    with psycopg.connect(libpq_conninfo(engine), autocommit=True) as answers:
        answers.execute(f"LISTEN {ACKS_CHANNEL}")
        yield lambda conn: _notify(conn, nonce)
        committed = time.monotonic()
        row = answers.execute(_LISTENERS, (LISTENER_NAME,)).fetchone()
        waiting_for = row[0] if row else 0
        while waiting_for > 0:
            left = DELIVERY_WAIT_SECONDS - (time.monotonic() - committed)
            if left <= 0:
                break
            for notice in answers.notifies(timeout=left):
                if notice.payload == nonce:
                    waiting_for -= 1
                    break
