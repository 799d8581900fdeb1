"""A workspace with numbers and a rate deck, and what the store holds afterwards."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from callrec.rating.billing import ChargedPeriod
from callrec.rating.deck import RateRow
from callrec.store import accounts
from callrec.store.rating_data import replace_deck_rows
from callrec.store.schema import call_records, unrouted_cdrs
from callrec.wire.times import parse_iso_instant

OWNED_NUMBER = "915027021995"
OUT_RATE = Decimal("0.012832")
IN_RATE = Decimal("0.005")


def set_up_acme(engine: Engine) -> accounts.Workspace:
    """Workspace ``acme`` (USD) owning +91 502 702 1995, rated 60+60 both ways on +91."""
    workspace = accounts.create_workspace(engine, "acme", "USD")
    accounts.add_number(engine, "+" + OWNED_NUMBER, "acme", app_id="app-1", number_type="MOBILE")
    since = parse_iso_instant("2023-01-01T00:00:00Z").micros
    period = ChargedPeriod(60, 60)
    with engine.begin() as conn:
        replace_deck_rows(
            conn,
            workspace.id,
            [
                RateRow("91", "out", since, OUT_RATE, period),
                RateRow("91", "in", since, IN_RATE, period),
            ],
        )
    return workspace


def stored(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(call_records)).mappings().all()
    return {row["callid"]: dict(row) for row in rows}


def quarantined(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(unrouted_cdrs)).mappings().all()
    return {row["callid"]: dict(row) for row in rows}


def cdr_json(callid: str, **changes: Any) -> dict[str, Any]:
    """A raw CDR as /ingest/cdrs and JSON Lines take it: an answered call from acme's number."""
    return {
        "callid": callid,
        "caller": "+915027021995",
        "called": "+919812345678",
        "startTime": "2024-01-01T09:00:00Z",
        "answerTime": "2024-01-01T09:00:05Z",
        "endTime": "2024-01-01T09:01:07Z",
        "sipCode": "200",
        "hangupReason": "NORMAL_CLEARING",
    } | changes
