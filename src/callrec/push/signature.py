"""The headers of a push, and the signature a receiver checks (recipe in docs/push.md).

``signature = hex(HMAC-SHA256(key=secret, message=timestamp + "." + body))``, where the
timestamp is the ``X-Callrec-Timestamp`` header (Unix seconds, ASCII digits) and the body is
the request's raw bytes. The header carries it as ``sha256=<64 lowercase hex digits>``.
"""

from __future__ import annotations

import hashlib
import hmac

from callrec import __version__

CONTENT_TYPE = "application/json;charset=UTF-8"
DELIVERY_HEADER = "X-Callrec-Delivery"
ATTEMPT_HEADER = "X-Callrec-Attempt"
TIMESTAMP_HEADER = "X-Callrec-Timestamp"
SIGNATURE_HEADER = "X-Callrec-Signature"
SIGNATURE_SCHEME = "sha256="
USER_AGENT = f"callrec-push/{__version__}"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Callrec-Signature`` value for this timestamp and body."""
    message = timestamp.encode("ascii") + b"." + body
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return SIGNATURE_SCHEME + digest


def push_headers(
    delivery_id: str, attempt: int, timestamp: int, body: bytes, secret: str | None
) -> dict[str, str]:
    headers = {
        "Content-Type": CONTENT_TYPE,
        "User-Agent": USER_AGENT,
        DELIVERY_HEADER: delivery_id,
        ATTEMPT_HEADER: str(attempt),
    }
    if secret:
        stamp = str(timestamp)
        headers[TIMESTAMP_HEADER] = stamp
        headers[SIGNATURE_HEADER] = sign(secret, stamp, body)
    return headers
