"""The three bodies ``mod_json_cdr`` posts (its ``encode`` setting), unwrapped to the JSON.

- ``encode=false``: ``application/json``, the document itself;
- ``encode=true``: ``application/x-www-form-urlencoded``, ``cdr=<URL-encoded JSON>``;
- ``encode=base64``: ``application/x-www-form-base64-encoded``, ``cdr=<base64 JSON>``.

The Content-Type decides; when it is missing or another one, the body is recognised by its
shape (a JSON object, or a ``cdr=`` form whose value is URL-encoded JSON or base64).
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote_plus, unquote_to_bytes

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
BASE64_FORM = "application/x-www-form-base64-encoded"


class BodyError(ValueError):
    """The body is not one of the module's encodings; the message says what was expected."""


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _cdr_field(body: bytes) -> bytes:
    for part in body.strip().split(b"&"):
        name, separator, value = part.partition(b"=")
        if separator and name == b"cdr":
            return value
    raise BodyError("a form body must have a cdr field (cdr=<the CDR>)")


def _from_url_encoded(value: bytes) -> bytes:
    try:
        return unquote_plus(value.decode("utf-8"), errors="strict").encode("utf-8")
    except UnicodeError as exc:
        raise BodyError("cdr: not a URL-encoded UTF-8 document") from exc


def _from_base64(value: bytes) -> bytes:
    # base64's "+" and "/" come through unescaped; a relay may have percent-encoded them.
    raw = unquote_to_bytes(value) if b"%" in value else value
    raw = b"".join(raw.split())
    try:
        return base64.b64decode(raw + b"=" * (-len(raw) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BodyError("cdr: not valid base64") from exc


def cdr_json(content_type: str | None, body: bytes) -> bytes:
    """The JSON document inside a request body."""
    kind = media_type(content_type)
    if not body.strip():
        raise BodyError("the body is empty")
    if kind == JSON or (kind not in (FORM, BASE64_FORM) and body.lstrip().startswith(b"{")):
        return body
    value = _cdr_field(body)
    if kind == FORM:
        return _from_url_encoded(value)
    if kind == BASE64_FORM:
        return _from_base64(value)
    decoded = _from_url_encoded(value)
    if decoded.lstrip().startswith(b"{"):
        return decoded
    return _from_base64(value)
