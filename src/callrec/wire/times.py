"""Instants on the wire: strict ISO 8601 in, ``yyyy-MM-dd HH:mm:ss`` in a fixed offset out.

Instants are integer microseconds since the Unix epoch everywhere inside callrec.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from callrec.memo import ClearingMemo

_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EXPECTED_FORM = "YYYY-MM-DDTHH:MM:SS with a UTC offset, e.g. 2022-01-01T00:00:00+08:00"


class TimeFormatError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Instant:
    """A parsed wire time: the instant, rounded up to the microsecond, and the offset written.

    ``micros`` is what stored instants are compared with; ``nanos`` is the exact instant, for
    comparing two wire times with each other (their order, the span between them).
    """

    micros: int
    offset_seconds: int
    # How far ``micros`` lies after the exact instant (0..999 ns), from rounding a fraction up.
    rounded_up_nanos: int = 0

    @property
    def nanos(self) -> int:
        return self.micros * 1000 - self.rounded_up_nanos

    @property
    def tz(self) -> timezone:
        return timezone(timedelta(seconds=self.offset_seconds))


def parse_iso_instant(text: str) -> Instant:
    """Parse ``YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)``; anything else is an error.

    A fraction finer than a microsecond rounds *up*, so that ``start >= strTime`` and
    ``start < endTime`` keep their meaning on microsecond-precision storage.
    """
    match = _ISO.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise TimeFormatError(f"expected {EXPECTED_FORM}")
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    offset_seconds = 0
    if not zulu:
        if int(off_h) > 23 or int(off_m) > 59:
            raise TimeFormatError(f"UTC offset out of range; expected {EXPECTED_FORM}")
        offset_seconds = (int(off_h) * 3600 + int(off_m) * 60) * (-1 if sign == "-" else 1)
    try:
        local = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError as exc:
        raise TimeFormatError(f"{exc}; expected {EXPECTED_FORM}") from exc
    nanos = int((fraction or "").ljust(9, "0"))
    whole_seconds = (local - datetime(1970, 1, 1)).days * 86400 + (
        local.hour * 3600 + local.minute * 60 + local.second
    )
    micros = (whole_seconds - offset_seconds) * 1_000_000 + -(-nanos // 1000)
    return Instant(micros=micros, offset_seconds=offset_seconds, rounded_up_nanos=-nanos % 1000)


_DAY_SECONDS = 86_400
_SECONDS = tuple(f"{second:02d}" for second in range(60))
_HOURS_MINUTES = tuple(f" {hour:02d}:{minute:02d}:" for hour in range(24) for minute in range(60))


def render_local(micros: int, offset_seconds: int) -> str:
    """``yyyy-MM-dd HH:mm:ss`` of the instant in the given UTC offset (seconds truncated).

    Twice per record on the query path: the date is kept per day, the time of day comes from
    tables. (Keeping the text per minute, as before, missed on almost every record of a walk
    or of a sparse window, where records are minutes apart.)
    """
    day, second_of_day = divmod(micros // 1_000_000 + offset_seconds, _DAY_SECONDS)
    minute_of_day, second = divmod(second_of_day, 60)
    return _dates[day] + _HOURS_MINUTES[minute_of_day] + _SECONDS[second]


def _date_text(day: int) -> str:
    utc = time.gmtime(day * _DAY_SECONDS)
    # Formatted by hand: strftime's %Y leaves years before 1000 unpadded on glibc.
    return f"{utc.tm_year:04d}-{utc.tm_mon:02d}-{utc.tm_mday:02d}"


# "yyyy-MM-dd" per day since the epoch in the rendering offset. Cleared when full, so it
# follows the windows being asked for.
_DATES_MAX = 4_096
_dates = ClearingMemo(_date_text, _DATES_MAX)


def micros_from_datetime(value: datetime) -> int:
    if value.tzinfo is None:
        raise TimeFormatError("a time without a UTC offset is ambiguous")
    delta = value - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def datetime_from_micros(micros: int, tz: timezone = UTC) -> datetime:
    return (EPOCH + timedelta(microseconds=micros)).astimezone(tz)


def now_micros() -> int:
    return time.time_ns() // 1000


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def parse_date_or_instant(text: str) -> int:
    """An ISO 8601 instant with an offset, or a date alone meaning 00:00 UTC that day."""
    text = text.strip()
    if _DATE.fullmatch(text):
        try:
            day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError as exc:
            raise TimeFormatError(f"{exc}; expected a date YYYY-MM-DD or {EXPECTED_FORM}") from exc
        return micros_from_datetime(day)
    return parse_iso_instant(text).micros
