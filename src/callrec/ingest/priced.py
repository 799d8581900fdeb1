"""Records already priced elsewhere, in the contract's own record form (JSON Lines).

The prices are kept as given; only their form is checked. Decisions (docs/operations.md):
- ``number`` is normalised to E.164 digits; ``caller``/``called`` are kept as written, and
  may be "" (an anonymous caller), as ingest stores and the API serves them.
- ``currency`` "USD" is stored as null (the contract's form for USD); with a USD or absent
  currency the settle fields must be absent or null.
- ``pay``, ``SeptleRate`` and ``SettlePay`` may have at most 6 decimal places: callrec stores
  them exactly and does not round what another system charged.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from callrec.ingest.fields import (
    FieldError,
    decimal,
    integer,
    iso_instant,
    party_text,
    required_text,
    text,
)
from callrec.ingest.storable import check_record
from callrec.model import CallRecord
from callrec.phone import NumberFormatError, normalise_number
from callrec.rating.billing import BillingError, ChargedPeriod
from callrec.store.accounts import normalise_currency
from callrec.store.errors import InvalidValue
from callrec.store.numbers import NUMBER_TYPES
from callrec.wire.money import MoneyError, plain, to_micros

_decoder = msgspec.json.Decoder(float_hook=Decimal)
# Rates are stored as text of at most 40 characters (money's bounds are to_micros's).
# A value beyond them is the item's fault and must not fail the batch it travels in.
MAX_RATE_CHARACTERS = 40


class ItemRejected(ValueError):
    """An item cannot be stored; the message says why, naming the field."""


def _money(item: dict[str, Any], field: str, *, required: bool) -> Decimal | None:
    value = decimal(item, field, required=required)
    if value is None:
        return None
    if value < 0:
        raise FieldError(field, "must not be negative")
    try:
        to_micros(value)
    except MoneyError as exc:
        raise FieldError(field, str(exc)) from exc
    return value


def _rate(item: dict[str, Any], field: str) -> Decimal | None:
    value = decimal(item, field, required=False)
    if value is not None and value < 0:
        raise FieldError(field, "must not be negative")
    if value is not None and (
        abs(value.adjusted()) > MAX_RATE_CHARACTERS or len(plain(value)) > MAX_RATE_CHARACTERS
    ):
        raise FieldError(field, f"is longer than {MAX_RATE_CHARACTERS} characters")
    return value


def _choice(item: dict[str, Any], field: str, allowed: tuple[str, ...]) -> str | None:
    value = text(item, field, required=False)
    if value is not None and value.upper() not in allowed:
        raise FieldError(field, f"must be one of {', '.join(allowed)}")
    return None if value is None else value.upper()


def priced_record(item: dict[str, Any]) -> CallRecord:
    try:
        record = _priced_record(item)
        check_record(record)
        return record
    except FieldError as exc:
        raise ItemRejected(str(exc)) from exc


def _priced_record(item: dict[str, Any]) -> CallRecord:
    callid = required_text(item, "callid", max_length=128)
    try:
        number = normalise_number(required_text(item, "number"))
    except NumberFormatError as exc:
        raise FieldError("number", str(exc)) from exc
    start_us = iso_instant(item, "startTime")
    end_us = iso_instant(item, "endTime")
    if end_us < start_us:
        raise FieldError("endTime", "is earlier than startTime")
    call_source = integer(item, "callSource")
    if call_source not in (2, 3):
        raise FieldError("callSource", "must be 2 (incoming) or 3 (outgoing)")
    ccode = text(item, "ccode", required=False, max_length=8)
    if ccode is not None and not ccode.isdigit():
        raise FieldError("ccode", "must be digits only")
    charged_period = text(item, "chargedPeriod", required=False, max_length=16)
    if charged_period is not None:
        try:
            charged_period = str(ChargedPeriod.parse(charged_period))
        except BillingError as exc:
            raise FieldError("chargedPeriod", str(exc)) from exc
    currency = text(item, "currency", required=False, max_length=3)
    if currency is not None:
        try:
            currency = normalise_currency(currency)
        except InvalidValue as exc:
            raise FieldError("currency", str(exc)) from exc
        if currency == "USD":
            currency = None
    quote_exchange = _rate(item, "QuoteExchange")
    settle_rate = _money(item, "SeptleRate", required=False)
    settle_pay = _money(item, "SettlePay", required=False)
    if currency is None:
        for field, value in (
            ("QuoteExchange", quote_exchange),
            ("SeptleRate", settle_rate),
            ("SettlePay", settle_pay),
        ):
            if value is not None:
                raise FieldError(field, "must be null when the quote currency is USD")
    pay = _money(item, "pay", required=True)
    assert pay is not None
    return CallRecord(
        callid=callid,
        number=number,
        number_type=_choice(item, "type", NUMBER_TYPES),
        caller=party_text(item, "caller", max_length=64),
        called=party_text(item, "called", max_length=64),
        ccode=ccode,
        country=text(item, "country", required=False, max_length=64),
        call_source=call_source,
        call_duration=integer(item, "callDuration"),
        charged_duration=integer(item, "chargedDuration"),
        start_us=start_us,
        end_us=end_us,
        pay=pay,
        sip_code=text(item, "sipCode", required=False, max_length=8),
        recording_url=text(item, "recordingFileUrl", required=False, max_length=2048) or "",
        hangup_reason=text(item, "hangupReason", required=False, max_length=64),
        app_id=text(item, "appId", required=False, max_length=64),
        charged_period=charged_period,
        customer_rate=_rate(item, "customerRate"),
        currency=currency,
        quote_exchange=quote_exchange,
        settle_rate=settle_rate,
        settle_pay=settle_pay,
    )


def decode_line(line: bytes) -> dict[str, Any]:
    try:
        item = _decoder.decode(line)
    except msgspec.DecodeError as exc:
        raise ItemRejected(f"not valid JSON: {exc}") from exc
    if not isinstance(item, dict):
        raise ItemRejected("a record must be a JSON object")
    return item
