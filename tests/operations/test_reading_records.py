"""The overview and the records operations: scope, the same figures as the store, and a
call's rating trail (the deck row shown only when it is exactly the one that priced it)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine

from callrec.demo.generator import (
    DECK_EFFECTIVE_US,
    DEMO_EXCHANGE,
    OWN_NUMBERS,
    demo_deck,
    generate_cdrs,
)
from callrec.ingest.pipeline import Pipeline
from callrec.ingest.runner import run_ingest
from callrec.operations.actor import CLI, Actor
from callrec.operations.records import call_detail, records_page, records_stream
from callrec.operations.stats import overview
from callrec.rating.billing import ChargedPeriod
from callrec.rating.deck import OUTGOING, RateRow
from callrec.rating.fx import FxRate
from callrec.store import accounts
from callrec.store.errors import NotFound
from callrec.store.rating_data import replace_deck_rows, set_fx_rate
from callrec.store.record_search import RecordFilter
from callrec.store.stats import window_stats
from callrec.wire.money import format_micros
from callrec.wire.times import parse_iso_instant

NOW = parse_iso_instant("2024-05-20T10:00:00Z").micros
OTHER = "globex"


@pytest.fixture
def seeded(engine: Engine) -> accounts.Workspace:
    ws = accounts.create_workspace(engine, "acme", "EUR", "Europe/Berlin")
    accounts.create_workspace(engine, OTHER, "USD")
    for own in OWN_NUMBERS:
        accounts.add_number(engine, own.number, "acme", own.app_id, own.number_type)
    with engine.begin() as conn:
        replace_deck_rows(conn, ws.id, demo_deck())
        set_fx_rate(conn, FxRate("EUR", DECK_EFFECTIVE_US, DEMO_EXCHANGE))
    report = run_ingest(Pipeline(engine), generate_cdrs(300, NOW, days=10))
    assert report.accepted == 300
    return ws


def _other_tenant(engine: Engine) -> Actor:
    return Actor("token:globex", accounts.get_workspace(engine, OTHER).id)


def test_the_overview_is_the_stores_window_stats_in_the_workspaces_zone(
    engine: Engine, seeded: accounts.Workspace
) -> None:
    shown = overview(engine, Actor("token:acme", seeded.id), "acme", "30d", NOW)
    assert shown.window.time_zone == "Europe/Berlin"
    assert shown.window.start_us == parse_iso_instant("2024-04-21T00:00:00+02:00").micros
    with engine.connect() as conn:
        direct = window_stats(
            conn, seeded.id, shown.window.start_us, shown.window.end_us, "day", "Europe/Berlin"
        )
    assert shown.stats.as_json() == direct.as_json()
    assert shown.stats.totals.attempts == 300


def test_another_workspaces_overview_records_and_calls_are_not_found(
    engine: Engine, seeded: accounts.Workspace
) -> None:
    outsider = _other_tenant(engine)
    with pytest.raises(NotFound):
        overview(engine, outsider, "acme", "today", NOW)
    with pytest.raises(NotFound):
        records_page(engine, outsider, "acme", 0, NOW, RecordFilter())
    with pytest.raises(NotFound):
        records_stream(engine, outsider, "acme", 0, NOW, RecordFilter())
    _, page = records_page(engine, CLI, "acme", 0, NOW, RecordFilter(), limit=1)
    callid = page.rows[0][0]
    with pytest.raises(NotFound):
        call_detail(engine, outsider, "acme", callid)
    with pytest.raises(NotFound):
        call_detail(engine, CLI, OTHER, callid)  # the callid is acme's, not globex's


def _an_answered_outgoing_call(engine: Engine) -> str:
    record_filter = RecordFilter(call_source=3, answered=True)
    _, page = records_page(engine, CLI, "acme", 0, NOW, record_filter, limit=1)
    return str(page.rows[0][0])


def test_a_calls_rating_trail_names_the_deck_row_that_priced_it(
    engine: Engine, seeded: accounts.Workspace
) -> None:
    callid = _an_answered_outgoing_call(engine)
    detail = call_detail(engine, CLI, "acme", callid)
    trail = detail.trail
    assert (trail.status, trail.direction, trail.quote_currency) == ("rated", "out", "EUR")
    called = detail.row[4]
    assert trail.rated_digits == called
    assert trail.deck_row is not None
    assert called.startswith(trail.deck_row.prefix)
    assert trail.customer_rate == trail.deck_row.rate
    assert trail.charged_period == str(trail.deck_row.period)
    assert trail.quote_exchange == DEMO_EXCHANGE
    assert trail.settle_pay_micros is not None
    settle = Decimal(format_micros(trail.pay_micros)) * DEMO_EXCHANGE
    assert abs(Decimal(format_micros(trail.settle_pay_micros)) - settle) <= Decimal("0.000001")

    # A later deck change for the same prefix: the row in force now is not what priced it.
    with engine.begin() as conn:
        replace_deck_rows(
            conn,
            seeded.id,
            [RateRow(trail.deck_row.prefix, OUTGOING, 0, Decimal("9.99"), ChargedPeriod(1, 1))],
        )
    changed = call_detail(engine, CLI, "acme", callid).trail
    assert changed.deck_row is None
    assert "changed" in changed.deck_note
    assert changed.customer_rate == trail.customer_rate  # the record keeps what it was rated at


def test_an_unknown_call_is_not_found(engine: Engine, seeded: accounts.Workspace) -> None:
    with pytest.raises(NotFound, match="no call"):
        call_detail(engine, CLI, "acme", "no-such-call\x00")
