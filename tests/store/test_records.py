"""Storing call records: dedupe per (workspace, callid), exact money, both backends."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from callrec.store import accounts
from callrec.store.records import count_records, insert_records, page_rows
from callrec.wire.money import MoneyError, format_micros, plain
from callrec.wire.times import parse_iso_instant
from tests.helpers import make_record

START = "2024-01-01T09:00:00Z"
WIDE = (
    parse_iso_instant("1900-01-01T00:00:00Z").micros,
    parse_iso_instant("9999-12-31T23:59:59Z").micros,
)


def workspace(engine: Engine, name: str = "acme") -> int:
    return accounts.create_workspace(engine, name, "EUR").id


def rows_of(engine: Engine, workspace_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        return {r.callid: r for r in page_rows(conn, workspace_id, *WIDE, 0, 1000)}


def test_a_callid_already_stored_is_a_duplicate_and_the_first_record_stays(
    engine: Engine,
) -> None:
    ws = workspace(engine)
    with engine.begin() as conn:
        first = insert_records(conn, ws, [make_record("a", START), make_record("b", START)])
    assert (first.inserted, first.duplicates, first.inserted_callids) == (2, 0, {"a", "b"})

    again = [make_record("a", "2024-02-01T00:00:00Z", pay=Decimal("9")), make_record("c", START)]
    with engine.begin() as conn:
        second = insert_records(conn, ws, again)
    assert (second.inserted, second.duplicates, second.inserted_callids) == (1, 1, {"c"})
    rows = rows_of(engine, ws)
    assert set(rows) == {"a", "b", "c"}
    assert rows["a"].pay_micros == 12_832  # the first "a", not the later one
    assert rows["a"].start_us == parse_iso_instant(START).micros


def test_a_callid_repeated_within_one_batch_is_stored_once(engine: Engine) -> None:
    ws = workspace(engine)
    batch = [make_record("a", START), make_record("a", START), make_record("b", START)]
    with engine.begin() as conn:
        outcome = insert_records(conn, ws, batch)
    assert (outcome.inserted, outcome.duplicates) == (2, 1)
    with engine.connect() as conn:
        assert count_records(conn, ws) == 2


def test_the_same_callid_in_two_workspaces_is_two_records(engine: Engine) -> None:
    acme, beta = workspace(engine, "acme"), workspace(engine, "beta")
    with engine.begin() as conn:
        assert insert_records(conn, acme, [make_record("x", START)]).inserted == 1
        assert insert_records(conn, beta, [make_record("x", START)]).inserted == 1
    assert set(rows_of(engine, acme)) == set(rows_of(engine, beta)) == {"x"}


def test_an_empty_batch_stores_nothing(engine: Engine) -> None:
    ws = workspace(engine)
    with engine.begin() as conn:
        outcome = insert_records(conn, ws, [])
    assert (outcome.inserted, outcome.duplicates, outcome.inserted_callids) == (0, 0, frozenset())


def test_money_and_rates_round_trip_exactly(engine: Engine) -> None:
    ws = workspace(engine)
    record = make_record(
        "m",
        START,
        pay=Decimal("123456789.123456"),
        customer_rate=Decimal("0.123456789012"),
        currency="EUR",
        quote_exchange=Decimal("1.08320000"),
        settle_rate=Decimal("0.133728"),
        settle_pay=Decimal("9223372036854.775807"),  # the largest amount storage holds
    )
    with engine.begin() as conn:
        insert_records(conn, ws, [record])
    row = rows_of(engine, ws)["m"]
    assert row.pay_micros == 123_456_789_123_456
    assert format_micros(row.pay_micros) == "123456789.123456"
    assert row.customer_rate == "0.123456789012"
    # plain() drops trailing zeros: the stored and served form of 1.08320000 is "1.0832".
    assert plain(Decimal("1.08320000")) == "1.0832"
    assert row.quote_exchange == "1.0832"
    assert Decimal(row.quote_exchange) == Decimal("1.08320000")
    assert format_micros(row.settle_rate_micros) == "0.133728"
    assert format_micros(row.settle_pay_micros) == "9223372036854.775807"


def test_a_seventh_decimal_place_is_refused_not_rounded(engine: Engine) -> None:
    ws = workspace(engine)
    with engine.begin() as conn, pytest.raises(MoneyError, match="more than 6 decimal places"):
        insert_records(conn, ws, [make_record("p", START, pay=Decimal("0.0128321"))])
    with engine.connect() as conn:
        assert count_records(conn, ws) == 0


def test_records_at_the_ends_of_the_time_range_store_and_page(engine: Engine) -> None:
    ws = workspace(engine)
    edges = {"early": "1970-01-01T00:00:00Z", "before-epoch": "1969-12-31T23:59:59Z",
             "late": "9999-12-31T23:59:58Z"}  # fmt: skip
    with engine.begin() as conn:
        outcome = insert_records(conn, ws, [make_record(c, t) for c, t in edges.items()])
    assert outcome.inserted == 3
    rows = rows_of(engine, ws)
    assert {c: rows[c].start_us for c in edges} == {
        c: parse_iso_instant(t).micros for c, t in edges.items()
    }
