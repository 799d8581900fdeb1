"""Field readers for ingested documents: each names the field in its error."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from callrec.ingest.field_error import FieldError
from callrec.ingest.storable import storable_instant, storable_text
from callrec.wire.money import MoneyError, parse_decimal
from callrec.wire.times import TimeFormatError, parse_iso_instant


def text(item: dict[str, Any], field: str, *, required: bool, max_length: int = 256) -> str | None:
    value = item.get(field)
    if value is not None:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise FieldError(field, "must be a string")
        value = str(value).strip()
    if not value:  # absent, null, or only blanks
        if required:
            raise FieldError(field, "is required")
        return None
    if len(value) > max_length:
        raise FieldError(field, f"is longer than {max_length} characters")
    return storable_text(value, field)


def required_text(item: dict[str, Any], field: str, max_length: int = 256) -> str:
    value = text(item, field, required=True, max_length=max_length)
    assert value is not None
    return value


def party_text(item: dict[str, Any], field: str, max_length: int) -> str:
    """A calling or called party: the key is required, its value may be "" (an anonymous
    caller, which ingest stores as "" and the API serves as "")."""
    if item.get(field) is None:
        raise FieldError(field, "is required")
    return text(item, field, required=False, max_length=max_length) or ""


def integer(item: dict[str, Any], field: str, minimum: int = 0) -> int:
    value = item.get(field)
    if value is None:
        raise FieldError(field, "is required")
    if isinstance(value, bool):
        raise FieldError(field, "must be an integer, got a boolean")
    # Anything with more than 10 digits is out of range: say so without building a huge int
    # (int("9" * 5000) raises, int(Decimal("1E+99999999")) runs for minutes).
    out_of_range = 2**31
    if isinstance(value, str) and value.isascii() and value.isdigit():
        digits = value.lstrip("0")
        value = int(digits or "0") if len(digits) <= 10 else out_of_range
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        value = int(value) if value.adjusted() <= 10 else out_of_range
    if not isinstance(value, int):
        raise FieldError(field, "must be an integer")
    if value < minimum or value > 2**31 - 1:
        raise FieldError(field, f"must be an integer from {minimum} to {2**31 - 1}")
    return value


def decimal(item: dict[str, Any], field: str, *, required: bool) -> Decimal | None:
    """A decimal string or a JSON number (decoded exactly, never through a float)."""
    value = item.get(field)
    if value is None or value == "":
        if required:
            raise FieldError(field, "is required")
        return None
    if isinstance(value, bool):
        raise FieldError(field, "must be a decimal number, got a boolean")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = parse_decimal(value)
        except MoneyError as exc:
            raise FieldError(field, str(exc)) from exc
    else:
        raise FieldError(field, "must be a decimal number")
    if not parsed.is_finite():
        raise FieldError(field, "must be a finite decimal number")
    return parsed


def iso_instant(item: dict[str, Any], field: str) -> int:
    value = item.get(field)
    if not isinstance(value, str):
        raise FieldError(field, "is required as an ISO 8601 time with a UTC offset")
    try:
        micros = parse_iso_instant(value).micros
    except TimeFormatError as exc:
        raise FieldError(field, str(exc)) from exc
    return storable_instant(micros, field)
