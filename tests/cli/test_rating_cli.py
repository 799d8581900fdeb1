"""`callrec rates`, `fx`, `rerate`, `cdr unrouted|reprocess` and `purge` through the real CLI."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine

from callrec.ingest.pipeline import Pipeline
from callrec.model import RawCdr
from callrec.store.schema import call_records
from callrec.wire.times import parse_iso_instant
from tests.cli.conftest import Cli

OWN = "915027021995"


def _raw(callid: str, caller: str, called: str, start: str, talk: int) -> RawCdr:
    at = parse_iso_instant(start).micros
    return RawCdr(callid, caller, called, at, at, at + talk * 1_000_000, talk, "200",
                  "NORMAL_CLEARING", "", "test")  # fmt: skip


def _pays(engine: Engine) -> dict[str, tuple[int, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(call_records.c.callid, call_records.c.pay_micros, call_records.c.rating_status)
        ).all()
    return {r.callid: (r.pay_micros, r.rating_status) for r in rows}


def test_a_bad_deck_is_refused_whole_with_every_bad_line_named(
    cli: Cli, migrated: Engine, tmp_path: Path
) -> None:
    cli("workspace", "create", "acme").ok()
    deck = tmp_path / "deck.csv"
    deck.write_text(
        "prefix,rate,chargedPeriod,direction,effectiveFrom\n"
        "91,0.0128,60+60,out,2024-01-01\n"
        "44,abc,60+60,out,2024-01-01\n"
        "1,0.01,60,sideways,2024-01-01\n"
    )
    result = cli("rates", "import", str(deck), "--workspace", "acme")
    assert result.returncode == 1
    assert "line 3: rate" in result.stderr
    assert "line 4: chargedPeriod" in result.stderr
    assert "nothing was stored" in result.stderr
    assert "Traceback" not in result.stderr
    assert cli("rates", "list", "--workspace", "acme", "--json").json() == []


def test_deck_fx_unrated_rerate_and_reprocess_round_trip(
    cli: Cli, migrated: Engine, tmp_path: Path
) -> None:
    cli("workspace", "create", "acme", "--currency", "EUR").ok()
    cli("number", "add", "+" + OWN, "--workspace", "acme").ok()
    deck = tmp_path / "deck.csv"
    deck.write_text("91,0.0128,60+60,out,2024-01-01\n")
    assert cli("rates", "import", str(deck), "--workspace", "acme", "--json").json() == {
        "imported": 1,
        "workspace": "acme",
    }
    cli("fx", "set", "EUR", "1.0832", "--from", "2024-01-01T00:00:00Z").ok()
    assert cli("fx", "list", "--json").json() == [
        {"currency": "EUR", "rate": "1.0832", "effectiveFrom": "2024-01-01T00:00:00Z"}
    ]
    pipeline = Pipeline(migrated)
    pipeline.process(
        [
            _raw("rated", OWN, "919812345678", "2024-03-10T10:00:00Z", 10),
            _raw("nigeria", OWN, "2348031234567", "2024-03-10T11:00:00Z", 90),
            _raw("stranger", "14155550100", "919812345678", "2024-03-10T12:00:00Z", 30),
        ]
    )
    assert cli("rates", "unrated", "--workspace", "acme", "--json").json() == [
        {"direction": "out", "prefix": "234803", "calls": 1, "talkSeconds": 90}
    ]
    unrouted = cli("cdr", "unrouted", "--json").json()
    assert unrouted["total"] == 1
    assert [c["callid"] for c in unrouted["cdrs"]] == ["stranger"]

    deck.write_text("234,0.06,60+60,out,2024-01-01\n")
    cli("rates", "import", str(deck), "--workspace", "acme").ok()
    window = ("--from", "2024-03-01T00:00:00Z", "--to", "2024-04-01T00:00:00Z")
    report = cli("rerate", "--workspace", "acme", *window, "--json").json()
    assert report == {
        "examined": 2,
        "changed": 1,
        "payBefore": "0.000000",
        "payAfter": "0.120000",
        "statusChanges": {"unrated->rated": 1},
    }
    assert cli("rerate", "--workspace", "acme", *window, "--json").json()["changed"] == 0
    assert _pays(migrated) == {"rated": (12800, "rated"), "nigeria": (120000, "rated")}

    cli("number", "add", "14155550100", "--workspace", "acme").ok()
    reprocessed = cli("cdr", "reprocess", "--json").json()
    assert (reprocessed["routed"], reprocessed["remaining"]) == (1, 0)
    assert _pays(migrated)["stranger"][1] == "rated"


def test_purge_of_one_workspace_leaves_the_others(cli: Cli, migrated: Engine) -> None:
    cli("workspace", "create", "acme").ok()
    cli("workspace", "create", "other").ok()
    cli("number", "add", OWN, "--workspace", "acme").ok()
    cli("number", "add", "442071838750", "--workspace", "other").ok()
    Pipeline(migrated).process(
        [
            _raw("acme-old", OWN, "919812345678", "2023-05-10T10:00:00Z", 10),
            _raw("other-old", "442071838750", "919812345678", "2023-05-10T10:00:00Z", 10),
        ]
    )
    done = cli("purge", "--before", "2024-01-01", "--workspace", "acme", "--yes").ok()
    assert done.stdout.startswith("removed 1 of workspace acme's call records that started")
    assert set(_pays(migrated)) == {"other-old"}
    unknown = cli("purge", "--before", "2024-01-01", "--workspace", "nope", "--yes")
    assert unknown.returncode == 1
    assert "no workspace named 'nope'" in unknown.stderr


def test_purge_says_what_it_removed(cli: Cli, migrated: Engine) -> None:
    cli("workspace", "create", "acme").ok()
    cli("number", "add", OWN, "--workspace", "acme").ok()
    Pipeline(migrated).process(
        [
            _raw("old", OWN, "919812345678", "2023-05-10T10:00:00Z", 10),
            _raw("new", OWN, "919812345678", "2024-05-10T10:00:00Z", 10),
        ]
    )
    unconfirmed = cli("purge", "--before", "2024-01-01")  # stdin is not a terminal here
    assert unconfirmed.returncode == 2
    assert unconfirmed.stderr == (
        "error: purge removes every workspace's call records for good: pass --yes to confirm\n"
    )
    assert set(_pays(migrated)) == {"old", "new"}
    report = cli("purge", "--before", "2024-01-01", "--yes", "--json").json()
    assert report["records"] == 1
    assert report["before"] == "2024-01-01T00:00:00+00:00"
    assert set(_pays(migrated)) == {"new"}
    bad = cli("purge", "--before", "yesterday", "--yes")
    assert bad.returncode != 0
    assert bad.stderr.startswith("error: --before is not a date or an instant: ")
