"""Answers as the vendor's own platform writes them, which the contract's example shows."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import httpx

from callrec.client import Client
from callrec.wire.records import RECORD_KEYS
from tests.client.support import ScriptedServer

# The vendor's example answer (contract.md), with its missing comma restored: several keys
# absent, and "sipCode": "20" as written.
VENDOR_EXAMPLE = b"""{"status": "0", "reason": "success",
 "data": {"total": 5, "size": 20, "current": 1, "pages": 1,
  "records": [{"callid": "23101311543100378", "number": "915027021995", "type": "MOBILE",
   "caller": "915027021995", "called": "915027021999", "ccode": "91", "country": "India",
   "callSource": 3, "callDuration": 10, "chargedDuration": 60,
   "startTime": "2024-01-01 09:00:00", "endTime": "2024-01-01 09:00:10",
   "pay": "0.012832", "sipCode": "20", "recordingFileUrl": "", "currency": "EUR"}]}}"""


def _client(body: bytes) -> Client:
    return Client(
        "k", "s", transport=ScriptedServer([httpx.Response(200, content=body)]).transport()
    )


def test_the_vendors_example_answer_reads_as_a_typed_page() -> None:
    page = _client(VENDOR_EXAMPLE).query_page(
        "2024-01-01T00:00:00+08:00", "2024-01-02T00:00:00+08:00"
    )
    (record,) = page.records
    assert record.start_time == datetime(2024, 1, 1, 9, tzinfo=timezone(timedelta(hours=8)))
    assert record.pay == Decimal("0.012832")
    assert (record.hangup_reason, record.app_id, record.settle_pay) == (None, None, None)
    importable = record.to_importable()
    assert list(importable) == list(RECORD_KEYS)
    assert importable["startTime"] == "2024-01-01T09:00:00+08:00"
    assert importable["hangupReason"] is None


def test_money_sent_as_json_numbers_stays_exact() -> None:
    body = VENDOR_EXAMPLE.replace(b'"pay": "0.012832"', b'"pay": 0.1').replace(
        b'"callSource": 3', b'"callSource": "3"'
    )
    (record,) = _client(body).query_page("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z").records
    assert record.pay == Decimal("0.1")  # not 0.1000000000000000055511151231257827
    assert record.call_source == 3
    assert record.to_importable()["pay"] == Decimal("0.1")


def test_keys_the_contract_does_not_know_are_kept_after_its_own() -> None:
    body = VENDOR_EXAMPLE.replace(b'"currency": "EUR"}', b'"currency": "EUR", "tag": "x"}')
    (record,) = _client(body).query_page("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z").records
    assert record.raw["tag"] == "x"
    assert list(record.to_importable()) == [*RECORD_KEYS, "tag"]
