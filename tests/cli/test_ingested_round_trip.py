"""Every kind of record ingest stores survives ``fetch`` then ``records import`` (defect 1).

An anonymous caller from Asterisk is stored as "": ``records import`` used to reject it
("caller: is required") although the API serves it and docs/client.md promises the round trip.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from sqlalchemy.engine import Engine

from callrec.ingest.pipeline import Pipeline
from callrec.ingest.runner import run_ingest
from callrec.model import RawCdr
from callrec.rating.billing import ChargedPeriod
from callrec.rating.deck import RateRow
from callrec.rating.fx import FxRate
from callrec.store import accounts
from callrec.store.rating_data import replace_deck_rows, set_fx_rate
from callrec.wire.times import parse_iso_instant
from tests.cli.fetch_support import Remote
from tests.conftest import Tenant
from tests.helpers import RunningServer

OWN = "915027021995"
FROM, TO = "2024-03-10T00:00:00Z", "2024-03-11T00:00:00Z"


def _cdr(callid: str, caller: str, called: str, minute: int, *, answered: bool = True) -> RawCdr:
    start_us = parse_iso_instant(f"2024-03-10T12:{minute:02d}:00Z").micros
    answer_us = start_us + 4_000_000 if answered else None
    return RawCdr(
        callid=callid,
        caller=caller,
        called=called,
        start_us=start_us,
        answer_us=answer_us,
        end_us=(answer_us or start_us) + (75_000_000 if answered else 0),
        talk_seconds=None,
        sip_code="200" if answered else "486",
        hangup_reason="NORMAL_CLEARING" if answered else "USER_BUSY",
        recording_url="https://rec.example/1.mp3" if callid == "out" else "",
        source="asterisk",
    )


KINDS = [
    _cdr("out", OWN, "919812345678", 1),  # outgoing, rated by the deck
    _cdr("anonymous-in", "", OWN, 2),  # Asterisk's anonymous caller: stored as ""
    _cdr("named-in", "anonymous", OWN, 3),  # a caller that is not a number, kept as written
    _cdr("busy", OWN, "919812345678", 4, answered=False),  # failed: 0 s, pay 0
    _cdr("no-rate", OWN, "4420718387500", 5),  # no deck row for 44: stored unrated
    _cdr("in-rated", "919812345678", OWN, 6),  # incoming, rated by the "in" row
]


def test_every_kind_of_ingested_record_imports_back_with_no_loss(
    engine: Engine,
    make_tenant: Callable[..., Tenant],
    start_server: Callable[..., RunningServer],
    database_url: str,
    tmp_path: Path,
) -> None:
    acme = make_tenant("acme", "EUR")
    accounts.add_number(engine, OWN, "acme", app_id="app-1", number_type="MOBILE")
    since = parse_iso_instant("2024-01-01T00:00:00Z").micros
    with engine.begin() as conn:
        replace_deck_rows(
            conn,
            acme.workspace.id,
            [
                RateRow("91", "out", since, Decimal("0.0300"), ChargedPeriod(60, 60)),
                RateRow("91", "in", since, Decimal("0.004"), ChargedPeriod(1, 1)),
            ],
        )
        set_fx_rate(conn, FxRate("EUR", since, Decimal("1.0832")))
    report = run_ingest(Pipeline(engine), KINDS)
    remote = Remote(start_server(), acme, database_url)

    original, copy = tmp_path / "original.jsonl", tmp_path / "copy.jsonl"
    fetched = remote.invoke(["fetch", "--from", FROM, "--to", TO, "-o", str(original)])
    assert fetched.exit_code == 0, fetched.output
    records = [json.loads(line) for line in original.read_text().splitlines()]
    assert report.accepted == len(records) >= 5
    assert {r["caller"] for r in records} >= {"", "anonymous"}

    twin = make_tenant("twin", "EUR")
    imported = remote.invoke(["records", "import", str(original), "--workspace", "twin", "--json"])
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout) == {
        "imported": len(records),
        "duplicates": 0,
        "rejected": [],
    }
    again = remote.invoke(["fetch", "--from", FROM, "--to", TO, "-o", str(copy)], tenant=twin)
    assert again.exit_code == 0, again.output
    assert copy.read_bytes() == original.read_bytes()
