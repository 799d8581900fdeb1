"""Priced records in the contract's form: decoding a line exactly, and checking each field."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from callrec.ingest.priced import ItemRejected, decode_line, priced_record
from callrec.model import CallRecord
from callrec.wire.times import parse_iso_instant
from tests.ingest.support import item, usd


def from_json(text: str) -> CallRecord:
    return priced_record(decode_line(text.encode()))


def test_json_numbers_decode_as_exact_decimals_never_floats() -> None:
    decoded = decode_line(
        b'{"a": 0.1, "b": 123456789.123456, "c": 0.123456789012345678901234567890,'
        b' "d": 1e-7, "e": 10, "f": -0.0}'
    )
    assert decoded["a"] == Decimal("0.1")
    assert decoded["b"] == Decimal("123456789.123456")
    assert decoded["c"] == Decimal("0.123456789012345678901234567890")
    assert decoded["d"] == Decimal("1E-7")
    assert decoded["e"] == 10
    assert isinstance(decoded["e"], int)
    assert not any(isinstance(v, float) for v in decoded.values())


@pytest.mark.parametrize("line", [b"[1, 2]", b'"text"', b"12", b"null"])
def test_a_line_that_is_not_an_object_is_rejected(line: bytes) -> None:
    with pytest.raises(ItemRejected, match="a record must be a JSON object"):
        decode_line(line)


@pytest.mark.parametrize("line", [b"{", b'{"callid": "x",}', b"callid=x", b"\xff\xfe{}"])
def test_a_line_that_is_not_json_is_rejected(line: bytes) -> None:
    with pytest.raises(ItemRejected, match="not valid JSON"):
        decode_line(line)


def test_a_full_eur_item_becomes_the_record_with_prices_as_given() -> None:
    start = parse_iso_instant("2024-01-01T01:00:00Z").micros
    assert priced_record(item()) == CallRecord(
        callid="23101311543100378", number="915027021995", number_type="MOBILE",
        caller="915027021995", called="915027021999", ccode="91", country="India",
        call_source=3, call_duration=10, charged_duration=60, start_us=start,
        end_us=start + 10_000_000, pay=Decimal("0.012832"), sip_code="200",
        recording_url="https://rec.invalid/1.mp3", hangup_reason="NORMAL_CLEARING",
        app_id="app-1", charged_period="60+60", customer_rate=Decimal("0.012832"),
        currency="EUR", quote_exchange=Decimal("1.0832"), settle_rate=Decimal("0.013900"),
        settle_pay=Decimal("0.013900"),
    )  # fmt: skip


def test_forms_are_normalised_but_prices_are_not_recomputed() -> None:
    record = priced_record(
        usd(
            number="+91 502-702 1995", type="fixed", currency="usd", chargedPeriod=" 6+6 ",
            callDuration="10", chargedDuration=999, pay="5", recordingFileUrl=...,
            callid=4242, sipCode="  ",
        )
    )  # fmt: skip
    assert record.number == "915027021995"
    assert record.number_type == "FIXED"
    assert record.currency is None  # USD is the contract's null
    assert record.charged_period == "6+6"
    assert (record.call_duration, record.charged_duration, record.pay) == (10, 999, Decimal(5))
    assert record.recording_url == ""
    assert record.callid == "4242"
    assert record.sip_code is None


def test_money_given_as_json_numbers_keeps_every_digit() -> None:
    line = json.dumps(usd(pay="PAY", customerRate="RATE"))
    record = from_json(line.replace('"PAY"', "123456789.123456").replace('"RATE"', "0.0123456789"))
    assert record.pay == Decimal("123456789.123456")
    assert record.customer_rate == Decimal("0.0123456789")


LONG_RATE = "0." + "1" * 39  # 41 characters: more than the store's rate column holds
REJECTIONS = [
    ("callid", {"callid": ...}),
    ("callid", {"callid": "   "}),
    ("callid", {"callid": "x" * 129}),
    ("caller", {"caller": "91\x00"}),
    ("number", {"number": "call-me"}),
    ("startTime", {"startTime": ...}),
    ("startTime", {"startTime": "2024-01-01T09:00:00"}),
    ("startTime", {"startTime": "2024-01-01"}),
    ("startTime", {"startTime": "20240101T090000+0800"}),
    ("endTime", {"endTime": "2024-01-01T08:59:59+08:00"}),
    ("callSource", {"callSource": 1}),
    ("callSource", {"callSource": True}),
    ("callDuration", {"callDuration": -1}),
    ("callDuration", {"callDuration": Decimal("1.5")}),
    ("callDuration", {"callDuration": 2**31}),
    ("callDuration", {"callDuration": "9" * 5000}),
    ("callDuration", {"callDuration": Decimal("1E+99999999")}),
    ("pay", {"pay": ...}),
    ("pay", {"pay": "-0.01"}),
    ("pay", {"pay": "0.0128321"}),
    ("pay", {"pay": Decimal("1E-7")}),
    ("pay", {"pay": Decimal("1E-9999999")}),
    ("pay", {"pay": Decimal("1E+9999999")}),
    ("pay", {"pay": "10000000000000"}),
    ("pay", {"pay": "1e-3"}),
    ("pay", {"pay": "NaN"}),
    ("pay", {"pay": True}),
    ("customerRate", {"customerRate": "-0.1"}),
    ("customerRate", {"customerRate": LONG_RATE}),
    ("customerRate", {"customerRate": Decimal("1E+999999999")}),
    ("SettlePay", {"SettlePay": "0.0139001"}),
    ("currency", {"currency": "EURO"}),
    ("type", {"type": "SATELLITE"}),
    ("chargedPeriod", {"chargedPeriod": "60"}),
    ("chargedPeriod", {"chargedPeriod": "60+0"}),
    ("ccode", {"ccode": "+91"}),
]


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    ("field", "changes"), REJECTIONS, ids=[f"{f}-{i}" for i, (f, _) in enumerate(REJECTIONS)]
)
def test_a_bad_field_rejects_the_item_naming_the_field(field: str, changes: dict[str, Any]) -> None:
    with pytest.raises(ItemRejected) as rejected:
        priced_record(item(**changes))
    reason = str(rejected.value)
    assert reason.startswith(f"{field}: "), reason
    assert len(reason) < 200, reason


@pytest.mark.parametrize("field", ["QuoteExchange", "SeptleRate", "SettlePay"])
def test_settle_fields_with_a_usd_quote_are_rejected(field: str) -> None:
    value = "1.0832" if field == "QuoteExchange" else "0.013900"
    for changes in ({field: value}, {field: value, "currency": "USD"}):
        with pytest.raises(ItemRejected, match=f"^{field}: must be null when the quote"):
            priced_record(usd(**changes))


def test_the_largest_storable_amount_is_accepted() -> None:
    assert priced_record(usd(pay="9223372036854.775807")).pay == Decimal("9223372036854.775807")
    with pytest.raises(ItemRejected, match=r"^pay: .* too large"):
        priced_record(usd(pay="9223372036854.775808"))
