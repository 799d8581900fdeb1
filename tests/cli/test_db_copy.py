"""``callrec db copy --to postgresql://…``: a SQLite installation moved without losing a row.

The source is built the way an operator builds one (the CLI, ingest, a push worker), holding
every kind of row callrec stores; the copy is then served and must answer queryPage exactly
as the original does.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from callrec.operations import users
from callrec.operations.actor import CLI
from callrec.store import idempotency, make_engine
from callrec.store.admin_tokens import list_tokens
from callrec.store.copy import copy_database, nonempty_tables
from callrec.store.record_cursor import cursor_key
from callrec.store.schema import metadata, workspaces
from callrec.store.secret_box import MASTER_KEY_VARIABLE
from callrec.store.table_digest import TableDigest
from callrec.wire.times import now_micros
from tests.cli.support import assert_one_line_error, free_port, run_cli, serving
from tests.helpers import QUERY_PAGE, page_body, signed_headers
from tests.push.receiver import FAIL, running_receiver
from tests.push.support import SECRET, fast_settings, running_worker, wait_for

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MASTER_KEY = "q0Tlm5CM1X1HzXDxbp5UWLbdCNbfqRgnpnBZ7dC0lJ8="  # 32 bytes, test only
ENV = {MASTER_KEY_VARIABLE: MASTER_KEY, "CALLREC_PUSH_ALLOW_PRIVATE": "1"}
DECK = (
    "prefix,rate,chargedPeriod,direction,effectiveFrom\n"
    "91,0.0300,60+60,out,2023-01-01\n"
    "91,0.005,60+60,in,2023-01-01\n"
    "1,0.0100,1+1,any,2023-06-01\n"
)
postgres_target = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def _cli(url: str, *args: str) -> Any:
    return run_cli(url, *args, env=ENV)


@pytest.fixture
def installation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, dict[str, Any]]:
    """A SQLite installation with a row in every table; yields its URL and acme's API key."""
    url = f"sqlite:///{tmp_path / 'callrec.db'}"
    _cli(url, "db", "upgrade").ok()
    _cli(url, "workspace", "create", "acme", "--currency", "EUR", "--tz", "Europe/Berlin").ok()
    _cli(url, "workspace", "create", "beta").ok()
    key = _cli(url, "key", "create", "--workspace", "acme", "--json").json()
    _cli(
        url, "key", "create", "--workspace", "beta", "--allow-ip", "10.0.0.0/8",
        "--require-body-signature",
    ).ok()  # fmt: skip
    _cli(url, "number", "add", "+915027021995", "--workspace", "acme", "--app-id", "app-1",
         "--type", "MOBILE").ok()  # fmt: skip
    _cli(url, "number", "add", "+14155550123", "--workspace", "beta").ok()
    deck = tmp_path / "deck.csv"
    deck.write_text(DECK)
    _cli(url, "rates", "import", str(deck), "--workspace", "acme").ok()
    _cli(url, "fx", "set", "EUR", "1.0832", "--from", "2023-01-01").ok()
    _cli(url, "ingest-source", "create", "pbx1").ok()
    _cli(url, "admin", "token", "create", "portal", "--workspace", "acme").ok()

    monkeypatch.setenv(MASTER_KEY_VARIABLE, MASTER_KEY)  # the in-process push worker's key
    source = make_engine(url)
    try:
        with running_receiver(SECRET, then=FAIL) as receiver:
            _cli(url, "push", "set", "--workspace", "acme", receiver.url, "--secret", SECRET).ok()
            # Accepted, quarantined and rejected lines; records queue for push.
            jsonl = FIXTURES / "tabular" / "mixed.jsonl"
            imported = _cli(
                url, "cdr", "import", str(jsonl), "--format", "jsonl", "--no-checkpoint"
            )
            assert imported.stdout.startswith("accepted 2,"), imported
            with running_worker(source, fast_settings(retries=0, batch_size=1)):
                wait_for(lambda: _parked(url) >= 1)
        # Imported after the worker stopped: still in the outbox, in no batch yet.
        asterisk = FIXTURES / "asterisk" / "Master-basic.csv"
        imported = _cli(url, "cdr", "import", str(asterisk), "--format", "asterisk",
                        "--tz", "Asia/Kolkata", "--no-checkpoint")  # fmt: skip
        assert imported.stdout.startswith("accepted 2,"), imported
        # An admin API POST's stored answer (docs/admin-api.md#idempotency).
        [token] = list_tokens(source)
        assert idempotency.claim(source, token.id, "signup-1", "0" * 64, now_micros()) is None
        idempotency.store_answer(source, token.id, "signup-1", 201, '{"name": "acme"}')
        cursor_key(source)  # the records search's signing key, made at its first search
        # A console user, logged in.
        alice = users.create_user(source, CLI, "alice", "a long enough secret", "acme")
        users.start_session(source, alice, users.SessionPolicy(60_000_000, 3_600_000_000),
                            now_micros())  # fmt: skip
        with source.connect() as conn:
            empty = [
                t.name
                for t in metadata.sorted_tables
                if conn.execute(select(func.count()).select_from(t)).scalar_one() == 0
            ]
        assert empty == [], f"the installation has no rows in {empty}"
    finally:
        source.dispose()
    return url, key


def _parked(url: str) -> int:
    shown = run_cli(url, "push", "show", "--workspace", "acme", "--json").json()
    return int(shown["parkedBatches"])


def _answers(base_url: str, key: dict[str, Any]) -> list[Any]:
    """Every page of acme's records, and a few refusals, as the server answers them."""
    answers = []
    with httpx.Client(base_url=base_url, timeout=10) as http:
        for current in (1, 2, 3, 4):
            body = page_body("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", current, 2)
            headers = signed_headers(key["apiKey"], key["apiSecret"])
            answers.append(http.post(QUERY_PAGE, headers=headers, json=body).json())
        wrong = {**signed_headers(key["apiKey"], "not the secret")}
        answers.append(http.post(QUERY_PAGE, headers=wrong, json=body).json())
    return answers


@postgres_target
@pytest.mark.timeout(400)  # about 30 CLI runs and two servers: 80 s on a loaded 2-core machine
def test_copy_to_postgresql_loses_nothing_and_serves_the_same_answers(
    installation: tuple[str, dict[str, Any]], database_url: str
) -> None:
    source_url, key = installation
    result = _cli(source_url, "db", "copy", "--to", database_url, "--batch-size", "2").ok()

    lines = result.stdout.splitlines()
    assert lines[-1].startswith("copied ")
    assert lines[-1].endswith("every table's row count and digest match")
    for table in metadata.sorted_tables:
        row = next(line for line in lines if f" {table.name} " in line)
        assert row.split("│")[-2].strip() == "yes", row

    with (
        serving(source_url, free_port(), env=ENV) as original,
        serving(database_url, free_port(), env=ENV) as copy,
    ):
        expected = _answers(original, key)
        assert [answer["status"] for answer in expected] == ["0", "0", "0", "0", "-1"]
        assert sum(len(a["data"]["records"]) for a in expected[:4]) >= 3
        assert _answers(copy, key) == expected

    # Secrets stay sealed under the same key (serve checked that they open with it).
    sealed = _cli(source_url, "secrets", "status", "--json").json()
    assert _cli(database_url, "secrets", "status", "--json").json() == sealed
    # The id sequence moved past the copied workspaces.
    created = _cli(database_url, "workspace", "create", "gamma", "--json").json()
    target = make_engine(database_url)
    try:
        with target.connect() as conn:
            ids = conn.execute(select(workspaces.c.id).order_by(workspaces.c.id)).scalars().all()
    finally:
        target.dispose()
    assert ids == [1, 2, 3], created


@postgres_target
def test_a_target_with_rows_is_refused_and_left_as_it_was(
    database_url: str, tmp_path: Path
) -> None:
    source_url = f"sqlite:///{tmp_path / 'callrec.db'}"
    run_cli(source_url, "db", "upgrade").ok()
    run_cli(source_url, "workspace", "create", "acme").ok()
    run_cli(database_url, "db", "upgrade").ok()
    run_cli(database_url, "workspace", "create", "already-here").ok()
    refused = run_cli(source_url, "db", "copy", "--to", database_url)
    assert_one_line_error(refused, "not empty", "workspaces")
    listed = run_cli(database_url, "workspace", "list", "--json").json()
    assert [ws["name"] for ws in listed] == ["already-here"]


def test_the_target_must_be_postgresql_and_the_source_sqlite(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'a.db'}"
    run_cli(source, "db", "upgrade").ok()
    other = f"sqlite:///{tmp_path / 'b.db'}"
    assert_one_line_error(run_cli(source, "db", "copy", "--to", other), "--to", "PostgreSQL")
    unparseable = run_cli(source, "db", "copy", "--to", "not a url")
    assert_one_line_error(unparseable, "--to: is not a database URL")


def test_the_digest_ignores_row_order_and_sees_any_change() -> None:
    rows = [(1, "acme", True, None), (2, "beta", False, "x"), (3, "", True, "0.0300")]
    forward, backward, changed, missing = TableDigest(), TableDigest(), TableDigest(), TableDigest()
    forward.add_all(rows)
    backward.add_all(reversed(rows))
    changed.add_all([*rows[:2], (3, "", True, "0.03")])
    missing.add_all(rows[:2])
    assert forward.hexdigest == backward.hexdigest
    assert forward.rows == 3
    assert changed.hexdigest != forward.hexdigest
    assert missing.hexdigest != forward.hexdigest
    # True is not 1, and "1" is not 1: the encoding keeps types apart.
    one, true, text = TableDigest(), TableDigest(), TableDigest()
    one.add((1,))
    true.add((True,))
    text.add(("1",))
    assert len({one.hexdigest, true.hexdigest, text.hexdigest}) == 3
    one_by_one = TableDigest()
    for row in rows:
        one_by_one.add(row)
    assert (one_by_one.rows, one_by_one.hexdigest) == (forward.rows, forward.hexdigest)


def test_the_digest_refuses_types_the_schema_does_not_store() -> None:
    # A Decimal and its text would encode alike: refused, not digested as a string.
    with pytest.raises(TypeError, match="cannot digest a Decimal"):
        TableDigest().add((1, Decimal("0.03")))


class _Interrupted(Exception):
    pass


@postgres_target
def test_a_copy_that_fails_midway_leaves_the_target_empty_for_a_rerun(
    database_url: str, tmp_path: Path
) -> None:
    source_url = f"sqlite:///{tmp_path / 'callrec.db'}"
    run_cli(source_url, "db", "upgrade").ok()
    run_cli(source_url, "workspace", "create", "acme").ok()
    run_cli(source_url, "key", "create", "--workspace", "acme").ok()
    source, target = make_engine(source_url), make_engine(database_url)
    seen: list[tuple[str, int, int]] = []

    def interrupt_at_api_keys(table: str, done: int, total: int) -> None:
        seen.append((table, done, total))
        if table == "api_keys":
            raise _Interrupted

    try:
        with pytest.raises(_Interrupted):
            copy_database(source, target, progress=interrupt_at_api_keys)
        assert ("workspaces", 1, 1) in seen  # copied (and reported) before the failure
        assert nonempty_tables(target) == []
        report = copy_database(source, target)
        assert report.verified
        assert {c.table: c.target_rows for c in report.tables}["api_keys"] == 1
    finally:
        source.dispose()
        target.dispose()
