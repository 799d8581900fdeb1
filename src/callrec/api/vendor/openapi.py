"""Documentation-only models: they describe the wire format in /docs and /openapi.json.

The endpoint itself parses and encodes with callrec.wire (the contract's own rules, which a
generic validator cannot express: digit strings as integers, -22 reasons naming the field).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from callrec.wire.query import MAX_INTEGER, MAX_PAGE_SIZE
from callrec.wire.status import Status

# The same form as callrec.wire.times parses (ASCII digits only), for generators and validators.
ISO_INSTANT_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$"
)


def digits_from_1_to(limit: int) -> str:
    """A pattern for the ASCII digit strings (leading zeros allowed) whose value is 1..limit,
    as callrec.wire.query.contract_integer accepts them."""
    text = str(limit)
    shorter = [f"[1-9][0-9]{{0,{len(text) - 2}}}"] if len(text) > 1 else []
    same_length = []
    for position, digit in enumerate(text):
        lowest = 1 if position == 0 else 0
        if int(digit) > lowest:
            rest = len(text) - position - 1
            same_length.append(f"{text[:position]}[{lowest}-{int(digit) - 1}][0-9]{{{rest}}}")
    return f"^0*({'|'.join([*shorter, *same_length, text])})$"


WireInstant = Annotated[str, StringConstraints(pattern=ISO_INSTANT_PATTERN)]
CurrentDigits = Annotated[str, StringConstraints(pattern=digits_from_1_to(MAX_INTEGER))]
SizeDigits = Annotated[str, StringConstraints(pattern=digits_from_1_to(MAX_PAGE_SIZE))]


class QueryParams(BaseModel):
    strTime: WireInstant = Field(
        description="Window start (inclusive), ISO 8601 with a UTC offset; records are matched "
        "on their start time. Times in the answer are rendered in this offset.",
        examples=["2022-01-31T00:00:00+08:00"],
    )
    endTime: WireInstant = Field(
        description="Window end (exclusive), same form; later than strTime, at most the "
        "server's window limit (31 days by default) after it.",
        examples=["2022-02-01T00:00:00+08:00"],
    )


class QueryPageBody(BaseModel):
    current: Annotated[int, Field(ge=1, le=MAX_INTEGER)] | CurrentDigits = Field(
        description="Page number, 1..2147483647 (a string of ASCII digits is accepted)"
    )
    size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] | SizeDigits = Field(
        description="Records per page, 1..100 (a string of ASCII digits is accepted)"
    )
    params: QueryParams


class RecordDoc(BaseModel):
    callid: str
    number: str = Field(description="The workspace's own number the call went through")
    type: str | None = Field(description="MOBILE or FIXED")
    caller: str
    called: str
    ccode: str | None = Field(description="Called party's country calling code, digits")
    country: str | None = Field(description="Called party's country, English name")
    callSource: int = Field(description="2 incoming, 3 outgoing")
    callDuration: int = Field(description="Talk time, seconds")
    chargedDuration: int = Field(description="Billed seconds after the billing increment")
    startTime: str = Field(description="yyyy-MM-dd HH:mm:ss in the offset of params.strTime")
    endTime: str = Field(description="yyyy-MM-dd HH:mm:ss in the offset of params.strTime")
    pay: str = Field(description="Amount in the quote currency, exactly 6 decimal places")
    sipCode: str | None
    recordingFileUrl: str = Field(description='Recording URL, "" when none')
    hangupReason: str | None
    appId: str | None
    chargedPeriod: str | None = Field(description='Billing increment "A+B", e.g. "60+60"')
    customerRate: str | None = Field(description="Rate per minute in the quote currency")
    currency: str | None = Field(description="Quote currency; null when USD")
    QuoteExchange: str | None = Field(description="USD per quote-currency unit; null when USD")
    SeptleRate: str | None = Field(description="Rate per minute in USD; null when USD")
    SettlePay: str | None = Field(description="Amount in USD, 6 places; null when USD")


class PageDoc(BaseModel):
    total: int
    size: int
    current: int
    pages: int
    records: list[RecordDoc]


class EnvelopeDoc(BaseModel):
    status: str = Field(description='"0" on success, otherwise a status code (a string)')
    reason: str
    data: PageDoc | None = Field(default=None, description="Absent on failure")


STATUS_MEANINGS: dict[Status, str] = {
    Status.SUCCESS: "success",
    Status.AUTHENTICATION: "Api-Key, Timestamp or Sign missing or malformed; unknown key or "
    "wrong sign (one reason for both)",
    Status.IP_RESTRICTED: "the caller's IP is on the deny list or locked out after repeated "
    "failed signatures",
    Status.RATE_LIMITED: "query too frequently: the key's rate limit (set by the operator) is "
    "spent; retry after a pause",
    Status.TIMESTAMP_EXPIRED: "Timestamp outside the server's tolerance (default ±1800 s)",
    Status.SYSTEM_ERROR: "unexpected error; the reason carries a request id for the operator",
    Status.PARAMETER_ERROR: "bad body: Content-Type, size, JSON, types, ranges, time formats, "
    "endTime not after strTime; the reason names the field",
    Status.DATA_EXISTS: "data already exists (platform code, reserved; not answered today)",
    Status.DATA_NOT_FOUND: "number API only: the number is not in the key's workspace, or its "
    "appId differs (one reason for both)",
    Status.TIME_RANGE: "window longer than the limit (default 31 days) or beyond the look-back",
    Status.WORKSPACE_DISABLED: "the key's workspace is disabled",
    Status.KEY_DISABLED: "the API key is disabled",
    Status.IP_NOT_WHITELISTED: "the key has an IP whitelist and the caller is not on it",
}

_HEADER_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "Api-Key",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "The API key's public name",
        "example": "bDqJFiq9",
    },
    {
        "name": "Timestamp",
        "in": "header",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
        "description": "Current Unix time in seconds",
        "example": "1630468800",
    },
    {
        "name": "Sign",
        "in": "header",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9a-fA-F]{32}$"},
        "description": "md5(ApiKey + ApiSecret + Timestamp) as 32 hex digits",
        "example": "05d7a50893e22a5c4bb3216ae3396c7c",
    },
]


def _status_table() -> str:
    rows = "\n".join(f"| `{s.value}` | {meaning} |" for s, meaning in STATUS_MEANINGS.items())
    return "| status | when |\n|---|---|\n" + rows


QUERY_PAGE_DESCRIPTION = f"""
Call records of the key's workspace whose start time lies in `[strTime, endTime)`, ascending by
start time then `callid`. Every outcome is HTTP 200 with a JSON envelope; `status` says which.

Sign: `md5(ApiKey + ApiSecret + Timestamp)`, e.g. key `bDqJFiq9`, secret `7bz1lzh9`, timestamp
`1630468800` give `05d7a50893e22a5c4bb3216ae3396c7c`.

{_status_table()}
"""


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON Schema with its ``$defs`` written in place.

    An operation's schema sits inside the OpenAPI document, where pydantic's ``#/$defs/...``
    (or a ``#/components/schemas/...`` nobody registers) does not resolve; these models have
    no cycles, so every reference can simply be replaced by what it names.
    """
    schema = model.model_json_schema()
    definitions: dict[str, Any] = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(definitions[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


SECURITY_SCHEMES: dict[str, Any] = {
    "vendorSign": {
        "type": "apiKey",
        "in": "header",
        "name": "Api-Key",
        "description": "The API key, with two more headers: Timestamp (Unix seconds) and "
        "Sign = md5(ApiKey + ApiSecret + Timestamp), lowercase hex (docs/api.md)",
    },
}

QUERY_PAGE_OPENAPI: dict[str, Any] = {
    "security": [{"vendorSign": []}],
    "parameters": _HEADER_PARAMETERS,
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": inline_schema(QueryPageBody)}},
    },
}


_SIGN_NOTE = (
    "Signed and checked exactly like queryPage (same headers, sign, tolerance, lockout, order "
    "of checks and envelope); every outcome is HTTP 200 with a JSON envelope."
)

NUMBERS_DESCRIPTION = f"""
The key's workspace's numbers, by number ascending, 16 keys each in the vendor's order
(`state`: 3 in use, 4 expired, 5 disabled). `params.appId` keeps one application's numbers;
an unknown one gives an empty page. {_SIGN_NOTE}
"""

EDIT_DESCRIPTION = f"""
Configure one number of the key's workspace. A field left out (or `null`) keeps its value, `""`
clears it. A number outside the workspace, or a wrong `appId`, is `-24` ("data does not
exist"); a refused value is `-22` naming the field. Body limit 8 MiB. {_SIGN_NOTE}
"""


def _body_schema(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "parameters": _HEADER_PARAMETERS,
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "object", "properties": properties, "required": required}
                }
            },
        },
    }


_INTEGER_OR_DIGITS: dict[str, Any] = {
    "oneOf": [{"type": "integer"}, {"type": "string", "pattern": "^[0-9]+$"}]
}
NUMBERS_OPENAPI = _body_schema(
    {
        "current": _INTEGER_OR_DIGITS,
        "size": _INTEGER_OR_DIGITS,
        "params": {"type": "object", "properties": {"appId": {"type": "string"}}},
    },
    ["current", "size", "params"],
)
_TEXT: dict[str, Any] = {"type": ["string", "null"]}
EDIT_OPENAPI = _body_schema(
    {
        "number": {"type": "string"},
        "appId": {"type": "string"},
        "outIp": {**_TEXT, "maxLength": 50},
        "inIp": {**_TEXT, "maxLength": 50},
        "inboundPrefix": {**_TEXT, "maxLength": 32},
        "remark": {**_TEXT, "maxLength": 50},
        "enableVoicemail": _INTEGER_OR_DIGITS,
        "voicemailFile": {**_TEXT, "description": "base64 of an mp3, wav or m4a, at most 5 MiB"},
        "voicemailFileName": _TEXT,
        "voicemailMaxHangup": {"oneOf": [*_INTEGER_OR_DIGITS["oneOf"], {"type": "null"}]},
    },
    ["number", "appId", "enableVoicemail"],
)
