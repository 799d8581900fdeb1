"""queryPage requests through the ASGI app in this process, with no network: what the app
itself costs a request, beside the stack baseline's app answering the same bytes.

    .venv/bin/python -m bench.asgi_requests --backend sqlite --case hit --requests 5000
    .venv/bin/python -m bench.asgi_requests --backend postgresql --case walk --cprofile

Wall-clock figures swing on a shared machine; for an A/B, count instructions instead: run it
twice under ``valgrind --tool=callgrind`` with a different ``--requests`` and divide the
difference in instructions by the difference in requests (start-up cancels out).

Cases: ``hit`` (page 1 of a one-day window again and again: the page cache), ``miss`` (page 1
of a one-day window starting at a fresh second each time), ``walk`` (pages 1, 2, 3... of a
25-day window, as an export walks them; from page 1 again after 400) and ``stack`` (the
stack baseline's app answering the hit's bytes). The access line is written as ``callrec
serve`` writes it, to /dev/null.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import os
import pstats
import random
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bench.dataset import DatasetPlan, day_us, ensure_dataset
from bench.modes import QUICK
from bench.query_bench import FIRST_DAY
from bench.signed import MICROS, QUERY_PAGE_PATH, Credentials, Window, page_body
from bench.stack_app import BODY_FILE_VARIABLE
from callrec.observability.logs import configure_logging, lean_log_records

DAY_US = 86_400 * MICROS
HOUR_SECONDS = 3_600
WALK_DAYS = 25
WALK_PAGES = 400  # of the ~470 a 25-day window holds in the quick dataset; then again
App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def _scope(credentials: Credentials, body: bytes) -> dict[str, Any]:
    headers = [(k.lower().encode(), v.encode()) for k, v in credentials.headers().items()]
    headers += [(b"host", b"127.0.0.1:8080"), (b"content-length", str(len(body)).encode())]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": QUERY_PAGE_PATH,
        "raw_path": QUERY_PAGE_PATH.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8080),
        "state": {},
    }


async def _request(app: App, credentials: Credentials, body: bytes) -> bytes:
    chunks: list[bytes] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if delivered:
            await asyncio.Event().wait()  # a client that sends nothing more
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(_scope(credentials, body), receive, send)
    return b"".join(chunks)


class _Lifespan:
    """The app's lifespan, started and stopped as a server would."""

    def __init__(self, app: App) -> None:
        self._app = app
        self._to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def start(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        self._task = asyncio.create_task(
            self._app(scope, self._to_app.get, self._from_app.put)  # type: ignore[arg-type]
        )
        await self._to_app.put({"type": "lifespan.startup"})
        answer = await self._from_app.get()
        if answer["type"] != "lifespan.startup.complete":
            raise RuntimeError(f"the app did not start: {answer}")

    async def stop(self) -> None:
        await self._to_app.put({"type": "lifespan.shutdown"})
        await self._from_app.get()
        await self._task


def _bodies(case: str, start_us: int, count: int) -> list[bytes]:
    rng = random.Random(15)
    walk = Window(start_us, start_us + WALK_DAYS * DAY_US)
    bodies = []
    for number in range(count):
        if case == "miss":
            first = start_us + rng.randrange(HOUR_SECONDS) * MICROS
            bodies.append(page_body(Window(first, first + DAY_US), 1))
        elif case == "walk":
            bodies.append(page_body(walk, 1 + number % WALK_PAGES))
        else:
            bodies.append(page_body(Window(start_us, start_us + DAY_US), 1))
    return bodies


def _app(case: str, database_url: str, hit_answer: bytes, folder: str) -> App:
    if case == "stack":
        body_file = os.path.join(folder, "page.json")
        with open(body_file, "wb") as file:
            file.write(hit_answer)
        os.environ[BODY_FILE_VARIABLE] = body_file
        from bench.stack_app import create_app as create_stack_app

        return create_stack_app()  # type: ignore[return-value]
    from callrec.api.app import create_app
    from callrec.settings import Settings

    return create_app(Settings.from_env({"CALLREC_DATABASE_URL": database_url}))  # type: ignore[return-value]


async def _run(args: argparse.Namespace) -> None:
    dataset = ensure_dataset(args.backend, DatasetPlan(QUICK.calls))
    workspace = dataset.biggest
    credentials = Credentials(workspace.api_key, workspace.secret)
    start_us = day_us(dataset, FIRST_DAY)
    bodies = _bodies(args.case, start_us, args.requests)
    hit_body = _bodies("hit", start_us, 1)[0]
    callrec = _app("hit", dataset.url, b"", "")
    lifespan = _Lifespan(callrec)
    await lifespan.start()
    hit_answer = await _request(callrec, credentials, hit_body)
    app, app_lifespan = callrec, lifespan
    folder = os.environ.get("TMPDIR", "/tmp")
    if args.case == "stack":
        app = _app("stack", dataset.url, hit_answer, folder)
        app_lifespan = _Lifespan(app)
        await app_lifespan.start()
    if args.case in ("hit", "stack"):
        for body in bodies[:50]:  # warm: the page kept, the credentials held
            await _request(app, credentials, body)
    profile = cProfile.Profile() if args.cprofile else None
    wall, cpu = time.perf_counter(), time.process_time()
    if profile is not None:
        profile.enable()
    sizes = [len(await _request(app, credentials, body)) for body in bodies]
    if profile is not None:
        profile.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"{args.case} on {args.backend}: {1e6 * wall / len(bodies):.1f} µs wall, "
        f"{1e6 * cpu / len(bodies):.1f} µs CPU a request ({len(bodies)} requests, "
        f"answers of {min(sizes):,}-{max(sizes):,} bytes)"
    )
    if profile is not None:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    if app_lifespan is not lifespan:
        await app_lifespan.stop()
    await lifespan.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--case", choices=["hit", "miss", "walk", "stack"], default="hit")
    parser.add_argument("--requests", type=int, default=3_000)
    parser.add_argument("--cprofile", action="store_true", help="print cProfile's top 40")
    args = parser.parse_args(argv)
    configure_logging("text", logging.INFO)
    lean_log_records()  # as `callrec serve` does
    with open(os.devnull, "w") as devnull:
        handler = logging.getLogger().handlers[0]
        handler.setStream(devnull)  # type: ignore[attr-defined]
        asyncio.run(_run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
