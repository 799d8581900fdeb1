"""Decoding JSON from outside bytes, with one error type for every way the bytes can be bad.

msgspec raises failures outside ``msgspec.DecodeError``: ``RecursionError`` for nesting
deeper than the interpreter's recursion limit, and (before 0.23) ``UnicodeDecodeError`` for
bytes inside a string that are not UTF-8. Callers that catch only ``DecodeError`` answer those
as internal errors; decoding through here makes them what they are, unreadable input. Invalid
UTF-8 is described here, not in msgspec's words, which change between its releases.
"""

from __future__ import annotations

from typing import Any

import msgspec


class JsonTextError(ValueError):
    """The bytes are not one JSON document; the message says why, in one line."""


def decode_json(decoder: msgspec.json.Decoder[Any], data: bytes | str) -> Any:
    try:
        return decoder.decode(data)
    except msgspec.DecodeError as exc:
        raise JsonTextError(_invalid_utf8(data) or str(exc)) from exc
    except RecursionError as exc:
        raise JsonTextError("nested too deeply") from exc
    except UnicodeDecodeError as exc:
        raise JsonTextError(_invalid_utf8(data) or "invalid UTF-8") from exc


def _invalid_utf8(data: bytes | str) -> str | None:
    """Where ``data`` stops being UTF-8, or None when it is (or is already text)."""
    if isinstance(data, str):
        return None
    try:
        bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"invalid UTF-8 at byte {exc.start}"
    return None
