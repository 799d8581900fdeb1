"""The one place where SQL differs between backends.

Everything else in ``callrec.store`` is portable SQLAlchemy Core; a new backend is a
change here, not a rewrite.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, String, Table, any_, event, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.sql import Select
from sqlalchemy.sql.dml import Insert
from sqlalchemy.types import ARRAY, TypeEngine


def byte_ordered_text(length: int) -> TypeEngine[str]:
    """A string column that sorts in byte order on every backend.

    The contract orders equal start times by ``callid`` in byte order. SQLite's default
    BINARY collation already is; PostgreSQL needs the "C" collation spelled out.
    """
    return String(length).with_variant(String(length, collation="C"), "postgresql")


SUPPORTED_BACKENDS = ("sqlite", "postgresql")


class UnsupportedDatabase(ValueError):
    pass


def normalise_url(url: str) -> str:
    """Map the URL forms operators write to the drivers callrec ships with."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise UnsupportedDatabase(
            "is not a database URL; expected sqlite:///path/to/file.db or "
            "postgresql://user@host/database"
        ) from exc
    if parsed.drivername == "postgres":
        parsed = parsed.set(drivername="postgresql")
    if parsed.get_backend_name() not in SUPPORTED_BACKENDS:
        raise UnsupportedDatabase(
            f"{parsed.get_backend_name()!r} is not supported; callrec runs on SQLite "
            "(sqlite:///file.db) and PostgreSQL (postgresql://user@host/database)"
        )
    if parsed.drivername == "postgresql":
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
        writes = connection.get_execution_options().get(_WRITES, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


_WRITES = "callrec_writes"


def write_transaction(engine: Engine) -> AbstractContextManager[Connection]:
    """A transaction that reads, then writes.

    On SQLite it takes the write lock up front (``BEGIN IMMEDIATE``): a deferred transaction
    that read first cannot wait for the lock when another process committed in between, and
    fails with "database is locked" instead. Reads elsewhere are unaffected (WAL).
    """
    return engine.execution_options(**{_WRITES: True}).begin()


def insert_ignoring_conflicts(conn: Connection, table: Table) -> Insert:
    """``INSERT ... ON CONFLICT DO NOTHING`` in the connection's dialect."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def positional_placeholder(conn: Connection) -> str:
    """The driver's own placeholder, for the few hot paths that bypass SQL compilation."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


# SQLite's default limit on bound variables is far above this; PostgreSQL takes one array.
IN_LIST_CHUNK = 500


def chunks_for(conn: Connection, values: list[str]) -> list[list[str]]:
    """How to split a membership test: one array on PostgreSQL, IN-lists of 500 on SQLite."""
    if conn.dialect.name == "postgresql":
        return [values] if values else []
    return [values[i : i + IN_LIST_CHUNK] for i in range(0, len(values), IN_LIST_CHUNK)]


def is_one_of(
    conn: Connection, column: ColumnElement[str], values: list[str]
) -> ColumnElement[bool]:
    """``column IN (...)``; on PostgreSQL ``column = ANY(array)``, one parameter instead of
    hundreds (expanding an IN-list costs more than the lookup itself there)."""
    if conn.dialect.name == "postgresql":
        return column == any_(literal(values, ARRAY(String)))
    return column.in_(values)


_Selected = TypeVar("_Selected", bound=Select[Any])


def skipping_locked_rows(conn: Connection, query: _Selected) -> _Selected:
    """Lock the rows a claim selects, passing over rows another transaction has locked.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so concurrent workers each take different rows
    instead of queueing behind each other. SQLite has no row locks: a claim there runs in a
    ``write_transaction`` (``BEGIN IMMEDIATE``), which already makes it the only writer.
    """
    if conn.dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


def driver_rows(conn: Connection, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Run ``sql`` (written with ``?`` placeholders) on the driver's own cursor, inside the
    connection's transaction, and return plain tuples.

    For the query path's few hot statements only: there SQLAlchemy's statement compilation
    and row objects cost more than the query itself.
    """
    if conn.dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        cursor.close()


Target = Engine | Connection


@contextmanager
def transaction(target: Target) -> Iterator[Connection]:
    """The caller's transaction when given a connection, else a new write transaction."""
    if isinstance(target, Connection):
        yield target
        return
    with write_transaction(target) as conn:
        yield conn


@contextmanager
def reading(target: Target) -> Iterator[Connection]:
    """The caller's transaction when given a connection, else a plain read."""
    if isinstance(target, Connection):
        yield target
        return
    with target.connect() as conn:
        yield conn


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction whose statements all see one snapshot of the database.

    SQLite's transactions already read one snapshot (WAL); PostgreSQL's default, READ
    COMMITTED, gives each statement its own, so several reads that must agree (rollups and
    the records at a window's edges) ask for REPEATABLE READ.
    """
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            yield conn
