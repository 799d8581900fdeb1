"""A progress bar's byte count, passed on at most ten times a second.

Reading a line costs microseconds; redrawing the bar for each one cost more than parsing it
(issue 15), so sizes add up here and reach the bar only when it is due a redraw.
"""

from __future__ import annotations

import time
from collections.abc import Callable

REDRAW_SECONDS = 0.1


class ThrottledAdvance:
    def __init__(
        self,
        advance: Callable[[int], None],
        clock: Callable[[], float] = time.monotonic,
        interval: float = REDRAW_SECONDS,
    ) -> None:
        self._advance = advance
        self._clock = clock
        self._interval = interval
        self._pending = 0
        self._due = clock() + interval

    def __call__(self, size: int) -> None:
        self._pending += size
        now = self._clock()
        if now >= self._due:
            self.flush()
            self._due = now + self._interval

    def flush(self) -> None:
        if self._pending:
            self._advance(self._pending)
            self._pending = 0
