"""Counting failed signatures, and locking out who has too many.

Failures count twice: against the caller's network (an IPv4 address, or the IPv6 /64 an
address belongs to, since one host can rotate through a whole /64) and against the pair of
that network and the Api-Key it named. The pair's threshold is the lower one, so a client
that keeps signing wrong locks out its own key from its own address before it locks out its
neighbours behind the same NAT; the network's threshold stops a caller spraying many keys.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from callrec.api.client_ip import IPAddress

IPV6_NETWORK_PREFIX = 64


@dataclass(frozen=True, slots=True)
class LockoutSubjects:
    """What a request's failures count against: its network, and the network with its key."""

    network: str
    network_and_key: str | None


def network_of(ip: IPAddress) -> str:
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((ip, IPV6_NETWORK_PREFIX), strict=False))
    return str(ip)


# Keys up to this length have their subjects remembered: every signed request asks for them,
# and a real key is 8 characters; a longer header value is computed each time, so a caller
# cannot fill the cache with big strings.
_REMEMBERED_KEY_LENGTH = 64


def lockout_subjects(ip: IPAddress, api_key: str | None) -> LockoutSubjects:
    if api_key is None or len(api_key) <= _REMEMBERED_KEY_LENGTH:
        return _remembered_subjects(ip, api_key)
    return _subjects(ip, api_key)


def _subjects(ip: IPAddress, api_key: str | None) -> LockoutSubjects:
    network = network_of(ip)
    if not api_key:
        return LockoutSubjects(network, None)
    # A digest keeps the counter names short whatever a caller puts in the header.
    digest = hashlib.sha256(api_key.encode("utf-8", "surrogateescape")).hexdigest()[:24]
    return LockoutSubjects(network, f"{network}|{digest}")


_remembered_subjects = lru_cache(maxsize=4096)(_subjects)


@dataclass(frozen=True, slots=True)
class LockoutThresholds:
    network_failures: int
    key_failures: int
    window_seconds: float


class FailureTracker(Protocol):
    async def record_failure(self, subjects: LockoutSubjects) -> None: ...

    async def is_locked_out(self, subjects: LockoutSubjects) -> bool: ...


class SlidingWindowCounts:
    """Failures per subject within the last ``window_seconds``, for one process.

    A subject has reached the limit while its failures inside the window number at least
    ``max_failures``; successes do not reset the count. At most ``max_tracked`` subjects are
    remembered (least recently failed forgotten first), so a flood of addresses or keys cannot
    grow memory without bound. Used from the event loop only, so it takes no lock.
    """

    def __init__(
        self,
        max_failures: int,
        window_seconds: float,
        clock: Callable[[], float] = time.time,
        max_tracked: int = 100_000,
    ) -> None:
        self._max_failures = max_failures
        self._window = window_seconds
        self._clock = clock
        self._max_tracked = max_tracked
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, subject: str) -> deque[float] | None:
        failures = self._failures.get(subject)
        if failures is None:
            return None
        horizon = self._clock() - self._window
        while failures and failures[0] <= horizon:
            failures.popleft()
        if not failures:
            del self._failures[subject]
            return None
        return failures

    def record(self, subject: str) -> None:
        failures = self._recent(subject)
        if failures is None:
            failures = self._failures[subject] = deque(maxlen=self._max_failures)
            if len(self._failures) > self._max_tracked:
                self._failures.popitem(last=False)
        else:
            self._failures.move_to_end(subject)
        failures.append(self._clock())

    def reached(self, subject: str) -> bool:
        failures = self._recent(subject)
        return failures is not None and len(failures) >= self._max_failures


class MemoryFailureTracker:
    """Both counts in this process's memory: a restart clears them, workers count alone."""

    def __init__(
        self,
        thresholds: LockoutThresholds,
        clock: Callable[[], float] = time.time,
        max_tracked: int = 100_000,
    ) -> None:
        window = thresholds.window_seconds
        self._networks = SlidingWindowCounts(
            thresholds.network_failures, window, clock, max_tracked
        )
        self._pairs = SlidingWindowCounts(thresholds.key_failures, window, clock, max_tracked)

    async def record_failure(self, subjects: LockoutSubjects) -> None:
        self._networks.record(subjects.network)
        if subjects.network_and_key is not None:
            self._pairs.record(subjects.network_and_key)

    async def is_locked_out(self, subjects: LockoutSubjects) -> bool:
        if self._networks.reached(subjects.network):
            return True
        pair = subjects.network_and_key
        return pair is not None and self._pairs.reached(pair)
