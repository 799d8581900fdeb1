"""The server against hostile and slow peers: raw sockets on loopback, a real server.

The HTTP layer does not depend on the database, so these run on SQLite only. Every wait is
bounded (``HANG_SECONDS``) only to keep a broken server from hanging the suite.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from callrec.settings import Settings
from callrec.store import accounts, make_engine, upgrade
from tests.api.metrics_support import scrape, value
from tests.helpers import QUERY_PAGE, RunningServer, run_server, signed_headers

HANG_SECONDS = 15
HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: test\r\n"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'callrec.db'}"
    engine = make_engine(url)
    upgrade(engine)
    accounts.create_workspace(engine, "acme")
    engine.dispose()
    return url


@pytest.fixture
def start(sqlite_url: str) -> Iterator[Callable[..., RunningServer]]:
    url = sqlite_url
    running: list[RunningServer] = []

    def start_with(**limits: Any) -> RunningServer:
        server = run_server(replace(Settings(database_url=url), **limits))
        running.append(server)
        return server

    yield start_with
    for server in running:
        server.stop()


def create_key(url: str) -> accounts.ApiKey:
    engine = make_engine(url)
    try:
        return accounts.create_key(engine, "acme")
    finally:
        engine.dispose()


def connect(server: RunningServer) -> socket.socket:
    host, port = server.base_url.removeprefix("http://").rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=HANG_SECONDS)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes; fails if it keeps the connection open."""
    sock.settimeout(HANG_SECONDS)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    except TimeoutError:
        pytest.fail(f"the server kept the connection open; received {received[:200]!r}")
    return received


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def trickle(sock: socket.socket, data: bytes, pause_seconds: float = 0.2) -> bytes:
    """Send ``data`` a byte at a time until the server answers or closes; return its answer."""
    sock.settimeout(pause_seconds)
    for byte in data:
        try:
            sock.sendall(bytes([byte]))
            answer = sock.recv(65536)
        except TimeoutError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            return b""
        return answer + read_until_closed(sock)
    pytest.fail("the server let a peer trickle its whole request without closing")


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def test_a_header_line_over_the_cap_gets_431(start: Callable[..., RunningServer]) -> None:
    server = start(max_header_line_bytes=8192)
    with connect(server) as sock:
        sock.sendall(HEALTHZ + b"X-Big: " + b"a" * 9000 + b"\r\n\r\n")
        assert status_of(read_until_closed(sock)) == 431


def test_a_request_line_over_the_cap_gets_431(start: Callable[..., RunningServer]) -> None:
    server = start(max_header_line_bytes=8192)
    with connect(server) as sock:
        sock.sendall(b"GET /healthz?" + b"q" * 9000 + b" HTTP/1.1\r\nHost: test\r\n\r\n")
        assert status_of(read_until_closed(sock)) == 431


def test_a_head_over_the_total_cap_gets_431_though_each_line_fits(
    start: Callable[..., RunningServer],
) -> None:
    server = start(max_header_line_bytes=8192, max_header_bytes=32768)
    headers = b"".join(b"X-Part-%d: %s\r\n" % (i, b"a" * 4000) for i in range(10))
    with connect(server) as sock:
        sock.sendall(HEALTHZ + headers + b"\r\n")
        assert status_of(read_until_closed(sock)) == 431
    # Heads within both caps are served as before.
    with server.client() as http:
        assert http.get("/healthz", headers={"X-Fits": "a" * 4000}).status_code == 200


def test_a_streamed_huge_header_is_cut_off_early_and_not_buffered(
    start: Callable[..., RunningServer],
) -> None:
    server = start()
    chunk = b"a" * 65536
    total = 24 * 1024 * 1024
    before = rss_bytes()
    with connect(server) as sock:
        sock.sendall(HEALTHZ + b"X-Huge: ")
        sent = 0
        try:
            while sent < total:
                sock.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        grown = rss_bytes() - before  # the server runs in this process
        answer = read_until_closed(sock)
    assert sent < total, "the server read a 24 MB header to the end"
    assert grown < 12 * 1024 * 1024, f"RSS grew by {grown} bytes while the header streamed"
    assert answer == b"" or status_of(answer) == 431


def test_a_peer_trickling_its_head_is_disconnected(start: Callable[..., RunningServer]) -> None:
    server = start(header_timeout_seconds=1)
    with connect(server) as sock:
        answer = trickle(sock, HEALTHZ + b"X-Slow: " + b"a" * 200 + b"\r\n\r\n")
    assert answer == b"" or status_of(answer) == 408


def test_a_connection_that_never_sends_is_closed(start: Callable[..., RunningServer]) -> None:
    server = start(header_timeout_seconds=1)
    with connect(server) as sock:
        answer = read_until_closed(sock)
    assert answer == b"" or status_of(answer) == 408


def post_head(body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {QUERY_PAGE} HTTP/1.1", "Host: test", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


TRICKLED_BODY = json.dumps({"current": 1, "size": 10, "params": {"pad": "x" * 200}}).encode()


def test_a_peer_trickling_its_body_is_timed_out(
    start: Callable[..., RunningServer], sqlite_url: str
) -> None:
    key = create_key(sqlite_url)
    server = start(body_timeout_seconds=1)
    with connect(server) as sock:
        sock.sendall(post_head(TRICKLED_BODY, signed_headers(key.api_key, key.secret)))
        answer = trickle(sock, TRICKLED_BODY)
    assert answer == b"" or status_of(answer) == 408


def test_a_body_still_trickling_after_the_answer_is_cut_off(
    start: Callable[..., RunningServer],
) -> None:
    server = start(body_timeout_seconds=1)
    with connect(server) as sock:
        # Unsigned: the app answers from the headers alone, and the body keeps coming.
        sock.sendall(post_head(TRICKLED_BODY, {"Content-Type": "application/json"}))
        answer = trickle(sock, TRICKLED_BODY)
    assert status_of(answer) == 200
    assert b"408" not in answer


def test_an_idle_keep_alive_connection_is_closed(start: Callable[..., RunningServer]) -> None:
    server = start(keepalive_timeout_seconds=1)
    with connect(server) as sock:
        sock.sendall(HEALTHZ + b"\r\n")
        answer = read_until_closed(sock)
    assert status_of(answer) == 200


def test_at_the_cap_a_new_client_evicts_the_longest_waiting_idle_connection(
    start: Callable[..., RunningServer],
) -> None:
    server = start(max_connections=5, header_timeout_seconds=60)
    idle = [connect(server) for _ in range(5)]
    try:
        time.sleep(0.3)  # let the server take all five before the next one arrives
        with connect(server) as client:
            client.sendall(HEALTHZ + b"Connection: close\r\n\r\n")
            assert status_of(read_until_closed(client)) == 200
        evicted = read_until_closed(idle[0])  # the first to connect waited longest
        assert evicted == b"" or status_of(evicted) == 503
    finally:
        for sock in idle:
            sock.close()


def test_at_the_cap_with_every_request_under_way_new_connections_get_503(
    start: Callable[..., RunningServer], sqlite_url: str
) -> None:
    key = create_key(sqlite_url)
    server = start(max_connections=5, body_timeout_seconds=60)
    # Signed heads complete, bodies pending: requests under way, none of them to evict.
    busy = [connect(server) for _ in range(5)]
    try:
        for sock in busy:
            sock.sendall(post_head(TRICKLED_BODY, signed_headers(key.api_key, key.secret)))
        time.sleep(0.3)  # let the server read all five heads before the next one arrives
        with connect(server) as extra:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                extra.sendall(HEALTHZ + b"\r\n")
            answer = read_until_closed(extra)
        assert answer == b"" or status_of(answer) == 503
    finally:
        for sock in busy:
            sock.close()
    with server.client() as http:
        for _ in range(50):  # the server notices the closed connections within moments
            if http.get("/healthz").status_code == 200:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the server kept refusing after the busy connections closed")


def test_an_ordinary_client_is_answered_while_slow_peers_hold_connections(
    start: Callable[..., RunningServer],
) -> None:
    server = start(max_connections=200, header_timeout_seconds=60)
    slow = [connect(server) for _ in range(100)]
    try:
        for sock in slow:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nX-Slow: ")
        with httpx.Client(base_url=server.base_url, timeout=HANG_SECONDS) as http:
            statuses = [http.get("/healthz").status_code for _ in range(20)]
        assert statuses == [200] * 20
    finally:
        for sock in slow:
            sock.close()


def test_a_pipelined_request_after_a_large_body_is_not_taken_for_a_large_head(
    start: Callable[..., RunningServer],
) -> None:
    server = start(max_header_bytes=32768)
    body = json.dumps({"pad": "x" * 60000}).encode()
    unsigned_post = post_head(body, {"Content-Type": "application/json"}) + body
    with connect(server) as sock:
        # The second head starts in the same read as the first body and ends in a later one.
        sock.sendall(unsigned_post + HEALTHZ)
        time.sleep(0.3)
        sock.sendall(b"Connection: close\r\n\r\n")
        answers = read_until_closed(sock)
    assert answers.count(b"HTTP/1.1 200 OK") == 2, answers[:300]
    assert b"431" not in answers


def _refusals(server: RunningServer, reason: str) -> float:
    return value(scrape(server.base_url), "callrec_http_refusals_total", reason=reason)


def test_refusals_below_the_app_are_counted_and_logged(
    start: Callable[..., RunningServer],
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = start(max_header_line_bytes=8192, header_timeout_seconds=0.5, metrics_on_api=True)
    too_large, timed_out = _refusals(server, "head_too_large"), _refusals(server, "head_timeout")
    with connect(server) as sock:
        sock.sendall(HEALTHZ + b"X-Big: " + b"a" * 9000 + b"\r\n\r\n")
        assert status_of(read_until_closed(sock)) == 431
    with connect(server) as sock:
        read_until_closed(sock)  # sends nothing: closed when the head deadline passes
    assert _refusals(server, "head_too_large") == too_large + 1
    assert _refusals(server, "head_timeout") == timed_out + 1
    # Timeouts are logged at INFO, which the test server's log level hides.
    logged = [r.getMessage() for r in caplog.records if "Refused a connection" in r.getMessage()]
    assert any("head_too_large" in line for line in logged), logged
