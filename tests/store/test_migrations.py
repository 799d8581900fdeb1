"""Schema migrations: head after upgrade, idempotent, and in step with the declared schema."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine

from callrec.store import accounts, make_engine, upgrade
from callrec.store.migrate import (
    current_revision,
    head_revision,
    is_current,
    shipped_head,
    stored_revision,
)
from callrec.store.schema import metadata


def test_a_fresh_database_is_not_current_until_upgraded(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert current_revision(engine) is None
        assert stored_revision(engine) is None
        assert not is_current(engine)
        upgrade(engine, "0008")  # one migration behind
        assert stored_revision(engine) == current_revision(engine) == "0008"
        assert not is_current(engine)
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert stored_revision(engine) == head_revision()
        assert is_current(engine)
    finally:
        engine.dispose()


def test_the_head_read_without_alembic_is_alembics_head() -> None:
    """``is_current`` (every server's start-up) reads the scripts' revision lines itself."""
    assert shipped_head() == head_revision()
    assert shipped_head() is not None


def test_a_server_on_sqlite_loads_neither_alembic_nor_psycopg(tmp_path: Path) -> None:
    """Issue 15: a server's memory. Alembic (migrations) and psycopg (PostgreSQL) are ~20 MB
    of a server process that runs on SQLite and has nothing to migrate."""
    url = f"sqlite:///{tmp_path / 'callrec.db'}"
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    script = (
        "import sys\n"
        "from callrec.api import create_app_from_env\n"
        "import callrec.api.server\n"
        "create_app_from_env()\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'alembic', 'mako', 'psycopg',"
        " 'psycopg_pool'}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLREC_")}
    env["CALLREC_DATABASE_URL"] = url
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout


def test_upgrading_again_keeps_the_revision_and_the_data(engine: Engine) -> None:
    accounts.create_workspace(engine, "acme", "EUR")
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert [w.name for w in accounts.list_workspaces(engine)] == ["acme"]


def test_the_migrated_schema_matches_the_declared_one(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        assert compare_metadata(context, metadata) == []
