"""/openapi.json is a complete description: every reference resolves, and the request body
schema of queryPage accepts exactly the shapes the server accepts."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest

from tests.api.support import DAY_END, DAY_START, post
from tests.conftest import Tenant
from tests.helpers import QUERY_PAGE, RunningServer, signed_headers


def _openapi(server: RunningServer) -> dict[str, Any]:
    with server.client() as http:
        response = http.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _references(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in _references(item)]
    return []


def _resolve(document: dict[str, Any], reference: str) -> Any:
    assert reference.startswith("#/"), f"{reference} is not a reference inside the document"
    node: Any = document
    for part in reference[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict), f"{reference}: {part!r} is inside a non-object"
        assert part in node, f"{reference} does not resolve: no {part!r}"
        node = node[part]
    return node


def test_every_reference_in_the_openapi_document_resolves(server: RunningServer) -> None:
    document = _openapi(server)
    references = _references(document)
    assert references  # the responses refer to EnvelopeDoc and its parts
    for reference in references:
        assert isinstance(_resolve(document, reference), dict), reference


def _body_schema(server: RunningServer) -> dict[str, Any]:
    operation = _openapi(server)["paths"][QUERY_PAGE]["post"]
    schema: dict[str, Any] = operation["requestBody"]["content"]["application/json"]["schema"]
    return schema


def _body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"current": 1, "size": 10}
    params = {"strTime": DAY_START, "endTime": DAY_END}
    for name, value in changes.items():
        if name in params:
            params[name] = value
        else:
            body[name] = value
    body["params"] = params
    return body


# (name, body, accepted): the server's rules that JSON Schema can state.
BODIES: list[tuple[str, Any, bool]] = [
    ("plain", _body(), True),
    ("digit-strings", _body(current="7", size="100"), True),
    ("leading-zeros", _body(current="0007", size="010"), True),
    ("largest-current", _body(current=2**31 - 1), True),
    ("largest-current-string", _body(current=str(2**31 - 1)), True),
    ("z-and-fraction", _body(strTime="2024-01-01T00:00:00.5Z", endTime="2024-01-01T01:00:00Z"),
     True),
    ("current-zero", _body(current=0), False),
    ("current-zero-string", _body(current="000"), False),
    ("current-over-int32", _body(current=2**31), False),
    ("current-over-int32-string", _body(current=str(2**31)), False),
    ("size-101", _body(size=101), False),
    ("size-101-string", _body(size="101"), False),
    ("size-float", _body(size=10.5), False),
    ("size-bool", _body(size=True), False),
    ("size-null", _body(size=None), False),
    ("current-negative-string", _body(current="-1"), False),
    ("current-arabic-indic-digit", _body(current="\u0661"), False),
    ("current-space", _body(current=" 1"), False),
    ("params-string", {"current": 1, "size": 1, "params": "x"}, False),
    ("params-missing", {"current": 1, "size": 1}, False),
    ("strTime-missing", {"current": 1, "size": 1, "params": {"endTime": DAY_END}}, False),
    ("strTime-no-offset", _body(strTime="2024-01-01T00:00:00"), False),
    ("strTime-compact", _body(strTime="20240101T000000+0800"), False),
    ("strTime-space", _body(strTime="2024-01-01 00:00:00+08:00"), False),
    ("strTime-number", _body(strTime=1704038400), False),
    ("endTime-fullwidth-digit", _body(endTime="\uff12024-01-02T00:00:00+08:00"), False),
    ("not-an-object", [1, 2], False),
]  # fmt: skip


@pytest.mark.parametrize(("body", "accepted"), [(b, a) for _, b, a in BODIES],
                         ids=[name for name, _, _ in BODIES])  # fmt: skip
def test_the_documented_body_schema_matches_what_the_server_accepts(
    tenant: Tenant, server: RunningServer, body: Any, accepted: bool
) -> None:
    documented = jsonschema_rs.validator_for(_body_schema(server)).is_valid(body)
    answer = post(server, signed_headers(tenant.api_key, tenant.secret), json=body)
    assert documented is accepted
    assert (answer["status"] == "0") is accepted, answer
