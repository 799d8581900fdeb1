"""The raw-CDR pipeline against a real database: routing, rating, duplicates, quarantine."""

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
from callrec.store import accounts
from callrec.store.quarantine import count_unrouted, iter_unrouted
from callrec.store.rating_data import replace_deck_rows, set_fx_rate
from callrec.store.schema import call_records
from callrec.wire.times import parse_iso_instant

OWN_IN = "915027021995"
OWN_UK = "442071838750"
START = "2024-03-10T12:00:00Z"


def at(text: str) -> int:
    return parse_iso_instant(text).micros


def cdr(
    callid: str,
    caller: str,
    called: str,
    talk: int | None = 10,
    start: str = START,
    answered: bool = True,
) -> RawCdr:
    start_us = at(start)
    answer_us = start_us + 5_000_000 if answered else None
    return RawCdr(
        callid=callid,
        caller=caller,
        called=called,
        start_us=start_us,
        answer_us=answer_us,
        end_us=(answer_us or start_us) + (talk or 0) * 1_000_000,
        talk_seconds=talk,
        sip_code="200" if answered else "486",
        hangup_reason="NORMAL_CLEARING" if answered else "USER_BUSY",
        recording_url="",
        source="test",
    )


@pytest.fixture
def workspaces(engine: Engine) -> dict[str, accounts.Workspace]:
    eur = accounts.create_workspace(engine, "eur-co", "EUR")
    usd = accounts.create_workspace(engine, "usd-co", "USD")
    accounts.add_number(engine, OWN_IN, "eur-co", app_id="app-in")
    accounts.add_number(engine, OWN_UK, "usd-co", app_id="app-uk", number_type="FIXED")
    with engine.begin() as conn:
        replace_deck_rows(
            conn,
            eur.id,
            [
                RateRow(
                    "91",
                    "out",
                    at("2024-01-01T00:00:00Z"),
                    Decimal("0.0128"),
                    ChargedPeriod(60, 60),
                ),
                RateRow(
                    "44", "out", at("2024-01-01T00:00:00Z"), Decimal("0.021"), ChargedPeriod(20, 20)
                ),
                RateRow(
                    "91", "in", at("2024-01-01T00:00:00Z"), Decimal("0.004"), ChargedPeriod(60, 60)
                ),
            ],
        )
        replace_deck_rows(
            conn,
            usd.id,
            [
                RateRow(
                    "44", "any", at("2024-01-01T00:00:00Z"), Decimal("0.01"), ChargedPeriod(1, 1)
                )
            ],
        )
        set_fx_rate(conn, FxRate("EUR", at("2024-01-01T00:00:00Z"), Decimal("1.0832")))
    return {"eur": eur, "usd": usd}


def stored(engine: Engine) -> dict[tuple[int, str], dict[str, object]]:
    with engine.connect() as conn:
        rows = conn.execute(select(call_records)).mappings().all()
    return {(r["workspace_id"], r["callid"]): dict(r) for r in rows}


def test_an_outgoing_call_is_routed_rated_and_settled(
    engine: Engine, workspaces: dict[str, accounts.Workspace]
) -> None:
    report = Pipeline(engine).process([cdr("c1", "+91 502 702 1995", "00919812345678", talk=10)])
    assert (report.accepted, report.duplicates, report.quarantined) == (1, 0, 0)
    record = stored(engine)[(workspaces["eur"].id, "c1")]
    assert record["call_source"] == 3
    assert record["number"] == OWN_IN
    assert record["caller"] == OWN_IN
    assert record["called"] == "919812345678"
    assert (record["ccode"], record["country"]) == ("91", "India")
    assert record["app_id"] == "app-in"
    # The vendor's sample: 10 s at 60+60 is charged 60 s.
    assert record["charged_duration"] == 60
    assert record["pay_micros"] == 12800  # 60 * 0.0128 / 60
    assert record["customer_rate"] == "0.0128"
    assert record["quote_exchange"] == "1.0832"
    assert record["settle_rate_micros"] == 13865  # 0.0128 * 1.0832 = 0.01386496
    assert record["settle_pay_micros"] == 13865
    assert record["rating_status"] == "rated"


def test_an_incoming_call_is_rated_on_the_owned_number(
    engine: Engine, workspaces: dict[str, accounts.Workspace]
) -> None:
    Pipeline(engine).process([cdr("c2", "447700900123", OWN_IN, talk=61)])
    record = stored(engine)[(workspaces["eur"].id, "c2")]
    assert record["call_source"] == 2
    assert record["number"] == OWN_IN
    assert record["charged_duration"] == 120
    assert record["pay_micros"] == 8000  # 120 s at 0.004 a minute


def test_a_call_between_two_workspaces_is_stored_for_each(
    engine: Engine, workspaces: dict[str, accounts.Workspace]
) -> None:
    report = Pipeline(engine).process([cdr("c3", OWN_IN, OWN_UK, talk=13)])
    assert report.accepted == 1
    rows = stored(engine)
    outgoing = rows[(workspaces["eur"].id, "c3")]
    incoming = rows[(workspaces["usd"].id, "c3")]
    assert (outgoing["call_source"], outgoing["number"]) == (3, OWN_IN)
    assert (incoming["call_source"], incoming["number"]) == (2, OWN_UK)
    # The vendor's sample: 13 s at 20+20 is charged 20 s.
    assert outgoing["charged_duration"] == 20
    assert incoming["charged_duration"] == 13
    assert incoming["currency"] is None
    assert incoming["settle_pay_micros"] is None


def test_a_call_between_two_numbers_of_one_workspace_is_stored_once_as_outgoing(
    engine: Engine, workspaces: dict[str, accounts.Workspace]
) -> None:
    accounts.add_number(engine, "915027021996", "eur-co")
    Pipeline(engine).process([cdr("c4", OWN_IN, "915027021996")])
    rows = [r for key, r in stored(engine).items() if key[1] == "c4"]
    assert [(r["call_source"], r["number"]) for r in rows] == [(3, OWN_IN)]


def test_an_unrated_call_is_stored_with_zero_pay_and_flagged(
    engine: Engine, workspaces: dict[str, accounts.Workspace]
) -> None:
    Pipeline(engine).process([cdr("c5", OWN_IN, "2348031234567", talk=75)])
    record = stored(engine)[(workspaces["eur"].id, "c5")]
    assert record["rating_status"] == "unrated"
    assert (record["customer_rate"], record["pay_micros"]) == ("0", 0)
    assert record["charged_period"] is None
    assert record["charged_duration"] == 75


def test_without_an_exchange_rate_the_settle_fields_stay_null_and_flagged(
    engine: Engine, workspaces: dict[str, accounts.Workspace]
) -> None:
    Pipeline(engine).process([cdr("c6", OWN_IN, "919812345678", start="2023-06-01T00:00:00Z")])
    # The deck is not in force in 2023 either: unrated, and no exchange rate.
    Pipeline(engine).process([cdr("c7", OWN_IN, "919812345678", start="2024-01-01T00:00:00Z")])
    with engine.begin() as conn:
        set_fx_rate(conn, FxRate("EUR", at("2024-02-01T00:00:00Z"), Decimal("1.1")))
    record = stored(engine)[(workspaces["eur"].id, "c7")]
    assert record["rating_status"] == "rated"  # 2024-01-01 has the 1.0832 rate
    with engine.begin() as conn:
        replace_deck_rows(
            conn,
            workspaces["eur"].id,
            [
                RateRow(
                    "91", "out", at("2023-01-01T00:00:00Z"), Decimal("0.01"), ChargedPeriod(60, 60)
                )
            ],
        )
    Pipeline(engine).process([cdr("c8", OWN_IN, "919812345678", start="2023-06-01T00:00:00Z")])
    record = stored(engine)[(workspaces["eur"].id, "c8")]
    assert record["rating_status"] == "no_fx"
    assert record["pay_micros"] == 10000
    assert record["currency"] == "EUR"
    assert (
        record["quote_exchange"],
        record["settle_rate_micros"],
        record["settle_pay_micros"],
    ) == (
        None,
        None,
        None,
    )


def test_talk_time_is_end_minus_answer_rounded_up_when_not_given(
    engine: Engine, workspaces: dict[str, accounts.Workspace]
) -> None:
    base = cdr("c9", OWN_IN, "919812345678", talk=None)
    assert base.answer_us is not None
    fractional = RawCdr(**{**_fields(base), "end_us": base.answer_us + 60_000_001})
    never_answered = cdr("c10", OWN_IN, "919812345678", talk=None, answered=False)
    Pipeline(engine).process([fractional, never_answered])
    rows = stored(engine)
    assert rows[(workspaces["eur"].id, "c9")]["call_duration"] == 61
    assert rows[(workspaces["eur"].id, "c9")]["charged_duration"] == 120
    assert rows[(workspaces["eur"].id, "c10")]["call_duration"] == 0
    assert rows[(workspaces["eur"].id, "c10")]["charged_duration"] == 0


def _fields(raw: RawCdr) -> dict[str, object]:
    return {name: getattr(raw, name) for name in RawCdr.__dataclass_fields__}


def test_a_repeated_callid_is_a_duplicate_and_a_changed_repeat_a_conflict(
    engine: Engine, workspaces: dict[str, accounts.Workspace]
) -> None:
    pipeline = Pipeline(engine)
    first = pipeline.process([cdr("d1", OWN_IN, "919812345678", talk=10)])
    again = pipeline.process(
        [
            cdr("d1", OWN_IN, "919812345678", talk=10),
            cdr("d1", OWN_IN, "919812345678", talk=99),
            cdr("d2", OWN_IN, "919812345678", talk=5),
            cdr("d2", OWN_IN, "919812345678", talk=6),
        ]
    )
    assert (first.accepted, first.duplicates) == (1, 0)
    assert (again.accepted, again.duplicates, again.conflicts) == (1, 3, 2)
    rows = stored(engine)
    assert rows[(workspaces["eur"].id, "d1")]["call_duration"] == 10  # the first version stays
    assert rows[(workspaces["eur"].id, "d2")]["call_duration"] == 5


def test_unrouted_cdrs_are_quarantined_once_and_reprocessed_when_their_number_arrives(
    engine: Engine, workspaces: dict[str, accounts.Workspace]
) -> None:
    pipeline = Pipeline(engine)
    report = pipeline.process([cdr("u1", "14155550100", "919812345678"), cdr("u2", "x", "y")])
    assert report.quarantined == 2
    pipeline.process([cdr("u1", "14155550100", "919812345678")])  # the switch retried
    with engine.connect() as conn:
        assert count_unrouted(conn) == 2
    accounts.add_number(engine, "14155550100", "usd-co")
    routed = [pipeline.process(chunk, release_routed=True) for chunk in iter_unrouted(engine)]
    assert sum(r.accepted for r in routed) == 1
    with engine.connect() as conn:
        assert count_unrouted(conn) == 1  # u2 still has no owner
    assert (workspaces["usd"].id, "u1") in stored(engine)
