"""The optional body signature: ``X-Callrec-Signature``, an HMAC-SHA256 over the request.

The vendor's ``Sign`` covers only key, secret and timestamp, so a captured request can be
replayed with another body within the timestamp tolerance. Keys created with
``--require-body-signature`` also need::

    X-Callrec-Signature: hex(HMAC-SHA256(key=ApiSecret,
                                         message=Timestamp "\\n" METHOD "\\n" path "\\n" body))

with ``Timestamp`` the header's value, ``METHOD`` upper case (``POST``), ``path`` the request
path without query string (``/v3/number/record/queryPage``) and ``body`` the exact bytes sent.
A ``sha256=`` prefix, as on callrec's own pushes, is accepted.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

BODY_SIGNATURE_HEADER = "X-Callrec-Signature"


def body_signature(api_secret: str, timestamp: str, method: str, path: str, body: bytes) -> str:
    message = f"{timestamp}\n{method.upper()}\n{path}\n".encode() + body
    return hmac.new(api_secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class SignedBody:
    """What a request's body signature covers, and the signature it carries (if any)."""

    timestamp: str
    method: str
    path: str
    body: bytes
    signature: str | None


def body_signature_matches(api_secret: str, signed: SignedBody) -> bool:
    """Compare case-insensitively, in constant time; a missing header never matches. The
    ``sha256=`` prefix that callrec's pushes carry is accepted too."""
    if not signed.signature:
        return False
    given = signed.signature.strip().lower().removeprefix("sha256=")
    expected = body_signature(api_secret, signed.timestamp, signed.method, signed.path, signed.body)
    return hmac.compare_digest(expected.encode(), given.encode())
