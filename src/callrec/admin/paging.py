"""Lists in pages: a limit and an opaque cursor (where the previous page ended)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from fastapi import Query

from callrec.admin.problems import Problem

T = TypeVar("T")
MAX_LIMIT = 500

LIMIT = Query(100, ge=1, le=MAX_LIMIT, description="Items per page (1 to 500).")
CURSOR = Query(None, max_length=400, description="`nextCursor` of the previous page.")


def encode_cursor(after: Any) -> str:
    raw = json.dumps({"after": after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, kind: type) -> Any:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        after = json.loads(raw)["after"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise Problem(422, "cursor is not one this API gave out", "cursor") from exc
    if not isinstance(after, kind) or isinstance(after, bool):
        raise Problem(422, "cursor is not one this API gave out", "cursor")
    return after


def decode_position(cursor: str | None, *kinds: type) -> tuple[Any, ...] | None:
    """A keyset position: a cursor holding one value of each of ``kinds``, in order (an int is
    one a BIGINT column can hold)."""
    after = decode_cursor(cursor, list)
    if after is None:
        return None
    if len(after) != len(kinds) or not all(map(_is_a, after, kinds)):
        raise Problem(422, "cursor is not one this API gave out", "cursor")
    return tuple(after)


def _is_a(value: Any, kind: type) -> bool:
    return is_stored_int(value) if kind is int else isinstance(value, kind)


def is_stored_int(value: Any) -> bool:
    """An integer a BIGINT column can hold: a forged cursor must not reach the database."""
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63


def page(items: Sequence[T], limit: int, position: Callable[[T], Any],
         render: Callable[[T], dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    """``items`` holds up to ``limit + 1``: one more than shown says another page follows."""
    shown = list(items[:limit])
    more = len(items) > limit
    return {
        "items": [render(item) for item in shown],
        "nextCursor": encode_cursor(position(shown[-1])) if more and shown else None,
    }
