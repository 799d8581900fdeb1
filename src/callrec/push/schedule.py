"""When a failed batch is tried again, and when it is parked instead."""

from __future__ import annotations

import random
from decimal import Decimal

from callrec.push.settings import PushSettings

_JITTER_STEPS = 1_000_000
_shared = random.Random()


def retry_delay_us(settings: PushSettings, rng: random.Random | None = None) -> int:
    """The configured interval, spread uniformly by ± the jitter fraction."""
    spread = int(settings.retry_interval_us * settings.retry_jitter)
    if spread == 0:
        return settings.retry_interval_us
    draw = (rng or _shared).randint(-_JITTER_STEPS, _JITTER_STEPS)
    step = Decimal(draw) / _JITTER_STEPS
    return max(0, settings.retry_interval_us + int(spread * step))


def next_attempt_us(
    settings: PushSettings, attempts_made: int, now_us: int, rng: random.Random | None = None
) -> int | None:
    """When to try again after ``attempts_made`` failed tries; None means park the batch."""
    if attempts_made >= settings.attempts:
        return None
    return now_us + retry_delay_us(settings, rng)
