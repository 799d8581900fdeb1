"""API keys' credentials held in memory on PostgreSQL, dropped when they change.

A held entry is used only while all three hold:
- a LISTEN connection is up. The store sends a notice (callrec.store.change_notices) in
  each transaction that disables or changes a key or workspace, or changes a workspace's
  records; PostgreSQL delivers it at commit, the event loop reads it as soon as it arrives
  and drops what it names. A change that must be in force at once (disabling a key or a
  workspace) asks for an answer, sent once the entries are gone, and its command waits for
  every listening server's (at most a second).
- it is younger than FRESH_SECONDS: the bound for a change made without a notice (an
  operator's SQL, a listener that died silently).
- no notice arrived while it was being read (a read can race a commit: its answer may
  predate a notice that is already applied).
Without a listener (it failed; it is reopened in the background, once a second at most)
nothing is held and every request reads its credentials, as before.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg

from callrec.store.accounts import KeyCredentials
from callrec.store.change_notices import CHANGES_CHANNEL, LISTENER_NAME, nonce_of

log = logging.getLogger("callrec.api")

FRESH_SECONDS = 1.0
# A held entry older than this is read again in the background while it is still used, so a
# key in steady use never makes a request wait for its read (callrec.api.vendor.credentials_reads).
REFRESH_AFTER_SECONDS = 0.5
MAX_HELD_KEYS = 10_000
REOPEN_EVERY_SECONDS = 1.0

Acknowledge = Callable[[str], Awaitable[None]]


class CredentialsMemory:
    def __init__(
        self,
        conninfo: str,
        acknowledge: Acknowledge,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._conninfo = conninfo
        self._acknowledge = acknowledge
        self._clock = clock
        self._listener: psycopg.AsyncConnection[Any] | None = None
        self._listener_socket = -1
        self._reopening: asyncio.Task[None] | None = None
        self._answering: set[asyncio.Task[None]] = set()
        self._held: dict[str, tuple[float, KeyCredentials]] = {}
        self._notices = 0  # notices applied so far: a read keeps its answer only if none came

    async def open(self) -> None:
        try:
            await self._listen()
        except psycopg.Error as error:
            log.warning("credentials are read on every request until LISTEN works: %s", error)
            self._reopen_later()

    async def close(self) -> None:
        if self._reopening is not None:
            self._reopening.cancel()
            self._reopening = None
        listener = self._listener
        self._drop_listener()
        if listener is not None:
            await listener.close()

    async def _listen(self) -> None:
        listener = await psycopg.AsyncConnection.connect(
            self._conninfo, autocommit=True, application_name=LISTENER_NAME
        )
        await listener.execute(f"LISTEN {CHANGES_CHANNEL}")
        self._held.clear()  # notices may have been missed while there was no listener
        self._listener = listener
        # Kept: once the server closes the session, psycopg no longer tells it.
        self._listener_socket = listener.pgconn.socket
        asyncio.get_running_loop().add_reader(self._listener_socket, self._apply_notices)

    def _drop_listener(self) -> None:
        if self._listener is not None:
            asyncio.get_running_loop().remove_reader(self._listener_socket)
            self._listener = None
        self._held.clear()

    def get(self, api_key: str) -> KeyCredentials | None:
        """The key's credentials, if held and still good to use; None: read them."""
        held = self._held.get(api_key)
        if held is None or self._listener is None:
            return None
        read_at, credentials = held
        if self._clock() - read_at >= FRESH_SECONDS:
            del self._held[api_key]
            return None
        return credentials

    def due_for_refresh(self, api_key: str) -> bool:
        """Held, still good to use, and old enough to be read again ahead of its expiry."""
        held = self._held.get(api_key)
        return held is not None and self._clock() - held[0] >= REFRESH_AFTER_SECONDS

    def drop(self, api_key: str) -> None:
        self._held.pop(api_key, None)

    @property
    def notices(self) -> int:
        """Notices applied so far: a read started before the last one may be stale."""
        return self._notices

    def reading(self) -> tuple[float, int]:
        """Call before reading credentials from the database; pass the result to ``keep``."""
        return self._clock(), self._notices

    def keep(self, reading: tuple[float, int], credentials: KeyCredentials) -> None:
        read_at, notices_before = reading
        if self._listener is None or self._notices != notices_before:
            return
        if len(self._held) >= MAX_HELD_KEYS:
            self._held.clear()
        self._held[credentials.api_key] = (read_at, credentials)

    def _apply_notices(self) -> None:
        """The listener's socket is readable: notices, or the server ending the session."""
        listener = self._listener
        if listener is None:
            return
        pgconn = listener.pgconn
        try:
            pgconn.consume_input()
            if pgconn.status != psycopg.pq.ConnStatus.OK:
                raise psycopg.OperationalError("the connection is closed")
        except psycopg.Error as error:
            log.warning("the credentials listener failed, reopening it: %s", error)
            self._drop_listener()
            self._reopen_later()
            return
        while (notice := pgconn.notifies()) is not None:
            self._notices += 1
            payload = notice.extra.decode()
            self._forget(payload)
            nonce = nonce_of(payload)
            if nonce is not None:
                task = asyncio.get_running_loop().create_task(self._answer(nonce))
                self._answering.add(task)
                task.add_done_callback(self._answering.discard)

    async def _answer(self, nonce: str) -> None:
        try:
            await self._acknowledge(nonce)
        except psycopg.Error as error:  # the change's command stops waiting after a second
            log.warning("could not answer a credentials change: %s", error)

    def _forget(self, payload: str) -> None:
        if not payload.isdigit():
            self._held.clear()
            return
        workspace_id = int(payload)
        for api_key in [k for k, (_, c) in self._held.items() if c.workspace_id == workspace_id]:
            del self._held[api_key]

    def _reopen_later(self) -> None:
        if self._reopening is None or self._reopening.done():
            self._reopening = asyncio.get_running_loop().create_task(self._reopen())

    async def _reopen(self) -> None:
        while self._listener is None:
            await asyncio.sleep(REOPEN_EVERY_SECONDS)
            try:
                await self._listen()
            except psycopg.Error as error:
                log.warning("the credentials listener is still down: %s", error)
