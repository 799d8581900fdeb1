from __future__ import annotations

from sqlalchemy.engine import Engine

from callrec.store.records import insert_records
from tests.conftest import Tenant
from tests.helpers import QUERY_PAGE, RunningServer, make_record, page_body, signed_headers


def test_a_signed_query_returns_the_stored_record(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    with engine.begin() as conn:
        insert_records(conn, tenant.workspace.id, [make_record("c1", "2024-01-01T09:00:00Z")])
    with server.client() as http:
        response = http.post(
            QUERY_PAGE,
            headers=signed_headers(tenant.api_key, tenant.secret),
            json=page_body("2024-01-01T00:00:00+08:00", "2024-01-02T00:00:00+08:00"),
        )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "0", body
    assert body["data"]["total"] == 1
    record = body["data"]["records"][0]
    assert record["callid"] == "c1"
    assert record["startTime"] == "2024-01-01 17:00:00"
    assert record["pay"] == "0.012832"
