"""What every backend can store: the checks an item passes before it reaches the database.

SQLite keeps text and integers PostgreSQL refuses, and a refused value fails the whole batch
in its transaction there. So every item is held to PostgreSQL's limits on both backends, and a
value beyond them rejects its item, naming the field, before the batch is written:

- text: no NUL character (PostgreSQL text cannot hold one) and valid Unicode (a lone
  surrogate, which JSON's ``\\ud800`` escape can produce, has no UTF-8 form);
- instants: from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z (UTC, after the offset
  is applied; monthly partitions and the API's rendering need a calendar date);
- integer columns: 32-bit; money: at most 6 decimal places in signed 64-bit micro-units;
  rates: at most 40 characters written out.
"""

from __future__ import annotations

from datetime import UTC, datetime

from callrec.ingest.field_error import FieldError
from callrec.model import CallRecord, RawCdr
from callrec.wire.money import MoneyError, plain, to_micros
from callrec.wire.times import micros_from_datetime

MIN_INSTANT_US = micros_from_datetime(datetime(1, 1, 1, tzinfo=UTC))
MAX_INSTANT_US = micros_from_datetime(datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC))
MAX_INT32 = 2**31 - 1
MAX_RATE_CHARACTERS = 40


def storable_text(value: str, field: str) -> str:
    if "\x00" in value:
        raise FieldError(field, "must not contain NUL characters")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise FieldError(field, "is not valid Unicode (a lone surrogate)") from exc
    return value


def storable_instant(micros: int, field: str) -> int:
    if not MIN_INSTANT_US <= micros <= MAX_INSTANT_US:
        raise FieldError(field, "is outside the years 1 to 9999 (UTC)")
    return micros


def storable_int32(value: int, field: str) -> int:
    if not -MAX_INT32 - 1 <= value <= MAX_INT32:
        raise FieldError(field, f"{value} is out of range (at most {MAX_INT32})")
    return value


def check_raw_cdr(cdr: RawCdr) -> None:
    """Raise FieldError for the first value of the CDR no backend could store.

    Sources check their fields under their own names as they read them; this is the same
    check once more on the shared shape, so that no source can hand the store a bad value.
    """
    if not _plainly_storable(cdr):
        check_raw_cdr_fields(cdr)


def check_raw_cdr_fields(cdr: RawCdr) -> None:
    """``check_raw_cdr`` field by field, without its shortcut for plainly storable CDRs."""
    for field, text in (
        ("callid", cdr.callid),
        ("caller", cdr.caller),
        ("called", cdr.called),
        ("sipCode", cdr.sip_code),
        ("hangupReason", cdr.hangup_reason),
        ("recordingFileUrl", cdr.recording_url),
    ):
        if text is not None:
            storable_text(text, field)
    for field, micros in (
        ("startTime", cdr.start_us),
        ("answerTime", cdr.answer_us),
        ("endTime", cdr.end_us),
    ):
        if micros is not None:
            storable_instant(micros, field)
    if cdr.talk_seconds is not None:
        storable_int32(cdr.talk_seconds, "callDuration")


def _within(micros: int | None) -> bool:
    return micros is None or MIN_INSTANT_US <= micros <= MAX_INSTANT_US


def _plainly_storable(cdr: RawCdr) -> bool:
    """Whether the CDR passes ``check_raw_cdr`` at a glance: ASCII texts without NUL, and
    every number in range. What is not plainly storable (non-ASCII text, say) is checked
    field by field, which also names the field at fault."""
    texts = "".join(
        (cdr.callid, cdr.caller, cdr.called, cdr.sip_code or "", cdr.hangup_reason or "",
         cdr.recording_url or "")
    )  # fmt: skip
    talk = cdr.talk_seconds
    return (
        texts.isascii()
        and "\x00" not in texts
        and _within(cdr.start_us)
        and _within(cdr.answer_us)
        and _within(cdr.end_us)
        and (talk is None or -MAX_INT32 - 1 <= talk <= MAX_INT32)
    )


def check_record(record: CallRecord) -> None:
    """Raise FieldError (contract field names) for the first value no backend could store."""
    for field, text in (
        ("callid", record.callid),
        ("number", record.number),
        ("type", record.number_type),
        ("caller", record.caller),
        ("called", record.called),
        ("ccode", record.ccode),
        ("country", record.country),
        ("sipCode", record.sip_code),
        ("recordingFileUrl", record.recording_url),
        ("hangupReason", record.hangup_reason),
        ("appId", record.app_id),
        ("chargedPeriod", record.charged_period),
        ("currency", record.currency),
    ):
        if text is not None:
            storable_text(text, field)
    storable_instant(record.start_us, "startTime")
    storable_instant(record.end_us, "endTime")
    storable_int32(record.call_duration, "callDuration")
    storable_int32(record.charged_duration, "chargedDuration")
    for field, money in (
        ("pay", record.pay),
        ("SeptleRate", record.settle_rate),
        ("SettlePay", record.settle_pay),
    ):
        if money is not None:
            try:
                to_micros(money)
            except MoneyError as exc:
                raise FieldError(field, str(exc)) from exc
    for field, rate in (
        ("customerRate", record.customer_rate),
        ("QuoteExchange", record.quote_exchange),
    ):
        if rate is not None and (
            abs(rate.adjusted()) > MAX_RATE_CHARACTERS or len(plain(rate)) > MAX_RATE_CHARACTERS
        ):
            raise FieldError(field, f"is longer than {MAX_RATE_CHARACTERS} characters")
