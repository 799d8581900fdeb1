"""Applying the optional body signature (callrec.wire.body_sign) to a queryPage request.

It is checked after the vendor's ``Sign`` (a caller without the secret learns nothing about
the key's options) and only for keys that require it. A body the server did not read (wrong
Content-Type, too large) has nothing to verify; its own ``-22`` answers the request.
"""

from __future__ import annotations

from starlette.requests import Request

from callrec.store.accounts import KeyCredentials
from callrec.wire.body_sign import BODY_SIGNATURE_HEADER, SignedBody, body_signature_matches

BODY_SIGNATURE_FAILED = (
    f"authentication failed: this API key requires a valid {BODY_SIGNATURE_HEADER} header"
)


def body_signature_refused(
    credentials: KeyCredentials, request: Request, timestamp: str, body: bytes | None
) -> bool:
    """Whether a key that requires the body signature was sent a body without a valid one.

    The request is looked at only for such keys: building its URL costs more than the rest
    of a cached answer's checks.
    """
    if not credentials.require_body_signature or body is None:
        return False
    signed = SignedBody(
        timestamp=timestamp,
        method=request.method,
        path=request.url.path,
        body=body,
        signature=request.headers.get(BODY_SIGNATURE_HEADER),
    )
    return not body_signature_matches(credentials.secret, signed)
