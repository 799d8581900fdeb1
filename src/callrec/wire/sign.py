"""The request signature: ``md5(ApiKey + ApiSecret + Timestamp)`` as 32 hex digits."""

from __future__ import annotations

import hashlib
import hmac


def compute_sign(api_key: str, api_secret: str, timestamp: str) -> str:
    # md5 is the vendor's choice, not ours; it is kept for wire compatibility.
    return hashlib.md5((api_key + api_secret + timestamp).encode()).hexdigest()


def sign_matches(expected: str, given: str) -> bool:
    """Compare case-insensitively, in constant time."""
    return hmac.compare_digest(expected.lower().encode(), given.strip().lower().encode())
