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


def test_serve_with_several_workers_shares_one_port_and_one_redis_lockout(
    database_url: str, migrated: Engine, redis_url: str
) -> None:
    accounts.create_workspace(migrated, "acme")
    key = accounts.create_key(migrated, "acme")
    env = {"CALLREC_REDIS_URL": redis_url, "CALLREC_REDIS_PREFIX": f"test:{time.time_ns()}:"}
    body = page_body("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z")
    with (
        serving(
            database_url, free_port(), "--workers", "2", "--lockout-failures", "5", env=env
        ) as base_url,
        httpx.Client(base_url=base_url, timeout=10) as http,
    ):
        good = signed_headers(key.api_key, key.secret)
        # New connections each time, so both worker processes take their share.
        statuses = [
            httpx.post(base_url + QUERY_PAGE, headers=good, json=body).json()["status"]
            for _ in range(10)
        ]
        assert statuses == ["0"] * 10
        bad = {**good, "Sign": "f" * 32}
        for _ in range(5):
            assert (
                httpx.post(base_url + QUERY_PAGE, headers=bad, json=body).json()["status"] == "-1"
            )
        locked = [http.post(QUERY_PAGE, headers=good, json=body).json()["status"] for _ in range(4)]
        assert locked == ["-2"] * 4
