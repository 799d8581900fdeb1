"""A console form's fields, read from an ``application/x-www-form-urlencoded`` body.

Bounded (a form is small), strict UTF-8, and a NUL anywhere is refused: the console's forms
send names, remarks and addresses, never binary.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.requests import Request

MAX_FORM_BYTES = 64 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"


class Form(dict[str, str]):
    """Each field's last value; ``every(name)`` for a field sent several times (checkboxes)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__(pairs)
        self._pairs = pairs

    def every(self, name: str) -> list[str]:
        return [value for key, value in self._pairs if key == name]


async def read_form(request: Request, max_bytes: int = MAX_FORM_BYTES) -> Form:
    """The form's fields. 400/413/415 for a body that is not a small UTF-8 form."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != FORM_TYPE:
        raise HTTPException(415, "the form must be sent as " + FORM_TYPE)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise HTTPException(413, f"the form is over {max_bytes // 1024} KiB")
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise HTTPException(400, "the form is not valid UTF-8") from exc
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            raise HTTPException(400, f"the form field {name!r} holds a NUL character")
    return Form(pairs)
