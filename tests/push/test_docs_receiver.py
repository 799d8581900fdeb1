"""The receiver in docs/push.md, run as written, against real pushes and forged ones."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import HTTPServer
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import Engine

from callrec.push.signature import sign
from callrec.store import accounts
from tests.helpers import make_record
from tests.push.support import SECRET, fast_settings, push_to, running_worker, store, wait_for

DOC = Path(__file__).resolve().parents[2] / "docs" / "push.md"


def documented_receiver() -> dict[str, Any]:
    """Execute the doc's Python block; its ``__main__`` guard keeps it from serving."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.DOTALL)
    [receiver] = [block for block in blocks if "class Receiver" in block]
    assert len(receiver.strip().splitlines()) <= 20  # "a ten-line receiver", give or take
    namespace: dict[str, Any] = {"__name__": "docs_push_receiver"}
    exec(compile(receiver, str(DOC), "exec"), namespace)
    return namespace


@contextmanager
def serving_documented_receiver() -> Iterator[tuple[str, list[str]]]:
    namespace = documented_receiver()
    namespace["SECRET"] = SECRET.encode()
    printed: list[str] = []
    namespace["print"] = lambda *args: printed.append(" ".join(map(str, args)))
    namespace["Receiver"].log_message = lambda *args: None
    server = HTTPServer(("127.0.0.1", 0), namespace["Receiver"])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", printed
    finally:
        server.shutdown()
        server.server_close()


def test_the_documented_receiver_accepts_real_pushes(engine: Engine) -> None:
    ws = accounts.create_workspace(engine, "acme")
    with serving_documented_receiver() as (url, printed):
        push_to(engine, "acme", url)
        store(engine, ws.id, [make_record("c1", "2024-01-01T00:00:00Z")])
        with running_worker(engine, fast_settings()):
            wait_for(lambda: printed == ["c1 0.012832"])


def test_the_documented_receiver_rejects_forgeries_and_replays() -> None:
    body = b'[{"callid": "c1", "pay": "1.000000"}]'
    with serving_documented_receiver() as (url, printed), httpx.Client() as http:

        def post(timestamp: str, signature: str, content: bytes = body) -> int:
            headers = {"X-Callrec-Timestamp": timestamp, "X-Callrec-Signature": signature}
            return http.post(url, content=content, headers=headers).status_code

        now = str(int(time.time()))
        assert post(now, sign(SECRET, now, body)) == 200
        assert post(now, sign(SECRET, now, body), content=body.replace(b"1.0", b"9.0")) == 401
        assert post(now, sign("another-secret-0123456789", now, body)) == 401
        stale = str(int(time.time()) - 3600)
        assert post(stale, sign(SECRET, stale, body)) == 401  # replayed an hour later
        assert post("", "") == 401
        assert printed == ["c1 1.000000"]
