"""``/metrics``: the numbers move as requests, refusals, ingest and pushes happen.

Every test reads a difference (after minus before): the counters live in the process, which
other tests in this worker move too.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.engine import Engine

from callrec.store import accounts, ingest_sources
from tests.api.hung_peer import HungPeer
from tests.api.metrics_support import Samples, scrape, value
from tests.api.support import default_body, query, wrong_sign_headers
from tests.conftest import Tenant
from tests.helpers import QUERY_PAGE, RunningServer, make_record, signed_headers
from tests.ingest.sources.support import cdr_json, set_up_acme
from tests.push.receiver import FAIL, running_receiver
from tests.push.support import SECRET, fast_settings, push_to, running_worker, store, wait_for

QP = {"route": QUERY_PAGE, "method": "POST"}


def _metrics_server(
    start_server: Callable[..., RunningServer], **settings: object
) -> RunningServer:
    return start_server(metrics_on_api=True, **settings)


def _requests(samples: Samples, status: str) -> float:
    return value(samples, "callrec_http_requests_total", status=status, **QP)


def test_metrics_are_off_unless_the_operator_turns_them_on(server: RunningServer) -> None:
    with server.client() as http:
        assert http.get("/metrics").status_code == 404


def test_query_page_answers_are_counted_by_contract_status_and_timed(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    server = _metrics_server(start_server)
    before = scrape(server.base_url)
    assert query(server, tenant)["status"] == "0"
    assert query(server, tenant)["status"] == "0"
    with server.client() as http:
        assert (
            http.post(QUERY_PAGE, headers=wrong_sign_headers(tenant), json={}).json()["status"]
            == "-1"
        )
        bad = default_body(size="lots")
        headers = signed_headers(tenant.api_key, tenant.secret)
        assert http.post(QUERY_PAGE, headers=headers, json=bad).json()["status"] == "-22"
        assert http.get("/healthz").status_code == 200
        assert http.get("/no/such/page").status_code == 404
        assert http.get("/openapi.json").status_code == 200
    after = scrape(server.base_url)

    assert _requests(after, "0") - _requests(before, "0") == 2
    assert _requests(after, "-1") - _requests(before, "-1") == 1
    assert _requests(after, "-22") - _requests(before, "-22") == 1
    assert _requests(after, "200") == _requests(before, "200")  # never the HTTP status here
    health = {"route": "/healthz", "method": "GET", "status": "200"}
    assert (
        value(after, "callrec_http_requests_total", **health)
        - value(before, "callrec_http_requests_total", **health)
        == 1
    )
    schema = {"route": "/openapi.json", "method": "GET", "status": "200"}
    assert (
        value(after, "callrec_http_requests_total", **schema)
        - value(before, "callrec_http_requests_total", **schema)
        == 1
    )
    unmatched = {"route": "unmatched", "method": "GET", "status": "404"}
    assert (
        value(after, "callrec_http_requests_total", **unmatched)
        - value(before, "callrec_http_requests_total", **unmatched)
        == 1
    )
    assert not [key for key in after if ("route", "/no/such/page") in key[1]]
    timed = "callrec_http_request_duration_seconds_count"
    assert value(after, timed, route=QUERY_PAGE) - value(before, timed, route=QUERY_PAGE) == 4
    assert (
        value(after, "callrec_auth_failures_total") - value(before, "callrec_auth_failures_total")
        == 1
    )
    # A second ask for the same page is a cache hit.
    hits = "callrec_page_cache_lookups_total"
    assert value(after, hits, result="hit") - value(before, hits, result="hit") == 1
    assert value(after, hits, result="miss") - value(before, hits, result="miss") == 1


def test_lockouts_denials_and_rate_limits_are_counted_by_reason(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    server = _metrics_server(
        start_server, lockout_key_failures=2, rate_limit_per_minute=1, rate_limit_burst=1
    )
    refusals = "callrec_guard_refusals_total"
    before = scrape(server.base_url)
    assert query(server, tenant)["status"] == "0"
    assert query(server, tenant)["status"] == "-15"
    with server.client() as http:
        statuses = [
            http.post(QUERY_PAGE, headers=wrong_sign_headers(tenant), json={}).json()["status"]
            for _ in range(3)
        ]
    assert statuses == ["-1", "-1", "-2"]
    after = scrape(server.base_url)
    assert (
        value(after, refusals, reason="rate_limit") - value(before, refusals, reason="rate_limit")
        == 1
    )
    assert value(after, refusals, reason="lockout") - value(before, refusals, reason="lockout") == 1
    assert _requests(after, "-2") - _requests(before, "-2") == 1
    assert _requests(after, "-15") - _requests(before, "-15") == 1

    denied = _metrics_server(start_server, deny_ips=(ipaddress.ip_network("127.0.0.1"),))
    before = scrape(denied.base_url)
    assert query(denied, tenant)["status"] == "-2"
    after = scrape(denied.base_url)
    assert (
        value(after, refusals, reason="deny_list") - value(before, refusals, reason="deny_list")
        == 1
    )


def test_ingest_items_are_counted_by_source_and_outcome(
    engine: Engine, start_server: Callable[..., RunningServer]
) -> None:
    set_up_acme(engine)
    token = ingest_sources.create_source(engine, "billing-export").secret
    server = _metrics_server(start_server)
    batch = [
        cdr_json("m-1"),
        cdr_json("m-2"),
        cdr_json("m-1"),  # a duplicate
        "not an object",  # rejected
        cdr_json("m-5", caller="+4930901820", called="+4930901821"),  # nobody's: quarantined
    ]
    items = "callrec_ingest_items_total"
    before = scrape(server.base_url)
    answer = httpx.post(
        f"{server.base_url}/ingest/cdrs",
        content=json.dumps(batch).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    after = scrape(server.base_url)
    moved = {
        outcome: value(after, items, source="billing-export", outcome=outcome)
        - value(before, items, source="billing-export", outcome=outcome)
        for outcome in ("accepted", "duplicate", "conflict", "quarantined", "rejected")
    }
    assert moved == {"accepted": 2, "duplicate": 1, "conflict": 0, "quarantined": 1, "rejected": 1}


def test_push_queue_parked_batches_and_failed_deliveries_are_counted(
    engine: Engine, start_server: Callable[..., RunningServer]
) -> None:
    ws = accounts.create_workspace(engine, "acme")
    server = _metrics_server(
        start_server,
    )
    start = datetime(2024, 2, 1, tzinfo=UTC)
    calls = [make_record(f"p-{i}", (start + timedelta(minutes=i)).isoformat()) for i in range(5)]
    deliveries = "callrec_push_deliveries_total"
    with running_receiver(SECRET, then=FAIL) as receiver:
        push_to(engine, "acme", receiver.url)
        store(engine, ws.id, calls)
        queued = scrape(server.base_url)
        assert value(queued, "callrec_push_queued_records") == 5
        assert value(queued, "callrec_push_batches", state="parked") == 0
        with running_worker(engine, fast_settings(retries=1)):
            wait_for(
                lambda: value(scrape(server.base_url), "callrec_push_batches", state="parked") == 1
            )
    after = scrape(server.base_url)
    assert value(after, "callrec_push_queued_records") == 0
    assert value(after, "callrec_push_parked_records") == 5
    assert (
        value(after, deliveries, outcome="http_status")
        - value(queued, deliveries, outcome="http_status")
        == 2
    )  # the first try and one retry
    timed = "callrec_push_delivery_duration_seconds_count"
    assert value(after, timed) - value(queued, timed) == 2


def test_database_connections_in_use_follow_checkouts_and_go_back_to_none(
    tenant: Tenant, database_url: str, start_server: Callable[..., RunningServer]
) -> None:
    server = _metrics_server(start_server)
    in_use = "callrec_db_connections_in_use"
    for _ in range(3):
        assert query(server, tenant)["status"] == "0"
        with server.client() as http:
            assert http.get("/healthz").status_code == 200
    idle = scrape(server.base_url)
    assert (in_use, frozenset({("pool", "sqlalchemy")})) in idle
    assert value(idle, in_use, pool="sqlalchemy") == 0
    if database_url.startswith("postgresql"):
        assert (in_use, frozenset({("pool", "reader")})) in idle
        assert value(idle, in_use, pool="reader") == 0
    with server.state.database.engine.connect():
        assert value(scrape(server.base_url), in_use, pool="sqlalchemy") == 1
    assert value(scrape(server.base_url), in_use, pool="sqlalchemy") == 0


def test_the_redis_breaker_state_is_exported(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    with HungPeer() as peer:
        server = _metrics_server(start_server, redis_url=peer.url, redis_timeout_ms=50)
        opened = value(scrape(server.base_url), "callrec_redis_breaker_opened_total")
        for _ in range(4):
            assert query(server, tenant)["status"] == "0"
        samples = scrape(server.base_url)
    assert value(samples, "callrec_redis_breaker_state") == 2
    assert value(samples, "callrec_redis_breaker_opened_total") - opened == 1
