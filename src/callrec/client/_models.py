"""Typed pages and records, read from the contract's JSON with exact money and aware times."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from callrec.client._windows import wire_time
from callrec.wire.money import MoneyError, parse_decimal
from callrec.wire.records import RECORD_KEYS

_LOCAL_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})", re.ASCII)


class MalformedAnswer(ValueError):
    """A page or record that does not have the contract's shape; the message names the key."""


@dataclass(frozen=True, slots=True)
class Record:
    """One call record. ``raw`` is the record exactly as the server sent it.

    Money is ``Decimal``; ``start_time``/``end_time`` are aware datetimes in the offset of the
    request's ``strTime`` (the offset the server wrote them in).
    """

    callid: str
    number: str
    type: str | None
    caller: str
    called: str
    ccode: str | None
    country: str | None
    call_source: int
    call_duration: int
    charged_duration: int
    start_time: datetime
    end_time: datetime
    pay: Decimal
    sip_code: str | None
    recording_file_url: str
    hangup_reason: str | None
    app_id: str | None
    charged_period: str | None
    customer_rate: Decimal | None
    currency: str | None
    quote_exchange: Decimal | None
    settle_rate: Decimal | None
    settle_pay: Decimal | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    def to_importable(self) -> dict[str, Any]:
        """The record with the contract's keys in the contract's order, as served, except that
        ``startTime``/``endTime`` carry their offset (``2024-01-01T09:00:00+08:00``): the form
        ``callrec records import`` reads, so nothing depends on remembering the request's zone.
        Keys the contract does not know are kept, after the contract's own.
        """
        document: dict[str, Any] = {key: self.raw.get(key) for key in RECORD_KEYS}
        document["startTime"] = wire_time(self.start_time)
        document["endTime"] = wire_time(self.end_time)
        for key, value in self.raw.items():
            if key not in document:
                document[key] = value
        return document


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a window: the server's counts and this page's records."""

    total: int
    size: int
    current: int
    pages: int
    records: tuple[Record, ...]
    raw: dict[str, Any] = field(repr=False, compare=False)


def _integer(item: dict[str, Any], key: str) -> int:
    value = item.get(key)
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedAnswer(f"{key} must be an integer, got {value!r}")
    return value


def _text(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise MalformedAnswer(f"{key} must be a string, got {value!r}")
    return str(value)


def _optional_text(item: dict[str, Any], key: str) -> str | None:
    return None if item.get(key) is None else _text(item, key)


def _decimal(item: dict[str, Any], key: str) -> Decimal | None:
    """A decimal string, or a JSON number (decoded as Decimal, never through a float)."""
    value = item.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return parse_decimal(value)
        except MoneyError as exc:
            raise MalformedAnswer(f"{key}: {exc}") from exc
    raise MalformedAnswer(f"{key} must be a decimal string, got {value!r}")


def _required_decimal(item: dict[str, Any], key: str) -> Decimal:
    value = _decimal(item, key)
    if value is None:
        raise MalformedAnswer(f"{key} is missing")
    return value


def _local_time(item: dict[str, Any], key: str, tz: timezone) -> datetime:
    """``yyyy-MM-dd HH:mm:ss`` as written in the request's offset, made aware again."""
    value = item.get(key)
    match = _LOCAL_TIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise MalformedAnswer(f"{key} must be yyyy-MM-dd HH:mm:ss, got {value!r}")
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError as exc:
        raise MalformedAnswer(f"{key}: {exc}") from exc


def parse_record(item: Any, tz: timezone) -> Record:
    if not isinstance(item, dict):
        raise MalformedAnswer(f"a record must be a JSON object, got {type(item).__name__}")
    callid = _text(item, "callid")
    try:
        return Record(
            callid=callid,
            number=_text(item, "number"),
            type=_optional_text(item, "type"),
            caller=_text(item, "caller"),
            called=_text(item, "called"),
            ccode=_optional_text(item, "ccode"),
            country=_optional_text(item, "country"),
            call_source=_integer(item, "callSource"),
            call_duration=_integer(item, "callDuration"),
            charged_duration=_integer(item, "chargedDuration"),
            start_time=_local_time(item, "startTime", tz),
            end_time=_local_time(item, "endTime", tz),
            pay=_required_decimal(item, "pay"),
            sip_code=_optional_text(item, "sipCode"),
            recording_file_url=_optional_text(item, "recordingFileUrl") or "",
            hangup_reason=_optional_text(item, "hangupReason"),
            app_id=_optional_text(item, "appId"),
            charged_period=_optional_text(item, "chargedPeriod"),
            customer_rate=_decimal(item, "customerRate"),
            currency=_optional_text(item, "currency"),
            quote_exchange=_decimal(item, "QuoteExchange"),
            settle_rate=_decimal(item, "SeptleRate"),
            settle_pay=_decimal(item, "SettlePay"),
            raw=item,
        )
    except MalformedAnswer as exc:
        raise MalformedAnswer(f"record {callid}: {exc}") from exc


def parse_page(data: Any, tz: timezone) -> Page:
    if not isinstance(data, dict):
        raise MalformedAnswer("data must be a JSON object")
    records = data.get("records")
    if records is None:
        records = []
    if not isinstance(records, list):
        raise MalformedAnswer("data.records must be an array")
    return Page(
        total=_integer(data, "total"),
        size=_integer(data, "size"),
        current=_integer(data, "current"),
        pages=_integer(data, "pages"),
        records=tuple(parse_record(item, tz) for item in records),
        raw=data,
    )
