"""``AsyncClient``: the asyncio client, on ``httpx.AsyncClient``; the same methods as ``Client``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Any, TypeVar

import httpx

from callrec.client._clock import SigningClock
from callrec.client._config import resolve_base_url, resolve_credentials
from callrec.client._errors import ApiError, TimestampExpiredError, transport_error
from callrec.client._models import Page, Record
from callrec.client._numbers import (
    EDIT_PATH,
    NUMBERS_PATH,
    NumberInfo,
    NumberPage,
    edit_body,
    numbers_body,
    read_edit,
    read_numbers,
)
from callrec.client._protocol import QUERY_PAGE_PATH, read_page, request_body
from callrec.client._retry import RetryPolicy
from callrec.client._seen import Checkpoint
from callrec.client._sync import DEFAULT_MAX_WINDOW_DAYS, DEFAULT_TIMEOUT
from callrec.client._walk import is_last_page, plan_walk
from callrec.client._windows import TimeLike, Window

T = TypeVar("T")


class AsyncClient:
    """The asyncio twin of ``Client``: same arguments, same methods, awaited.

    ``sleep`` is awaited between retries (``asyncio.sleep`` by default).
    """

    def __init__(
        self,
        api_key: str | None = None,
        api_secret: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_window_days: int = DEFAULT_MAX_WINDOW_DAYS,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if max_window_days < 1:
            raise ValueError("max_window_days must be at least 1")
        self.base_url = resolve_base_url(base_url)
        self._credentials = resolve_credentials(api_key, api_secret)
        self.max_window_days = max_window_days
        self.retry = retry or RetryPolicy()
        self._signing_clock = SigningClock(clock)
        self._sleep = sleep
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, transport=transport)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    @property
    def clock_offset(self) -> float:
        """Seconds the server's clock is ahead of this machine's, as learned from a ``-16``."""
        return self._signing_clock.offset

    async def aclose(self) -> None:
        await self._http.aclose()

    async def query_page(
        self, start: TimeLike, end: TimeLike, current: int = 1, size: int = 100
    ) -> Page:
        """One page of the window ``start <= call start < end``, exactly as the server pages it."""
        return await self._query(Window.of(start, end), current, size)

    async def count(self, start: TimeLike, end: TimeLike) -> int:
        """How many records the window holds now (one small request per server-sized window)."""
        total = 0
        for leg in plan_walk(Window.of(start, end), self.max_window_days):
            total += (await self._query(leg.window, 1, 1)).total
        return total

    async def iter_records(
        self,
        start: TimeLike,
        end: TimeLike,
        size: int = 100,
        *,
        checkpoint: Checkpoint | None = None,
    ) -> AsyncIterator[Record]:
        """Every record of the window, once each, in ascending start time (see ``Client``)."""
        for leg in plan_walk(Window.of(start, end), self.max_window_days, checkpoint):
            current = 1
            while True:
                page = await self._query(leg.window, current, size)
                for record in leg.seen.admit(page.records):
                    yield record
                if is_last_page(page, current):
                    break
                current += 1

    async def query_numbers(
        self, current: int = 1, size: int = 100, app_id: str | None = None
    ) -> NumberPage:
        """One page of the key's numbers (``/v3/number/queryPage``), by number."""
        return await self._exchange(NUMBERS_PATH, numbers_body(current, size, app_id), read_numbers)

    async def iter_numbers(
        self, app_id: str | None = None, size: int = 100
    ) -> AsyncIterator[NumberInfo]:
        """Every number of the key's workspace (or of one ``app_id``), page after page."""
        current = 1
        while True:
            page = await self.query_numbers(current, size, app_id)
            for number in page.numbers:
                yield number
            if current >= page.pages or not page.numbers:
                return
            current += 1

    async def edit_number(
        self, number: str, app_id: str, enable_voicemail: bool, **fields: Any
    ) -> None:
        """Configure one number (``/v3/number/edit``): ``None`` leaves a field, ``""`` clears."""
        body = edit_body(number, app_id, enable_voicemail, **fields)
        await self._exchange(EDIT_PATH, body, read_edit)

    async def _query(self, window: Window, current: int, size: int) -> Page:
        body = request_body(window, current, size)
        return await self._exchange(
            QUERY_PAGE_PATH, body, lambda response: read_page(response, window)
        )

    async def _exchange(self, path: str, body: bytes, read: Callable[[httpx.Response], T]) -> T:
        """One signed call, retried by the policy, resigned once after a ``-16``."""
        failures = 0
        clock_corrected = False
        while True:
            try:
                return read(await self._post(path, body))
            except TimestampExpiredError as error:
                if (
                    clock_corrected
                    or not self.retry.correct_clock
                    or not self._signing_clock.learn(error.response)
                ):
                    raise
                clock_corrected = True
            except ApiError as error:
                failures += 1
                delay = self.retry.delay_after(failures, error)
                if delay is None:
                    error.attempts = failures
                    raise
                await self._sleep(delay)

    async def _post(self, path: str, body: bytes) -> httpx.Response:
        # Signed here, for every attempt: a retry never reuses a stale Timestamp.
        headers = self._credentials.headers(self._signing_clock.timestamp(), body, path)
        try:
            return await self._http.post(path, content=body, headers=headers)
        except httpx.RequestError as exc:
            raise transport_error(exc, self.base_url) from exc
