"""Decoding JSON from outside bytes, with one error type for every way the bytes can be bad.

msgspec raises two failures outside ``msgspec.DecodeError``: ``RecursionError`` for nesting
deeper than the interpreter's recursion limit, and ``UnicodeDecodeError`` for bytes inside a
string that are not UTF-8. Callers that catch only ``DecodeError`` answer those as internal
errors; decoding through here makes them what they are, unreadable input.
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
        raise JsonTextError(str(exc)) from exc
    except RecursionError as exc:
        raise JsonTextError("nested too deeply") from exc
    except UnicodeDecodeError as exc:
        raise JsonTextError(f"invalid UTF-8 at byte {exc.start} of a string") from exc
