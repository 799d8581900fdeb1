"""What every benchmark shares: fresh databases, timing, and writing results."""

from __future__ import annotations

import json
import os
import platform
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

RESULTS = Path(__file__).parent / "results"
POSTGRES_DSN = os.environ.get("CALLREC_BENCH_POSTGRES", "postgresql://root@127.0.0.1:5432/test")


def postgres_reachable() -> bool:
    try:
        with psycopg.connect(POSTGRES_DSN, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if postgres_reachable() else ["sqlite"]


@contextmanager
def fresh_database(backend: str) -> Iterator[tuple[str, Engine]]:
    """A migrated, empty database (a temp file, or a PostgreSQL schema), removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="callrec-bench-") as folder:
            url = f"sqlite:///{folder}/bench.db"
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
    url = f"{POSTGRES_DSN}?options=-csearch_path%3D{schema}"
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


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def write_result(name: str, backend: str, result: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    path = RESULTS / f"{stamp}-{name}-{backend}.json"
    path.write_text(
        json.dumps(
            {"benchmark": name, "backend": backend, "machine": machine(), **result}, indent=2
        )
        + "\n"
    )
    return path
