"""Operations and documentation endpoints: /healthz, /openapi.json, /docs."""

from __future__ import annotations

from typing import Any

import pytest

from callrec.wire.status import Status
from tests.api.support import RECORD_KEYS
from tests.helpers import QUERY_PAGE, RunningServer

CONTRACT_STATUSES = [
    "0", "-1", "-2", "-15", "-16", "-18", "-20", "-22", "-24", "-25", "-29", "-30", "-31"
]  # fmt: skip


def _openapi(server: RunningServer) -> dict[str, Any]:
    with server.client() as http:
        response = http.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert isinstance(document, dict)
    return document


def test_healthz_reports_ok_with_the_database_reachable(server: RunningServer) -> None:
    with server.client() as http:
        response = http.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert isinstance(body["version"], str)


def test_openapi_documents_query_page_as_a_post(server: RunningServer) -> None:
    paths = _openapi(server)["paths"]
    assert set(paths[QUERY_PAGE]) == {"post"}


def test_openapi_documents_the_three_auth_headers_as_required(server: RunningServer) -> None:
    operation = _openapi(server)["paths"][QUERY_PAGE]["post"]
    headers = {p["name"]: p for p in operation["parameters"] if p["in"] == "header"}
    assert set(headers) >= {"Api-Key", "Timestamp", "Sign"}
    for name in ("Api-Key", "Timestamp", "Sign"):
        assert headers[name]["required"] is True, name


def test_openapi_documents_the_request_body(server: RunningServer) -> None:
    document = _openapi(server)
    operation = document["paths"][QUERY_PAGE]["post"]
    assert operation["requestBody"]["required"] is True
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert {"current", "size", "params"} <= set(schema["properties"])
    assert set(schema["required"]) >= {"current", "size", "params"}


@pytest.mark.parametrize("status", CONTRACT_STATUSES)
def test_openapi_documents_every_status_code(server: RunningServer, status: str) -> None:
    description = _openapi(server)["paths"][QUERY_PAGE]["post"]["description"]
    assert f"`{status}`" in description


def test_status_list_under_test_is_the_whole_enum() -> None:
    assert sorted(CONTRACT_STATUSES) == sorted(s.value for s in Status)


def test_openapi_documents_the_sign_test_vector(server: RunningServer) -> None:
    description = _openapi(server)["paths"][QUERY_PAGE]["post"]["description"]
    assert "05d7a50893e22a5c4bb3216ae3396c7c" in description


def test_openapi_response_schema_has_every_record_key_in_order(server: RunningServer) -> None:
    schemas = _openapi(server)["components"]["schemas"]
    record = next(s for s in schemas.values() if "callid" in s.get("properties", {}))
    assert list(record["properties"]) == RECORD_KEYS


def test_docs_serves_html(server: RunningServer) -> None:
    with server.client() as http:
        response = http.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in response.text
