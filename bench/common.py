"""What every benchmark shares: databases, timing, servers' ports, and writing results."""

from __future__ import annotations

import json
import os
import platform
import socket
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import Engine

from callrec.store import make_engine, upgrade

BENCH = Path(__file__).parent
RESULTS = BENCH / "results"
DATA = BENCH / "data"  # gitignored: cached datasets
POSTGRES_DSN = os.environ.get("CALLREC_BENCH_POSTGRES", "postgresql://root@127.0.0.1:5432/test")
LOOPBACK = "127.0.0.1"


def postgres_reachable() -> bool:
    try:
        with psycopg.connect(POSTGRES_DSN, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if postgres_reachable() else ["sqlite"]


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def postgres_schema_url(schema: str) -> str:
    """The bench server's URL with every connection's search_path set to ``schema``."""
    return f"{POSTGRES_DSN}?options=-csearch_path%3D{schema}"


@contextmanager
def fresh_database(backend: str) -> Iterator[tuple[str, Engine]]:
    """A migrated, empty database (a temp file, or a PostgreSQL schema), removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="callrec-bench-") as folder:
            url = sqlite_url(Path(folder) / "bench.db")
            engine = make_engine(url)
            upgrade(engine)
            try:
                yield url, engine
            finally:
                engine.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = postgres_schema_url(schema)
    engine = make_engine(url)
    upgrade(engine)
    try:
        yield url, engine
    finally:
        engine.dispose()
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


class Stopwatch:
    def __enter__(self) -> Stopwatch:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": _memory_gib(),
    }


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


def write_json(path: Path, document: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def write_result(name: str, backend: str, result: dict[str, Any]) -> Path:
    """One benchmark's own results file: ``<date>-<name>-<backend>.json``."""
    return write_json(
        RESULTS / f"{today()}-{name}-{backend}.json",
        {"benchmark": name, "backend": backend, "machine": machine(), **result},
    )
