"""The SQLite database holds secrets: its files are never readable by other users."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from callrec.store import accounts, make_engine, upgrade


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0o022)  # the usual default, which makes new files world-readable
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("permissive_umask")
def test_a_new_database_and_its_wal_and_shm_files_are_owner_only(tmp_path: Path) -> None:
    database = tmp_path / "callrec.db"
    engine = make_engine(f"sqlite:///{database}")
    try:
        upgrade(engine)
        accounts.create_workspace(engine, "acme")
        accounts.create_key(engine, "acme")
        with engine.connect() as conn:  # the WAL and its index exist while a connection is open
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
            assert {path.name: _mode(path) for path in files} == {
                path.name: 0o600 for path in files
            }
    finally:
        engine.dispose()


@pytest.mark.usefixtures("permissive_umask")
def test_an_existing_world_readable_database_loses_access_for_others(tmp_path: Path) -> None:
    database = tmp_path / "callrec.db"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    engine.dispose()
    os.chmod(database, 0o644)
    wal = Path(f"{database}-wal")
    wal.touch()
    os.chmod(wal, 0o666)

    make_engine(f"sqlite:///{database}").dispose()

    assert _mode(database) == 0o640  # the group is the operator's choice; others are out
    assert _mode(wal) == 0o660
