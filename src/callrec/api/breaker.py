"""A circuit breaker: stop calling a dependency that keeps failing, try again after a pause.

Closed: calls go through. ``FAILURES_TO_OPEN`` failures in a row open it: calls are skipped
(the caller uses its fallback) for ``cooldown_seconds``. Then it is half-open: one call may
try; success closes it, failure opens it for another cool-down.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum

from callrec.observability.metrics import REDIS_BREAKER_OPENED, REDIS_BREAKER_STATE

FAILURES_TO_OPEN = 3


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


# The gauge's values: higher is worse, so the worst worker shows.
STATE_VALUES = {"closed": 0, "half-open": 1, "open": 2}


class CircuitBreaker:
    def __init__(
        self,
        cooldown_seconds: float,
        failures_to_open: int = FAILURES_TO_OPEN,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._cooldown = cooldown_seconds
        self._failures_to_open = failures_to_open
        self._clock = clock
        self._failures_in_a_row = 0
        self._opened_at: float | None = None
        self._trial_running = False
        self._reported = BreakerState.CLOSED
        REDIS_BREAKER_STATE.set(0)

    def _report(self, state: BreakerState) -> None:
        """Write the gauge on a change only: ``allow`` runs on every Redis call."""
        if state is not self._reported:
            self._reported = state
            REDIS_BREAKER_STATE.set(STATE_VALUES[state])

    @property
    def state(self) -> BreakerState:
        """For health checks and metrics; reading it changes nothing."""
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at < self._cooldown:
            return BreakerState.OPEN
        return BreakerState.HALF_OPEN

    def allow(self) -> bool:
        """Whether a call may go ahead now; in the half-open state only one at a time."""
        state = self.state
        self._report(state)
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.OPEN or self._trial_running:
            return False
        self._trial_running = True
        return True

    def succeeded(self) -> None:
        self._failures_in_a_row = 0
        self._opened_at = None
        self._trial_running = False
        self._report(BreakerState.CLOSED)

    def abandoned(self) -> None:
        """A call that ended neither way (cancelled): let another one try."""
        self._trial_running = False

    def failed(self) -> bool:
        """Count a failure; True when this one opened (or re-opened) the breaker.

        A call that began before the breaker opened and fails after changes nothing: the
        cool-down runs from the failure that opened it.
        """
        was_trial, self._trial_running = self._trial_running, False
        self._failures_in_a_row += 1
        if self._opened_at is None:
            if self._failures_in_a_row < self._failures_to_open:
                return False
        elif not was_trial:
            return False
        self._opened_at = self._clock()
        REDIS_BREAKER_OPENED.inc()
        self._report(BreakerState.OPEN)
        return True
