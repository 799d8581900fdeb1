"""Launching the HTTP server: one uvicorn configuration for `callrec serve` and the tests.

With several workers each process binds its own listening socket with ``SO_REUSEPORT``, so
the kernel spreads new connections over the workers by a hash of their addresses. On one
shared socket (uvicorn's ``--workers``), whichever worker wakes first accepts every waiting
connection, and keep-alive clients can all end up on one worker.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import resource
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from callrec.api.http_limits import HttpLimits, protocol_with_limits
from callrec.observability.exposition import (
    forget_worker,
    make_multiprocess_dir,
    remove_multiprocess_dir,
    scrape_registry,
    start_listener,
)
from callrec.observability.logs import configure_logging, lean_log_records
from callrec.settings import Settings
from callrec.store import make_engine

APP_FACTORY = "callrec.api:create_app_from_env"
STOP_SECONDS = 15
# Files a worker keeps open besides its connections: database, logs, the listening socket.
OTHER_FILES = 100
logger = logging.getLogger("uvicorn.error")
_spawn = multiprocessing.get_context("spawn")


def server_config(
    app: Any, settings: Settings, log_level: str, factory: bool = False
) -> uvicorn.Config:
    # proxy_headers=False: X-Forwarded-For is the app's to judge (Settings.trusted_proxies);
    # uvicorn's default would trust it from 127.0.0.1 and ::1.
    return uvicorn.Config(
        app,
        factory=factory,
        http=protocol_with_limits(HttpLimits.from_settings(settings)),
        timeout_keep_alive=settings.keepalive_timeout_seconds,  # type: ignore[arg-type]
        log_level=log_level,
        # callrec.observability.logs configures logging; request_log.py logs each request.
        log_config=None,
        access_log=False,
        lifespan="on",
        server_header=False,
        proxy_headers=False,
    )


def listening_socket(host: str, port: int, reuse_port: bool = False) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def serve(host: str, port: int, workers: int, log_level: str) -> None:
    """Serve the app built from CALLREC_* variables until SIGINT or SIGTERM."""
    if workers == 1:
        with _metrics_listener(Settings.from_env()):
            _run_worker(host, port, log_level, reuse_port=False)
    else:
        _supervise(host, port, workers, log_level)


def _run_worker(host: str, port: int, log_level: str, reuse_port: bool = True) -> None:
    settings = Settings.from_env()
    configure_logging(settings.log_format, _level(log_level))
    lean_log_records()
    config = server_config(APP_FACTORY, settings, log_level, factory=True)
    _make_room_for_connections(settings.max_connections)
    try:
        sock = listening_socket(host, port, reuse_port)
    except OSError as exc:
        logger.error("cannot listen on %s:%d: %s", host, port, exc)
        raise SystemExit(STARTUP_FAILURE) from exc
    _FrozenAfterStartup(config).run(sockets=[sock])


class _FrozenAfterStartup(uvicorn.Server):
    """Once the app has started, everything alive (modules, the app, its state) lives as long
    as the process: ``gc.freeze`` takes it out of the cycle collector's reach. Without it,
    each full collection walked those ~150k objects, a 30-330 ms pause of the event loop
    (measured on the loaded test machine), which set the p99 of requests that waited it out."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        gc.freeze()


def _level(name: str) -> int:
    level = logging.getLevelName(name.upper())
    return level if isinstance(level, int) else logging.INFO


@contextmanager
def _metrics_listener(settings: Settings) -> Iterator[None]:
    """CALLREC_METRICS_LISTEN's own address, served from a thread of this process."""
    if settings.metrics_listen is None:
        yield
        return
    engine = make_engine(settings.database_url)
    host, port = settings.metrics_listen
    try:
        stop = start_listener(host, port, scrape_registry(engine))
    except OSError as exc:
        engine.dispose()
        logger.error("cannot listen for metrics on %s:%d: %s", host, port, exc)
        raise SystemExit(STARTUP_FAILURE) from exc
    try:
        yield
    finally:
        stop()
        engine.dispose()


@contextmanager
def _metric_files(settings: Settings) -> Iterator[None]:
    """With metrics on, workers write them to files in a directory made here (removed after),
    so that whichever process answers a scrape adds up every worker's numbers."""
    if not settings.metrics_enabled:
        yield
        return
    directory = make_multiprocess_dir()
    try:
        with _metrics_listener(settings):
            yield
    finally:
        remove_multiprocess_dir(directory)


def _make_room_for_connections(max_connections: int) -> None:
    """Raise the open-file limit toward the connection cap: at the limit accept() fails and
    connections wait unanswered in the backlog, which is the stall the cap exists to avoid."""
    wanted = max_connections + OTHER_FILES
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    if soft != resource.RLIM_INFINITY and soft < wanted:
        logger.warning(
            "open-file limit %d is below CALLREC_MAX_CONNECTIONS + %d: lower the cap or "
            "raise the limit (ulimit -n, LimitNOFILE=)",
            soft,
            OTHER_FILES,
        )


def _supervise(host: str, port: int, workers: int, log_level: str) -> None:
    """Start ``workers`` processes, restart any that dies, stop them all on a signal."""
    with _metric_files(Settings.from_env()):
        _run_workers(host, port, workers, log_level)


def _run_workers(host: str, port: int, workers: int, log_level: str) -> None:
    stopping = threading.Event()
    previous = _on_signals(lambda signum, frame: stopping.set())

    def start() -> BaseProcess:
        process = _spawn.Process(target=_run_worker, args=(host, port, log_level))
        process.start()
        return process

    processes = [start() for _ in range(workers)]
    try:
        while not stopping.wait(0.5):
            for index, process in enumerate(processes):
                if process.is_alive():
                    continue
                if process.exitcode == STARTUP_FAILURE:
                    stopping.set()  # the app or the socket is broken: a restart fails alike
                    break
                if process.pid is not None:
                    forget_worker(process.pid)
                processes[index] = start()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(STOP_SECONDS)
            if process.is_alive():
                process.kill()
                process.join()
        _on_signals(previous)
    if any(process.exitcode == STARTUP_FAILURE for process in processes):
        raise SystemExit(1)


SignalHandler = Callable[[int, FrameType | None], Any] | int | None


def _on_signals(handler: SignalHandler | dict[int, SignalHandler]) -> dict[int, SignalHandler]:
    """Install ``handler`` for SIGINT and SIGTERM (or restore a saved set); return the old."""
    previous: dict[int, SignalHandler] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        chosen = handler[signum] if isinstance(handler, dict) else handler
        if chosen is not None:  # None: the old handler was not set from Python; leave it
            previous[signum] = signal.signal(signum, chosen)  # type: ignore[arg-type]
    return previous
