"""Rating outside the write transaction: no write lock while rating, and nothing stored
priced by a deck or exchange rate that changed between rating and storing."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine

from callrec.ingest.items import Rejected
from callrec.ingest.pipeline import Pipeline
from callrec.ingest.rated import RatedCdr
from callrec.rating.billing import ChargedPeriod
from callrec.rating.deck import RateRow
from callrec.rating.fx import FxRate
from callrec.store import accounts
from callrec.store.rating_data import replace_deck_rows, set_fx_rate
from tests.ingest.test_pipeline import OWN_IN, at, cdr, stored
from tests.ingest.test_pipeline import workspaces as workspaces  # a fixture


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_rating_needs_no_write_lock(
    engine: Engine, workspaces: dict[str, accounts.Workspace]
) -> None:
    other_writer = sqlite3.connect(str(engine.url.database), isolation_level=None)
    try:
        other_writer.execute("BEGIN IMMEDIATE")  # another process is storing its batch
        rated = Pipeline(engine).rate([cdr("r1", OWN_IN, "919812345678", talk=10)])
        other_writer.execute("COMMIT")
    finally:
        other_writer.close()
    assert [len(item.records) for item in rated] == [1]
    pipeline = Pipeline(engine)
    report = pipeline.store(rated)
    assert report.accepted == 1


def test_a_deck_changed_between_rating_and_storing_prices_the_record_again(
    engine: Engine, workspaces: dict[str, accounts.Workspace]
) -> None:
    pipeline = Pipeline(engine)
    rated = pipeline.rate([cdr("x1", OWN_IN, "919812345678", talk=10)])
    assert rated[0].records[0].customer_rate == "0.0128"
    with engine.begin() as conn:
        replace_deck_rows(
            conn,
            workspaces["eur"].id,
            [
                RateRow(
                    "91", "out", at("2024-01-01T00:00:00Z"), Decimal("0.06"), ChargedPeriod(60, 60)
                )
            ],
        )
    report = pipeline.store(rated)
    assert report.accepted == 1
    record = stored(engine)[(workspaces["eur"].id, "x1")]
    assert record["customer_rate"] == "0.06"
    assert record["pay_micros"] == 60_000


def test_an_exchange_rate_changed_between_rating_and_storing_settles_again(
    engine: Engine, workspaces: dict[str, accounts.Workspace]
) -> None:
    pipeline = Pipeline(engine)
    rated = pipeline.rate([cdr("x2", OWN_IN, "919812345678", talk=10)])
    with engine.begin() as conn:
        set_fx_rate(conn, FxRate("EUR", at("2024-03-01T00:00:00Z"), Decimal("2")))
    pipeline.store(rated)
    record = stored(engine)[(workspaces["eur"].id, "x2")]
    assert record["quote_exchange"] == "2"
    assert record["settle_pay_micros"] == 25_600


def test_a_number_added_between_rating_and_storing_leaves_the_cdr_in_the_quarantine(
    engine: Engine, workspaces: dict[str, accounts.Workspace]
) -> None:
    pipeline = Pipeline(engine)
    rated = pipeline.rate([cdr("q1", "14155550100", "919812345678")])
    accounts.add_number(engine, "14155550100", "usd-co")
    report = pipeline.store(rated)
    assert (report.accepted, report.quarantined) == (0, 1)  # as if it arrived a moment earlier


def _deck_rate(engine: Engine, workspace: accounts.Workspace, per_minute: Decimal) -> None:
    row = RateRow("91", "out", at("2024-01-01T00:00:00Z"), per_minute, ChargedPeriod(60, 60))
    with engine.begin() as conn:
        replace_deck_rows(conn, workspace.id, [row])


def test_rating_rejects_an_unstorable_record_by_callid_and_rates_the_rest(
    engine: Engine, workspaces: dict[str, accounts.Workspace]
) -> None:
    _deck_rate(
        engine, workspaces["eur"], Decimal("10000000000000")
    )  # a minute's pay overflows storage
    pipeline = Pipeline(engine)
    rated = pipeline.rate(
        [cdr("big", OWN_IN, "919812345678", talk=10), cdr("in", "919812345678", OWN_IN)]
    )
    assert isinstance(rated[0], Rejected)
    assert (rated[0].item, rated[0].reason) == (
        "callid 'big'",
        "pay: 10000000000000 is too large for money",
    )
    report = pipeline.store(rated)
    assert (report.accepted, [e.item for e in report.rejected]) == (1, ["callid 'big'"])
    assert set(stored(engine)) == {(workspaces["eur"].id, "in")}


def test_a_record_priced_again_under_the_write_lock_is_checked_again(
    engine: Engine, workspaces: dict[str, accounts.Workspace]
) -> None:
    pipeline = Pipeline(engine)
    rated = pipeline.rate([cdr("x3", OWN_IN, "919812345678", talk=10)])
    assert isinstance(rated[0], RatedCdr)  # storable as first priced
    _deck_rate(engine, workspaces["eur"], Decimal("10000000000000"))
    report = pipeline.store(rated)
    assert report.accepted == 0
    assert [(e.item, e.reason) for e in report.rejected] == [
        ("callid 'x3'", "pay: 10000000000000 is too large for money")
    ]
    assert stored(engine) == {}
