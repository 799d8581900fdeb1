"""The delivery worker: finds workspaces with records to push and sends them.

Each workspace is drained by its own task, one batch at a time, so a slow or dead receiver
holds up only its own workspace; every delivery is bounded by the timeout. Database work
runs on a few threads beside the event loop. Any number of workers (``callrec serve``
processes, ``callrec push worker``) can share one database: claims never overlap.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import ParamSpec, TypeVar

import httpx
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from callrec.observability.metrics import PUSH_DELIVERIES, PUSH_DELIVERY_SECONDS
from callrec.push.delivery import DeliveryResult, deliver
from callrec.push.payload import encode_batch
from callrec.push.schedule import next_attempt_us
from callrec.push.settings import PushSettings
from callrec.store.push_batches import (
    ClaimedBatch,
    claim_batch,
    mark_delivered,
    mark_failed,
    release,
    workspaces_with_due_work,
)
from callrec.wire.times import datetime_from_micros, now_micros

log = logging.getLogger("callrec.push")
P = ParamSpec("P")
T = TypeVar("T")
DATABASE_THREADS = 4


def _one_line(message: object) -> str:
    return " ".join(str(message).split())


class PushWorker:
    def __init__(self, engine: Engine, settings: PushSettings) -> None:
        self._engine = engine
        self._settings = settings
        self._executor = ThreadPoolExecutor(
            max_workers=DATABASE_THREADS, thread_name_prefix="callrec-push"
        )
        self._active: dict[int, asyncio.Task[None]] = {}
        self._ssl_context: ssl.SSLContext | None = None

    async def _db(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: function(*args, **kwargs))

    def _client(self) -> httpx.AsyncClient:
        if self._ssl_context is None:
            self._ssl_context = httpx.create_ssl_context()
        # No proxies from the environment: the request must go to the address just checked.
        return httpx.AsyncClient(
            verify=self._ssl_context, trust_env=False, follow_redirects=False, timeout=None
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set, then let in-flight deliveries finish (at most one
        timeout) and hand back any still unfinished, so another worker takes them at once."""
        slots = asyncio.Semaphore(self._settings.concurrency)
        try:
            while not stop.is_set():
                await self._start_due_workspaces(stop, slots)
                with suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._settings.poll_seconds)
        finally:
            await self._finish_in_flight()
            self._executor.shutdown(wait=True)

    async def _start_due_workspaces(self, stop: asyncio.Event, slots: asyncio.Semaphore) -> None:
        try:
            due = await self._db(workspaces_with_due_work, self._engine, now_micros())
        except OperationalError as exc:
            log.warning("push: database unavailable, trying again: %s", _one_line(exc.orig))
            return
        except Exception:
            log.exception("push: could not look for work; trying again")
            return
        for workspace_id in due:
            if workspace_id in self._active:
                continue
            task = asyncio.create_task(self._drain(workspace_id, stop, slots))
            self._active[workspace_id] = task
            task.add_done_callback(self._forget_task)

    def _forget_task(self, task: asyncio.Task[None]) -> None:
        for workspace_id, active in list(self._active.items()):
            if active is task:
                del self._active[workspace_id]

    async def _finish_in_flight(self) -> None:
        tasks = list(self._active.values())
        if not tasks:
            return
        _done, unfinished = await asyncio.wait(tasks, timeout=self._settings.timeout_seconds + 1)
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _drain(
        self, workspace_id: int, stop: asyncio.Event, slots: asyncio.Semaphore
    ) -> None:
        """Send this workspace's due batches one after another until none is left."""
        async with slots, self._client() as client:
            try:
                while not stop.is_set():
                    batch = await self._db(
                        claim_batch,
                        self._engine,
                        workspace_id,
                        now_micros(),
                        self._settings.lease_us,
                        self._settings.batch_size,
                    )
                    if batch is None:
                        return
                    await self._send(client, batch)
            except asyncio.CancelledError:
                raise
            except OperationalError as exc:
                log.warning(
                    "push: workspace %s: database unavailable, trying again: %s",
                    workspace_id,
                    _one_line(exc.orig),
                )
            except Exception:
                log.exception("push: workspace %s: delivery loop failed; retrying", workspace_id)

    async def _send(self, client: httpx.AsyncClient, batch: ClaimedBatch) -> None:
        body = encode_batch(batch.rows, batch.time_zone)
        started = time.perf_counter()
        try:
            result = await deliver(client, batch, body, self._settings)
        except asyncio.CancelledError:
            # Stopping mid-delivery: the receiver may have it or not; send it again soon.
            await self._db(release, self._engine, batch)
            raise
        PUSH_DELIVERY_SECONDS.observe(time.perf_counter() - started)
        PUSH_DELIVERIES.labels(result.kind).inc()
        await self._record(batch, result)

    async def _record(self, batch: ClaimedBatch, result: DeliveryResult) -> None:
        now = now_micros()
        if result.delivered:
            await self._db(mark_delivered, self._engine, batch, now)
            return
        error = result.error or "failed"
        retry_at = next_attempt_us(self._settings, batch.attempt, now)
        held = await self._db(mark_failed, self._engine, batch, error, now, retry_at)
        tries = f"try {batch.attempt} of {self._settings.attempts}"
        if not held:
            log.warning(
                "push %s to workspace %s failed (%s) after its lease ran out: %s",
                batch.delivery_id, batch.workspace, tries, error,
            )  # fmt: skip
        elif retry_at is None:
            log.error(
                "push %s to workspace %s failed (%s) and is parked: %s; "
                "see `callrec push failed --workspace %s`",
                batch.delivery_id, batch.workspace, tries, error, batch.workspace,
            )  # fmt: skip
        else:
            log.warning(
                "push %s to workspace %s failed (%s): %s; next try at %s",
                batch.delivery_id, batch.workspace, tries, error,
                datetime_from_micros(retry_at).isoformat(timespec="seconds"),
            )  # fmt: skip


class BackgroundPushWorker:
    """A worker running as a task of the current event loop (inside ``callrec serve``)."""

    def __init__(self, engine: Engine, settings: PushSettings) -> None:
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._run(PushWorker(engine, settings)))

    async def _run(self, worker: PushWorker) -> None:
        try:
            await worker.run(self._stop)
        except Exception:
            log.exception("push worker stopped unexpectedly")

    async def stop(self) -> None:
        self._stop.set()
        await self._task
