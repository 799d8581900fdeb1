"""Running a delivery worker in the test process, with delays short enough for tests."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine

from callrec.model import CallRecord
from callrec.push.settings import PushSettings
from callrec.push.worker import PushWorker
from callrec.store.push_targets import set_push_target
from callrec.store.records import insert_records

SECRET = "test-secret-0123456789abcdef"
MILLIS = 1000


def fast_settings(**overrides: Any) -> PushSettings:
    """Loopback receivers allowed; retries after ~50 ms; a hung receiver abandoned after 3 s."""
    base = PushSettings(
        allow_private=True,
        retries=3,
        retry_interval_us=50 * MILLIS,
        retry_jitter=Decimal("0.2"),
        timeout_us=3000 * MILLIS,
        lease_us=6000 * MILLIS,
        poll_us=50 * MILLIS,
    )
    return replace(base, **overrides)


@contextmanager
def running_worker(engine: Engine, settings: PushSettings) -> Iterator[None]:
    """A PushWorker on its own event loop in a thread; stopped (gracefully) on exit."""
    started = threading.Event()
    holder: dict[str, Any] = {}

    async def main() -> None:
        holder["loop"] = asyncio.get_running_loop()
        holder["stop"] = stop = asyncio.Event()
        started.set()
        await PushWorker(engine, settings).run(stop)

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    assert started.wait(timeout=10)
    try:
        yield
    finally:
        holder["loop"].call_soon_threadsafe(holder["stop"].set)
        thread.join(timeout=60)
        assert not thread.is_alive(), "the push worker did not stop"


def push_to(engine: Engine, workspace: str, url: str, secret: str | None = SECRET) -> None:
    set_push_target(engine, workspace, url, secret)


def store(engine: Engine, workspace_id: int, records: Sequence[CallRecord]) -> None:
    with engine.begin() as conn:
        insert_records(conn, workspace_id, records)


def wait_for(condition: Callable[[], bool], deadline_seconds: float = 60) -> None:
    """Poll until the condition holds; the deadline is generous, only there to end a hang."""
    deadline = time.monotonic() + deadline_seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)
