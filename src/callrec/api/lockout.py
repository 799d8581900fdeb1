"""Counting failed signatures per client IP, and locking out an IP that has too many."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Protocol


class FailureTracker(Protocol):
    def record_failure(self, ip: str) -> None: ...

    def is_locked_out(self, ip: str) -> bool: ...


class MemoryFailureTracker:
    """Sliding-window failure counts for one process.

    An IP is locked out while its failures within the last ``window_seconds`` number at least
    ``max_failures``; successes do not reset the count. At most ``max_tracked_ips`` IPs are
    remembered (least recently failed forgotten first), so a flood of addresses cannot grow
    memory without bound.
    """

    def __init__(
        self,
        max_failures: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        max_tracked_ips: int = 100_000,
    ) -> None:
        self._max_failures = max_failures
        self._window = window_seconds
        self._clock = clock
        self._max_tracked = max_tracked_ips
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        # Failures are recorded from the database thread and read on the event loop.
        self._lock = threading.Lock()

    def _recent(self, ip: str) -> deque[float] | None:
        failures = self._failures.get(ip)
        if failures is None:
            return None
        horizon = self._clock() - self._window
        while failures and failures[0] <= horizon:
            failures.popleft()
        if not failures:
            del self._failures[ip]
            return None
        return failures

    def record_failure(self, ip: str) -> None:
        with self._lock:
            self._record(ip)

    def _record(self, ip: str) -> None:
        failures = self._recent(ip)
        if failures is None:
            failures = self._failures[ip] = deque(maxlen=self._max_failures)
            if len(self._failures) > self._max_tracked:
                self._failures.popitem(last=False)
        else:
            self._failures.move_to_end(ip)
        failures.append(self._clock())

    def is_locked_out(self, ip: str) -> bool:
        with self._lock:
            failures = self._recent(ip)
            return failures is not None and len(failures) >= self._max_failures
