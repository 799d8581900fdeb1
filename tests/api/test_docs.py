"""Operations and documentation endpoints: /healthz, /openapi.json, /docs."""

from __future__ import annotations

import re
from typing import Any

import pytest
from openapi_spec_validator import validate

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


def _asset_urls(html: str) -> list[str]:
    return re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html) + re.findall(
        r"""url\s*:\s*["']([^"']+)["']""", html
    )


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_use_only_assets_the_server_serves_itself(
    server: RunningServer, page: str
) -> None:
    """Regression (defect 7): /docs loaded Swagger UI from a CDN, blank without internet."""
    with server.client() as http:
        html = http.get(page).text
        urls = _asset_urls(html)
        assert any(url.endswith(".js") for url in urls), urls
        for url in urls:
            assert url.startswith("/"), f"{page} loads {url}"
            assert not url.startswith("//"), f"{page} loads {url}"
            asset = http.get(url)
            assert asset.status_code == 200, url
            assert len(asset.content) > 0, url


def test_openapi_document_is_valid_and_describes_the_ingest_answers_and_credentials(
    server: RunningServer,
) -> None:
    document = _openapi(server)
    validate(document)  # OpenAPI 3.1, including every $ref
    schemes = document["components"]["securitySchemes"]
    expected = {
        QUERY_PAGE: ("vendorSign", {"type": "apiKey", "in": "header", "name": "Api-Key"}),
        "/ingest/freeswitch": ("ingestBasic", {"type": "http", "scheme": "basic"}),
        "/ingest/cdrs": ("ingestBearer", {"type": "http", "scheme": "bearer"}),
    }
    for path, (scheme, shape) in expected.items():
        operation = document["paths"][path]["post"]
        assert operation["security"] == [{scheme: []}], path
        assert shape.items() <= schemes[scheme].items(), scheme
        assert operation["requestBody"]["required"] is True, path
        if path != QUERY_PAGE:  # the vendor API answers HTTP 200 with a status in the body
            assert {"200", "400", "401", "413"} <= set(operation["responses"]), path
            names = {p["name"] for p in operation.get("parameters", [])}
            assert "Authorization" not in names  # OpenAPI ignores it; security says it
