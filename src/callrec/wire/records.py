"""Records and page envelopes as the contract spells them, encoded with msgspec.

Key names, their order and their odd spellings (``QuoteExchange``, ``SeptleRate``) are the
vendor's and must not change: existing clients parse them byte for byte.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import msgspec

from callrec.wire.money import format_micros
from callrec.wire.times import render_local

RECORD_KEYS: tuple[str, ...] = (
    "callid", "number", "type", "caller", "called", "ccode", "country", "callSource",
    "callDuration", "chargedDuration", "startTime", "endTime", "pay", "sipCode",
    "recordingFileUrl", "hangupReason", "appId", "chargedPeriod", "customerRate", "currency",
    "QuoteExchange", "SeptleRate", "SettlePay",
)  # fmt: skip


class WireRecord(msgspec.Struct):
    callid: str
    number: str
    type: str | None
    caller: str
    called: str
    ccode: str | None
    country: str | None
    callSource: int
    callDuration: int
    chargedDuration: int
    startTime: str
    endTime: str
    pay: str
    sipCode: str | None
    recordingFileUrl: str
    hangupReason: str | None
    appId: str | None
    chargedPeriod: str | None
    customerRate: str | None
    currency: str | None
    QuoteExchange: str | None
    SeptleRate: str | None
    SettlePay: str | None


class PageData(msgspec.Struct):
    total: int
    size: int
    current: int
    pages: int
    records: list[WireRecord]


class Envelope(msgspec.Struct, omit_defaults=True):
    status: str
    reason: str
    data: PageData | None = None


# The stored columns a record is rendered from, in the order render_record reads them
# (callrec.store selects them in this order).
STORED_COLUMNS: tuple[str, ...] = (
    "callid", "number", "number_type", "caller", "called", "ccode", "country", "call_source",
    "call_duration", "charged_duration", "start_us", "end_us", "pay_micros", "sip_code",
    "recording_url", "hangup_reason", "app_id", "charged_period", "customer_rate", "currency",
    "quote_exchange", "settle_rate_micros", "settle_pay_micros",
)  # fmt: skip


def render_record(row: Sequence[Any], offset_seconds: int) -> WireRecord:
    """A stored row (a plain tuple in STORED_COLUMNS order) as the contract's record."""
    (callid, number, number_type, caller, called, ccode, country, call_source, call_duration,
     charged_duration, start_us, end_us, pay_micros, sip_code, recording_url, hangup_reason,
     app_id, charged_period, customer_rate, currency, quote_exchange, settle_rate_micros,
     settle_pay_micros) = row  # fmt: skip
    # Positional, in the struct's field order: several times faster than keywords.
    return WireRecord(
        callid,
        number,
        number_type,
        caller,
        called,
        ccode,
        country,
        call_source,
        call_duration,
        charged_duration,
        render_local(start_us, offset_seconds),
        render_local(end_us, offset_seconds),
        format_micros(pay_micros),
        sip_code,
        recording_url or "",
        hangup_reason,
        app_id,
        charged_period,
        customer_rate,
        currency,
        quote_exchange,
        None if settle_rate_micros is None else format_micros(settle_rate_micros),
        None if settle_pay_micros is None else format_micros(settle_pay_micros),
    )


_encoder = msgspec.json.Encoder()


def encode_page(total: int, size: int, current: int, records: list[WireRecord]) -> bytes:
    pages = -(-total // size) if total else 0
    data = PageData(total=total, size=size, current=current, pages=pages, records=records)
    return _encoder.encode(Envelope(status="0", reason="success", data=data))


def encode_failure(status: str, reason: str) -> bytes:
    return _encoder.encode(Envelope(status=status, reason=reason))


def csv_text(
    rows: Iterable[Sequence[Any]], offset_seconds: int, rows_per_chunk: int = 500
) -> Iterator[str]:
    """CSV of stored rows (STORED_COLUMNS order): a header of the contract's record keys, then
    each record as queryPage renders it (money exact, times in the offset), in chunks of text.

    A missing value is an empty field. Streams: memory holds one chunk, whatever the rows.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(RECORD_KEYS)
    for written, row in enumerate(rows, 1):
        writer.writerow(msgspec.structs.astuple(render_record(row, offset_seconds)))
        if written % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
