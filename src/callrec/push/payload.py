"""The body of a push: a JSON array of the contract's records, times in the workspace's zone.

Each record is rendered by the same code as a queryPage record (callrec.wire.records), so a
pushed record has exactly the contract's keys. ``startTime`` and ``endTime`` use the zone's
UTC offset at the call's start, so a call across a daylight-saving change reads as one span.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from callrec.wire.records import STORED_COLUMNS, WireRecord, render_record

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
START_US_INDEX = STORED_COLUMNS.index("start_us")
_encoder = msgspec.json.Encoder()


@lru_cache(maxsize=512)
def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        # Validated when set; a zone that vanished from the system's database renders UTC.
        return ZoneInfo("UTC")


def offset_seconds_at(zone: ZoneInfo, micros: int) -> int:
    """The zone's UTC offset at that instant, in whole seconds."""
    try:
        local = (EPOCH + timedelta(microseconds=micros)).astimezone(zone)
    except OverflowError:
        return 0
    offset = local.utcoffset()
    return 0 if offset is None else int(offset.total_seconds())


def render_batch(rows: Sequence[Sequence[Any]], time_zone: str) -> list[WireRecord]:
    zone = zone_named(time_zone)
    return [render_record(row, offset_seconds_at(zone, row[START_US_INDEX])) for row in rows]


def encode_batch(rows: Sequence[Sequence[Any]], time_zone: str) -> bytes:
    """The request body: ``[{record}, ...]`` in queue order."""
    return _encoder.encode(render_batch(rows, time_zone))
