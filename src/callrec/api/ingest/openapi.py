"""Documentation of the ingest endpoints for /openapi.json: bodies, answers and credentials.

Inline schemas (no ``$ref``), so each operation is complete where it stands.
"""

from __future__ import annotations

from typing import Any

from callrec.api.time_zones import known_zones
from callrec.ingest.sources.tabular import FIELDS, REQUIRED_FIELDS

_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"error": {"type": "string"}},
    "required": ["error"],
}

_REPORT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "accepted": {"type": "integer"},
        "duplicates": {"type": "integer"},
        "conflicts": {"type": "integer"},
        "quarantined": {"type": "integer"},
        "skipped": {"type": "integer"},
        "rejected": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"item": {"type": "string"}, "reason": {"type": "string"}},
                "required": ["item", "reason"],
            },
        },
    },
    "required": ["accepted", "duplicates", "conflicts", "quarantined", "skipped", "rejected"],
}


def error_answer(description: str, *, challenge: bool = False) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": _ERROR_SCHEMA}},
    }
    if challenge:
        answer["headers"] = {
            "WWW-Authenticate": {"schema": {"type": "string"}, "description": "The scheme"}
        }
    return answer


def _responses(what_is_unreadable: str) -> dict[str, Any]:
    return {
        "200": {
            "description": "Committed: what was stored, repeated, quarantined or rejected",
            "content": {"application/json": {"schema": _REPORT_SCHEMA}},
        },
        "400": error_answer(what_is_unreadable),
        "401": error_answer("Missing or wrong credentials", challenge=True),
        "403": error_answer("The ingest source is disabled"),
        "413": error_answer("The body is over the size limit"),
        "500": error_answer("Storing failed; nothing was stored, the sender retries"),
    }


# The credentials are security schemes (OpenAPI ignores a header parameter named
# Authorization); api/app.py adds SECURITY_SCHEMES to the document's components.
SECURITY_SCHEMES: dict[str, Any] = {
    "ingestBasic": {
        "type": "http",
        "scheme": "basic",
        "description": "POST /ingest/freeswitch: the ingest source's name and password "
        "(`callrec ingest-source create`)",
    },
    "ingestBearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "POST /ingest/cdrs: the ingest source's token "
        "(`callrec ingest-source create`)",
    },
}


# Items are not constrained here: each is checked on its own and a bad one is reported in
# the 200 answer's "rejected" list while the good ones are stored.
_CDR_ITEM: dict[str, Any] = {
    "description": "A raw CDR object with the fields "
    + ", ".join(FIELDS)
    + " (required: "
    + ", ".join(REQUIRED_FIELDS)
    + "); an item that is not a usable CDR is rejected on its own",
}

_BATCH_SCHEMA: dict[str, Any] = {
    "description": "A JSON array of CDRs, or JSON Lines (one CDR object per line, any content "
    "type; a single object is one line)",
    "anyOf": [{"type": "array", "items": _CDR_ITEM}, {"type": "object"}],
}

INGEST_CDRS_OPENAPI: dict[str, Any] = {
    "security": [{"ingestBearer": []}],
    "parameters": [
        {
            "name": "tz",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "enum": sorted(known_zones())},
            "description": "IANA time zone (Area/City) for times written without an offset",
        },
    ],
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _BATCH_SCHEMA},
        },
    },
    "responses": _responses("The body cannot be read as a JSON array or JSON Lines, or tz is "
                            "not a time zone"),
}  # fmt: skip

INGEST_FREESWITCH_OPENAPI: dict[str, Any] = {
    "security": [{"ingestBasic": []}],
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {"cdr": {"type": "string"}},
                    "required": ["cdr"],
                }
            },
        },
    },
    "responses": _responses("The body or the CDR document cannot be read (retrying cannot help)"),
}
