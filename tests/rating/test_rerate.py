"""Re-pricing a window after a deck or exchange-rate change, against a real database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from callrec.ingest.pipeline import Pipeline
from callrec.model import RawCdr
from callrec.rating.billing import ChargedPeriod
from callrec.rating.deck import RateRow
from callrec.rating.fx import FxRate
from callrec.rating.rerate import rerate
from callrec.store import accounts
from callrec.store.rating_data import replace_deck_rows, set_fx_rate
from callrec.store.records import insert_records
from callrec.store.schema import call_records
from callrec.wire.times import parse_iso_instant
from tests.helpers import make_record

OWN = "915027021995"


def at(text: str) -> int:
    return parse_iso_instant(text).micros


def raw(callid: str, called: str, start: str, talk: int) -> RawCdr:
    start_us = at(start)
    return RawCdr(callid, OWN, called, start_us, start_us, start_us + talk * 1_000_000, talk,
                  "200", "NORMAL_CLEARING", "", "test")  # fmt: skip


def deck_row(prefix: str, rate: str, effective: str = "2024-01-01T00:00:00Z") -> RateRow:
    return RateRow(prefix, "out", at(effective), Decimal(rate), ChargedPeriod(60, 60))


def pays(engine: Engine, workspace_id: int) -> dict[str, tuple[int, str, int | None]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                call_records.c.callid,
                call_records.c.pay_micros,
                call_records.c.rating_status,
                call_records.c.settle_pay_micros,
            ).where(call_records.c.workspace_id == workspace_id)
        ).all()
    return {r.callid: (r.pay_micros, r.rating_status, r.settle_pay_micros) for r in rows}


def test_a_deck_change_then_rerate_reprices_only_the_window_and_is_idempotent(
    engine: Engine,
) -> None:
    ws = accounts.create_workspace(engine, "acme", "EUR")
    accounts.add_number(engine, OWN, "acme")
    with engine.begin() as conn:
        replace_deck_rows(conn, ws.id, [deck_row("91", "0.01")])
        set_fx_rate(conn, FxRate("EUR", at("2024-01-01T00:00:00Z"), Decimal("2")))
    Pipeline(engine).process(
        [
            raw("in-window", "919812345678", "2024-03-10T10:00:00Z", 30),
            raw("unrated", "2348031234567", "2024-03-10T11:00:00Z", 30),
            raw("outside", "919812345678", "2024-04-10T10:00:00Z", 30),
        ]
    )
    with engine.begin() as conn:
        insert_records(
            conn,
            ws.id,
            [make_record("external", "2024-03-10T12:00:00Z", called="919812345678")],
        )
    before = pays(engine, ws.id)
    assert before["in-window"] == (10000, "rated", 20000)
    assert before["unrated"] == (0, "unrated", None)

    with engine.begin() as conn:
        replace_deck_rows(conn, ws.id, [deck_row("91", "0.02"), deck_row("234", "0.06")])
    window = (at("2024-03-01T00:00:00Z"), at("2024-04-01T00:00:00Z"))
    report = rerate(engine, accounts.get_workspace(engine, "acme"), *window)

    assert (report.examined, report.changed) == (2, 2)  # the external record is not examined
    assert report.pay_before == Decimal("0.010000")
    assert report.pay_after == Decimal("0.080000")
    assert report.status_changes == {"unrated->rated": 1}
    after = pays(engine, ws.id)
    assert after["in-window"] == (20000, "rated", 40000)
    assert after["unrated"] == (60000, "rated", 120000)
    assert after["outside"] == before["outside"]
    assert after["external"] == before["external"]

    again = rerate(engine, accounts.get_workspace(engine, "acme"), *window)
    assert (again.examined, again.changed) == (2, 0)
    assert pays(engine, ws.id) == after


def test_rerate_fills_settle_fields_once_an_exchange_rate_exists(engine: Engine) -> None:
    ws = accounts.create_workspace(engine, "acme", "EUR")
    accounts.add_number(engine, OWN, "acme")
    with engine.begin() as conn:
        replace_deck_rows(conn, ws.id, [deck_row("91", "0.0128")])
    Pipeline(engine).process([raw("c1", "919812345678", "2024-03-10T10:00:00Z", 10)])
    assert pays(engine, ws.id)["c1"] == (12800, "no_fx", None)
    with engine.begin() as conn:
        set_fx_rate(conn, FxRate("EUR", at("2024-03-01T00:00:00Z"), Decimal("1.0832")))
    report = rerate(engine, ws, at("2024-03-10T00:00:00Z"), at("2024-03-11T00:00:00Z"))
    assert report.status_changes == {"no_fx->rated": 1}
    assert pays(engine, ws.id)["c1"] == (12800, "rated", 13865)


def test_rerate_walks_chunk_boundaries_with_equal_start_times(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import callrec.rating.rerate as rerate_module

    ws = accounts.create_workspace(engine, "acme", "USD")
    accounts.add_number(engine, OWN, "acme")
    with engine.begin() as conn:
        replace_deck_rows(conn, ws.id, [deck_row("91", "0.01")])
    Pipeline(engine).process(
        [raw(f"c{i:02d}", "919812345678", "2024-03-10T10:00:00Z", 10) for i in range(7)]
    )
    with engine.begin() as conn:
        replace_deck_rows(conn, ws.id, [deck_row("91", "0.03")])
    monkeypatch._unused = None
    original = rerate_module.CHUNK
    rerate_module.CHUNK = 3
    try:
        report = rerate(engine, ws, at("2024-03-10T00:00:00Z"), at("2024-03-11T00:00:00Z"))
    finally:
        rerate_module.CHUNK = original
    assert (report.examined, report.changed) == (7, 7)
    assert {p for p, _s, _sp in pays(engine, ws.id).values()} == {30000}
