"""The switch read case: ``GET /switch/v1/numbers/{number}`` on a warm ``callrec serve``,
beside the stack baseline answering the same route with the same bytes.

    .venv/bin/python -m bench.switch_lookup [--requests 3000]

One client, one keep-alive connection, requests one after another (a switch asks once per
call set-up): the figures are latencies as the switch sees them, median and p99, and the
ratio of callrec to the baseline, which is what the lookup itself costs on top of the stack.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx
import msgspec

from bench.servers import Server, callrec_server, stack_server
from callrec.api.switch.numbers import routing_of
from callrec.store import accounts, ingest_sources, make_engine, upgrade
from callrec.store.ingest_sources import secret_digest
from callrec.store.numbers import ROUTING_SQL, Rental, routing_from_rows

NUMBER = "915027021995"
PATH = f"/switch/v1/numbers/{NUMBER}"
WARM_UP = 500


def _seed(database_url: str) -> str:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        accounts.create_workspace(engine, "bench", time_zone="Asia/Kolkata")
        # A realistic inventory: the lookup is by primary key among many numbers.
        for n in range(2000):
            accounts.add_number(engine, f"9150270{n:05d}", "bench", app_id="app-1")
        accounts.add_number(
            engine, NUMBER, "bench", "app-1", "FIXED", Rental(date(2099, 1, 1), True, False)
        )
        return ingest_sources.create_source(engine, "bench-switch").secret
    finally:
        engine.dispose()


def _latencies_us(server: Server, token: str, requests: int) -> list[float]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=10) as http:
        for _ in range(WARM_UP):
            http.get(PATH).raise_for_status()
        latencies = []
        for _ in range(requests):
            started = time.perf_counter()
            http.get(PATH).raise_for_status()
            latencies.append((time.perf_counter() - started) * 1e6)
    return latencies


def _lookup_us(database_url: str, token: str, requests: int) -> float:
    """The endpoint's own work, without HTTP: the statement on a driver connection like the
    API's reader, and rendering the answer (mean per lookup)."""
    path = database_url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path, isolation_level=None)
    params = (NUMBER, secret_digest(token))
    try:
        started = time.perf_counter()
        for _ in range(requests):
            found = routing_from_rows(conn.execute(ROUTING_SQL, params).fetchall())
            assert found.number is not None
            msgspec.json.encode(routing_of(found.number, time.time(), "http://x/"))
        return (time.perf_counter() - started) / requests * 1e6
    finally:
        conn.close()


def _figures(latencies: list[float]) -> tuple[float, float]:
    ordered = sorted(latencies)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="callrec-switch-bench-") as tmp:
        work = Path(tmp)
        token = _seed(f"sqlite:///{work / 'callrec.db'}")
        own_us = _lookup_us(f"sqlite:///{work / 'callrec.db'}", token, args.requests)
        with callrec_server(f"sqlite:///{work / 'callrec.db'}", work) as callrec:
            body = httpx.get(
                f"{callrec.base_url}{PATH}", headers={"Authorization": f"Bearer {token}"}
            ).content
            callrec_us = _figures(_latencies_us(callrec, token, args.requests))
        (work / "body.json").write_bytes(body)
        with stack_server(work / "body.json", work) as stack:
            stack_us = _figures(_latencies_us(stack, token, args.requests))
    print(f"switch lookup, {args.requests} sequential requests on one keep-alive connection")
    print(f"  callrec   median {callrec_us[0]:7.0f} us   p99 {callrec_us[1]:7.0f} us")
    print(f"  stack     median {stack_us[0]:7.0f} us   p99 {stack_us[1]:7.0f} us")
    print(
        f"  ratio     median {callrec_us[0] / stack_us[0]:7.2f}"
        f"      p99 {callrec_us[1] / stack_us[1]:7.2f}"
    )
    print(f"  callrec's own cost (median difference): {callrec_us[0] - stack_us[0]:.0f} us")
    print(f"  the lookup and its rendering alone, in process: {own_us:.0f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
