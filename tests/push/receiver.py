"""A real webhook receiver on loopback, scripted to fail, hang or accept, that checks every
push's signature with the recipe in docs/push.md (written out here, not imported)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAIL = "fail"  # answer HTTP 500
HANG = "hang"  # read the push, then never answer (until released)
ACCEPT = "accept"  # answer HTTP 200
TOLERANCE_SECONDS = 300


@dataclass
class Push:
    """One request as the receiver saw it."""

    headers: dict[str, str]
    body: bytes
    answer: str
    signature_valid: bool | None  # None: the receiver has no secret

    @property
    def records(self) -> list[dict[str, Any]]:
        return json.loads(self.body)

    @property
    def callids(self) -> list[str]:
        return [record["callid"] for record in self.records]

    @property
    def delivery_id(self) -> str:
        return self.headers["X-Callrec-Delivery"]


def signature_is_valid(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The documented recipe: hex HMAC-SHA256 of timestamp + "." + body, fresh timestamp."""
    timestamp = headers.get("X-Callrec-Timestamp", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    message = timestamp.encode() + b"." + body
    expected = "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers.get("X-Callrec-Signature", ""))


@dataclass
class Receiver:
    secret: str | None = None
    script: list[str] = field(default_factory=list)  # answers to the first requests, in order
    then: str = ACCEPT  # the answer to every request after the script
    pushes: list[Push] = field(default_factory=list)
    url: str = ""
    hanging: int = 0  # requests hanging right now
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _release: threading.Event = field(default_factory=threading.Event)
    hang_started: threading.Event = field(default_factory=threading.Event)

    def handle(self, headers: dict[str, str], body: bytes) -> int | None:
        valid = None if self.secret is None else signature_is_valid(self.secret, headers, body)
        with self._lock:
            index = len(self.pushes)
            answer = self.script[index] if index < len(self.script) else self.then
            self.pushes.append(Push(headers, body, answer, valid))
        if valid is False:
            return 401
        if answer == FAIL:
            return 500
        if answer == HANG:
            with self._lock:
                self.hanging += 1
            self.hang_started.set()
            self._release.wait(timeout=120)
            with self._lock:
                self.hanging -= 1
            return None
        return 200

    def release_hangs(self) -> None:
        self._release.set()

    # What arrived, for assertions.
    def accepted(self) -> list[Push]:
        with self._lock:
            return [p for p in self.pushes if p.answer == ACCEPT and p.signature_valid is not False]

    def accepted_callids(self) -> list[str]:
        return [callid for push in self.accepted() for callid in push.callids]

    def duplicates_accepted(self) -> int:
        return sum(n - 1 for n in Counter(self.accepted_callids()).values())

    def seen_callids(self) -> list[str]:
        with self._lock:
            return [callid for push in self.pushes for callid in push.callids]

    def wait_until_accepted(self, callids: Iterable[str], deadline_seconds: float = 60) -> None:
        wanted = set(callids)
        deadline = time.monotonic() + deadline_seconds
        while not wanted <= set(self.accepted_callids()):
            if time.monotonic() > deadline:
                missing = wanted - set(self.accepted_callids())
                raise AssertionError(
                    f"{len(missing)} records never arrived, e.g. {sorted(missing)[:5]}"
                )
            time.sleep(0.02)


def receiver_handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = receiver.handle(dict(self.headers.items()), body)
            if status is None:
                self.close_connection = True
                return
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running_receiver(
    secret: str | None = None, script: Iterable[str] = (), then: str = ACCEPT
) -> Iterator[Receiver]:
    receiver = Receiver(secret=secret, script=list(script), then=then)
    server = ThreadingHTTPServer(("127.0.0.1", 0), receiver_handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/calls"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release_hangs()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
