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
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
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


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_SHAPES = {19, 20, 25}  # YYYY-MM-DD?HH:MM:SS, then nothing, Z, or +HH:MM


def _seconds_shape(text: str, separators: str) -> bool:
    """Whether ``text`` is shaped ``YYYY-MM-DD?HH:MM:SS[Z|+HH:MM]`` (digits not checked)."""
    n = len(text)
    return (
        n in _SHAPES
        and text[4] == "-"
        and text[7] == "-"
        and text[10] in separators
        and text[13] == ":"
        and text[16] == ":"
        and (
            n == 19
            or (n == 20 and text[19] == "Z")
            or (n == 25 and text[19] in "+-" and text[22] == ":")
        )
    )


@lru_cache(maxsize=65_536)
def _hour_offset(tz: ZoneInfo, local_hour: int) -> int | None:
    """The one UTC offset (seconds) of every wall-clock time in this local hour of ``tz``
    (hours since 1970 on the wall clock), or None when the hour has a gap, a fold or a change
    of offset: those take the careful path."""
    try:
        first = datetime(1970, 1, 1) + timedelta(hours=local_hour)
        (first_us,) = local_choices(first, tz, "")
        (last_us,) = local_choices(first + timedelta(seconds=3599), tz, "")
    except (FieldError, ValueError, OverflowError):  # a gap, a fold, or the ends of time
        return None
    offset = local_hour * 3600 - first_us // MICROS
    return offset if local_hour * 3600 + 3599 - last_us // MICROS == offset else None


def fast_choices(text: str, tz: ZoneInfo | None, separators: str = "T ") -> Choices | None:
    """The common forms, whole seconds with or without an offset, decoded in C; None for
    anything else, which then takes the careful path (``calendar_choices``), whose answer this
    always equals (tests/ingest/sources/test_instants_fast.py)."""
    if not _seconds_shape(text, separators):
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None  # the careful path words the error
    wall = (parsed.toordinal() - _EPOCH_ORDINAL) * 86400 + (
        parsed.hour * 3600 + parsed.minute * 60 + parsed.second
    )
    if len(text) == 25:
        if text[20:22] > "23" or text[23:25] > "59":
            return None
        offset = parsed.utcoffset()
        assert offset is not None
        return ((wall - offset.days * 86400 - offset.seconds) * MICROS,)
    if len(text) == 20:
        return (wall * MICROS,)
    if tz is None:
        return None
    hour_offset = _hour_offset(tz, wall // 3600)
    if hour_offset is None:
        return None
    return ((wall - hour_offset) * MICROS,)


# Each face names its own way of giving the zone after this (the CLI's --tz, HTTP's ?tz=):
# IngestReport.name_time_zone_parameter.
NO_OFFSET_ADVICE = "write one (e.g. +08:00) or give the time zone"


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
            f"{text!r} has no UTC offset; {NO_OFFSET_ADVICE}",
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
    fast = fast_choices(value, tz)
    if fast is not None:
        return fast
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
