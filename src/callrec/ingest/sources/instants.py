"""Times as sources write them, to UTC microseconds.

Accepted forms: epoch seconds (an integer, or a decimal string with an optional fraction), and
``YYYY-MM-DD[T ]HH:MM:SS[.fraction]`` with ``Z`` or ``±HH:MM``, or without an offset when a
time zone is given. A fraction finer than a microsecond rounds up, as on the wire.

Local times and daylight saving time (docs/ingest.md): a local time that occurs twice (clocks
went back) has two candidate instants, and ``pick_instants`` chooses the combination that
agrees with the durations the switch reported (Asterisk's ``duration`` and ``billsec``), the
earlier one when nothing tells them apart. A local time that never happened (clocks skipped
it) is rejected: the switch cannot have written it, so the zone given is not the switch's.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from callrec.ingest.fields import FieldError
from callrec.ingest.storable import storable_instant

MICROS = 1_000_000
# 9999-12-31T23:59:59Z: beyond it an "epoch" is milliseconds or garbage, not seconds.
MAX_EPOCH_SECONDS = 253_402_300_799
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_TEXT = re.compile(r"\d{1,12}(?:\.\d{1,9})?", re.ASCII)
_CALENDAR = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:(Z)|([+-])(\d{2}):(\d{2}))?",
    re.ASCII,
)
EXPECTED_FORMS = (
    "epoch seconds, or YYYY-MM-DDTHH:MM:SS with a UTC offset (e.g. 2024-01-01T09:00:00+08:00)"
)

Choices = tuple[int, ...]  # one instant, or two for a local time that occurs twice


def _epoch_micros(seconds: Decimal, field: str) -> int:
    if seconds < 0 or seconds > MAX_EPOCH_SECONDS:
        raise FieldError(field, f"epoch seconds {seconds} out of range (milliseconds?)")
    micros = seconds * MICROS
    return int(micros.to_integral_value(rounding="ROUND_CEILING"))


def _naive_micros(local: datetime) -> int:
    delta = local - datetime(1970, 1, 1)
    return (delta.days * 86400 + delta.seconds) * MICROS


def local_choices(local: datetime, tz: ZoneInfo, field: str) -> Choices:
    """The instants whose wall-clock time in ``tz`` is ``local`` (zero, one or two)."""
    found: list[int] = []
    for fold in (0, 1):
        try:
            instant = local.replace(tzinfo=tz, fold=fold).astimezone(UTC)
        except OverflowError as exc:  # 0001-01-01 east of UTC, 9999-12-31 west of it
            raise FieldError(
                field, f"{local.isoformat(' ')} in {tz.key} is outside the years 1 to 9999 (UTC)"
            ) from exc
        if instant.astimezone(tz).replace(tzinfo=None) != local:
            continue  # in a gap: no instant shows this wall-clock time
        delta = instant - _EPOCH
        micros = (delta.days * 86400 + delta.seconds) * MICROS + delta.microseconds
        if micros not in found:
            found.append(micros)
    if not found:
        raise FieldError(
            field,
            f"{local:%Y-%m-%d %H:%M:%S} does not exist in {tz.key} (the clocks skipped it); "
            "is that the switch's time zone?",
        )
    return tuple(sorted(found))


def calendar_choices(text: str, field: str, tz: ZoneInfo | None) -> Choices:
    match = _CALENDAR.fullmatch(text)
    if match is None:
        raise FieldError(field, f"expected {EXPECTED_FORMS}")
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    try:
        local = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError as exc:
        raise FieldError(field, f"{text!r}: {exc}") from exc
    extra = -(-int((fraction or "").ljust(9, "0")) // 1000)
    if zulu or sign:
        offset = 0
        if sign:
            if int(off_h) > 23 or int(off_m) > 59:
                raise FieldError(field, f"UTC offset out of range in {text!r}")
            offset = (int(off_h) * 3600 + int(off_m) * 60) * (-1 if sign == "-" else 1)
        return (_naive_micros(local) - offset * MICROS + extra,)
    if tz is None:
        raise FieldError(
            field,
            f"{text!r} has no UTC offset; write one (e.g. +08:00) or give the time zone (--tz)",
        )
    return tuple(micros + extra for micros in local_choices(local, tz, field))


def time_choices(value: object, field: str, tz: ZoneInfo | None) -> Choices:
    """Parse one time field in any accepted form, within the years 1 to 9999 in UTC."""
    return tuple(storable_instant(micros, field) for micros in _time_choices(value, field, tz))


def _time_choices(value: object, field: str, tz: ZoneInfo | None) -> Choices:
    if value is None or value == "":
        raise FieldError(field, "is required")
    if isinstance(value, bool):
        raise FieldError(field, f"expected {EXPECTED_FORMS}, got a boolean")
    if isinstance(value, int | Decimal):
        return (_epoch_micros(Decimal(value), field),)
    if not isinstance(value, str):
        raise FieldError(field, f"expected {EXPECTED_FORMS}")
    text = value.strip()
    if _EPOCH_TEXT.fullmatch(text):
        try:
            return (_epoch_micros(Decimal(text), field),)
        except InvalidOperation as exc:  # pragma: no cover - the pattern admits only digits
            raise FieldError(field, f"expected {EXPECTED_FORMS}") from exc
    return calendar_choices(text, field, tz)


def pick_instants(
    start: Choices,
    answer: Choices | None,
    end: Choices,
    *,
    call_seconds: int | None = None,
    talk_seconds: int | None = None,
) -> tuple[int, int | None, int]:
    """Choose one instant per time: in order (start <= answer <= end) first, then closest to
    the reported call length (end - start) and talk time (end - answer), then earliest."""
    answers: Sequence[int | None] = answer if answer is not None else (None,)
    best: tuple[tuple[int, int], tuple[int, int | None, int]] | None = None
    for s, a, e in itertools.product(start, answers, end):
        disorder = int(e < s) + (0 if a is None else int(a < s) + int(e < a))
        deviation = 0
        if call_seconds is not None:
            deviation += abs(e - s - call_seconds * MICROS)
        if talk_seconds is not None and a is not None:
            deviation += abs(e - a - talk_seconds * MICROS)
        score = (disorder, deviation)
        if best is None or score < best[0]:
            best = (score, (s, a, e))
    assert best is not None
    return best[1]
