"""Shared fixtures: a fresh database per test on each backend, and a real server on a port.

Every test that takes ``engine`` (or anything built on it) runs once on SQLite and once on
PostgreSQL. PostgreSQL tests use their own schema: a migrated one is emptied and reused by a
later test (tests/schema_templates.MigratedSchemas), an empty one dropped. Without PostgreSQL
on 127.0.0.1:5432 they are skipped locally with one line saying so, and fail under CI=true.
``database_url`` alone is an empty database; ``engine``'s is migrated to head from a template made
once per worker by the real migrations (tests/schema_templates.py).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import Engine

from callrec.settings import Settings
from callrec.store import accounts, make_engine
from tests import helpers, schema_templates
from tests.helpers import MISSING_PREREQUISITES, RunningServer, missing_prerequisite, run_server

POSTGRES_ADMIN_DSN = os.environ.get(
    "CALLREC_TEST_POSTGRES", "postgresql://root@127.0.0.1:5432/test"
)
_postgres_problem: str | None = None


def _postgres_unavailable() -> str | None:
    global _postgres_problem
    if _postgres_problem is None:
        try:
            with psycopg.connect(POSTGRES_ADMIN_DSN, connect_timeout=3):
                _postgres_problem = ""
        except psycopg.Error as exc:
            _postgres_problem = f"PostgreSQL not reachable at {POSTGRES_ADMIN_DSN}: {exc}".strip()
    return _postgres_problem or None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A missing prerequisite's skips share one location, so `-ra` prints one line for them.

    pytest folds skips by (file, line, reason): without this a missing PostgreSQL printed a
    line for every test file (and every line) that needed it.
    """
    report = yield
    if report.skipped and isinstance(report.longrepr, tuple):
        reason = report.longrepr[2].removeprefix("Skipped: ")
        if reason in MISSING_PREREQUISITES:
            report.longrepr = (helpers.__file__, None, report.longrepr[2])
    return report


REDIS_URL = os.environ.get("CALLREC_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_url() -> str:
    """The real Redis; skipped locally without it (one line says why), failed under CI=true."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        missing_prerequisite(f"Redis not reachable at {REDIS_URL}: {exc}")
    return REDIS_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'callrec.db'}"
        return
    problem = _postgres_unavailable()
    if problem:
        missing_prerequisite(problem)
    if "engine" not in request.fixturenames:  # an empty schema, for the migrations' own tests
        with postgres_schema() as url:
            yield url
        return
    schemas: schema_templates.MigratedSchemas = request.getfixturevalue("migrated_postgres")
    schema = schemas.take()
    url = _schema_url(schema)
    _MIGRATED_URLS.add(url)
    try:
        yield url
    finally:
        _MIGRATED_URLS.discard(url)
        schemas.give_back(schema)


# database_url's PostgreSQL URLs whose schema is migrated already (engine replays no script).
_MIGRATED_URLS: set[str] = set()


def _schema_url(schema: str) -> str:
    separator = "&" if "?" in POSTGRES_ADMIN_DSN else "?"
    return f"{POSTGRES_ADMIN_DSN}{separator}options=-csearch_path%3D{schema}"


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A new, empty schema: the URL's search_path names it. Dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield _schema_url(schema)
    finally:
        schema_templates.drop_schema(POSTGRES_ADMIN_DSN, schema)


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file every migration ran into, once per worker process."""
    directory = tmp_path_factory.mktemp("migrated-template")
    return schema_templates.migrate_sqlite_template(directory / "callrec.db")


@pytest.fixture(scope="session")
def recorded_postgres_migrations() -> str:
    """What every migration sends to PostgreSQL, recorded once per worker process."""
    with postgres_schema() as url:
        statements = schema_templates.record_migrations(url)
    return schema_templates.as_script(statements, POSTGRES_ADMIN_DSN)


@pytest.fixture(scope="session")
def migrated_postgres(
    recorded_postgres_migrations: str,
) -> Iterator[schema_templates.MigratedSchemas]:
    """This worker's migrated schemas, emptied and reused from one test to the next."""
    schemas = schema_templates.MigratedSchemas(POSTGRES_ADMIN_DSN, recorded_postgres_migrations)
    yield schemas
    schemas.close()


@pytest.fixture
def engine(database_url: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """The test's own database, migrated to head (a copy of a once-migrated template)."""
    if database_url.startswith("sqlite"):
        template = request.getfixturevalue("migrated_sqlite_template")
        schema_templates.copy_sqlite_template(template, database_url)
        result = make_engine(database_url)
    else:
        result = make_engine(database_url)
        if database_url not in _MIGRATED_URLS:
            script = request.getfixturevalue("recorded_postgres_migrations")
            schema_templates.replay_migrations(result, script)
    yield result
    result.dispose()


@dataclass(frozen=True)
class Tenant:
    """A workspace with one API key, ready to call the API with."""

    workspace: accounts.Workspace
    api_key: str
    secret: str


@pytest.fixture
def make_tenant(engine: Engine) -> Callable[..., Tenant]:
    counter = iter(range(1_000_000))

    def make(
        name: str | None = None, currency: str = "USD", allow_ips: list[str] | None = None
    ) -> Tenant:
        ws = accounts.create_workspace(engine, name or f"ws{next(counter)}", currency)
        key = accounts.create_key(engine, ws.name, allow_ips)
        return Tenant(ws, key.api_key, key.secret)

    return make


@pytest.fixture
def tenant(make_tenant: Callable[..., Tenant]) -> Tenant:
    return make_tenant("acme", "EUR")


@pytest.fixture
def start_server(
    database_url: str, engine: Engine, tmp_path: Any
) -> Iterator[Callable[..., RunningServer]]:
    """Start the real ASGI app under uvicorn on a free loopback port; stopped after the test.

    Uploaded files (voicemail greetings) go to the test's own directory, never the cwd."""
    running: list[RunningServer] = []

    def start(clock: Callable[[], float] | None = None, **overrides: Any) -> RunningServer:
        base = Settings(database_url=database_url, files_dir=str(tmp_path / "files"))
        settings = replace(base, **overrides)
        server = run_server(settings, clock=clock)
        running.append(server)
        return server

    yield start
    for server in running:
        server.stop()


@pytest.fixture
def server(start_server: Callable[..., RunningServer]) -> RunningServer:
    return start_server()
