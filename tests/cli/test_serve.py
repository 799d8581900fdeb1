"""``callrec serve`` as a real process: health, a signed query, and its settings."""

from __future__ import annotations

import time

import httpx
from sqlalchemy.engine import Engine

from callrec.store import accounts
from callrec.store.records import insert_records
from tests.cli.support import free_port, serving
from tests.helpers import QUERY_PAGE, make_record, page_body, signed_headers


def test_serve_answers_healthz_and_a_signed_query_with_flags_and_env_applied(
    database_url: str, migrated: Engine
) -> None:
    ws = accounts.create_workspace(migrated, "acme", "EUR")
    key = accounts.create_key(migrated, "acme")
    with migrated.begin() as conn:
        insert_records(conn, ws.id, [make_record("c1", "2024-01-01T09:00:00Z")])
    one_day = page_body("2024-01-01T00:00:00+08:00", "2024-01-02T00:00:00+08:00")
    two_days = page_body("2024-01-01T00:00:00+08:00", "2024-01-03T00:00:00+08:00")

    with (
        serving(
            database_url,
            free_port(),
            "--max-window-days",
            "1",
            env={"CALLREC_TIMESTAMP_TOLERANCE": "30"},
        ) as base_url,
        httpx.Client(base_url=base_url, timeout=10) as http,
    ):
        health = http.get("/healthz")
        assert health.status_code == 200
        assert health.json()["status"] == "ok"

        page = http.post(QUERY_PAGE, headers=signed_headers(key.api_key, key.secret), json=one_day)
        body = page.json()
        assert body["status"] == "0", body
        assert body["data"]["total"] == 1
        assert [r["callid"] for r in body["data"]["records"]] == ["c1"]
        assert body["data"]["records"][0]["startTime"] == "2024-01-01 17:00:00"

        too_wide = http.post(
            QUERY_PAGE, headers=signed_headers(key.api_key, key.secret), json=two_days
        )
        assert too_wide.json()["status"] == "-25"  # --max-window-days 1

        stale = signed_headers(key.api_key, key.secret, int(time.time()) - 120)
        assert http.post(QUERY_PAGE, headers=stale, json=one_day).json()["status"] == "-16"


def _one_connection_per_worker(base_url: str, workers: int) -> dict[int, httpx.Client]:
    """A client per worker process, each held to one kept-alive connection (so one worker).

    New connections land on whichever worker accepts first; open them until every worker has
    answered /healthz with its pid, within a bounded number of tries.
    """
    found: dict[int, httpx.Client] = {}
    deadline = time.monotonic() + 60
    while len(found) < workers and time.monotonic() < deadline:
        client = httpx.Client(
            base_url=base_url,
            timeout=10,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        )
        pid = client.get("/healthz").json()["pid"]
        if pid in found:
            client.close()
            time.sleep(0.02)
        else:
            found[pid] = client
    return found


def test_serve_with_several_workers_shares_one_port_and_one_redis_lockout(
    database_url: str, migrated: Engine, redis_url: str
) -> None:
    accounts.create_workspace(migrated, "acme")
    key = accounts.create_key(migrated, "acme")
    env = {"CALLREC_REDIS_URL": redis_url, "CALLREC_REDIS_PREFIX": f"test:{time.time_ns()}:"}
    body = page_body("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z")
    with serving(
        database_url, free_port(), "--workers", "2", "--lockout-failures", "5", env=env
    ) as base_url:
        workers = _one_connection_per_worker(base_url, 2)
        try:
            assert len(workers) == 2, f"only worker(s) {sorted(workers)} answered"
            (first_pid, first), (second_pid, second) = workers.items()
            good = signed_headers(key.api_key, key.secret)
            for http in (first, second):
                assert http.post(QUERY_PAGE, headers=good, json=body).json()["status"] == "0"
            bad = {**good, "Sign": "f" * 32}
            for _ in range(5):
                assert first.post(QUERY_PAGE, headers=bad, json=body).json()["status"] == "-1"
            assert second.post(QUERY_PAGE, headers=good, json=body).json() == {
                "status": "-2",
                "reason": "IP restricted",
            }
            # The same connections, so the same workers, answered throughout.
            assert first.get("/healthz").json()["pid"] == first_pid
            assert second.get("/healthz").json()["pid"] == second_pid
        finally:
            for http in workers.values():
                http.close()


def test_serve_applies_the_rate_limit_flags(database_url: str, migrated: Engine) -> None:
    accounts.create_workspace(migrated, "acme")
    key = accounts.create_key(migrated, "acme")
    body = page_body("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z")
    with (
        serving(
            database_url,
            free_port(),
            "--rate-limit-per-minute",
            "1",
            "--rate-limit-burst",
            "2",
        ) as base_url,
        httpx.Client(base_url=base_url, timeout=10) as http,
    ):
        statuses = [
            http.post(
                QUERY_PAGE, headers=signed_headers(key.api_key, key.secret), json=body
            ).json()["status"]
            for _ in range(3)
        ]
    assert statuses == ["0", "0", "-15"]
