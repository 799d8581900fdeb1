"""One log line and the request metrics for every HTTP request, written after it ends.

A plain ASGI middleware (no per-request task or body copy, as Starlette's
``BaseHTTPMiddleware`` would add) around the whole app. It gives each request an id (a
sane ``X-Request-Id`` from the caller, else a new one), returns it in ``X-Request-Id``, and
hands handlers a ``RequestFacts`` to fill in what only they know: the contract status of a
queryPage answer, the API key and workspace it was for, the ingest source.

Logged: time, id, method, path (never the query string or the body), client IP as the
guard resolves it, API key (the public identifier, never its secret or the sign),
workspace id, contract status, HTTP status, duration. queryPage failures (HTTP 200 with a
status other than 0) are logged at WARNING, so they stand out from successes.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from callrec.observability.metrics import REQUEST_SECONDS, REQUESTS

log = logging.getLogger("callrec.access")

SCOPE_KEY = "callrec.request"
HEADER = b"x-request-id"
# What a caller's id may be: short, and nothing a log line or a header could trip on.
_SANE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,64}")
UNMATCHED_ROUTE = "unmatched"
# Probes and scrapes that answer well are logged at DEBUG: a load balancer polling every
# few seconds would otherwise bury the requests that matter.
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@dataclass(slots=True)
class RequestFacts:
    request_id: str
    contract_status: str | None = None
    api_key: str | None = None
    workspace_id: int | None = None
    ingest_source: str | None = None
    client_ip: str | None = None


def facts_of(request: Request) -> RequestFacts:
    """This request's facts; a stand-in when the middleware is not there (a bare app)."""
    facts = request.scope.get(SCOPE_KEY)
    if facts is None:
        facts = request.scope[SCOPE_KEY] = RequestFacts(_new_id())
    return facts  # type: ignore[no-any-return]


# A random prefix per process and a counter: unique across workers and restarts, and far
# cheaper per request than reading the kernel's random source each time.
_ID_PREFIX = os.urandom(8).hex()
_id_counter = itertools.count()


def _new_id() -> str:
    return f"{_ID_PREFIX}{next(_id_counter) & 0xFFFFFFFFFFFFFFFF:016x}"


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == HEADER:
            return value.decode("ascii") if _SANE_ID.fullmatch(value) else _new_id()
    return _new_id()


def _route(scope: Scope) -> str:
    """The matched route's template. FastAPI's routes leave themselves in the scope;
    Starlette's (/openapi.json, /docs) leave only their endpoint, looked up among the app's."""
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str):
        return path
    endpoint = scope.get("endpoint")
    if endpoint is not None:
        for route in getattr(scope.get("app"), "routes", ()):
            if getattr(route, "endpoint", None) is endpoint and isinstance(route.path, str):
                return route.path
    return UNMATCHED_ROUTE


class RequestLog:
    def __init__(self, app: ASGIApp, metrics: bool = True) -> None:
        self.app = app
        self.metrics = metrics
        # Label lookups take a lock and a hash each: keep the children already made.
        self._counters: dict[tuple[str, str, str], Any] = {}
        self._histograms: dict[str, Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        facts = RequestFacts(_request_id(scope))
        scope[SCOPE_KEY] = facts
        header = (HEADER, facts.request_id.encode("ascii"))
        http_status = 500  # unless an answer starts: the app raised before answering

        async def send_with_id(message: Message) -> None:
            nonlocal http_status
            if message["type"] == "http.response.start":
                http_status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, facts, http_status, time.perf_counter() - started)

    def _record(self, scope: Scope, facts: RequestFacts, http_status: int, seconds: float) -> None:
        route = _route(scope)
        status = facts.contract_status or str(http_status)
        if self.metrics:
            method = scope["method"] if scope["method"] in _METHODS else "other"
            self._count(route, method, status, seconds)
        if facts.client_ip is None:
            facts.client_ip = _client_ip(scope)
        failed = http_status >= 400 or facts.contract_status not in (None, "0")
        level = logging.ERROR if http_status >= 500 or status == "-18" else logging.INFO
        if failed and level == logging.INFO:
            level = logging.WARNING
        elif not failed and route in QUIET_ROUTES:
            level = logging.DEBUG
        if not log.isEnabledFor(level):
            return
        path = _quoted_path(scope["path"])
        fields: dict[str, object] = {
            "request_id": facts.request_id,
            "method": scope["method"],
            "path": path,
            "route": route,
        }
        if facts.client_ip is not None:
            fields["client_ip"] = facts.client_ip
        if facts.api_key is not None:
            fields["api_key"] = facts.api_key
        if facts.workspace_id is not None:
            fields["workspace_id"] = facts.workspace_id
        if facts.ingest_source is not None:
            fields["ingest_source"] = facts.ingest_source
        fields["status"] = status
        fields["http_status"] = http_status
        fields["outcome"] = "failed" if failed else "ok"
        fields["duration_ms"] = round(seconds * 1000, 3)
        log.log(level, "%s %s %s", scope["method"], path, status, extra={"fields": fields})

    def _count(self, route: str, method: str, status: str, seconds: float) -> None:
        key = (route, method, status)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = REQUESTS.labels(route, method, status)
        counter.inc()
        histogram = self._histograms.get(route)
        if histogram is None:
            histogram = self._histograms[route] = REQUEST_SECONDS.labels(route)
        histogram.observe(seconds)


def _quote_path(path: str) -> str:
    return quote(path, safe="/:@!$&'()*+,;=-._~")


# The few paths a server answers, quoted once; a long path (a caller's choice) every time.
_quote_short_path = lru_cache(maxsize=1024)(_quote_path)


def _quoted_path(path: str) -> str:
    return _quote_short_path(path) if len(path) <= 256 else _quote_path(path)


def _client_ip(scope: Scope) -> str | None:
    """The guard's view of the client (trusted proxies honoured), else the socket peer."""
    state = getattr(getattr(scope.get("app"), "state", None), "callrec", None)
    request = Request(scope)
    if state is not None:
        ip = state.guard.client_ip(request)
        return None if ip is None else str(ip)
    return request.client.host if request.client else None
