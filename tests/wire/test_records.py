"""Encoding records and envelopes: key names, order, types, nulls, page arithmetic."""

from __future__ import annotations

import json
from dataclasses import astuple, dataclass
from typing import Any

import msgspec
import pytest

from callrec.wire.records import (
    RECORD_KEYS,
    STORED_COLUMNS,
    WireRecord,
    encode_failure,
    encode_page,
    render_record,
)

CONTRACT_KEYS = (
    "callid", "number", "type", "caller", "called", "ccode", "country", "callSource",
    "callDuration", "chargedDuration", "startTime", "endTime", "pay", "sipCode",
    "recordingFileUrl", "hangupReason", "appId", "chargedPeriod", "customerRate", "currency",
    "QuoteExchange", "SeptleRate", "SettlePay",
)  # fmt: skip


@dataclass
class Row:
    callid: str = "c1"
    number: str = "915027021995"
    number_type: str | None = "MOBILE"
    caller: str = "915027021995"
    called: str = "915027021999"
    ccode: str | None = "91"
    country: str | None = "India"
    call_source: int = 3
    call_duration: int = 10
    charged_duration: int = 60
    start_us: int = 1_704_099_600 * 1_000_000  # 2024-01-01T09:00:00Z
    end_us: int = 1_704_099_610 * 1_000_000
    pay_micros: int = 12_832
    sip_code: str | None = "200"
    recording_url: str = ""
    hangup_reason: str | None = "NORMAL_CLEARING"
    app_id: str | None = "app-1"
    charged_period: str | None = "60+60"
    customer_rate: str | None = "0.012832"
    currency: str | None = None
    quote_exchange: str | None = None
    settle_rate_micros: int | None = None
    settle_pay_micros: int | None = None


def _encoded(record: WireRecord) -> dict[str, Any]:
    document = json.loads(encode_page(1, 10, 1, [record]))
    [rendered] = document["data"]["records"]
    assert isinstance(rendered, dict)
    return rendered


def test_the_test_row_lists_the_stored_columns_in_render_order() -> None:
    assert tuple(Row.__dataclass_fields__) == STORED_COLUMNS


def test_record_keys_are_the_contracts() -> None:
    assert RECORD_KEYS == CONTRACT_KEYS
    assert tuple(WireRecord.__struct_fields__) == CONTRACT_KEYS


def test_encoded_record_has_every_key_in_order_with_nulls() -> None:
    row = Row(number_type=None, sip_code=None, hangup_reason=None, app_id=None)
    rendered = _encoded(render_record(astuple(row), 0))
    assert tuple(rendered) == CONTRACT_KEYS
    for key in ("type", "sipCode", "hangupReason", "appId", "currency", "QuoteExchange",
                "SeptleRate", "SettlePay"):  # fmt: skip
        assert rendered[key] is None, key
    assert rendered["recordingFileUrl"] == ""


def test_render_record_values() -> None:
    row = Row(
        currency="EUR",
        quote_exchange="1.0874",
        settle_rate_micros=12_831,
        settle_pay_micros=5_000_000,
        recording_url="https://rec.example/1.wav",
    )
    rendered = _encoded(render_record(astuple(row), 8 * 3600))
    assert rendered["startTime"] == "2024-01-01 17:00:00"
    assert rendered["endTime"] == "2024-01-01 17:00:10"
    assert rendered["pay"] == "0.012832"
    assert rendered["SeptleRate"] == "0.012831"
    assert rendered["SettlePay"] == "5.000000"
    assert rendered["QuoteExchange"] == "1.0874"
    assert rendered["currency"] == "EUR"
    assert rendered["recordingFileUrl"] == "https://rec.example/1.wav"
    assert (rendered["callSource"], rendered["callDuration"], rendered["chargedDuration"]) == (
        3,
        10,
        60,
    )


def test_zero_settle_amounts_are_not_mistaken_for_null() -> None:
    rendered = _encoded(render_record(astuple(Row(settle_rate_micros=0, settle_pay_micros=0)), 0))
    assert rendered["SeptleRate"] == "0.000000"
    assert rendered["SettlePay"] == "0.000000"


@pytest.mark.parametrize(
    ("total", "size", "pages"),
    [(0, 10, 0), (1, 10, 1), (10, 10, 1), (11, 10, 2), (100, 1, 100), (101, 100, 2)],
)
def test_pages_is_the_ceiling_of_total_over_size(total: int, size: int, pages: int) -> None:
    document = json.loads(encode_page(total, size, 1, []))
    assert document == {
        "status": "0",
        "reason": "success",
        "data": {"total": total, "size": size, "current": 1, "pages": pages, "records": []},
    }


def test_failure_envelope_has_no_data_and_a_string_status() -> None:
    assert json.loads(encode_failure("-22", "size must be an integer")) == {
        "status": "-22",
        "reason": "size must be an integer",
    }


def test_envelope_key_order() -> None:
    raw = encode_page(0, 10, 1, [])
    assert list(msgspec.json.decode(raw)) == ["status", "reason", "data"]
