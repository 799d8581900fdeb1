"""/openapi.json describes every admin route, its bodies and answers, and bearer auth."""

from __future__ import annotations

from typing import Any

import jsonschema_rs

from tests.admin.conftest import PREFIX
from tests.api.test_openapi import _openapi, _references, _resolve
from tests.helpers import RunningServer

# Written out here (not read from src): scripts rely on exactly these paths.
FIXED_PATHS = {
    "/workspaces": {"get", "post"},
    "/workspaces/{name}": {"get", "patch", "delete"},
    "/workspaces/{name}/keys": {"get", "post"},
    "/keys/{apiKey}": {"get", "patch", "delete"},
    "/keys/{apiKey}/rotate": {"post"},
    "/numbers": {"get", "post"},
    "/numbers/{number}": {"get", "patch", "delete"},
    "/numbers/{number}/move": {"post"},
    "/audit": {"get"},
    "/workspaces/{name}/records": {"get"},
    "/workspaces/{name}/push-target": {"get", "put", "patch"},
    "/workspaces/{name}/push-target/parked": {"get"},
    "/workspaces/{name}/push-target/parked/retry": {"post"},
    "/quarantine": {"get"},
    "/quarantine/reprocess": {"post"},
    "/quarantine/discard": {"post"},
    "/workspaces/{name}/purge": {"post"},
}


def test_every_admin_route_is_described_with_bearer_auth_and_problem_answers(
    admin_server: RunningServer,
) -> None:
    document = _openapi(admin_server)
    schemes = document["components"]["securitySchemes"]
    assert schemes["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "cra_…",
        "description": schemes["HTTPBearer"]["description"],
    }
    admin_paths = {p[len(PREFIX):]: ops for p, ops in document["paths"].items()
                   if p.startswith(PREFIX)}  # fmt: skip
    assert {p: set(ops) for p, ops in admin_paths.items()} == FIXED_PATHS
    for path, operations in admin_paths.items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), where
            assert operation["security"] == [{"HTTPBearer": []}], where
            answers: dict[str, Any] = operation["responses"]
            assert any(code.startswith("2") for code in answers), where
            for code in ("401", "422", "429"):
                content = answers[code]["content"]
                assert set(content) == {"application/problem+json"}, (where, code)
            if method in ("post", "put", "patch"):
                assert "requestBody" in operation, where
    for reference in _references(document):
        assert isinstance(_resolve(document, reference), dict), reference


def test_the_documented_workspace_body_matches_what_the_server_accepts(
    admin_server: RunningServer,
) -> None:
    document = _openapi(admin_server)
    operation = document["paths"][f"{PREFIX}/workspaces"]["post"]
    reference = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    validator = jsonschema_rs.validator_for(
        {"$ref": reference, "components": document["components"]}
    )
    assert validator.is_valid({"name": "acme", "currency": "EUR", "timeZone": "UTC"})
    assert not validator.is_valid({"name": "acme", "colour": "red"})
    assert not validator.is_valid({})
    assert not validator.is_valid({"name": ""})
