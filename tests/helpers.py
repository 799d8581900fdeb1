"""Test helpers: a real server in a thread, signed requests, records to store."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NoReturn

import httpx
import pytest
import uvicorn

from callrec.api import create_app
from callrec.api.server import listening_socket, server_config
from callrec.model import CallRecord
from callrec.settings import Settings
from callrec.wire.sign import compute_sign
from callrec.wire.times import parse_iso_instant

QUERY_PAGE = "/v3/number/record/queryPage"


class PromptlyStoppedServer(uvicorn.Server):
    """uvicorn's server, stopped at once instead of within two fixed 0.1 s sleeps.

    uvicorn notices ``should_exit`` at its next 0.1 s tick and then sleeps another 0.1 s to
    let connections finish; over some 1,500 servers that was minutes of the suite. Here
    ``stop_soon`` wakes the main loop, and the shutdown is uvicorn's without that sleep:
    close the listeners, ask each connection to finish, wait for running requests, then the
    app's lifespan shutdown. ``callrec serve`` itself (a subprocess in tests/cli) keeps
    uvicorn's own shutdown.
    """

    _wake: asyncio.Event
    _loop: asyncio.AbstractEventLoop

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864_000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)

    async def shutdown(self, sockets: list[Any] | None = None) -> None:
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        await asyncio.sleep(0)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wait_tasks_to_complete(), timeout=10)
        if not self.force_exit:
            await self.lifespan.shutdown()

    def stop_soon(self) -> None:
        self.should_exit = True
        loop = getattr(self, "_loop", None)
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed in between
                loop.call_soon_threadsafe(self._wake.set)


@dataclass
class RunningServer:
    base_url: str
    server: PromptlyStoppedServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.stop_soon()
        self.thread.join(timeout=10)

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30, **kwargs)

    @property
    def state(self) -> Any:
        """The app's ``ServiceState``, to read counters and the Redis breaker's state."""
        return self.server.config.app.state.callrec


class ManualClock:
    """A clock the test moves by hand, injected into the server instead of ``time.time``.

    It starts at the real time, so requests signed with the real time are still fresh.
    """

    def __init__(self, now: float | None = None) -> None:
        self.now = float(int(time.time()) if now is None else now)

    def __call__(self) -> float:
        return self.now

    def seconds(self) -> int:
        return int(self.now)

    def advance(self, seconds: float) -> None:
        self.now += seconds


def run_server(
    settings: Settings, host: str = "127.0.0.1", clock: Callable[[], float] | None = None
) -> RunningServer:
    """The app under the same uvicorn configuration as `callrec serve`, in a thread."""
    sock = listening_socket(host, 0)
    port = sock.getsockname()[1]
    app = create_app(settings, clock=time.time if clock is None else clock)
    server = PromptlyStoppedServer(server_config(app, settings, "warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    authority = f"[{host}]" if ":" in host else host
    return RunningServer(f"http://{authority}:{port}", server, thread)


def signed_headers(api_key: str, secret: str, timestamp: int | str | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": "application/json;charset=UTF-8",
        "Api-Key": api_key,
        "Timestamp": ts,
        "Sign": compute_sign(api_key, secret, ts),
    }


def page_body(str_time: str, end_time: str, current: Any = 1, size: Any = 100) -> dict[str, Any]:
    return {"current": current, "size": size, "params": {"strTime": str_time, "endTime": end_time}}


def make_record(callid: str, start: str, **overrides: Any) -> CallRecord:
    """A priced USD record starting at ``start`` (ISO 8601 with offset), 10 s of talk."""
    start_us = parse_iso_instant(start).micros
    values: dict[str, Any] = {
        "callid": callid,
        "number": "915027021995",
        "number_type": "MOBILE",
        "caller": "915027021995",
        "called": "915027021999",
        "ccode": "91",
        "country": "India",
        "call_source": 3,
        "call_duration": 10,
        "charged_duration": 60,
        "start_us": start_us,
        "end_us": start_us + 10_000_000,
        "pay": Decimal("0.012832"),
        "sip_code": "200",
        "recording_url": "",
        "hangup_reason": "NORMAL_CLEARING",
        "app_id": "app-1",
        "charged_period": "60+60",
        "customer_rate": Decimal("0.012832"),
        "currency": None,
        "quote_exchange": None,
        "settle_rate": None,
        "settle_pay": None,
    }
    values.update(overrides)
    return CallRecord(**values)


# Problems reported by missing_prerequisite in this process: tests/conftest.py folds their skips
# into one summary line each, however many tests and files they skipped.
MISSING_PREREQUISITES: set[str] = set()


def missing_prerequisite(problem: str) -> NoReturn:
    """Skip with one line saying why; under CI=true the prerequisite must be there: fail."""
    if os.environ.get("CI") == "true":
        pytest.fail(problem)
    MISSING_PREREQUISITES.add(problem)
    pytest.skip(problem)
