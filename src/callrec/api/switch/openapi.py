"""Documentation of the switch endpoints for /openapi.json (inline schemas, no ``$ref``)."""

from __future__ import annotations

from typing import Any

from callrec.api.ingest.openapi import error_answer

_NULLABLE_TEXT: dict[str, Any] = {"type": ["string", "null"]}

_ROUTING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "number": {"type": "string"},
        "workspace": {"type": "string"},
        "appId": _NULLABLE_TEXT,
        "state": {"type": "integer", "enum": [3, 4, 5]},
        "inIp": {"type": "string"},
        "inboundPrefix": {"type": "string"},
        "voicemailEnabled": {"type": "boolean"},
        "voicemailMaxHangup": {"type": ["integer", "null"]},
        "greetingUrl": _NULLABLE_TEXT,
        "greetingFileName": _NULLABLE_TEXT,
    },
    "required": [
        "number", "workspace", "appId", "state", "inIp", "inboundPrefix", "voicemailEnabled",
        "voicemailMaxHangup", "greetingUrl", "greetingFileName",
    ],
}  # fmt: skip

# The ingest source's token: the ingestBearer security scheme (api/ingest/openapi.py).
_BEARER_SECURITY: list[dict[str, list[str]]] = [{"ingestBearer": []}]


def _path(name: str, pattern: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": pattern},
        "description": description,
    }


_REFUSALS: dict[str, Any] = {
    "401": error_answer("Missing or wrong credentials", challenge=True),
    "403": error_answer("The ingest source is disabled"),
    "404": error_answer("Not in the inventory (or no such greeting)"),
    "500": error_answer("Unexpected failure; the log has the request id"),
}

SWITCH_NUMBER_OPENAPI: dict[str, Any] = {
    "security": _BEARER_SECURITY,
    "parameters": [
        _path("number", r"^\+?[1-9][0-9]{2,14}$", "The called number, E.164 (digits, optional +)"),
    ],
    "responses": {
        "200": {
            "description": "Where the call goes: state 3 in use, 4 expired, 5 disabled",
            "content": {"application/json": {"schema": _ROUTING_SCHEMA}},
        },
        "400": error_answer("The path is not a phone number"),
        **_REFUSALS,
    },
}

SWITCH_GREETING_OPENAPI: dict[str, Any] = {
    "security": _BEARER_SECURITY,
    "parameters": [_path("file_id", "^[0-9a-f]{32}$", "The greetingUrl's last segment")],
    "responses": {
        "200": {
            "description": "The greeting as uploaded",
            "content": {
                media: {"schema": {"type": "string", "format": "binary"}}
                for media in ("audio/mpeg", "audio/wav", "audio/mp4")
            },
        },
        **_REFUSALS,
    },
}
