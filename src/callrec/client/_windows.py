"""Query windows: their bounds on the wire, their offset, and splitting long ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from callrec.wire.times import TimeFormatError, datetime_from_micros, parse_iso_instant

TimeLike = datetime | str


def as_instant(value: TimeLike, name: str) -> datetime:
    """A timezone-aware datetime in a fixed UTC offset, from a datetime or an ISO 8601 string.

    The contract has no zone names, only offsets; a zone (``ZoneInfo``) is pinned to its offset
    at that instant. A time without an offset is refused: the server would refuse it too.
    """
    if isinstance(value, str):
        try:
            instant = parse_iso_instant(value)
        except TimeFormatError as exc:
            raise ValueError(f"{name}: {exc}") from exc
        return datetime_from_micros(instant.micros, instant.tz)
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime or an ISO 8601 string")
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"{name} has no UTC offset; the contract needs one")
    if offset.total_seconds() % 60 or abs(offset) >= timedelta(hours=24):
        raise ValueError(f"{name}: the UTC offset {offset} is not whole minutes under 24 hours")
    return value.astimezone(timezone(offset))


def wire_time(value: datetime) -> str:
    """``2024-01-01T00:00:00+08:00`` (with ``.ffffff`` only when there is a fraction)."""
    return value.isoformat(timespec="microseconds" if value.microsecond else "seconds")


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open window ``start <= call start < end``; both bounds in the start's offset.

    The server writes record times in the offset of ``strTime``, so ``tz`` is also the zone
    the records' times are read back in.
    """

    start: datetime
    end: datetime

    @classmethod
    def of(cls, start: TimeLike, end: TimeLike) -> Window:
        first = as_instant(start, "start")
        return cls(first, as_instant(end, "end").astimezone(first.tzinfo))

    @property
    def tz(self) -> timezone:
        tz = self.start.tzinfo
        assert isinstance(tz, timezone)
        return tz

    def params(self) -> dict[str, str]:
        return {"strTime": wire_time(self.start), "endTime": wire_time(self.end)}

    def split(self, max_days: int) -> list[Window]:
        """Consecutive windows of at most ``max_days`` days of 24 h covering this one exactly.

        A window that is empty or reversed is kept as it is, for the server to judge (``-22``).
        """
        if max_days < 1:
            raise ValueError("max_days must be at least 1")
        step = timedelta(days=max_days)
        if self.end - self.start <= step:
            return [self]
        pieces = []
        cursor = self.start
        while cursor < self.end:
            upper = min(cursor + step, self.end)
            pieces.append(Window(cursor, upper))
            cursor = upper
        return pieces
