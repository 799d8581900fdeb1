"""A client walking a window page after page over one keep-alive connection, as an export
script does, and single-page latencies measured the same way."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec

from bench.signed import QUERY_PAGE_PATH, Credentials, Window, page_body

SUCCESS_PREFIX = b'{"status":"0"'
RECORD_KEY = b'"callid":'


class _PageHead(msgspec.Struct):
    total: int
    pages: int


class _Envelope(msgspec.Struct):
    status: str
    data: _PageHead | None = None


@dataclass(frozen=True, slots=True)
class WalkResult:
    total: int
    pages: int
    pages_walked: int
    records_walked: int
    seconds: float
    complete: bool  # False when the time budget ran out first
    first_page_ms: float
    last_page_ms: float
    median_page_ms: float
    p99_page_ms: float

    @property
    def projected_seconds(self) -> float:
        """The whole walk's time; a lower bound when the budget ran out (deeper pages cost
        at least as much as those walked)."""
        if self.complete or not self.pages_walked:
            return self.seconds
        return self.seconds * self.pages / self.pages_walked

    def as_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "pages": self.pages,
            "pages_walked": self.pages_walked,
            "records_walked": self.records_walked,
            "seconds": round(self.seconds, 3),
            "complete": self.complete,
            "projected_seconds": round(self.projected_seconds, 3),
            "first_page_ms": round(self.first_page_ms, 3),
            "last_page_ms": round(self.last_page_ms, 3),
            "median_page_ms": round(self.median_page_ms, 3),
            "p99_page_ms": round(self.p99_page_ms, 3),
        }


class PageClient:
    """Signed queryPage requests over one keep-alive connection."""

    def __init__(self, base_url: str, credentials: Credentials) -> None:
        self._client = httpx.Client(base_url=base_url, timeout=120)
        self._credentials = credentials

    def close(self) -> None:
        self._client.close()

    def fetch(self, window: Window, current: int, size: int = 100) -> tuple[bytes, float]:
        """One page's body and its latency in ms; a non-success answer is an error."""
        body = page_body(window, current, size)
        started = time.perf_counter()
        response = self._client.post(
            QUERY_PAGE_PATH, content=body, headers=self._credentials.headers()
        )
        elapsed = (time.perf_counter() - started) * 1000
        if not response.content.startswith(SUCCESS_PREFIX):
            raise RuntimeError(f"page {current} failed: {response.content[:200]!r}")
        return response.content, elapsed

    def head(self, window: Window) -> _PageHead:
        content, _ = self.fetch(window, 1)
        envelope = msgspec.json.decode(content, type=_Envelope)
        assert envelope.data is not None
        return envelope.data

    def latency(self, window: Window, current: int, runs: int, max_seconds: float) -> float:
        """Median latency in ms of ``runs`` requests for one page (after one warm-up)."""
        self.fetch(window, current)
        samples: list[float] = []
        deadline = time.perf_counter() + max_seconds
        while len(samples) < runs and (len(samples) < 3 or time.perf_counter() < deadline):
            samples.append(self.fetch(window, current)[1])
        return statistics.median(samples)

    def walk(self, window: Window, max_seconds: float, size: int = 100) -> WalkResult:
        """Every page of the window in order, or as many as ``max_seconds`` allows."""
        head = self.head(window)
        latencies: list[float] = []
        records = 0
        started = time.perf_counter()
        deadline = started + max_seconds
        for current in range(1, head.pages + 1):
            content, elapsed = self.fetch(window, current, size)
            latencies.append(elapsed)
            records += content.count(RECORD_KEY)
            if time.perf_counter() > deadline and current < head.pages:
                break
        seconds = time.perf_counter() - started
        ordered = sorted(latencies)
        return WalkResult(
            total=head.total,
            pages=head.pages,
            pages_walked=len(latencies),
            records_walked=records,
            seconds=seconds,
            complete=len(latencies) == head.pages,
            first_page_ms=latencies[0],
            last_page_ms=latencies[-1],
            median_page_ms=statistics.median(ordered),
            p99_page_ms=ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        )
