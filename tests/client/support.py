"""Helpers for the client tests: records in the store, fake time, transports that watch or fail."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy.engine import Engine

from callrec.model import CallRecord
from callrec.store.records import insert_records
from tests.conftest import Tenant
from tests.helpers import make_record

QUERY_PAGE = "/v3/number/record/queryPage"


def store(engine: Engine, tenant: Tenant, records: Iterable[CallRecord]) -> None:
    with engine.begin() as conn:
        insert_records(conn, tenant.workspace.id, list(records))


def eur_record(callid: str, start: str, **overrides: Any) -> CallRecord:
    """A priced EUR record with its USD settle amounts, 75 s of talk at 60+60."""
    values: dict[str, Any] = {
        "call_duration": 75,
        "charged_duration": 120,
        "pay": Decimal("0.025600"),
        "customer_rate": Decimal("0.0128"),
        "currency": "EUR",
        "quote_exchange": Decimal("1.0832"),
        "settle_rate": Decimal("0.013865"),
        "settle_pay": Decimal("0.027730"),
        "recording_url": "https://rec.example/abc.mp3",
    }
    values.update(overrides)
    return make_record(callid, start, **values)


@dataclass
class FakeTime:
    """A clock that only moves when slept on; records every sleep."""

    now: float = 1_700_000_000.0
    sleeps: list[float] = field(default_factory=list)

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


def envelope(status: str, reason: str = "", data: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": status, "reason": reason}
    if data is not None:
        body["data"] = data
    return body


def empty_page() -> dict[str, Any]:
    data = {"total": 0, "size": 100, "current": 1, "pages": 0, "records": []}
    return envelope("0", "success", data)


Fault = Callable[[httpx.Request], httpx.Response]


@dataclass
class ScriptedServer:
    """An ``httpx.MockTransport`` handler: each request gets the next scripted outcome.

    An outcome is an exception to raise (a network fault), an ``httpx.Response``, or a JSON
    document to answer with HTTP 200. Every request is kept, to check how it was signed.
    """

    outcomes: list[BaseException | httpx.Response | dict[str, Any]]
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, BaseException):
            raise outcome
        if isinstance(outcome, httpx.Response):
            return outcome
        return httpx.Response(200, json=outcome)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(request.content) for request in self.requests]


class WatchingTransport(httpx.BaseTransport):
    """The real network underneath; faults injected before chosen attempts, answers kept."""

    def __init__(
        self,
        faults: Iterable[BaseException | None] = (),
        after_response: Callable[[httpx.Request, dict[str, Any]], None] | None = None,
    ) -> None:
        self._real = httpx.HTTPTransport()
        self._faults = list(faults)
        self._after_response = after_response
        self.requests: list[httpx.Request] = []
        self.answers: list[dict[str, Any]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        fault = self._faults.pop(0) if self._faults else None
        if fault is not None:
            raise fault
        response = self._real.handle_request(request)
        response.read()
        answer = json.loads(response.content)
        self.answers.append(answer)
        if self._after_response is not None:
            self._after_response(request, answer)
        return response

    def close(self) -> None:
        self._real.close()
