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


def body_to_verify(request: Request, timestamp: str, body: bytes | None) -> SignedBody | None:
    if body is None:
        return None
    return SignedBody(
        timestamp=timestamp,
        method=request.method,
        path=request.url.path,
        body=body,
        signature=request.headers.get(BODY_SIGNATURE_HEADER),
    )


def body_signature_refused(credentials: KeyCredentials, signed: SignedBody | None) -> bool:
    if not credentials.require_body_signature or signed is None:
        return False
    return not body_signature_matches(credentials.secret, signed)
