"""Monthly partitions of call_records on PostgreSQL, created ahead of the rows that need them.

SQLite has no partitions: every function here is a no-op or a plain chunked delete there.
Partition bounds are whole UTC months in epoch microseconds, named ``call_records_pYYYYMM``.
"""

from __future__ import annotations

import calendar
import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from callrec.wire.times import datetime_from_micros, micros_from_datetime

PARENT = "call_records"
_LOCK_KEY = 0x63616C6C  # pg_advisory_lock key for partition DDL ("call")
_known: weakref.WeakKeyDictionary[Engine, set[str]] = weakref.WeakKeyDictionary()
_known_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, micros: int) -> Month:
        moment = datetime_from_micros(micros)
        return cls(moment.year, moment.month)

    @property
    def name(self) -> str:
        return f"{PARENT}_p{self.year:04d}{self.month:02d}"

    @property
    def start_us(self) -> int:
        return micros_from_datetime(datetime(self.year, self.month, 1, tzinfo=UTC))

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    @property
    def end_us(self) -> int:
        # The month's length, not next().start_us: December 9999 has no next month in datetime.
        return self.start_us + calendar.monthrange(self.year, self.month)[1] * 86_400_000_000


def is_partitioned(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def ensure_partitions(conn: Connection, start_times: Iterable[int]) -> None:
    """Make sure every month these start times fall in has its partition.

    The DDL runs in a separate, short transaction under an advisory lock: creating a partition
    locks the parent table, which must not last as long as the caller's write transaction, and
    two writers creating the same month must not collide.
    """
    engine = conn.engine
    if not is_partitioned(engine):
        return
    with _known_lock:
        known = _known.setdefault(engine, set())
    months = {Month.of(us) for us in start_times}
    missing = sorted((m for m in months if m.name not in known), key=lambda m: m.start_us)
    if not missing:
        return
    # A transaction-scoped lock: safe behind a transaction-pooling PgBouncer too.
    with engine.begin() as ddl:
        ddl.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        for month in missing:
            ddl.exec_driver_sql(
                f"CREATE TABLE IF NOT EXISTS {month.name} PARTITION OF {PARENT} "
                f"FOR VALUES FROM ({month.start_us}) TO ({month.end_us})"
            )
    with _known_lock:
        known.update(m.name for m in missing)


def existing_partitions(conn: Connection) -> list[tuple[str, int, int]]:
    """(name, start_us, end_us) of each partition, oldest first."""
    if not is_partitioned(conn.engine):
        return []
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
            "JOIN pg_namespace n ON n.oid = p.relnamespace "
            "WHERE p.relname = :parent AND n.nspname = current_schema()"
        ),
        {"parent": PARENT},
    ).scalars()
    partitions = []
    for name in rows:
        stamp = name.removeprefix(f"{PARENT}_p")
        month = Month(int(stamp[:4]), int(stamp[4:]))
        partitions.append((name, month.start_us, month.end_us))
    return sorted(partitions, key=lambda p: p[1])


def forget(engine: Engine, names: Iterable[str]) -> None:
    with _known_lock:
        _known.setdefault(engine, set()).difference_update(names)
