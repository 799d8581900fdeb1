"""Warnings that the client IP may not be who the operator thinks.

Without ``CALLREC_TRUSTED_PROXIES`` the client is the TCP peer: behind a proxy that is the
proxy, so every caller shares one address for the lockout, the deny list and whitelists.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from callrec.settings import Settings

log = logging.getLogger("callrec.api")

WARNING_INTERVAL_SECONDS = 60.0


def warn_at_startup(settings: Settings) -> None:
    if not settings.trusted_proxies:
        log.warning(
            "CALLREC_TRUSTED_PROXIES is not set: X-Forwarded-For is ignored and the client IP "
            "is the TCP peer. Behind a reverse proxy, set it to the proxy's addresses, or every "
            "caller shares the proxy's IP for the lockout, the deny list and key whitelists."
        )


class UntrustedForwardedWarning:
    """Warns, at most once per interval, that X-Forwarded-For came from an untrusted peer."""

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        interval_seconds: float = WARNING_INTERVAL_SECONDS,
    ) -> None:
        self._clock = clock
        self._interval = interval_seconds
        self._last_warned: float | None = None
        self.seen = 0  # requests that carried the header from an untrusted peer

    def notice(self, peer: str | None) -> None:
        self.seen += 1
        now = self._clock()
        if self._last_warned is not None and now - self._last_warned < self._interval:
            return
        self._last_warned = now
        log.warning(
            "X-Forwarded-For from %s ignored: it is not in CALLREC_TRUSTED_PROXIES. If it is "
            "your reverse proxy, add it there (%d such requests so far; this warning is "
            "repeated at most once a minute)",
            peer,
            self.seen,
        )
