"""uvicorn's httptools protocol with limits against hostile and slow peers.

uvicorn on its own caps neither the request head (httptools buffers a 100 MB header) nor the
time a peer may take to send it or its body, and holds any number of connections. This
subclass adds, per connection: a cap on each head line and on the whole head (431), a deadline
for the head from the connection's or request's first byte and one for the body from the end
of the head (408), and a cap on open connections per worker process.

At the cap a new connection first evicts the connection that has waited longest without a
request under way (idle, or still sending its head): slow peers hold connections in exactly
that state, while a real client sends its head at once, so under a flood of slow peers the
real clients still get in. Only when every connection has a request under way does the new
one get 503 at once.
"""

from __future__ import annotations

import asyncio
import http
import logging
from asyncio import TimerHandle
from dataclasses import dataclass
from typing import Any, ClassVar

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from callrec.observability.metrics import HTTP_REFUSALS
from callrec.settings import Settings


@dataclass(frozen=True, slots=True)
class HttpLimits:
    max_header_line_bytes: int
    max_header_bytes: int
    header_timeout_seconds: float
    body_timeout_seconds: float
    max_connections: int

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpLimits:
        return cls(
            max_header_line_bytes=settings.max_header_line_bytes,
            max_header_bytes=settings.max_header_bytes,
            header_timeout_seconds=settings.header_timeout_seconds,
            body_timeout_seconds=settings.body_timeout_seconds,
            max_connections=settings.max_connections,
        )


class _Refused(Exception):
    """Raised from a parser callback to stop parsing; the status is on the protocol."""


def _plain_response(status: http.HTTPStatus) -> bytes:
    body = status.phrase.encode("ascii")
    return b"".join(
        [
            f"HTTP/1.1 {status.value} {status.phrase}\r\n".encode("ascii"),
            b"content-type: text/plain; charset=utf-8\r\n",
            b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
            b"connection: close\r\n\r\n",
            body,
        ]
    )


# The reason each refusal is counted and logged under (callrec_http_refusals).
_REASONS = {
    http.HTTPStatus.REQUEST_TIMEOUT: "head_timeout",
    http.HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE: "head_too_large",
    http.HTTPStatus.SERVICE_UNAVAILABLE: "too_many_connections",
}
_REFUSALS = {
    status: _plain_response(status)
    for status in (
        http.HTTPStatus.REQUEST_TIMEOUT,
        http.HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
        http.HTTPStatus.SERVICE_UNAVAILABLE,
    )
}


def _trailing_line_length(data: bytes, carried: int) -> int:
    """Length of the unterminated line at the end of ``data``, given ``carried`` before it."""
    newline = data.rfind(b"\n")
    return carried + len(data) if newline < 0 else len(data) - newline - 1


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """One connection; ``limits`` is set on the subclass that ``protocol_with_limits`` makes."""

    limits: ClassVar[HttpLimits]
    # Connections without a request under way, longest waiting first (one per worker process).
    waiting: ClassVar[dict[LimitedHttpToolsProtocol, None]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True
        self._head_began_in_this_read = False
        self._head_bytes = 0
        self._line_bytes = 0
        self._refusal: http.HTTPStatus | None = None
        self._head_timer: TimerHandle | None = None
        self._body_timer: TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            if not self.waiting:
                self._refuse(http.HTTPStatus.SERVICE_UNAVAILABLE)
                return
            longest_waiting = next(iter(self.waiting))
            self.waiting.pop(longest_waiting)
            longest_waiting._refuse(http.HTTPStatus.SERVICE_UNAVAILABLE)
        self.waiting[self] = None
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self.waiting.pop(self, None)
        self._cancel_timers()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        self._head_began_in_this_read = False
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError:
            if self._refusal is not None:
                self._refuse(self._refusal)
                return
            msg = "Invalid HTTP request received."
            self.logger.warning(msg)
            HTTP_REFUSALS.labels("bad_request").inc()
            self.send_400_response(msg)
            return
        if self._in_head and not self._head_began_in_this_read:
            # Still inside a head that began in an earlier read: all of this read is head.
            # (A head that began within this read, after a pipelined request, is counted from
            # the next read on; the callbacks check its complete lines meanwhile.)
            self._head_bytes += len(data)
            self._line_bytes = _trailing_line_length(data, self._line_bytes)
            if (
                self._head_bytes > self.limits.max_header_bytes
                or self._line_bytes > self.limits.max_header_line_bytes
            ):
                self._refuse(http.HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)

    # Parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_began_in_this_read = True
        self._head_bytes = 0
        self._line_bytes = 0
        if self.cycle is None or self.cycle.response_complete:
            self.waiting.setdefault(self, None)
        if self._head_timer is None:
            self._arm_head_timer()

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._check_line(len(self.url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._check_line(len(name) + 2 + len(value))
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self.waiting.pop(self, None)
        self._cancel_head_timer()
        head_bytes = len(self.url) + sum(len(name) + 4 + len(value) for name, value in self.headers)
        if head_bytes > self.limits.max_header_bytes:
            self._stop_parsing(http.HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
        super().on_headers_complete()
        self._body_timer = self.loop.call_later(
            self.limits.body_timeout_seconds, self._on_body_timeout
        )

    def on_message_complete(self) -> None:
        self._cancel_body_timer()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and not self.pipeline:
            self.waiting[self] = None  # idle until the next request

    # Limits

    def _check_line(self, length: int) -> None:
        if length > self.limits.max_header_line_bytes:
            self._stop_parsing(http.HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)

    def _stop_parsing(self, status: http.HTTPStatus) -> None:
        self._refusal = status
        raise _Refused(status)

    def _refuse(self, status: http.HTTPStatus) -> None:
        """Answer ``status`` to a request not yet handed to the app, and close."""
        self._count_refusal(_REASONS[status])
        no_response_under_way = self.cycle is None or self.cycle.response_complete
        self._close(_REFUSALS[status] if no_response_under_way else b"")

    def _close(self, last_words: bytes) -> None:
        self._cancel_timers()
        if self.transport.is_closing():
            return
        if last_words:
            self.transport.write(last_words)
        self.transport.close()

    def _arm_head_timer(self) -> None:
        self._head_timer = self.loop.call_later(
            self.limits.header_timeout_seconds, self._on_head_timeout
        )

    def _count_refusal(self, reason: str) -> None:
        """One log line and one count per refusal: these never reach the request log."""
        HTTP_REFUSALS.labels(reason).inc()
        peer = self.client[0] if self.client else "?"
        level = logging.INFO if reason.endswith("timeout") else logging.WARNING
        self.logger.log(
            level, "Refused a connection from %s: %s (%d open)", peer, reason, len(self.connections)
        )

    def _on_head_timeout(self) -> None:
        self._head_timer = None
        self._refuse(http.HTTPStatus.REQUEST_TIMEOUT)

    def _on_body_timeout(self) -> None:
        self._body_timer = None
        self._count_refusal("body_timeout")
        # The app may have answered without reading the body: then there is nothing to say.
        answered = self.cycle is None or self.cycle.response_started
        self._close(b"" if answered else _REFUSALS[http.HTTPStatus.REQUEST_TIMEOUT])

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _cancel_body_timer(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _cancel_timers(self) -> None:
        self._cancel_head_timer()
        self._cancel_body_timer()


def protocol_with_limits(limits: HttpLimits) -> type[LimitedHttpToolsProtocol]:
    """A protocol class bound to ``limits``, for ``uvicorn.Config(http=...)``."""
    return type(
        "CallrecHttpProtocol", (LimitedHttpToolsProtocol,), {"limits": limits, "waiting": {}}
    )
