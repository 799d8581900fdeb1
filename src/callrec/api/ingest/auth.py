"""Authenticating an ingest source: HTTP Basic (FreeSWITCH) or a Bearer token (batches).

Unknown user, wrong password and unknown token get the same 401; a disabled source gets 403,
only after its credentials are verified, so the answer reveals nothing to a stranger.
"""

from __future__ import annotations

import base64
import binascii

from callrec.api.database import DatabaseRunner
from callrec.api.ingest.answers import IngestHttpError
from callrec.store.ingest_sources import IngestSource, source_for_password, source_for_token

REALM = "callrec ingest"


def _unauthorized(scheme: str) -> IngestHttpError:
    return IngestHttpError(
        401,
        f"authentication failed: send the ingest source's credentials ({scheme})",
        {"WWW-Authenticate": f'{scheme} realm="{REALM}"'},
    )


def _credentials(header: str | None, scheme: str) -> str | None:
    if not header:
        return None
    given_scheme, _, value = header.strip().partition(" ")
    if given_scheme.lower() != scheme.lower() or not value.strip():
        return None
    return value.strip()


def _basic_pair(value: str) -> tuple[str, str] | None:
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    username, separator, password = decoded.partition(":")
    return (username, password) if separator else None


def usable_source(source: IngestSource | None, scheme: str) -> IngestSource:
    """The source, or 401 when the credentials matched none and 403 when it is disabled."""
    if source is None:
        raise _unauthorized(scheme)
    if not source.enabled:
        raise IngestHttpError(403, f"ingest source {source.name!r} is disabled")
    return source


async def basic_source(database: DatabaseRunner, header: str | None) -> IngestSource:
    value = _credentials(header, "Basic")
    pair = _basic_pair(value) if value else None
    if pair is None:
        raise _unauthorized("Basic")

    def lookup() -> IngestSource | None:
        with database.engine.connect() as conn:
            return source_for_password(conn, *pair)

    return usable_source(await database.run(lookup), "Basic")


def bearer_token(header: str | None) -> str:
    """The token of an ``Authorization: Bearer`` header, or 401."""
    token = _credentials(header, "Bearer")
    if token is None:
        raise _unauthorized("Bearer")
    return token


async def bearer_source(database: DatabaseRunner, header: str | None) -> IngestSource:
    token = bearer_token(header)

    def lookup() -> IngestSource | None:
        with database.engine.connect() as conn:
            return source_for_token(conn, token)

    return usable_source(await database.run(lookup), "Bearer")
