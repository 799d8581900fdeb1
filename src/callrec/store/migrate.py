"""Schema migrations (Alembic), run from code so no alembic.ini is needed."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import ResolutionError
from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@cache
def _scripts() -> ScriptDirectory:
    """The migrations shipped with this callrec: read once a process (Alembic imports every
    script to map the revisions, ~70 ms, and the files cannot change under a running one)."""
    return ScriptDirectory(str(MIGRATIONS_DIR))


def head_revision() -> str | None:
    return _scripts().get_current_head()


def is_current(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()


def is_known_revision(revision: str) -> bool:
    """Whether ``revision`` is one of this callrec's migrations (so upgrading from it works)."""
    try:
        return _scripts().get_revision(revision) is not None
    except ResolutionError:
        return False
