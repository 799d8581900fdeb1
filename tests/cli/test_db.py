"""``callrec db upgrade``, and what every command says when the database is not usable."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from callrec.store import make_engine
from callrec.store.migrate import current_revision, head_revision
from tests.cli.conftest import Cli
from tests.cli.support import assert_one_line_error, free_port, run_cli, run_cli_concurrently


def test_db_upgrade_migrates_to_head_and_a_second_run_changes_nothing(
    database_url: str, cli: Cli
) -> None:
    first = cli("db", "upgrade").ok()
    assert first.stdout == f"database at revision {head_revision()}\n"
    second = cli("db", "upgrade").ok()
    assert second.stdout == first.stdout
    target = make_engine(database_url)
    try:
        assert current_revision(target) == head_revision()
    finally:
        target.dispose()


def test_commands_on_an_unmigrated_database_ask_for_db_upgrade(database_url: str) -> None:
    results = run_cli_concurrently(
        database_url, ("workspace", "list"), ("serve", "--port", str(free_port()))
    )
    for result in results:
        assert_one_line_error(result, "callrec db upgrade")


@pytest.mark.parametrize(
    "command",
    [("workspace", "list"), ("demo",), ("key", "list", "--workspace", "acme"), ("serve",)],
)
def test_a_mistyped_sqlite_url_creates_no_file(tmp_path: Path, command: tuple[str, ...]) -> None:
    """Regression (defect 3): the command asked for `db upgrade` but had created the file."""
    typo = tmp_path / "fresh2.db"
    result = run_cli(f"sqlite:///{typo}", *command, timeout=60)
    assert_one_line_error(result, f"no database at {typo}", "CALLREC_DATABASE_URL", "db upgrade")
    assert list(tmp_path.iterdir()) == []
    run_cli(f"sqlite:///{typo}", "db", "upgrade").ok()
    assert typo.exists()


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A loopback port that is bound but never listens: connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


def test_an_unreachable_database_is_one_line_naming_it(refusing_port: int) -> None:
    result = run_cli(f"postgresql://nobody@127.0.0.1:{refusing_port}/callrec", "db", "upgrade")
    assert_one_line_error(result, "database unavailable", str(refusing_port))


@pytest.mark.parametrize(
    "url", ["not a url", "mysql://user@127.0.0.1/db"], ids=["unparseable", "no-driver"]
)
def test_an_unusable_database_url_is_one_line_not_a_traceback(url: str) -> None:
    assert_one_line_error(run_cli(url, "workspace", "list"))


def test_a_sqlite_file_in_a_missing_directory_is_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing' / 'callrec.db'}"
    assert_one_line_error(run_cli(url, "db", "upgrade"), "database unavailable")
