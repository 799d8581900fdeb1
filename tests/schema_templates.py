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
