"""The number API (``/v3/number/queryPage``, ``/v3/number/edit``): typed numbers, the edit's
body, and reading both answers. No I/O here; the clients send."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import msgspec

from callrec.client._protocol import envelope_data, unexpected
from callrec.wire.numbers import NUMBER_RECORD_KEYS

NUMBERS_PATH = "/v3/number/queryPage"
EDIT_PATH = "/v3/number/edit"
STATE_NAMES = {3: "in use", 4: "expired", 5: "disabled"}

_decoder = msgspec.json.Decoder()


@dataclass(frozen=True, slots=True)
class NumberInfo:
    """One rented number. ``state``: 3 in use, 4 expired, 5 disabled."""

    number: str
    app_id: str
    ccode: str
    country: str
    due_date: date | None
    state: int
    inbound_prefix: str
    type: str
    auto_renew: bool
    out_ip: str
    in_ip: str
    remark: str
    enable_voicemail: bool
    voicemail_file_id: str | None
    voicemail_file_name: str | None
    voicemail_max_hangup: int | None
    raw: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class NumberPage:
    total: int
    size: int
    current: int
    pages: int
    numbers: list[NumberInfo]


def numbers_body(current: int, size: int, app_id: str | None) -> bytes:
    params = {} if app_id is None else {"appId": app_id}
    return msgspec.json.encode({"current": current, "size": size, "params": params})


def edit_body(
    number: str,
    app_id: str,
    enable_voicemail: bool,
    *,
    out_ip: str | None = None,
    in_ip: str | None = None,
    inbound_prefix: str | None = None,
    remark: str | None = None,
    voicemail_max_hangup: int | str | None = None,
    greeting: bytes | None = None,
    greeting_file_name: str | None = None,
    clear_greeting: bool = False,
) -> bytes:
    """``None`` leaves a field as it is; ``""`` clears it (``voicemail_max_hangup=""`` too)."""
    body: dict[str, Any] = {
        "number": number,
        "appId": app_id,
        "enableVoicemail": 1 if enable_voicemail else 0,
    }
    optional = {
        "outIp": out_ip,
        "inIp": in_ip,
        "inboundPrefix": inbound_prefix,
        "remark": remark,
        "voicemailMaxHangup": voicemail_max_hangup,
    }
    body.update({key: value for key, value in optional.items() if value is not None})
    if greeting is not None:
        if not greeting_file_name:
            raise ValueError("a greeting needs its file name (with .mp3, .wav or .m4a)")
        body["voicemailFile"] = base64.b64encode(greeting).decode("ascii")
        body["voicemailFileName"] = greeting_file_name
    elif clear_greeting:
        body["voicemailFile"] = ""
    return msgspec.json.encode(body)


def _number(raw: dict[str, Any]) -> NumberInfo:
    missing = [key for key in NUMBER_RECORD_KEYS if key not in raw]
    if missing:
        raise ValueError(f"a number record lacks {', '.join(missing)}")
    due = raw["dueDate"]
    return NumberInfo(
        number=str(raw["number"]),
        app_id=raw["appId"] or "",
        ccode=raw["ccode"] or "",
        country=raw["country"] or "",
        due_date=date.fromisoformat(due) if due else None,
        state=int(raw["state"]),
        inbound_prefix=raw["inboundPrefix"] or "",
        type=raw["type"] or "",
        auto_renew=int(raw["autoRenew"]) == 1,
        out_ip=raw["outIp"] or "",
        in_ip=raw["inIp"] or "",
        remark=raw["remark"] or "",
        enable_voicemail=int(raw["enableVoicemail"]) == 1,
        voicemail_file_id=raw["voicemailFileId"],
        voicemail_file_name=raw["voicemailFileName"],
        voicemail_max_hangup=(
            None if raw["voicemailMaxHangup"] is None else int(raw["voicemailMaxHangup"])
        ),
        raw=raw,
    )


def read_numbers(response: httpx.Response) -> NumberPage:
    data = envelope_data(response, _decoder)
    try:
        return NumberPage(
            total=int(data["total"]),
            size=int(data["size"]),
            current=int(data["current"]),
            pages=int(data["pages"]),
            numbers=[_number(item) for item in data["records"]],
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise unexpected(response, f"not a page of numbers: {exc}") from exc


def read_edit(response: httpx.Response) -> None:
    envelope_data(response, _decoder)
