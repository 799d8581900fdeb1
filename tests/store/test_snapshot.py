"""``store.dialect.snapshot``: one snapshot for several reads, read only; the connection goes
back to the pool as it came (the next user gets the default isolation again)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from callrec.store import accounts
from callrec.store.dialect import snapshot


def test_a_snapshot_does_not_see_what_commits_after_its_first_read(engine: Engine) -> None:
    accounts.create_workspace(engine, "acme")
    count = text("SELECT COUNT(*) FROM workspaces")
    with snapshot(engine) as conn:
        assert conn.execute(count).scalar() == 1
        accounts.create_workspace(engine, "globex")  # committed by another connection
        assert conn.execute(count).scalar() == 1
    with engine.connect() as conn:
        assert conn.execute(count).scalar() == 2


def test_a_snapshot_is_read_only_on_postgresql_and_does_not_leak_to_the_pool(
    engine: Engine,
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one isolation level; its read-only-ness is not the point")
    with snapshot(engine) as conn:
        assert conn.execute(text("SHOW transaction_isolation")).scalar() == "repeatable read"
        with pytest.raises(DBAPIError, match="read-only"):
            conn.execute(text("INSERT INTO workspaces (name, currency, created_us) "
                              "VALUES ('x', 'USD', 0)"))  # fmt: skip
    with engine.connect() as conn:
        assert conn.execute(text("SHOW transaction_isolation")).scalar() == "read committed"
        assert conn.execute(text("SHOW transaction_read_only")).scalar() == "off"
