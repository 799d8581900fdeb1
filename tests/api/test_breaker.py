"""The circuit breaker's states, on an injected clock."""

from __future__ import annotations

from callrec.api.breaker import FAILURES_TO_OPEN, BreakerState, CircuitBreaker
from tests.helpers import ManualClock


def _opened(clock: ManualClock) -> CircuitBreaker:
    breaker = CircuitBreaker(30, clock=clock)
    for _ in range(FAILURES_TO_OPEN):
        assert breaker.allow()
        breaker.failed()
    return breaker


def test_failures_in_a_row_open_it_and_a_success_between_them_does_not() -> None:
    breaker = CircuitBreaker(30, clock=ManualClock(1000))
    for _ in range(FAILURES_TO_OPEN - 1):
        assert not breaker.failed()
    breaker.succeeded()
    for _ in range(FAILURES_TO_OPEN - 1):
        assert not breaker.failed()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.failed()
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()


def test_after_the_cooldown_one_trial_at_a_time_then_closed_on_success() -> None:
    clock = ManualClock(1000)
    breaker = _opened(clock)
    clock.advance(29.9)
    assert not breaker.allow()
    clock.advance(0.2)
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow()
    assert not breaker.allow()  # the trial is still running
    breaker.succeeded()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.allow()
    assert breaker.allow()


def test_a_failed_trial_opens_it_for_another_cooldown() -> None:
    clock = ManualClock(1000)
    breaker = _opened(clock)
    clock.advance(31)
    assert breaker.allow()
    assert breaker.failed()
    assert breaker.state is BreakerState.OPEN
    clock.advance(29)
    assert not breaker.allow()


def test_an_abandoned_trial_lets_the_next_call_try() -> None:
    clock = ManualClock(1000)
    breaker = _opened(clock)
    clock.advance(31)
    assert breaker.allow()
    breaker.abandoned()
    assert breaker.allow()


def test_calls_that_fail_after_it_opened_do_not_extend_the_cooldown() -> None:
    clock = ManualClock(1000)
    breaker = _opened(clock)
    clock.advance(20)
    assert not breaker.failed()  # began before it opened
    clock.advance(11)
    assert breaker.state is BreakerState.HALF_OPEN
