"""Checks every source applies to the fields of a raw CDR, naming the field on failure."""

from __future__ import annotations

from callrec.ingest.fields import FieldError
from callrec.ingest.storable import storable_text

MAX_CALLID = 128
MAX_PARTY = 64
MAX_HANGUP_REASON = 64
MAX_RECORDING_URL = 2048


def bounded(value: str, field: str, max_length: int) -> str:
    """Text that fits its column on every backend (see ``storable``)."""
    if len(value) > max_length:
        raise FieldError(field, f"is longer than {max_length} characters")
    return storable_text(value, field)


def callid(value: str | None, field: str) -> str:
    if value is None or not value.strip():
        raise FieldError(field, "is required")
    return bounded(value.strip(), field, MAX_CALLID)


def party(value: str | None, field: str, *, required: bool = True) -> str:
    """A calling or called party as the switch wrote it; the pipeline normalises numbers."""
    if value is None or not value.strip():
        if required:
            raise FieldError(field, "is required")
        return ""
    return bounded(value.strip(), field, MAX_PARTY)


def sip_status(value: str | None, field: str) -> str | None:
    """A SIP final status: three digits, 100 to 699."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not (len(text) == 3 and text.isascii() and text.isdigit() and "100" <= text <= "699"):
        raise FieldError(field, f"{text!r} is not a SIP status code (100-699)")
    return text


def hangup_reason(value: str | None, field: str) -> str | None:
    if value is None or not value.strip():
        return None
    return bounded(value.strip(), field, MAX_HANGUP_REASON)


def recording_url(value: str | None, field: str) -> str:
    if value is None:
        return ""
    return bounded(value.strip(), field, MAX_RECORDING_URL)


def seconds(value: str | None, field: str, *, required: bool) -> int | None:
    """A whole number of seconds written as digits (Asterisk's duration, FreeSWITCH's billsec)."""
    if value is None or not value.strip():
        if required:
            raise FieldError(field, "is required")
        return None
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or int(text) > 2**31 - 1:
        raise FieldError(field, f"{text!r} is not a whole number of seconds")
    return int(text)


def in_order(
    start_us: int, answer_us: int | None, end_us: int, names: tuple[str, str, str]
) -> None:
    start_name, answer_name, end_name = names
    if end_us < start_us:
        raise FieldError(end_name, f"is earlier than {start_name}")
    if answer_us is not None and not start_us <= answer_us <= end_us:
        raise FieldError(answer_name, f"is not between {start_name} and {end_name}")
