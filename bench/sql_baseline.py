"""The SQL baseline: the raw SQL for the same page through the driver (sqlite3 / psycopg),
timed in this process, with no service, framework or SQLAlchemy in between."""

from __future__ import annotations

import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import msgspec
import psycopg
from sqlalchemy.engine import make_url

from bench.signed import Window

PAGE_COLUMNS = (
    "callid, number, number_type, caller, called, ccode, country, call_source, call_duration, "
    "charged_duration, start_us, end_us, pay_micros, sip_code, recording_url, hangup_reason, "
    "app_id, charged_period, customer_rate, currency, quote_exchange, settle_rate_micros, "
    "settle_pay_micros"
)
WHERE = "workspace_id = {p} AND start_us >= {p} AND start_us < {p}"
COUNT_SQL = "SELECT count(*) FROM call_records WHERE " + WHERE
PAGE_SQL = (
    f"SELECT {PAGE_COLUMNS} FROM call_records WHERE {WHERE} "
    "ORDER BY start_us, callid LIMIT {p} OFFSET {p}"
)
SCAN_SQL = f"SELECT {PAGE_COLUMNS} FROM call_records WHERE {WHERE} ORDER BY start_us, callid"
SCAN_FETCH = 2000


class RawRecord(msgspec.Struct):
    """A stored row under the contract's key names, values as stored (the encoder's floor)."""

    callid: str
    number: str
    type: str | None
    caller: str
    called: str
    ccode: str | None
    country: str | None
    callSource: int
    callDuration: int
    chargedDuration: int
    startTime: int
    endTime: int
    pay: int
    sipCode: str | None
    recordingFileUrl: str
    hangupReason: str | None
    appId: str | None
    chargedPeriod: str | None
    customerRate: str | None
    currency: str | None
    QuoteExchange: str | None
    SeptleRate: int | None
    SettlePay: int | None


class _Cursor(Protocol):
    def execute(self, query: Any, params: Any = ...) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def fetchmany(self, size: int = ...) -> list[Any]: ...


@dataclass(frozen=True, slots=True)
class Timing:
    median_ms: float
    p99_ms: float
    runs: int

    def as_json(self) -> dict[str, float | int]:
        return {"median_ms": round(self.median_ms, 3), "p99_ms": round(self.p99_ms, 3),
                "runs": self.runs}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ScanResult:
    rows: int
    pages: int
    seconds: float
    encoded_bytes: int


def time_repeatedly(action: Callable[[], object], runs: int, max_seconds: float) -> Timing:
    """Median and p99 of up to ``runs`` calls, stopping early after ``max_seconds``."""
    samples: list[float] = []
    deadline = time.perf_counter() + max_seconds
    action()  # warm the caches and the statement cache
    while len(samples) < runs and (len(samples) < 3 or time.perf_counter() < deadline):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return Timing(statistics.median(samples), p99, len(samples))


class RawPageQueries:
    """The page's two statements (count and LIMIT/OFFSET page) straight through the driver."""

    def __init__(self, backend: str, url: str) -> None:
        self.backend = backend
        self.url = url
        placeholder = "?" if backend == "sqlite" else "%s"
        self.count_sql = COUNT_SQL.format(p=placeholder)
        self.page_sql = PAGE_SQL.format(p=placeholder)
        self.scan_sql = SCAN_SQL.format(p=placeholder)

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        if self.backend == "sqlite":
            sqlite_conn = sqlite3.connect(make_url(self.url).database or "", isolation_level=None)
            try:
                yield sqlite_conn
            finally:
                sqlite_conn.close()
            return
        with psycopg.connect(self.url, autocommit=True) as pg_conn:
            yield pg_conn

    def timings(
        self, workspace_id: int, window: Window, offset: int, runs: int, max_seconds: float
    ) -> dict[str, Any]:
        """Count alone, page alone, and both (what one response needs), each timed."""
        params = (workspace_id, window.start_us, window.end_us)
        with self._connection() as conn:
            cursor: _Cursor = conn.cursor()

            def count() -> int:
                cursor.execute(self.count_sql, params)
                return int(cursor.fetchone()[0])

            def page() -> Sequence[Any]:
                cursor.execute(self.page_sql, (*params, 100, offset))
                return cursor.fetchall()

            def both() -> None:
                count()
                page()

            total = count()
            return {
                "total": total,
                "offset": offset,
                "count": time_repeatedly(count, runs, max_seconds).as_json(),
                "page": time_repeatedly(page, runs, max_seconds).as_json(),
                "count_and_page": time_repeatedly(both, runs, max_seconds).as_json(),
            }

    def scan_and_encode(self, workspace_id: int, window: Window, size: int = 100) -> ScanResult:
        """One ordered scan of the window, each page of ``size`` rows encoded with msgspec."""
        encoder = msgspec.json.Encoder()
        rows = pages = encoded = 0
        with self._connection() as conn:
            if self.backend == "postgresql":
                conn.autocommit = False  # a named (server-side) cursor lives in a transaction
            started = time.perf_counter()
            cursor = conn.cursor(name="scan") if self.backend == "postgresql" else conn.cursor()
            cursor.execute(self.scan_sql, (workspace_id, window.start_us, window.end_us))
            while chunk := cursor.fetchmany(SCAN_FETCH):
                for first in range(0, len(chunk), size):
                    page = [RawRecord(*row) for row in chunk[first : first + size]]
                    encoded += len(encoder.encode(page))
                    pages += 1
                rows += len(chunk)
            seconds = time.perf_counter() - started
            cursor.close()
        return ScanResult(rows, pages, seconds, encoded)
