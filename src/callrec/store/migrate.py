"""Schema migrations (Alembic), run from code so no alembic.ini is needed.

Alembic is imported only to migrate or to inspect the history: ``is_current``, which every
server runs at start-up, reads the stored revision and the shipped scripts' own
``revision``/``down_revision`` lines without it (Alembic and Mako held ~11 MB of each server
process, issue 15). tests/store/test_migrations.py checks both ways agree.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"  # Alembic's default, which env.py keeps
_REVISION_NAMES = ("revision", "down_revision")


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@cache
def _scripts() -> ScriptDirectory:
    """The migrations shipped with this callrec: read once a process (Alembic imports every
    script to map the revisions, ~70 ms, and the files cannot change under a running one)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS_DIR))


def head_revision() -> str | None:
    return _scripts().get_current_head()


@cache
def shipped_head() -> str | None:
    """``head_revision`` without Alembic: the one shipped revision no other script revises."""
    revised: dict[str, set[str]] = {}
    for script in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        names = _revision_lines(script)
        if "revision" not in names:
            continue
        down = names.get("down_revision")
        downs = set(down) if isinstance(down, tuple | list) else {down} if down else set()
        revised[str(names["revision"])] = downs
    heads = set(revised) - set().union(*revised.values())
    if len(heads) > 1:
        raise RuntimeError(f"the migrations have several heads: {sorted(heads)}")
    return heads.pop() if heads else None


def _revision_lines(script: Path) -> dict[str, object]:
    """A script's module-level ``revision`` and ``down_revision`` values (constants)."""
    found: dict[str, object] = {}
    for node in ast.parse(script.read_text(encoding="utf-8")).body:
        target = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and target.id in _REVISION_NAMES and value is not None:
            found[target.id] = ast.literal_eval(value)
    return found


def stored_revision(engine: Engine) -> str | None:
    """``current_revision`` without Alembic; None for a database never migrated."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
    if len(rows) > 1:
        raise RuntimeError(f"{VERSION_TABLE} holds several revisions: {[r[0] for r in rows]}")
    return rows[0][0] if rows else None


def is_current(engine: Engine) -> bool:
    return stored_revision(engine) == shipped_head()


def is_known_revision(revision: str) -> bool:
    """Whether ``revision`` is one of this callrec's migrations (so upgrading from it works)."""
    from alembic.script.revision import ResolutionError

    try:
        return _scripts().get_revision(revision) is not None
    except ResolutionError:
        return False
