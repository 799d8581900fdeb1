"""What each route can answer besides success, for the OpenAPI document."""

from __future__ import annotations

from typing import Any

from callrec.admin.models import ProblemDocument

_DESCRIPTIONS = {
    401: "No admin token, or a wrong or revoked one.",
    403: "The token may see the object but not do this (read-only, or not an operator).",
    404: "No such object, or one outside the token's workspace (the same answer).",
    409: "The object exists already, or its state refuses the change.",
    413: "The body is over the size limit.",
    415: "The body is not of the media type the route reads.",
    422: "A value is invalid; `field` names it.",
    429: "Too many failed attempts from this address.",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    codes = sorted({401, 422, 429, *statuses})
    return {code: {"model": ProblemDocument, "description": _DESCRIPTIONS[code]} for code in codes}
