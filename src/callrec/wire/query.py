"""The queryPage request body: parsing and the contract's validation rules (``-22``, ``-25``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import msgspec

from callrec.wire.json_text import JsonTextError, decode_json
from callrec.wire.status import ContractError, Status, parameter_error
from callrec.wire.times import Instant, TimeFormatError, parse_iso_instant

MAX_INTEGER = 2**31 - 1
MAX_PAGE_SIZE = 100
MICROS_PER_DAY = 86_400 * 1_000_000
NANOS_PER_DAY = MICROS_PER_DAY * 1000

_decoder = msgspec.json.Decoder()
# Dashboards and exports send the same window again and again; an Instant is immutable.
# Failures are not remembered (lru_cache keeps results only).
_parse_wire_time = lru_cache(maxsize=1024)(parse_iso_instant)


@dataclass(frozen=True, slots=True)
class PageQuery:
    current: int
    size: int
    start: Instant
    end: Instant

    @property
    def offset(self) -> int:
        return (self.current - 1) * self.size


def contract_integer(value: Any, field: str, minimum: int, maximum: int = MAX_INTEGER) -> int:
    """A JSON integer, or a string of ASCII digits; never a bool, a fraction or an exponent."""
    if isinstance(value, bool):
        raise parameter_error(f"{field} must be an integer, got a boolean")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit():
        # Leading zeros are harmless; more significant digits than MAX_INTEGER has is out of
        # range, and must not reach int() (which refuses strings of over 4300 digits).
        significant = value.lstrip("0") or "0"
        number = int(significant) if len(significant) <= len(str(maximum)) else maximum + 1
    else:
        raise parameter_error(f"{field} must be an integer")
    if not minimum <= number <= maximum:
        if maximum == MAX_INTEGER:
            raise parameter_error(f"{field} must be an integer of at least {minimum}")
        raise parameter_error(f"{field} must be an integer from {minimum} to {maximum}")
    return number


def _instant(params: dict[str, Any], name: str) -> Instant:
    field = f"params.{name}"
    if name not in params or params[name] is None:
        raise parameter_error(f"{field} is required")
    value = params[name]
    if not isinstance(value, str):
        raise parameter_error(f"{field} must be a string")
    try:
        return _parse_wire_time(value)
    except TimeFormatError as exc:
        raise parameter_error(f"{field} is not a valid time: {exc}") from exc


def required_member(body: dict[str, Any], name: str) -> Any:
    value = body.get(name)
    if value is None:
        raise parameter_error(f"{name} is required")
    return value


def request_object(body: bytes) -> dict[str, Any]:
    """A signed endpoint's body as a JSON object, or ``-22`` saying why it is not one."""
    if not body.strip():
        raise parameter_error("request body is empty; expected a JSON object")
    try:
        document = decode_json(_decoder, body)
    except JsonTextError as exc:
        raise parameter_error(f"request body is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise parameter_error("request body must be a JSON object")
    return document


def paged_request(body: bytes) -> tuple[int, int, dict[str, Any]]:
    """``current``, ``size`` and ``params`` of a paged request body (queryPage, numbers)."""
    document = request_object(body)
    current = contract_integer(required_member(document, "current"), "current", 1)
    size = contract_integer(required_member(document, "size"), "size", 1, MAX_PAGE_SIZE)
    params = required_member(document, "params")
    if not isinstance(params, dict):
        raise parameter_error("params must be a JSON object")
    return current, size, params


def parse_page_query(body: bytes) -> PageQuery:
    """Decode and validate a queryPage body; every failure names the field (``-22``)."""
    current, size, params = paged_request(body)
    start = _instant(params, "strTime")
    end = _instant(params, "endTime")
    # Exact instants: two times less than a microsecond apart still have an order.
    if end.nanos <= start.nanos:
        raise parameter_error("params.endTime must be later than params.strTime")
    return PageQuery(current=current, size=size, start=start, end=end)


def check_window(
    query: PageQuery, max_window_days: int, lookback_days: int | None, now_micros: int
) -> None:
    """The ``-25`` rules: the window's span, and how far back ``strTime`` may reach."""
    if query.end.nanos - query.start.nanos > max_window_days * NANOS_PER_DAY:
        raise ContractError(
            Status.TIME_RANGE,
            f"the window from params.strTime to params.endTime exceeds {max_window_days} days",
        )
    if (
        lookback_days is not None
        and query.start.nanos < now_micros * 1000 - lookback_days * NANOS_PER_DAY
    ):
        raise ContractError(
            Status.TIME_RANGE,
            f"params.strTime is more than {lookback_days} days in the past",
        )
