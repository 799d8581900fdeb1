"""``callrec db backup PATH``: a consistent SQLite copy while writers carry on."""

from __future__ import annotations

import sqlite3
import stat
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from callrec.store import accounts, make_engine, upgrade
from tests.cli.support import assert_one_line_error, run_cli
from tests.helpers import make_record
from tests.push.support import store

PER_TRANSACTION = 50


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    url = f"sqlite:///{tmp_path / 'callrec.db'}"
    target = make_engine(url)
    upgrade(target)
    yield url, target
    target.dispose()


@contextmanager
def writing(target: Engine) -> Iterator[list[int]]:
    """Store records in transactions of 50 until the block ends; yields the running count."""
    workspace = accounts.create_workspace(target, "acme")
    stop = threading.Event()
    written = [0]
    first = datetime(2024, 1, 1, tzinfo=UTC)

    def write() -> None:
        while not stop.is_set():
            n = written[0]
            calls = [
                make_record(f"c{n + i}", (first + timedelta(seconds=n + i)).isoformat())
                for i in range(PER_TRANSACTION)
            ]
            store(target, workspace.id, calls)
            written[0] += PER_TRANSACTION

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    try:
        yield written
    finally:
        stop.set()
        thread.join(timeout=30)


def _counts(path: Path) -> tuple[int, int, int]:
    with closing(sqlite3.connect(path)) as db:
        records = db.execute("SELECT count(*) FROM call_records").fetchone()[0]
        ids = db.execute("SELECT count(*) FROM call_record_ids").fetchone()[0]
        hourly = db.execute("SELECT coalesce(sum(n), 0) FROM call_counts").fetchone()[0]
    return records, ids, hourly


def test_backups_taken_while_records_are_written_are_whole_transactions(
    sqlite_db: tuple[str, Engine], tmp_path: Path
) -> None:
    url, target = sqlite_db
    with writing(target) as written:
        while written[0] < 500:
            threading.Event().wait(0.01)
        backups = []
        for n in range(3):
            before = written[0]
            path = tmp_path / f"backup-{n}.db"
            said = run_cli(url, "db", "backup", str(path)).ok().stdout
            assert said.startswith(f"backed up {tmp_path / 'callrec.db'} to {path} (")
            backups.append((path, before, written[0]))
    assert any(after > before for _, before, after in backups), "no write overlapped a backup"

    for path, before, after in backups:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert not Path(f"{path}-wal").exists()
        with closing(sqlite3.connect(path)) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        records, ids, hourly = _counts(path)
        # One snapshot: the records, their callid registry and the hourly counters agree, and
        # hold whole transactions only, no fewer than were committed when the backup began.
        assert records == ids == hourly
        assert records % PER_TRANSACTION == 0
        assert before <= records <= after + PER_TRANSACTION
        # And callrec opens the copy as a database of its own.
        listed = run_cli(f"sqlite:///{path}", "workspace", "list", "--json").json()
        assert [ws["name"] for ws in listed] == ["acme"]


def test_an_existing_file_is_kept_unless_force_is_given(
    sqlite_db: tuple[str, Engine], tmp_path: Path
) -> None:
    url, target = sqlite_db
    path = tmp_path / "backup.db"
    path.write_bytes(b"an older backup")
    assert_one_line_error(run_cli(url, "db", "backup", str(path)), str(path), "--force")
    assert path.read_bytes() == b"an older backup"

    accounts.create_workspace(target, "acme")
    run_cli(url, "db", "backup", str(path), "--force").ok()
    listed = run_cli(f"sqlite:///{path}", "workspace", "list", "--json").json()
    assert [ws["name"] for ws in listed] == ["acme"]
    assert sorted(p.name for p in tmp_path.iterdir() if "partial" in p.name) == []


def test_a_missing_database_is_named_and_not_created(tmp_path: Path) -> None:
    database = tmp_path / "typo.db"
    result = run_cli(f"sqlite:///{database}", "db", "backup", str(tmp_path / "b.db"))
    assert_one_line_error(result, str(database))
    assert sorted(tmp_path.iterdir()) == []


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_is_pointed_to_pg_dump_without_the_password(
    database_url: str, tmp_path: Path
) -> None:
    with_password = database_url.replace("://root@", "://root:hunter2@")
    result = run_cli(with_password, "db", "backup", str(tmp_path / "b.db"))
    line = assert_one_line_error(result, "pg_dump --format=custom", "127.0.0.1:5432/test")
    assert "hunter2" not in line
    assert sorted(tmp_path.iterdir()) == []
