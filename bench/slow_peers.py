"""Slow peers against real clients, on loopback: how many real requests still succeed.

For each server (the old launch, plain uvicorn; uvicorn with its own limit settings;
``callrec serve`` with its limits; granian when installed) it runs real clients for
``--seconds`` alone (the baseline), then again while ``--peers`` slow peers trickle request
heads a byte at a time and reconnect whenever they are dropped (slowloris). The servers run
with ``--server-fds`` open files, a common default, so that the peers outnumber what a server
can hold. It prints successes per phase and the ratio attack/baseline, then streams one huge
header (``--header-mb``): how much of it the server took, and its RSS growth.

    .venv/bin/python -m bench.slow_peers --peers 1500 --seconds 15

Everything is bounded: peers, clients and each phase's seconds; every request has a timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.common import LOOPBACK, free_port
from bench.servers import Server, _callrec_command, rss_mb
from bench.signed import QUERY_PAGE_PATH, Credentials, Window, page_body
from callrec.store import accounts, make_engine, upgrade

APP = "callrec.api:create_app_from_env"
DAY_US = 86_400 * 1_000_000
REQUEST_TIMEOUT_SECONDS = 5
PEER_BYTE_INTERVAL_SECONDS = 1.0


@dataclass
class Tally:
    ok: int = 0
    failed: int = 0


def _uvicorn(limit: list[str], *options: str) -> list[str]:
    """The old launch of the app under plain uvicorn, on a free port, with extra ``options``."""
    command = [*limit, sys.executable, "-m", "uvicorn", APP, "--factory", "--host", LOOPBACK]
    command += ["--port", str(free_port()), "--log-level", "critical"]
    return [*command, "--no-server-header", "--no-proxy-headers", *options]


def _servers(database_url: str, server_fds: int, log_dir: Path) -> list[Server]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLREC_")}
    env["CALLREC_DATABASE_URL"] = database_url
    limit = ["prlimit", f"--nofile={server_fds}:{server_fds}"]
    # uvicorn's own knobs at their best: h11 (the parser that caps a head) and the same caps.
    tuned = ["--http", "h11", "--h11-max-incomplete-event-size", "32768"]
    tuned += ["--limit-concurrency", "1000", "--timeout-keep-alive", "5"]
    callrec = [*limit, *_callrec_command(), "serve", "--host", LOOPBACK]
    callrec += ["--port", str(free_port()), "--log-level", "critical"]
    servers = [
        Server("plain uvicorn (before)", _uvicorn(limit), env, log_dir / "plain.log"),
        Server("uvicorn h11 + its limits", _uvicorn(limit, *tuned), env, log_dir / "tuned.log"),
        Server("callrec serve (after)", callrec, env, log_dir / "callrec.log"),
    ]
    granian = Path(sys.executable).with_name("granian")
    if granian.exists():  # the alternative, with its defaults (pip install granian)
        command = [*limit, str(granian), "--interface", "asgi", "--factory", "--host", LOOPBACK]
        command += ["--port", str(free_port()), "--log-level", "error", APP]
        servers.append(Server("granian", command, env, log_dir / "granian.log"))
    return servers


async def _slow_peer(port: int, stop: asyncio.Event, connected: list[int]) -> None:
    """Trickle a never-ending request head; reconnect whenever the server drops us."""
    while not stop.is_set():
        writer = None
        try:
            _, writer = await asyncio.open_connection(LOOPBACK, port)
            connected[0] += 1
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: bench\r\n")
            while not stop.is_set():
                writer.write(b"X")
                await writer.drain()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), PEER_BYTE_INTERVAL_SECONDS)
        except OSError:
            await asyncio.sleep(0.2)
        finally:
            if writer is not None:
                connected[0] -= 1
                writer.close()


async def _real_client(base_url: str, body: bytes, credentials: Credentials, until: float) -> Tally:
    """Sequential signed queryPage requests, each on a new connection, until ``until``."""
    tally = Tally()
    while time.monotonic() < until:
        try:
            async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_SECONDS) as http:
                answer = await http.post(
                    base_url + QUERY_PAGE_PATH, content=body, headers=credentials.headers()
                )
            if answer.status_code == 200 and answer.json()["status"] == "0":
                tally.ok += 1
            else:
                tally.failed += 1
        except httpx.HTTPError:
            tally.failed += 1
    return tally


async def _phase(
    server: Server, credentials: Credentials, clients: int, seconds: float, peers: int
) -> tuple[Tally, int]:
    stop = asyncio.Event()
    connected = [0]
    attackers = [
        asyncio.create_task(_slow_peer(server.port, stop, connected)) for _ in range(peers)
    ]
    ramp_until = time.monotonic() + 10
    while peers and connected[0] < peers * 0.9 and time.monotonic() < ramp_until:
        await asyncio.sleep(0.2)
    held = connected[0]
    window = Window(0, DAY_US)
    body = page_body(window, 1, 10)
    until = time.monotonic() + seconds
    tallies = await asyncio.gather(
        *(_real_client(server.base_url, body, credentials, until) for _ in range(clients))
    )
    stop.set()
    await asyncio.gather(*attackers, return_exceptions=True)
    total = Tally(sum(t.ok for t in tallies), sum(t.failed for t in tallies))
    return total, held


def _huge_header(server: Server, megabytes: int) -> tuple[float, float]:
    """Stream one header of ``megabytes``; MB the server took before closing, its RSS growth."""
    before = rss_mb(server.pid)
    sent = 0
    with socket.create_connection((LOOPBACK, server.port), timeout=30) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nX-Huge: ")
        chunk = b"a" * 65536
        try:
            while sent < megabytes * 1_000_000:
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass
        grown = rss_mb(server.pid) - before
    return sent / 1e6, grown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers", type=int, default=1500, help="slow peers (at most 5000)")
    parser.add_argument("--clients", type=int, default=10, help="concurrent real clients")
    parser.add_argument("--seconds", type=float, default=15, help="each phase (at most 60)")
    parser.add_argument("--header-mb", type=int, default=50, help="one huge header (at most 200)")
    parser.add_argument("--server-fds", type=int, default=1024, help="servers' open-file limit")
    args = parser.parse_args(argv)
    peers, seconds = min(args.peers, 5000), min(args.seconds, 60)

    with tempfile.TemporaryDirectory(prefix="callrec-slow-peers-") as tmp:
        database_url = f"sqlite:///{Path(tmp) / 'callrec.db'}"
        engine = make_engine(database_url)
        upgrade(engine)
        accounts.create_workspace(engine, "acme")
        key = accounts.create_key(engine, "acme")
        engine.dispose()
        credentials = Credentials(key.api_key, key.secret)
        results = []
        for server in _servers(database_url, args.server_fds, Path(tmp)):
            with server:
                baseline, _ = asyncio.run(_phase(server, credentials, args.clients, seconds, 0))
                attacked, held = asyncio.run(
                    _phase(server, credentials, args.clients, seconds, peers)
                )
                header_sent_mb, header_rss_mb = _huge_header(server, min(args.header_mb, 200))
            ratio = attacked.ok / baseline.ok if baseline.ok else 0.0
            results.append(
                {
                    "server": server.name,
                    "baseline_ok": baseline.ok,
                    "baseline_failed": baseline.failed,
                    "peers_connected": held,
                    "attacked_ok": attacked.ok,
                    "attacked_failed": attacked.failed,
                    "ratio": round(ratio, 3),
                    "huge_header_taken_mb": round(header_sent_mb, 1),
                    "huge_header_rss_growth_mb": round(header_rss_mb, 1),
                }
            )
            print(
                f"{server.name}: baseline {baseline.ok} ok / {baseline.failed} failed; "
                f"with {peers} slow peers ({held} connected at start) "
                f"{attacked.ok} ok / {attacked.failed} failed; ratio {ratio:.2f}; "
                f"a {args.header_mb} MB header: {header_sent_mb:.1f} MB taken, "
                f"RSS +{header_rss_mb:.1f} MB",
                flush=True,
            )
    print(json.dumps({"peers": peers, "seconds": seconds, "results": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
