"""The one place where SQL differs between backends.

Everything else in ``callrec.store`` is portable SQLAlchemy Core; a new backend is a
change here, not a rewrite.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.sql.dml import Insert
from sqlalchemy.types import TypeEngine


def byte_ordered_text(length: int) -> TypeEngine[str]:
    """A string column that sorts in byte order on every backend.

    The contract orders equal start times by ``callid`` in byte order. SQLite's default
    BINARY collation already is; PostgreSQL needs the "C" collation spelled out.
    """
    return String(length).with_variant(String(length, collation="C"), "postgresql")


def normalise_url(url: str) -> str:
    """Map the URL forms operators write to the drivers callrec ships with."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def engine_options(url: str) -> dict[str, Any]:
    if make_url(url).get_backend_name() == "sqlite":
        # One connection per thread is plenty: writers serialise on SQLite anyway.
        # isolation_level=None hands transaction control to SQLAlchemy (see the "begin" hook),
        # so a count and the page it describes are read in one snapshot.
        return {
            "connect_args": {"timeout": 30, "check_same_thread": False, "isolation_level": None}
        }
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10}


def install_connection_hooks(engine: Engine) -> None:
    if not is_sqlite(engine):
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets the API read while an import writes; NORMAL is durable across process
        # crashes (only an OS crash can lose the last transactions).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


def insert_ignoring_conflicts(conn: Connection, table: Table) -> Insert:
    """``INSERT ... ON CONFLICT DO NOTHING`` in the connection's dialect."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()
