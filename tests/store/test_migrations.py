"""Schema migrations: head after upgrade, idempotent, and in step with the declared schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine

from callrec.store import accounts, make_engine, upgrade
from callrec.store.migrate import current_revision, head_revision, is_current
from callrec.store.schema import metadata


def test_a_fresh_database_is_not_current_until_upgraded(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert current_revision(engine) is None
        assert not is_current(engine)
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert is_current(engine)
    finally:
        engine.dispose()


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
