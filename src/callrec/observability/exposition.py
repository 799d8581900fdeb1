"""A scrape's answer: this process's metrics, or every worker's under ``serve --workers N``.

Under several workers the supervisor makes a ``PROMETHEUS_MULTIPROC_DIR`` for them
(``make_multiprocess_dir``), marks each dead worker there (``forget_worker``) so its gauges
stop counting, and removes the directory when it stops. The push queue is the database's
state, not a process's, so it is counted once per scrape, by whoever answers it.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine

from callrec.store.push_batches import queue_totals

log = logging.getLogger("callrec.metrics")

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST


class PushQueueCollector(Collector):
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterable[Metric]:
        try:
            totals = queue_totals(self._engine)
        except Exception as exc:
            # A scrape must still answer with the rest when the database does not.
            log.warning("metrics: push queue not counted: %s", " ".join(str(exc).split()))
            return
        yield GaugeMetricFamily(
            "callrec_push_queued_records",
            "Stored records waiting to be gathered into a push batch (all workspaces).",
            value=totals.queued_records,
        )
        batches = GaugeMetricFamily(
            "callrec_push_batches",
            "Push batches by state: pending (to be tried or being sent), parked (gave up).",
            labels=["state"],
        )
        batches.add_metric(["pending"], totals.pending_batches)
        batches.add_metric(["parked"], totals.parked_batches)
        yield batches
        yield GaugeMetricFamily(
            "callrec_push_parked_records",
            "Records in parked push batches (see `callrec push failed`).",
            value=totals.parked_records,
        )


class _ThisProcess(Collector):
    """The default registry's metrics, inside a registry of the scrape's own."""

    def collect(self) -> Iterable[Metric]:
        yield from REGISTRY.collect()


def scrape_registry(engine: Engine) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    directory = os.environ.get(MULTIPROC_ENV)
    if directory:
        multiprocess.MultiProcessCollector(registry, directory)
    else:
        registry.register(_ThisProcess())
    registry.register(PushQueueCollector(engine))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)


def make_multiprocess_dir() -> str:
    """A fresh directory for the workers' metric files, in the environment they inherit."""
    directory = tempfile.mkdtemp(prefix="callrec-metrics-")
    os.environ[MULTIPROC_ENV] = directory
    return directory


def forget_worker(pid: int) -> None:
    """A worker died: its live gauges (connections in use, breaker state) no longer count."""
    directory = os.environ.get(MULTIPROC_ENV)
    if directory:
        multiprocess.mark_process_dead(pid, directory)


def remove_multiprocess_dir(directory: str) -> None:
    if os.environ.get(MULTIPROC_ENV) == directory:
        del os.environ[MULTIPROC_ENV]
    shutil.rmtree(directory, ignore_errors=True)


def start_listener(host: str, port: int, registry: CollectorRegistry) -> Callable[[], None]:
    """Serve the registry at ``http://host:port/metrics`` from a thread; returns its stop."""
    server, thread = start_http_server(port, host, registry)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(5)

    return stop
