"""Country and number type from phonenumbers, cached by prefix.

Parsing is the expensive part (~230 µs a number when numbers span many countries), and the
answer depends on the leading digits only, so results are cached by prefix. English country
names come from a generated table (country_names.py), not from phonenumbers' geocoder, whose
data costs ~100 MB of memory in every process that imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberType

from callrec.ingest.country_names import COUNTRY_NAMES

# Country code + this many digits decide the region (NANP area codes, +44 crown dependencies).
_REGION_PREFIX_DIGITS = 4
_MOBILE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


@dataclass(frozen=True, slots=True)
class Country:
    ccode: str | None
    name: str | None


UNKNOWN = Country(None, None)


def _parse(digits: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return None


def _country_of_number(digits: str) -> Country:
    parsed = _parse(digits)
    if parsed is None or not parsed.country_code:
        return UNKNOWN
    region = phonenumbers.region_code_for_number(parsed)
    if region is None or region == phonenumbers.UNKNOWN_REGION:
        region = phonenumbers.region_code_for_country_code(parsed.country_code)
    return Country(str(parsed.country_code), COUNTRY_NAMES.get(region))


def _country_code_length(digits: str) -> int | None:
    for length in (1, 2, 3):
        if int(digits[:length]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return length
    return None


_country_cache: dict[str, Country] = {}
_MAX_CACHED_PREFIXES = 65_536


def country_of(digits: str) -> Country:
    """``"915027021999"`` -> ``Country("91", "India")``; unknown numbers give nulls."""
    if not digits.isascii() or not digits.isdigit() or len(digits) < 3:
        return UNKNOWN
    cc_length = _country_code_length(digits)
    if cc_length is None:
        return UNKNOWN
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE[int(digits[:cc_length])]
    # Most country codes belong to one region: the answer needs no parse at all. Shared
    # codes (+1, +7, +44, ...) are told apart by their leading digits.
    prefix = (
        digits[:cc_length] if len(regions) == 1 else digits[: cc_length + _REGION_PREFIX_DIGITS]
    )
    cached = _country_cache.get(prefix)
    if cached is None:
        cached = _country_of_number(digits)
        if len(_country_cache) < _MAX_CACHED_PREFIXES:
            _country_cache[prefix] = cached
    return cached


@lru_cache(maxsize=65_536)
def number_type_of(digits: str) -> str | None:
    """``MOBILE`` for mobile and fixed-line-or-mobile numbers, ``FIXED`` otherwise.

    Used for the workspace's own numbers when the inventory does not say; there are few of
    them, so the cache is per number and exact.
    """
    parsed = _parse(digits)
    if parsed is None or not phonenumbers.is_possible_number(parsed):
        return None
    return "MOBILE" if phonenumbers.number_type(parsed) in _MOBILE_TYPES else "FIXED"
