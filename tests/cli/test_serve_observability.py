"""``callrec serve`` as operators run it: metrics from every worker, and its log lines.

The server is the real console script in a subprocess; its stderr is read once it stops.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from callrec.store import accounts, ingest_sources, make_engine, upgrade
from tests.api.metrics_support import scrape, value
from tests.api.support import default_body
from tests.cli.support import CALLREC, cli_env, free_port, run_cli
from tests.helpers import QUERY_PAGE, signed_headers
from tests.ingest.sources.support import cdr_json, set_up_acme

WORKERS = 2
CONNECTIONS = 40
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@dataclass
class Served:
    base_url: str
    process: subprocess.Popen[str]
    stderr: str = ""
    lines: list[str] = field(default_factory=list)


@contextmanager
def serve(database_url: str, *flags: str) -> Iterator[Served]:
    port = free_port()
    process = subprocess.Popen(
        [CALLREC, "serve", "--port", str(port), *flags],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=cli_env(database_url),
    )
    served = Served(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + 60  # two cores shared with other test runs
        while True:
            assert process.poll() is None, process.communicate()[1]
            try:
                if httpx.get(f"{served.base_url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "callrec serve did not answer /healthz"
            time.sleep(0.05)
        yield served
    finally:
        process.terminate()
        try:
            served.stderr = process.communicate(timeout=20)[1]
        except subprocess.TimeoutExpired:
            process.kill()
            served.stderr = process.communicate()[1]
        served.lines = [line for line in served.stderr.splitlines() if line.strip()]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'callrec.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def _metric_dir(worker_pid: int) -> Path:
    """The directory the supervisor gave its workers (a worker's environment at start)."""
    environ = Path(f"/proc/{worker_pid}/environ").read_bytes().split(b"\0")
    [directory] = [v.split(b"=", 1)[1] for v in environ if v.startswith(b"PROMETHEUS_MULTIPROC")]
    return Path(directory.decode())


def _health_pids(base_url: str, count: int) -> list[int]:
    """``count`` requests, each on a new connection, so the kernel spreads them."""
    pids = []
    for _ in range(count):
        with httpx.Client(base_url=base_url, timeout=10) as http:
            pids.append(http.get("/healthz").json()["pid"])
    return pids


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads the supervisor's environment")
def test_two_workers_metrics_add_up_on_either_address(sqlite_url: str) -> None:
    metrics_port = free_port()
    health = {"route": "/healthz", "method": "GET", "status": "200"}
    with serve(
        sqlite_url,
        "--workers",
        str(WORKERS),
        "--metrics-on-api",
        "--metrics-listen",
        f"127.0.0.1:{metrics_port}",
        "--log-level",
        "warning",
    ) as served:
        # The first /healthz (waiting for start-up) may have gone to either worker.
        before = value(
            scrape(f"http://127.0.0.1:{metrics_port}"), "callrec_http_requests_total", **health
        )
        pids = _health_pids(served.base_url, CONNECTIONS)
        assert len(set(pids)) == WORKERS, f"the requests did not reach both workers: {set(pids)}"
        separate = scrape(f"http://127.0.0.1:{metrics_port}")
        assert value(separate, "callrec_http_requests_total", **health) - before == CONNECTIONS
        on_api = scrape(served.base_url)  # whichever worker answers adds up both
        assert value(on_api, "callrec_http_requests_total", **health) - before == CONNECTIONS

        # A worker that dies is restarted; its counts stay, its live gauges are dropped.
        victim = pids[0]
        directory = _metric_dir(victim)
        assert list(directory.glob(f"gauge_livesum_{victim}.db"))
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while list(directory.glob(f"gauge_livesum_{victim}.db")):
            assert time.monotonic() < deadline, "the dead worker's gauges were not dropped"
            time.sleep(0.1)
        while len(set(_health_pids(served.base_url, 10)) - {victim}) < WORKERS:
            assert time.monotonic() < deadline, "the dead worker was not replaced"
        after = scrape(f"http://127.0.0.1:{metrics_port}")
        assert value(after, "callrec_http_requests_total", **health) - before >= CONNECTIONS + 10
    assert served.process.returncode == 0, served.stderr
    assert not directory.exists(), "the supervisor left its metrics directory behind"


def test_json_logs_one_line_per_request_with_its_fields_and_no_secret(
    sqlite_url: str, tmp_path: Path
) -> None:
    engine = make_engine(sqlite_url)
    set_up_acme(engine)
    key = accounts.create_key(engine, "acme")
    token = ingest_sources.create_source(engine, "billing-export").secret
    engine.dispose()
    good = signed_headers(key.api_key, key.secret)
    wrong = signed_headers(key.api_key, "not-the-secret")
    with (
        serve(sqlite_url, "--log-format", "json", "--log-level", "info") as served,
        httpx.Client(base_url=served.base_url, timeout=10) as http,
    ):
        ok = http.post(
            QUERY_PAGE, headers={**good, "X-Request-Id": "trace-42.a"}, json=default_body()
        )
        failed = http.post(QUERY_PAGE, headers=wrong, json=default_body())
        unsafe = http.get("/openapi.json", headers={"X-Request-Id": "no spaces\tallowed"})
        ingest = http.post(
            "/ingest/cdrs",
            content=json.dumps([cdr_json("log-1")]).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
    assert ok.json()["status"] == "0"
    assert failed.json()["status"] == "-1"
    assert ingest.status_code == 200, ingest.text
    assert ok.headers["x-request-id"] == "trace-42.a"
    generated = unsafe.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated), generated
    assert re.fullmatch(r"[0-9a-f]{32}", failed.headers["x-request-id"])

    entries = [json.loads(line) for line in served.lines]  # every line is one JSON object
    assert all(ISO_UTC.fullmatch(entry["time"]) for entry in entries), entries
    access = {e["request_id"]: e for e in entries if e["logger"] == "callrec.access"}
    # Once per request; the start-up /healthz polls are quiet (DEBUG) when they succeed.
    assert len(access) == len([e for e in entries if e["logger"] == "callrec.access"]) == 4, (
        served.stderr
    )
    answered = access["trace-42.a"]
    assert answered["level"] == "INFO"
    assert (answered["method"], answered["path"]) == ("POST", QUERY_PAGE)
    assert answered["client_ip"] == "127.0.0.1"
    assert answered["api_key"] == key.api_key
    assert isinstance(answered["workspace_id"], int)
    assert (answered["status"], answered["http_status"], answered["outcome"]) == ("0", 200, "ok")
    assert answered["duration_ms"] > 0
    refused = access[failed.headers["x-request-id"]]
    assert refused["level"] == "WARNING"  # a failed queryPage shows as a failure, not 200 OK
    assert (refused["status"], refused["http_status"], refused["outcome"]) == (
        "-1",
        200,
        "failed",
    )
    assert (access[generated]["path"], access[generated]["route"]) == ("/openapi.json",) * 2
    assert access[ingest.headers["x-request-id"]]["ingest_source"] == "billing-export"
    # uvicorn's own access line is off in favour of these.
    assert not [e for e in entries if e["logger"] == "uvicorn.access"]
    for secret in (key.secret, good["Sign"], wrong["Sign"], token, "2024-01-01T00:00:00+08:00"):
        assert secret not in served.stderr


def test_text_logs_carry_the_same_fields(sqlite_url: str) -> None:
    with serve(sqlite_url, "--log-level", "info") as served:
        answer = httpx.get(f"{served.base_url}/openapi.json", headers={"X-Request-Id": "text-1"})
    assert answer.headers["x-request-id"] == "text-1"
    [line] = [line for line in served.lines if "request_id=text-1" in line]
    assert ISO_UTC.match(line), line
    assert " INFO callrec.access: GET /openapi.json 200 " in line
    for field_text in ("client_ip=127.0.0.1", "duration_ms=", "outcome=ok", "status=200"):
        assert field_text in line


def test_one_worker_serves_metrics_on_the_separate_address_only(sqlite_url: str) -> None:
    metrics_port = free_port()
    health = {"route": "/healthz", "method": "GET", "status": "200"}
    listen = f"127.0.0.1:{metrics_port}"
    with serve(sqlite_url, "--metrics-listen", listen, "--log-level", "warning") as served:
        before = value(scrape(f"http://{listen}"), "callrec_http_requests_total", **health)
        _health_pids(served.base_url, 3)
        after = value(scrape(f"http://{listen}"), "callrec_http_requests_total", **health)
        assert after - before == 3
        assert httpx.get(f"{served.base_url}/metrics").status_code == 404


def test_cli_jobs_log_in_the_chosen_format(sqlite_url: str) -> None:
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    path.chmod(0o644)  # the store warns, and tightens it
    result = run_cli(sqlite_url, "workspace", "list", env={"CALLREC_LOG_FORMAT": "json"}).ok()
    [entry] = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert (entry["level"], entry["logger"]) == ("WARNING", "callrec.store")
    assert ISO_UTC.fullmatch(entry["time"])
    assert str(path) in entry["message"]
    bad = run_cli(sqlite_url, "workspace", "list", env={"CALLREC_LOG_FORMAT": "xml"})
    assert bad.returncode == 1
    assert "CALLREC_LOG_FORMAT: must be text or json" in bad.stderr
