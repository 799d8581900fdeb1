"""Opaque, tamper-evident cursors for the records search.

A cursor names where the next page starts (the last record's start time and callid) and is
bound to the search it came from: a digest of the workspace, the window and the filters. It
is signed with HMAC-SHA256 under a random key the service keeps in ``service_keys``, so an
edited cursor, or one carried over to another workspace, window or filter, is refused.

The key only protects cursors from editing (tenancy itself is the caller's authorisation),
so it is stored as is and made on first use by whichever process needs it first.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import weakref
from dataclasses import dataclass

import msgspec
from sqlalchemy import select
from sqlalchemy.engine import Engine

from callrec.store.dialect import insert_ignoring_conflicts
from callrec.store.schema import service_keys
from callrec.wire.times import now_micros

KEY_NAME = "records_cursor"
VERSION = 1
_TAG_BYTES = 16
_keys: weakref.WeakKeyDictionary[Engine, bytes] = weakref.WeakKeyDictionary()
_keys_lock = threading.Lock()


class InvalidCursor(ValueError):
    """The cursor was edited, or belongs to another search."""


@dataclass(frozen=True, slots=True)
class Position:
    """The last record of a page, in page order: the next page starts after it."""

    start_us: int
    callid: str


def cursor_key(engine: Engine) -> bytes:
    """The service's cursor key, made on first use (the first writer's key wins)."""
    with _keys_lock:
        known = _keys.get(engine)
    if known is not None:
        return known
    with engine.begin() as conn:
        conn.execute(
            insert_ignoring_conflicts(conn, service_keys).values(
                name=KEY_NAME, key_hex=secrets.token_hex(32), created_us=now_micros()
            )
        )
        key = bytes.fromhex(
            conn.execute(
                select(service_keys.c.key_hex).where(service_keys.c.name == KEY_NAME)
            ).scalar_one()
        )
    with _keys_lock:
        _keys[engine] = key
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _tag(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()[:_TAG_BYTES]


def encode_cursor(key: bytes, binding: str, position: Position) -> str:
    payload = msgspec.json.encode([VERSION, binding, position.start_us, position.callid])
    return f"{_b64(payload)}.{_b64(_tag(key, payload))}"


def decode_cursor(key: bytes, binding: str, cursor: str) -> Position:
    """The position a cursor names, if it is intact and was made for this very search."""
    try:
        body, tag = cursor.split(".")
        payload = _unb64(body)
        intact = hmac.compare_digest(_unb64(tag), _tag(key, payload))
    except (ValueError, binascii.Error) as exc:
        raise InvalidCursor("is not a cursor this service made") from exc
    if not intact:
        raise InvalidCursor("is not a cursor this service made")
    version, bound_to, start_us, callid = msgspec.json.decode(payload)
    if version != VERSION or bound_to != binding:
        raise InvalidCursor("belongs to another search: other workspace, window or filters")
    return Position(start_us, callid)
