"""What a push carries: the signature recipe, the body's records and times, the schedule."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from decimal import Decimal

import pytest

from callrec.push.payload import encode_batch, offset_seconds_at, zone_named
from callrec.push.schedule import next_attempt_us, retry_delay_us
from callrec.push.settings import PushSettings
from callrec.push.signature import push_headers, sign
from callrec.settings import SettingsError
from callrec.store.records import record_row
from callrec.wire.records import RECORD_KEYS, STORED_COLUMNS
from callrec.wire.times import parse_iso_instant
from tests.helpers import make_record

MINUTE_US = 60_000_000


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    body = b'[{"callid":"c1"}]'
    expected = hmac.new(b"s3cret-s3cret-s3cret", b"1700000000." + body, hashlib.sha256)
    assert sign("s3cret-s3cret-s3cret", "1700000000", body) == "sha256=" + expected.hexdigest()
    # A fixed vector (openssl dgst -sha256 -hmac SECRET over "1700000000.[]"), so the recipe
    # in docs/push.md cannot drift unnoticed.
    assert sign("test-secret-0123456789abcdef", "1700000000", b"[]") == (
        "sha256=9806ac9518a969f2d5946a93702abc911f56ba0c93d705cfdcb293fcbeea7217"
    )


def test_unsigned_pushes_carry_no_timestamp_or_signature() -> None:
    signed = push_headers("d-1", 2, 1700000000, b"[]", "a-secret-of-16+chars")
    unsigned = push_headers("d-1", 1, 1700000000, b"[]", None)
    assert signed["Content-Type"] == "application/json;charset=UTF-8"
    assert signed["X-Callrec-Delivery"] == "d-1"
    assert signed["X-Callrec-Attempt"] == "2"
    assert signed["X-Callrec-Timestamp"] == "1700000000"
    assert signed["X-Callrec-Signature"].startswith("sha256=")
    assert "X-Callrec-Signature" not in unsigned
    assert "X-Callrec-Timestamp" not in unsigned


def _stored(callid: str, start: str) -> tuple[object, ...]:
    row = record_row(1, make_record(callid, start))._asdict()
    return tuple(row[name] for name in STORED_COLUMNS)


def test_the_body_is_an_array_of_contract_records_in_the_zone_at_each_call_start() -> None:
    rows = [
        _stored("before-dst", "2024-03-31T00:59:55Z"),  # Berlin: CET, +01:00
        _stored("after-dst", "2024-03-31T01:00:00Z"),  # Berlin: CEST, +02:00
    ]
    records = json.loads(encode_batch(rows, "Europe/Berlin"))
    assert [tuple(r) for r in records] == [RECORD_KEYS, RECORD_KEYS]
    assert records[0]["startTime"] == "2024-03-31 01:59:55"
    # Rendered in the offset at the call's start: the end stays in CET, after the start.
    assert records[0]["endTime"] == "2024-03-31 02:00:05"
    assert records[1]["startTime"] == "2024-03-31 03:00:00"
    assert records[0]["pay"] == "0.012832"
    assert records[0]["recordingFileUrl"] == ""
    assert json.loads(encode_batch(rows, "UTC"))[1]["startTime"] == "2024-03-31 01:00:00"


def test_zone_offsets_follow_daylight_saving() -> None:
    kolkata, new_york = zone_named("Asia/Kolkata"), zone_named("America/New_York")
    january = parse_iso_instant("2024-01-15T12:00:00Z").micros
    july = parse_iso_instant("2024-07-15T12:00:00Z").micros
    assert offset_seconds_at(kolkata, january) == 5 * 3600 + 1800
    assert offset_seconds_at(new_york, january) == -5 * 3600
    assert offset_seconds_at(new_york, july) == -4 * 3600


def test_the_default_schedule_is_the_vendors_three_retries_thirty_minutes_apart() -> None:
    settings = PushSettings(retry_jitter=Decimal(0))
    now = 1_000_000
    assert next_attempt_us(settings, 1, now) == now + 30 * MINUTE_US
    assert next_attempt_us(settings, 3, now) == now + 30 * MINUTE_US
    assert next_attempt_us(settings, 4, now) is None  # four tries made: parked


def test_jitter_spreads_retries_within_the_bound() -> None:
    settings = PushSettings(retry_jitter=Decimal("0.1"))
    rng = random.Random(7)
    delays = {retry_delay_us(settings, rng) for _ in range(200)}
    assert min(delays) >= 27 * MINUTE_US
    assert max(delays) <= 33 * MINUTE_US
    assert len(delays) > 100


def test_settings_come_from_the_environment_and_bad_values_name_the_variable() -> None:
    settings = PushSettings.from_env(
        {
            "CALLREC_PUSH_RETRIES": "5",
            "CALLREC_PUSH_RETRY_SECONDS": "0.25",
            "CALLREC_PUSH_TIMEOUT_SECONDS": "2",
            "CALLREC_PUSH_LEASE_SECONDS": "2.5",
            "CALLREC_PUSH_ALLOW_PRIVATE": "yes",
            "CALLREC_PUSH_IN_SERVE": "0",
        }
    )
    assert settings.attempts == 6
    assert settings.retry_interval_us == 250_000
    assert settings.allow_private is True
    assert settings.in_serve is False
    assert PushSettings.from_env({}) == PushSettings()
    for env, variable in [
        ({"CALLREC_PUSH_RETRIES": "-1"}, "CALLREC_PUSH_RETRIES"),
        ({"CALLREC_PUSH_RETRY_SECONDS": "soon"}, "CALLREC_PUSH_RETRY_SECONDS"),
        ({"CALLREC_PUSH_ALLOW_PRIVATE": "maybe"}, "CALLREC_PUSH_ALLOW_PRIVATE"),
        ({"CALLREC_PUSH_BATCH_SIZE": "101"}, "CALLREC_PUSH_BATCH_SIZE"),
        ({"CALLREC_PUSH_LEASE_SECONDS": "5"}, "CALLREC_PUSH_LEASE_SECONDS"),  # not > timeout 10
        ({"CALLREC_PUSH_RETRY_JITTER": "2"}, "CALLREC_PUSH_RETRY_JITTER"),
    ]:
        with pytest.raises(SettingsError, match=variable):
            PushSettings.from_env(env)
