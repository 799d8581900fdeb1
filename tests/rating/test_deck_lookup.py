from __future__ import annotations

from decimal import Decimal

import pytest

from callrec.rating.billing import ChargedPeriod
from callrec.rating.deck import RateDeck, RateRow
from callrec.rating.deck_csv import parse_deck
from callrec.rating.fx import FxRate, FxTable
from callrec.wire.times import parse_iso_instant

P60 = ChargedPeriod(60, 60)


def at(text: str) -> int:
    return parse_iso_instant(text).micros


def row(prefix: str, direction: str, rate: str, effective: str = "2024-01-01T00:00:00Z") -> RateRow:
    return RateRow(prefix, direction, at(effective), Decimal(rate), P60)


def test_the_longest_matching_prefix_wins() -> None:
    deck = RateDeck(
        [row("91", "out", "0.01"), row("9198", "out", "0.02"), row("919", "out", "0.03")]
    )
    found = deck.lookup("919812345678", "out", at("2024-06-01T00:00:00Z"))
    assert found is not None
    assert found.rate == Decimal("0.02")


def test_a_row_of_the_calls_direction_beats_an_any_row_of_the_same_prefix() -> None:
    deck = RateDeck([row("44", "any", "0.05"), row("44", "in", "0.01")])
    incoming = deck.lookup("447700900123", "in", at("2024-06-01T00:00:00Z"))
    outgoing = deck.lookup("447700900123", "out", at("2024-06-01T00:00:00Z"))
    assert incoming is not None
    assert incoming.rate == Decimal("0.01")
    assert outgoing is not None
    assert outgoing.rate == Decimal("0.05")


def test_a_longer_any_prefix_beats_a_shorter_prefix_of_the_own_direction() -> None:
    deck = RateDeck([row("44", "out", "0.05"), row("447", "any", "0.09")])
    found = deck.lookup("447700900123", "out", at("2024-06-01T00:00:00Z"))
    assert found is not None
    assert found.rate == Decimal("0.09")


def test_the_row_in_force_at_the_calls_start_applies() -> None:
    deck = RateDeck(
        [
            row("91", "out", "0.01", "2024-01-01T00:00:00Z"),
            row("91", "out", "0.02", "2024-03-01T00:00:00Z"),
        ]
    )
    before = deck.lookup("919812345678", "out", at("2024-02-29T23:59:59Z"))
    on_the_dot = deck.lookup("919812345678", "out", at("2024-03-01T00:00:00Z"))
    assert before is not None
    assert before.rate == Decimal("0.01")
    assert on_the_dot is not None
    assert on_the_dot.rate == Decimal("0.02")
    assert deck.lookup("919812345678", "out", at("2023-12-31T23:59:59Z")) is None


def test_a_prefix_not_yet_in_force_falls_back_to_a_shorter_one() -> None:
    deck = RateDeck(
        [
            row("91", "out", "0.01", "2024-01-01T00:00:00Z"),
            row("9198", "out", "0.02", "2025-01-01T00:00:00Z"),
        ]
    )
    found = deck.lookup("919812345678", "out", at("2024-06-01T00:00:00Z"))
    assert found is not None
    assert found.rate == Decimal("0.01")


def test_no_matching_prefix_is_none() -> None:
    assert (
        RateDeck([row("91", "out", "0.01")]).lookup("4477", "out", at("2024-06-01T00:00:00Z"))
        is None
    )
    assert RateDeck([]).lookup("4477", "out", at("2024-06-01T00:00:00Z")) is None


def test_exchange_rates_apply_from_their_effective_moment() -> None:
    table = FxTable(
        [
            FxRate("EUR", at("2024-01-01T00:00:00Z"), Decimal("1.08")),
            FxRate("EUR", at("2024-02-01T00:00:00Z"), Decimal("1.10")),
        ]
    )
    assert table.rate_at("EUR", at("2023-12-31T00:00:00Z")) is None
    assert table.rate_at("EUR", at("2024-01-31T23:59:59Z")) == Decimal("1.08")
    assert table.rate_at("EUR", at("2024-02-01T00:00:00Z")) == Decimal("1.10")
    assert table.rate_at("GBP", at("2024-02-01T00:00:00Z")) is None


def test_deck_csv_reads_a_header_dates_and_plus_prefixes() -> None:
    rows, errors = parse_deck(
        [
            "prefix,rate,chargedPeriod,direction,effectiveFrom\n",
            "+91,0.0128,60+60,out,2024-01-01\n",
            "44,0.021,1+1,ANY,2024-01-01T00:00:00+01:00\n",
        ]
    )
    assert errors == []
    assert [(r.prefix, r.direction, r.rate, str(r.period)) for r in rows] == [
        ("91", "out", Decimal("0.0128"), "60+60"),
        ("44", "any", Decimal("0.021"), "1+1"),
    ]
    assert rows[0].effective_from_us == at("2024-01-01T00:00:00Z")
    assert rows[1].effective_from_us == at("2023-12-31T23:00:00Z")


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("9x,0.01,60+60,out,2024-01-01", "prefix"),
        ("91,abc,60+60,out,2024-01-01", "rate"),
        ("91,-0.01,60+60,out,2024-01-01", "rate"),
        ("91,1e-3,60+60,out,2024-01-01", "rate"),
        ("91,0.01,60,out,2024-01-01", "chargedPeriod"),
        ("91,0.01,60+0,out,2024-01-01", "chargedPeriod"),
        ("91,0.01,60+60,both,2024-01-01", "direction"),
        ("91,0.01,60+60,out,2024-01-01T00:00:00", "effectiveFrom"),
        ("91,0.01,60+60,out", "columns"),
    ],
)
def test_deck_csv_names_the_bad_column(line: str, problem: str) -> None:
    rows, errors = parse_deck(["91,0.01,60+60,out,2024-01-01\n", line + "\n"])
    assert len(rows) == 1
    assert len(errors) == 1
    assert errors[0].line == 2
    assert problem in errors[0].reason


def test_deck_csv_refuses_a_repeated_key() -> None:
    _rows, errors = parse_deck(["91,0.01,60+60,out,2024-01-01\n", "91,0.02,60+60,out,2024-01-01\n"])
    assert [(e.line, "line 1" in e.reason) for e in errors] == [(2, True)]
