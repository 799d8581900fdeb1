"""The ingest hot path (``RecordPricer.row``) stores exactly what the Decimal path
(``priced_row``: price, check_record, record_row) stores, or rejects with the same words.

Both paths are given the same routed CDR, one that passed ``check_raw_cdr`` as every CDR the
pipeline prices has; owners, decks and exchange rates are drawn wide enough to reach every
fallback (unstorable owner texts, durations beyond 32 bits, amounts beyond 64-bit micros).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from callrec.ingest.field_error import FieldError
from callrec.ingest.pricing import RecordPricer, priced_row
from callrec.ingest.routing import Route
from callrec.ingest.storable import check_raw_cdr
from callrec.model import RawCdr
from callrec.rating.billing import ChargedPeriod
from callrec.rating.deck import RateDeck, RateRow
from callrec.rating.fx import FxRate, FxTable
from callrec.rating.micros import MicroRater
from callrec.store.accounts import NumberOwner
from callrec.store.records import StoredRecord

MICROS = 1_000_000
START_US = 1_700_000_000_000_000


def rates() -> st.SearchStrategy[Decimal]:
    return st.one_of(
        st.integers(0, 10**8).map(lambda m: Decimal(m).scaleb(-6)),
        st.builds(lambda m, e: Decimal(m).scaleb(e), st.integers(0, 10**42), st.integers(-45, 5)),
    )


owners = st.builds(
    NumberOwner,
    number=st.sampled_from(["442071838750", "915027021995", "14155550123"]),
    workspace_id=st.integers(1, 3),
    app_id=st.one_of(st.none(), st.sampled_from(["app", "app\x00nul", "é", "\ud800"])),
    type=st.sampled_from([None, "MOBILE", "FIXED"]),
    currency=st.sampled_from(["USD", "EUR", "INR"]),
)
called_parties = st.sampled_from(["447700900123", "919812345678", "14155550199", "999", "alice"])


@st.composite
def raw_cdrs(draw: st.DrawFn) -> RawCdr:
    answered = draw(st.booleans())
    talk = draw(st.one_of(st.none(), st.integers(0, 2**31 - 1)))
    answer_us = START_US + draw(st.integers(0, 30 * MICROS)) if answered else None
    length_us = draw(st.one_of(st.integers(0, 10**4 * MICROS), st.integers(0, 10**17)))
    end_us = (answer_us or START_US) + length_us
    return RawCdr("c1", "442071838750", "447700900123", START_US, answer_us, end_us, talk, "200",
                  "NORMAL_CLEARING", "", "test")  # fmt: skip


def outcome(price: object) -> StoredRecord | str:
    try:
        return price()  # type: ignore[operator,no-any-return]
    except FieldError as exc:
        return f"rejected: {exc}"


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    raw_cdrs(),
    owners,
    st.sampled_from(["in", "out"]),
    called_parties,
    rates(),
    st.builds(ChargedPeriod, st.integers(0, 99_999), st.integers(1, 99_999)),
    st.one_of(st.none(), rates()),
)
@example(
    RawCdr("c1", "442071838750", "447700900123", START_US, START_US, START_US + 10**17, None,
           "200", "NORMAL_CLEARING", "", "test"),  # talk beyond 32 bits
    NumberOwner("442071838750", 1, "app", None, "EUR"), "out", "447700900123",
    Decimal("0.0128"), ChargedPeriod(60, 60), Decimal("1.0832"),
)  # fmt: skip
@example(
    RawCdr("c1", "442071838750", "447700900123", START_US, None, START_US, 2**31 - 1, "200",
           "NORMAL_CLEARING", "", "test"),  # charged beyond 32 bits by the period
    NumberOwner("442071838750", 1, "app\x00nul", None, "EUR"), "out", "447700900123",
    Decimal("0.0128"), ChargedPeriod(60, 99_999), Decimal("1.0832"),
)  # fmt: skip
def test_the_hot_path_stores_what_the_decimal_path_stores(
    cdr: RawCdr,
    owner: NumberOwner,
    direction: str,
    called: str,
    rate: Decimal,
    period: ChargedPeriod,
    exchange: Decimal | None,
) -> None:
    check_raw_cdr(cdr)
    deck = RateDeck(
        [RateRow("44", "any", 0, rate, period), RateRow("91", direction, 0, rate, period)]
    )
    fx = FxTable([] if exchange is None else [FxRate(owner.currency, 0, exchange)])
    route = Route(owner, direction)
    caller = cdr.caller
    fast = outcome(lambda: RecordPricer().row(cdr, caller, called, route, MicroRater(deck), fx))
    reference = outcome(lambda: priced_row(cdr, caller, called, route, deck, fx))
    assert fast == reference


def test_a_pricer_that_saw_a_storable_owner_still_rejects_an_unstorable_one() -> None:
    """The texts it remembers are the storable ones only."""
    deck = RateDeck([RateRow("44", "any", 0, Decimal("0.01"), ChargedPeriod(1, 1))])
    fx = FxTable([])
    cdr = RawCdr("c1", "442071838750", "447700900123", START_US, None, START_US, 60, "200",
                 "NORMAL_CLEARING", "", "test")  # fmt: skip
    pricer, rater = RecordPricer(), MicroRater(deck)
    good = NumberOwner("442071838750", 1, "app", None, "USD")
    bad = NumberOwner("442071838750", 1, "app\x00", None, "USD")
    assert pricer.row(cdr, cdr.caller, cdr.called, Route(good, "out"), rater, fx).app_id == "app"
    with pytest.raises(FieldError, match="appId"):
        pricer.row(cdr, cdr.caller, cdr.called, Route(bad, "out"), rater, fx)
