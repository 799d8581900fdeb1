"""A routed CDR priced for one workspace, in the form the store writes (``StoredRecord``).

Two paths that give the same row (tests/ingest/test_pricing_paths.py): the Decimal path
(``price``: ``rating.rater.price_call``, then ``check_record`` and ``record_row``), which is
the reference and words every rejection, and the hot path, which prices in integer
micro-units (``rating.micros``) and checks only what rating derived. The hot path needs the
raw CDR to have passed ``check_raw_cdr`` (every text and instant it copies is then storable)
and falls back to the Decimal path wherever it cannot answer: a rate or amount outside its
proven domain, a duration beyond 32 bits, or a text of the owner's, the deck's or the country
table's it has not yet seen to be storable.
"""

from __future__ import annotations

from callrec.ingest.enrich import country_of, number_type_of
from callrec.ingest.field_error import FieldError
from callrec.ingest.routing import Route
from callrec.ingest.storable import MAX_INT32, check_record, storable_text
from callrec.model import CallRecord, RawCdr
from callrec.rating.deck import RateDeck
from callrec.rating.fx import FxTable
from callrec.rating.micros import MicroRater
from callrec.rating.rater import price_call, rated_digits
from callrec.store.records import StoredRecord, record_row

_MAX_KNOWN_TEXTS = 65_536


def price(
    cdr: RawCdr, caller: str, called: str, route: Route, deck: RateDeck, fx: FxTable
) -> CallRecord:
    """The reference: the call priced in Decimal arithmetic."""
    owner = route.owner
    talk = cdr.talk_time()
    pricing = price_call(
        talk,
        route.direction,
        rated_digits(route.direction, owner.number, called),
        cdr.start_us,
        deck,
        owner.currency,
        fx,
    )
    country = country_of(called)
    return CallRecord(
        callid=cdr.callid,
        number=owner.number,
        number_type=owner.type or number_type_of(owner.number),
        caller=caller,
        called=called,
        ccode=country.ccode,
        country=country.name,
        call_source=route.call_source,
        call_duration=talk,
        charged_duration=pricing.charged_duration,
        start_us=cdr.start_us,
        end_us=cdr.end_us,
        pay=pricing.pay,
        sip_code=cdr.sip_code,
        recording_url=cdr.recording_url,
        hangup_reason=cdr.hangup_reason,
        app_id=owner.app_id,
        charged_period=pricing.charged_period,
        customer_rate=pricing.customer_rate,
        currency=pricing.currency,
        quote_exchange=pricing.quote_exchange,
        settle_rate=pricing.settle_rate,
        settle_pay=pricing.settle_pay,
        rating_status=pricing.status,
    )


def priced_row(
    cdr: RawCdr, caller: str, called: str, route: Route, deck: RateDeck, fx: FxTable
) -> StoredRecord:
    """The Decimal path to the stored row; FieldError names the first unstorable value."""
    record = price(cdr, caller, called, route, deck, fx)
    check_record(record)
    return record_row(route.owner.workspace_id, record)


class RecordPricer:
    """Prices routed CDRs into stored rows, by the hot path where it can (module docstring).

    Remembers the texts it has seen to be storable (owners' numbers and app ids, country
    names, currencies: a few hundred in practice, bounded all the same).
    """

    def __init__(self) -> None:
        self._storable: set[str | None] = {None}

    def row(
        self,
        cdr: RawCdr,
        caller: str,
        called: str,
        route: Route,
        rater: MicroRater,
        fx: FxTable,
    ) -> StoredRecord:
        owner = route.owner
        talk = cdr.talk_time()
        direction = route.direction
        pricing = (
            rater.price(
                talk,
                direction,
                rated_digits(direction, owner.number, called),
                cdr.start_us,
                owner.currency,
                fx,
            )
            if talk <= MAX_INT32
            else None
        )
        if pricing is not None and pricing.charged_duration <= MAX_INT32:
            country = country_of(called)
            number_type = owner.type or number_type_of(owner.number)
            texts = (owner.number, number_type, country.ccode, country.name, owner.app_id,
                     pricing.currency)  # fmt: skip
            if self._storable.issuperset(texts) or self._learn(texts):
                return StoredRecord(
                    owner.workspace_id, cdr.callid, cdr.start_us, cdr.end_us, owner.number,
                    number_type, caller, called, country.ccode, country.name,
                    route.call_source, talk, pricing.charged_duration, pricing.pay_micros,
                    cdr.sip_code, cdr.recording_url, cdr.hangup_reason, owner.app_id,
                    pricing.charged_period, pricing.customer_rate, pricing.currency,
                    pricing.quote_exchange, pricing.settle_rate_micros,
                    pricing.settle_pay_micros, pricing.status,
                )  # fmt: skip
        return priced_row(cdr, caller, called, route, rater.deck, fx)

    def _learn(self, texts: tuple[str | None, ...]) -> bool:
        """Whether every text is storable; if so, remembered as such."""
        try:
            for text in texts:
                if text is not None:
                    storable_text(text, "")
        except FieldError:
            return False
        if len(self._storable) >= _MAX_KNOWN_TEXTS:
            self._storable = {None}
        self._storable.update(texts)
        return True
