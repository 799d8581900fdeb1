"""CLI fixtures: the real console script against the per-test database of each backend."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine

from tests.cli.support import CliResult, run_cli

Cli = Callable[..., CliResult]

# For refusals decided before any SQL runs (input validation): one backend says it all.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def cli(database_url: str) -> Cli:
    """``cli("workspace", "list")`` runs ``callrec workspace list`` on this test's database."""

    def run(*args: str, stdin: str | None = None) -> CliResult:
        return run_cli(database_url, *args, stdin=stdin)

    return run


@pytest.fixture
def migrated(engine: Engine) -> Engine:
    """This test's database with the schema at head (the ``engine`` fixture upgrades it)."""
    return engine
