"""The number API's wire format (``/v3/number/queryPage``, ``/v3/number/edit``).

Decoding checks JSON types only (strings, the contract's integers, absent vs ``null`` vs
``""``); what a value may contain (IP lists, prefixes, ranges) is a rule of the number
inventory, checked once in ``callrec.store.numbers`` for every face.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

import msgspec

from callrec.wire.query import contract_integer, paged_request, request_object, required_member
from callrec.wire.status import parameter_error

NUMBER_RECORD_KEYS: tuple[str, ...] = (
    "number", "appId", "ccode", "country", "dueDate", "state", "inboundPrefix", "type",
    "autoRenew", "outIp", "inIp", "remark", "enableVoicemail", "voicemailFileId",
    "voicemailFileName", "voicemailMaxHangup",
)  # fmt: skip


class Unchanged(Enum):
    """A field the request did not send (absent or ``null``): the stored value stays."""

    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED


class NumberRecord(msgspec.Struct):
    number: str
    appId: str
    ccode: str
    country: str
    dueDate: str
    state: int
    inboundPrefix: str
    type: str
    autoRenew: int
    outIp: str
    inIp: str
    remark: str
    enableVoicemail: int
    voicemailFileId: str | None
    voicemailFileName: str | None
    voicemailMaxHangup: int | None


class NumberPageData(msgspec.Struct):
    total: int
    size: int
    current: int
    pages: int
    records: list[NumberRecord]


class NumberEnvelope(msgspec.Struct, omit_defaults=True):
    status: str
    reason: str
    data: NumberPageData | None = None


class EditEnvelope(msgspec.Struct):
    status: str
    reason: str
    data: None = None


_encoder = msgspec.json.Encoder()


def encode_number_page(total: int, size: int, current: int, records: list[NumberRecord]) -> bytes:
    pages = -(-total // size) if total else 0
    data = NumberPageData(total=total, size=size, current=current, pages=pages, records=records)
    return _encoder.encode(NumberEnvelope(status="0", reason="success", data=data))


def encode_edit_success() -> bytes:
    """``{"status":"0","reason":"success","data":null}``: the vendor's answer to an edit."""
    return _encoder.encode(EditEnvelope(status="0", reason="success"))


@dataclass(frozen=True, slots=True)
class NumberPageQuery:
    current: int
    size: int
    app_id: str | None

    @property
    def offset(self) -> int:
        return (self.current - 1) * self.size


@dataclass(frozen=True, slots=True)
class NumberEditBody:
    """An edit as sent. ``UNCHANGED``: not sent; ``""``: clear (for the maximum, ``None``).

    ``voicemail_file`` is the base64 text as sent: it is decoded, measured and checked by
    the store, which knows the limits.
    """

    number: str
    app_id: str
    enable_voicemail: int
    out_ip: str | Unchanged = UNCHANGED
    in_ip: str | Unchanged = UNCHANGED
    inbound_prefix: str | Unchanged = UNCHANGED
    remark: str | Unchanged = UNCHANGED
    voicemail_file: str | Unchanged = UNCHANGED
    voicemail_file_name: str | Unchanged = UNCHANGED
    voicemail_max_hangup: int | Unchanged | None = UNCHANGED


def _string(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise parameter_error(f"{field} must be a string")
    return value


def _optional_string(document: dict[str, Any], field: str) -> str | Unchanged:
    value = document.get(field)
    return UNCHANGED if value is None else _string(value, field)


def parse_number_page_query(body: bytes) -> NumberPageQuery:
    current, size, params = paged_request(body)
    app_id = params.get("appId")
    if app_id is not None:
        app_id = _string(app_id, "params.appId")
    return NumberPageQuery(current=current, size=size, app_id=app_id)


def parse_number_edit(body: bytes) -> NumberEditBody:
    """Types only; ``callrec.store.numbers`` checks what the values may be."""
    document = request_object(body)
    number = _string(required_member(document, "number"), "number")
    app_id = _string(required_member(document, "appId"), "appId")
    enable = contract_integer(required_member(document, "enableVoicemail"), "enableVoicemail", 0)
    hangup_value = document.get("voicemailMaxHangup")
    hangup: int | Unchanged | None
    if hangup_value is None:
        hangup = UNCHANGED
    elif hangup_value == "":
        hangup = None
    else:
        hangup = contract_integer(hangup_value, "voicemailMaxHangup", 0)
    return NumberEditBody(
        number=number,
        app_id=app_id,
        enable_voicemail=enable,
        out_ip=_optional_string(document, "outIp"),
        in_ip=_optional_string(document, "inIp"),
        inbound_prefix=_optional_string(document, "inboundPrefix"),
        remark=_optional_string(document, "remark"),
        voicemail_file=_optional_string(document, "voicemailFile"),
        voicemail_file_name=_optional_string(document, "voicemailFileName"),
        voicemail_max_hangup=hangup,
    )
