"""Scope isolation for every resource: a workspace token cannot read, change or even detect
another workspace's objects (the same 404 as for objects that do not exist), operator
actions are 403 for it, and a read-only token changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from callrec.store import accounts
from tests.admin.conftest import Admin, TokenMaker, problem

# (method, path on rival's object, the same on an object that does not exist, body)
RIVAL_VS_MISSING: list[tuple[str, str, str, Any]] = [
    ("GET", "/workspaces/rival", "/workspaces/nosuch", None),
    ("PATCH", "/workspaces/rival", "/workspaces/nosuch", {"currency": "EUR"}),
    ("DELETE", "/workspaces/rival", "/workspaces/nosuch", None),
    ("GET", "/workspaces/rival/keys", "/workspaces/nosuch/keys", None),
    ("POST", "/workspaces/rival/keys", "/workspaces/nosuch/keys", {}),
    ("GET", "/keys/rivaKey1", "/keys/nosuchKy", None),
    ("PATCH", "/keys/rivaKey1", "/keys/nosuchKy", {"enabled": False}),
    ("POST", "/keys/rivaKey1/rotate", "/keys/nosuchKy/rotate", {"graceSeconds": 5}),
    ("DELETE", "/keys/rivaKey1", "/keys/nosuchKy", None),
    ("GET", "/numbers/442071838750", "/numbers/442071838751", None),
    ("PATCH", "/numbers/442071838750", "/numbers/442071838751", {"appId": "mine"}),
    ("POST", "/numbers/442071838750/move", "/numbers/442071838751/move", {"workspace": "acme"}),
    ("DELETE", "/numbers/442071838750", "/numbers/442071838751", None),
    ("GET", "/numbers?workspace=rival", "/numbers?workspace=nosuch", None),
]


# Longest first, so that "nosuchKy" is not read as "nosuch" + "Ky".
IDS = ("442071838750", "442071838751", "rivaKey1", "nosuchKy", "nosuch", "rival")


def _blank(body: dict[str, Any]) -> dict[str, Any]:
    detail = body["detail"]
    for name in IDS:
        detail = detail.replace(name, "ID")
    return {**body, "detail": detail}


def _snapshot(engine: Engine) -> Any:
    return (
        accounts.list_workspaces(engine),
        accounts.list_keys(engine),
        accounts.list_numbers(engine),
    )


@pytest.mark.usefixtures("two_tenants")
def test_a_workspace_token_gets_the_same_404_for_others_objects_as_for_missing_ones(
    admin_as: Callable[[str | None], Admin], make_token: TokenMaker, engine: Engine
) -> None:
    acme = admin_as(make_token("acme"))
    before = _snapshot(engine)
    for method, rival_path, missing_path, body in RIVAL_VS_MISSING:
        rival = problem(acme.request(method, rival_path, json=body), 404)
        missing = problem(acme.request(method, missing_path, json=body), 404)
        assert _blank(rival) == _blank(missing), (method, rival_path)
    assert _snapshot(engine) == before
    # Adding a number to another workspace: the same 404 as to a missing one.
    rival_add = acme.post("/numbers", json={"number": "449999999999", "workspace": "rival"})
    missing_add = acme.post("/numbers", json={"number": "449999999999", "workspace": "nosuch"})
    assert _blank(problem(rival_add, 404)) == _blank(problem(missing_add, 404))


@pytest.mark.usefixtures("two_tenants")
def test_a_workspace_token_lists_only_its_own_workspace(
    admin_as: Callable[[str | None], Admin], make_token: TokenMaker, operator: Admin
) -> None:
    for number in ("442071838750", "915027021995"):
        assert operator.patch(f"/numbers/{number}", json={"appId": "x"}).status_code == 200
    acme = admin_as(make_token("acme"))
    assert [w["name"] for w in acme.get("/workspaces").json()["items"]] == ["acme"]
    assert [n["number"] for n in acme.get("/numbers").json()["items"]] == ["915027021995"]
    assert acme.get("/numbers", params={"prefix": "44"}).json()["items"] == []
    assert [k["apiKey"] for k in acme.get("/workspaces/acme/keys").json()["items"]] == ["acmeKey1"]
    audit = acme.get("/audit").json()["items"]
    # Its own number's change and its own token's creation; nothing of rival's.
    assert [(e["action"], e["objectId"]) for e in audit] == [
        ("token.create", "t1"),
        ("number.update", "915027021995"),
    ]


@pytest.mark.usefixtures("two_tenants")
def test_a_workspace_token_manages_its_keys_but_not_operator_things(
    admin_as: Callable[[str | None], Admin], make_token: TokenMaker, engine: Engine
) -> None:
    acme = admin_as(make_token("acme"))
    created = acme.post("/workspaces/acme/keys", json={})
    assert created.status_code == 201, created.text
    assert acme.post("/keys/acmeKey1/rotate").status_code == 200
    assert acme.patch("/keys/acmeKey1", json={"allowIps": ["10.0.0.0/8"]}).status_code == 200
    assert acme.delete(f"/keys/{created.json()['apiKey']}").status_code == 200
    assert acme.patch("/numbers/915027021995", json={"appId": "portal"}).status_code == 200
    before = _snapshot(engine)
    for method, path, body in [
        ("POST", "/workspaces", {"name": "mine"}),
        ("PATCH", "/workspaces/acme", {"name": "acme2"}),
        ("DELETE", "/workspaces/acme", None),
        ("POST", "/numbers", {"number": "915000000000", "workspace": "acme"}),
        ("PATCH", "/numbers/915027021995", {"type": "FIXED"}),
        ("POST", "/numbers/915027021995/move", {"workspace": "rival"}),
        ("DELETE", "/numbers/915027021995", None),
    ]:
        problem(acme.request(method, path, json=body), 403)
    assert _snapshot(engine) == before


MUTATIONS: list[tuple[str, str, Any]] = [
    ("POST", "/workspaces", {"name": "new"}),
    ("PATCH", "/workspaces/acme", {"currency": "EUR"}),
    ("DELETE", "/workspaces/acme", None),
    ("POST", "/workspaces/acme/keys", {}),
    ("PATCH", "/keys/acmeKey1", {"enabled": False}),
    ("POST", "/keys/acmeKey1/rotate", {}),
    ("DELETE", "/keys/acmeKey1", None),
    ("POST", "/numbers", {"number": "915000000000", "workspace": "acme"}),
    ("PATCH", "/numbers/915027021995", {"appId": "x"}),
    ("POST", "/numbers/915027021995/move", {"workspace": "rival"}),
    ("DELETE", "/numbers/915027021995", None),
]


@pytest.mark.usefixtures("two_tenants")
@pytest.mark.parametrize("scope", [None, "acme"], ids=["operator", "workspace"])
def test_a_read_only_token_reads_but_changes_nothing(
    admin_as: Callable[[str | None], Admin],
    make_token: TokenMaker,
    engine: Engine,
    scope: str | None,
) -> None:
    reader = admin_as(make_token(scope, read_only=True))
    assert reader.get("/workspaces/acme").status_code == 200
    assert reader.get("/keys/acmeKey1").status_code == 200
    before = _snapshot(engine)
    audit_before = reader.get("/audit").json()
    for method, path, body in MUTATIONS:
        problem(reader.request(method, path, json=body), 403)
    assert _snapshot(engine) == before
    assert reader.get("/audit").json() == audit_before
