"""Records and page envelopes as the contract spells them, encoded with msgspec.

Key names, their order and their odd spellings (``QuoteExchange``, ``SeptleRate``) are the
vendor's and must not change: existing clients parse them byte for byte.
"""

from __future__ import annotations

from typing import Protocol

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


class StoredRecordRow(Protocol):
    """The stored columns a record is rendered from (``callrec.store`` rows satisfy it)."""

    callid: str
    number: str
    number_type: str | None
    caller: str
    called: str
    ccode: str | None
    country: str | None
    call_source: int
    call_duration: int
    charged_duration: int
    start_us: int
    end_us: int
    pay_micros: int
    sip_code: str | None
    recording_url: str
    hangup_reason: str | None
    app_id: str | None
    charged_period: str | None
    customer_rate: str | None
    currency: str | None
    quote_exchange: str | None
    settle_rate_micros: int | None
    settle_pay_micros: int | None


def render_record(row: StoredRecordRow, offset_seconds: int) -> WireRecord:
    settle_rate = row.settle_rate_micros
    settle_pay = row.settle_pay_micros
    return WireRecord(
        callid=row.callid,
        number=row.number,
        type=row.number_type,
        caller=row.caller,
        called=row.called,
        ccode=row.ccode,
        country=row.country,
        callSource=row.call_source,
        callDuration=row.call_duration,
        chargedDuration=row.charged_duration,
        startTime=render_local(row.start_us, offset_seconds),
        endTime=render_local(row.end_us, offset_seconds),
        pay=format_micros(row.pay_micros),
        sipCode=row.sip_code,
        recordingFileUrl=row.recording_url or "",
        hangupReason=row.hangup_reason,
        appId=row.app_id,
        chargedPeriod=row.charged_period,
        customerRate=row.customer_rate,
        currency=row.currency,
        QuoteExchange=row.quote_exchange,
        SeptleRate=None if settle_rate is None else format_micros(settle_rate),
        SettlePay=None if settle_pay is None else format_micros(settle_pay),
    )


_encoder = msgspec.json.Encoder()


def encode_page(total: int, size: int, current: int, records: list[WireRecord]) -> bytes:
    pages = -(-total // size) if total else 0
    data = PageData(total=total, size=size, current=current, pages=pages, records=records)
    return _encoder.encode(Envelope(status="0", reason="success", data=data))


def encode_failure(status: str, reason: str) -> bytes:
    return _encoder.encode(Envelope(status=status, reason=reason))
