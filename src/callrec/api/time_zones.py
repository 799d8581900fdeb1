"""The IANA time zone names the ingest API accepts (and /openapi.json lists)."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones


@cache
def known_zones() -> frozenset[str]:
    # Scans the zone database on disk: once per process.
    return frozenset(available_timezones())
