"""The ``Timestamp`` a request is signed with: the local clock, corrected to the server's."""

from __future__ import annotations

from collections.abc import Callable
from email.utils import parsedate_to_datetime

import httpx


class SigningClock:
    """Unix seconds for ``Timestamp``: the local clock plus an offset learned from the server.

    The offset starts at zero. After a ``-16`` answer, ``learn`` estimates it from the answer's
    HTTP ``Date`` header, and every later request of the client uses it.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.offset = 0.0

    def timestamp(self) -> str:
        return str(int(self._clock() + self.offset))

    def learn(self, response: httpx.Response | None) -> bool:
        """Estimate the offset from the response's ``Date``; False when it has none usable."""
        date = response.headers.get("date") if response is not None else None
        if not date:
            return False
        try:
            server_time = parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            return False
        # Date is whole seconds: on average the server's clock is half a second past it.
        self.offset = server_time + 0.5 - self._clock()
        return True
