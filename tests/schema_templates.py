"""A migrated database per test without running Alembic per test.

Running every migration for each of the suite's ~2,000 database tests cost about 0.4 s a test
(more than most tests themselves). Each test still gets its own database, built by the real
migrations, only run once per worker process:

- SQLite: the migrations run once into a template file; each test gets a byte copy of it.
- PostgreSQL: the migrations run once into a scratch schema while every statement the driver
  receives is recorded; each test's fresh schema gets the same statements (parameters bound
  by psycopg) replayed as one script, in one transaction, through its own search_path.
  Nothing in the migrations names a schema.

Tests of the migrations themselves (``callrec db upgrade``, downgrades, upgrades from an old
revision) take ``database_url`` and run Alembic for real.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Engine

from callrec.store import make_engine, upgrade
from callrec.store.file_permissions import OWNER_ONLY, sqlite_path


def migrate_sqlite_template(path: Path) -> Path:
    """Run every migration into a new SQLite file at ``path``, checkpointed into the file."""
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    return path


def copy_sqlite_template(template: Path, url: str) -> None:
    """The test's database file becomes a copy of the template, owner-only like a new one."""
    target = sqlite_path(url)
    if target is None:
        raise ValueError(f"not a SQLite file URL: {url}")
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
    with os.fdopen(descriptor, "wb") as out, template.open("rb") as source:
        shutil.copyfileobj(source, out)


@dataclass(frozen=True)
class Statement:
    """One call the driver received: ``params`` is None for a call made without any."""

    sql: str
    params: Any
    many: bool = False


def record_migrations(url: str) -> list[Statement]:
    """Run every migration on ``url`` (an empty PostgreSQL schema) and return what ran."""
    engine = make_engine(url)
    statements: list[Statement] = []

    def executed(_cursor: Any, sql: str, params: Any, _context: Any) -> None:
        statements.append(Statement(sql, params))

    def executed_many(_cursor: Any, sql: str, params: Any, _context: Any) -> None:
        statements.append(Statement(sql, list(params), many=True))

    def executed_bare(_cursor: Any, sql: str, _context: Any) -> None:
        statements.append(Statement(sql, None))

    # Dialect events see exactly what reaches the cursor (parameters and all), and returning
    # None lets the driver run it as usual.
    event.listen(engine, "do_execute", executed)
    event.listen(engine, "do_executemany", executed_many)
    event.listen(engine, "do_execute_no_params", executed_bare)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return statements


def as_script(statements: list[Statement], dsn: str) -> str:
    """The statements as one script, their parameters bound by psycopg as the server would.

    One round trip instead of one per statement: on a loaded machine each round trip waits for
    the scheduler twice, and the replay took almost twice as long.
    """
    with psycopg.connect(dsn) as connection:
        render = psycopg.ClientCursor(connection).mogrify
        parts: list[str] = []
        for statement in statements:
            if statement.many:
                parts.extend(render(statement.sql, params) for params in statement.params)
            elif statement.params is None:
                parts.append(statement.sql)
            else:
                parts.append(render(statement.sql, statement.params))
    return ";\n".join(parts)


def replay_migrations(engine: Engine, script: str) -> None:
    """Run the recorded migration script on ``engine``'s schema, as one transaction."""
    connection = engine.raw_connection()
    try:
        with connection.cursor() as cursor:
            cursor.execute(script)  # no parameters: psycopg sends it as one simple query
        connection.commit()
    finally:
        connection.close()


# What a migrated schema looks like to PostgreSQL: its relations and their columns, its
# constraints, and the Alembic revision. A test that changed any of it (a downgrade, an
# ALTER) gets its schema dropped rather than reused.
_SIGNATURE = """
SELECT md5(
    coalesce((SELECT string_agg(shape, ',' ORDER BY shape) FROM (
        SELECT c.relname || ':' || c.relkind::text || ':' || coalesce(string_agg(
            a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull::text,
            ';' ORDER BY a.attnum), '') AS shape
        FROM pg_class c
        LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relnamespace = %(schema)s::regnamespace
        GROUP BY c.relname, c.relkind) relations), '')
    || '|' || coalesce((SELECT string_agg(conname || contype::text, ',' ORDER BY conname)
        FROM pg_constraint WHERE connamespace = %(schema)s::regnamespace), '')
)
"""


class MigratedSchemas:
    """One worker's migrated PostgreSQL schemas, emptied and renamed between tests.

    A fresh schema per test cost about 0.5 s on a loaded machine (the migration script
    replayed, then DROP SCHEMA ... CASCADE), ~1,400 times a run. Emptying a used one costs
    ~0.04 s: every table but ``alembic_version`` is deleted from (foreign keys off for the
    transaction) and its sequences restart, so the next test sees exactly what the migrations
    left, which is nothing but the revision (checked when the first schema is made). The
    schema is renamed as well, so a connection a test leaked still names the old schema and
    fails rather than writing into the next test's tables. Anything unexpected (another shape,
    a lock held past 10 s, an error) drops the schema instead, as before.
    """

    def __init__(self, admin_dsn: str, script: str) -> None:
        self._dsn = admin_dsn
        self._script = script
        self._connection = psycopg.connect(admin_dsn, autocommit=True)
        self._free: list[str] = []
        self._signature: str | None = None
        self._tables: list[str] = []
        self._sequences: list[str] = []

    def take(self) -> str:
        """A schema at head holding no rows but the Alembic revision."""
        if self._free:
            return self._free.pop()
        schema = _new_schema_name()
        self._connection.execute(f'CREATE SCHEMA "{schema}"')
        with psycopg.connect(self._dsn, options=f"-csearch_path={schema}") as connection:
            connection.execute(self._script)  # one simple query, one transaction
        if self._signature is None:
            self._learn(schema)
        return schema

    def give_back(self, schema: str) -> None:
        try:
            if self.signature(schema) != self._signature:
                raise _Changed(schema)
            renamed = _new_schema_name()
            with self._connection.transaction():
                self._connection.execute("SET LOCAL lock_timeout = '10s'")
                self._connection.execute("SET LOCAL session_replication_role = replica")
                for table in self._tables:
                    self._connection.execute(f'DELETE FROM "{schema}"."{table}"')
                for sequence in self._sequences:
                    self._connection.execute(f'ALTER SEQUENCE "{schema}"."{sequence}" RESTART')
                self._connection.execute(f'ALTER SCHEMA "{schema}" RENAME TO "{renamed}"')
        except (psycopg.Error, _Changed):
            drop_schema(self._dsn, schema)
            return
        self._free.append(renamed)

    def signature(self, schema: str) -> str:
        shape = self._connection.execute(_SIGNATURE, {"schema": schema}).fetchone()
        revision = self._connection.execute(
            f"SELECT string_agg(version_num, ',') FROM \"{schema}\".alembic_version"
        ).fetchone()
        return f"{shape[0] if shape else ''}@{revision[0] if revision else ''}"

    def close(self) -> None:
        for schema in self._free:
            drop_schema(self._dsn, schema)
        self._free.clear()
        self._connection.close()

    def _learn(self, schema: str) -> None:
        """The tables and sequences to empty, after checking the migrations left no rows."""
        rows = self._connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", [schema]
        ).fetchall()
        self._tables = [name for (name,) in rows if name != "alembic_version"]
        for table in self._tables:
            found = self._connection.execute(f'SELECT 1 FROM "{schema}"."{table}" LIMIT 1')
            if found.fetchone() is not None:
                raise RuntimeError(
                    f"the migrations leave rows in {table}: emptying a schema between tests "
                    "would delete them (tests/schema_templates.MigratedSchemas)"
                )
        sequences = self._connection.execute(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = %s", [schema]
        ).fetchall()
        self._sequences = [name for (name,) in sequences]
        self._signature = self.signature(schema)


class _Changed(Exception):
    """The test changed its schema's shape: it is dropped, not reused."""


def _new_schema_name() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


def drop_schema(admin_dsn: str, schema: str) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
