"""The ``engine`` fixture's database (a template copy or replay, or on PostgreSQL an emptied
schema an earlier test used) is what the migrations build.

tests/schema_templates.py saves the suite running Alembic for every test; this pins that the
shortcut gives each test the very schema, data and revision a real ``upgrade`` gives.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from callrec.store import accounts, make_engine, upgrade
from callrec.store.migrate import current_revision, head_revision
from tests.conftest import POSTGRES_ADMIN_DSN, _postgres_unavailable, _schema_url, postgres_schema
from tests.schema_templates import MigratedSchemas


@contextmanager
def _really_migrated(engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """Another database of ``engine``'s backend, migrated by Alembic itself."""
    if engine.dialect.name == "sqlite":
        real = make_engine(f"sqlite:///{tmp_path / 'really-migrated.db'}")
        upgrade(real)
        yield real
        real.dispose()
        return
    with postgres_schema() as url:
        real = make_engine(url)
        upgrade(real)
        yield real
        real.dispose()


def _describe(engine: Engine) -> dict[str, Any]:
    """Every table's columns, keys, indexes and constraints, and its row count."""
    inspector = inspect(engine)
    tables: dict[str, Any] = {}
    with engine.connect() as connection:
        for table in sorted(inspector.get_table_names()):
            tables[table] = {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"], c.get("default"))
                    for c in inspector.get_columns(table)
                ],
                "primary key": inspector.get_pk_constraint(table),
                "foreign keys": sorted(map(repr, inspector.get_foreign_keys(table))),
                "indexes": sorted(map(repr, inspector.get_indexes(table))),
                "unique": sorted(map(repr, inspector.get_unique_constraints(table))),
                "checks": sorted(map(repr, inspector.get_check_constraints(table))),
                "rows": connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar(),
            }
    tables["(views)"] = sorted(inspector.get_view_names())
    if engine.dialect.name == "postgresql":
        tables["(sequences)"] = sorted(inspector.get_sequence_names())
    return tables


def test_the_fixture_database_is_what_the_migrations_build(engine: Engine, tmp_path: Path) -> None:
    assert current_revision(engine) == head_revision()
    templated = _describe(engine)
    assert len(templated) > 10  # the real schema, not an empty database
    with _really_migrated(engine, tmp_path) as real:
        assert templated == _describe(real)


@pytest.mark.parametrize("turn", ["first", "second"])
def test_each_test_starts_with_an_empty_database_of_its_own(engine: Engine, turn: str) -> None:
    """Whichever turn runs second would see the other's workspace if databases were shared."""
    assert accounts.list_workspaces(engine) == []
    accounts.create_workspace(engine, f"only-in-the-{turn}-test", "USD")
    assert len(accounts.list_workspaces(engine)) == 1


@pytest.fixture
def schemas(recorded_postgres_migrations: str) -> Iterator[MigratedSchemas]:
    """A pool of its own, so what these tests do to it stays out of the worker's."""
    if _postgres_unavailable():
        pytest.skip("PostgreSQL's schemas only")
    pool = MigratedSchemas(POSTGRES_ADMIN_DSN, recorded_postgres_migrations)
    yield pool
    pool.close()


def _schema_exists(schema: str) -> bool:
    with psycopg.connect(POSTGRES_ADMIN_DSN) as connection:
        found = connection.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema])
        return found.fetchone() is not None


def test_a_reused_schema_is_emptied_renamed_and_what_the_migrations_build(
    schemas: MigratedSchemas, tmp_path: Path
) -> None:
    first = schemas.take()
    used = make_engine(_schema_url(first))
    accounts.create_workspace(used, "left-behind", "USD")
    accounts.create_key(used, "left-behind")
    used.dispose()
    schemas.give_back(first)
    again = schemas.take()
    assert again != first
    assert not _schema_exists(first)  # a leaked URL names nothing now
    reused = make_engine(_schema_url(again))
    try:
        with _really_migrated(reused, tmp_path) as real:
            assert _describe(reused) == _describe(real)
        assert accounts.create_workspace(reused, "next", "USD").id == 1  # sequences restarted
    finally:
        reused.dispose()


def test_a_schema_a_test_changed_is_dropped_not_reused(schemas: MigratedSchemas) -> None:
    schema = schemas.take()
    with psycopg.connect(_schema_url(schema), autocommit=True) as connection:
        connection.execute("ALTER TABLE workspaces ADD COLUMN added_by_a_test text")
    schemas.give_back(schema)
    assert not _schema_exists(schema)
    assert schemas.take() != schema
