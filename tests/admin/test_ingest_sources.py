"""Ingest sources over real HTTP, checked against the real ingest endpoint: a rotated
secret is refused at once and the new one accepted, a deleted source is refused."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from callrec.operations.actor import CLI
from callrec.operations.audit import list_audit
from callrec.store import ingest_sources
from tests.admin.conftest import Admin, TokenMaker, problem
from tests.helpers import RunningServer
from tests.ingest.sources.support import cdr_json, set_up_acme

SOURCE_MEMBERS = {"name", "username", "encodeValues", "skipBLegs", "enabled", "createdAt"}


def ingest(server: RunningServer, token: str, callid: str) -> httpx.Response:
    """One CDR to POST /ingest/cdrs with a Bearer token."""
    with server.client() as http:
        return http.post(
            "/ingest/cdrs",
            content=json.dumps([cdr_json(callid)]).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )


def freeswitch_auth(server: RunningServer, name: str, password: str) -> int:
    """The status POST /ingest/freeswitch answers these Basic credentials with (the body is
    read only after they pass: an empty one is a 400)."""
    basic = base64.b64encode(f"{name}:{password}".encode()).decode()
    with server.client() as http:
        answer = http.post("/ingest/freeswitch", content=b"",
                           headers={"Authorization": f"Basic {basic}"})  # fmt: skip
    return answer.status_code


@pytest.fixture
def acme(engine: Engine) -> None:
    set_up_acme(engine)


@pytest.mark.usefixtures("acme")
def test_create_rotate_disable_delete_on_the_real_ingest_endpoint(
    operator: Admin, admin_server: RunningServer
) -> None:
    created = operator.post("/ingest-sources", json={"name": "fs1", "skipBLegs": False})
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == SOURCE_MEMBERS | {"secret"}
    assert (body["name"], body["username"], body["skipBLegs"], body["enabled"]) == (
        "fs1", "fs1", False, True,
    )  # fmt: skip
    first = body["secret"]
    assert ingest(admin_server, first, "c-1").json()["accepted"] == 1
    assert freeswitch_auth(admin_server, "fs1", first) == 400  # past authentication
    got = operator.get("/ingest-sources/fs1").json()
    assert set(got) == SOURCE_MEMBERS
    listed = operator.get("/ingest-sources").json()
    assert [s["name"] for s in listed["items"]] == ["fs1"]
    assert "secret" not in listed["items"][0]

    rotated = operator.post("/ingest-sources/fs1/rotate")
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()["secret"]
    assert second != first
    assert ingest(admin_server, first, "c-2").status_code == 401
    assert freeswitch_auth(admin_server, "fs1", first) == 401
    assert ingest(admin_server, second, "c-3").json()["accepted"] == 1
    assert freeswitch_auth(admin_server, "fs1", second) == 400

    disabled = operator.patch("/ingest-sources/fs1", json={"enabled": False})
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["enabled"] is False
    assert ingest(admin_server, second, "c-4").status_code == 403
    assert operator.patch("/ingest-sources/fs1", json={"enabled": True}).json()["enabled"]
    assert ingest(admin_server, second, "c-5").json()["accepted"] == 1

    deleted = operator.delete("/ingest-sources/fs1")
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["deleted"] == "fs1"
    assert ingest(admin_server, second, "c-6").status_code == 401
    assert freeswitch_auth(admin_server, "fs1", second) == 401
    problem(operator.get("/ingest-sources/fs1"), 404)
    for method, path, body_ in [
        ("PATCH", "/ingest-sources/fs1", {"enabled": True}),
        ("POST", "/ingest-sources/fs1/rotate", None),
        ("DELETE", "/ingest-sources/fs1", None),
    ]:
        assert "fs1" in problem(operator.request(method, path, json=body_), 404)["detail"]


def test_the_audit_trail_names_each_change_and_never_a_secret(
    operator: Admin, engine: Engine
) -> None:
    secret = operator.post("/ingest-sources", json={"name": "kam1"}).json()["secret"]
    rotated = operator.post("/ingest-sources/kam1/rotate").json()["secret"]
    operator.patch("/ingest-sources/kam1", json={"enabled": False})
    operator.delete("/ingest-sources/kam1")
    entries = [e for e in list_audit(engine, CLI) if e.object_type == "ingest_source"]
    assert [(e.action, e.object_id) for e in reversed(entries)] == [
        ("ingest_source.create", "kam1"),
        ("ingest_source.rotate", "kam1"),
        ("ingest_source.disable", "kam1"),
        ("ingest_source.delete", "kam1"),
    ]
    assert all(e.actor.startswith("token:") for e in entries)
    assert entries[1].before["enabled"] is True
    assert entries[1].after["enabled"] is False
    assert entries[0].after is None  # a deleted source has no after
    text = json.dumps([(e.before, e.after) for e in entries])
    assert secret not in text
    assert rotated not in text


def test_bad_names_duplicates_and_unknown_members_are_problems(operator: Admin) -> None:
    assert operator.post("/ingest-sources", json={"name": "fs1"}).status_code == 201
    problem(operator.post("/ingest-sources", json={"name": "fs1"}), 409)
    for name in ("fs:1", "", "-fs", "a" * 65, "fs\x00"):
        problem(operator.post("/ingest-sources", json={"name": name}), 422, "name")
    problem(operator.post("/ingest-sources", json={"name": "fs2", "colour": "red"}), 422, "colour")
    problem(operator.patch("/ingest-sources/fs1", json={"enabled": "maybe"}), 422, "enabled")


def test_a_retried_create_replays_the_first_answer(operator: Admin, engine: Engine) -> None:
    headers = {"Idempotency-Key": "fs-setup-1"}
    first = operator.post("/ingest-sources", json={"name": "fs1"}, headers=headers)
    again = operator.post("/ingest-sources", json={"name": "fs1"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert [s.name for s in ingest_sources.list_sources(engine)] == ["fs1"]
    rotate_headers = {"Idempotency-Key": "fs-rotate-1"}
    rotated = operator.post("/ingest-sources/fs1/rotate", headers=rotate_headers).json()
    replayed = operator.post("/ingest-sources/fs1/rotate", headers=rotate_headers).json()
    assert rotated["secret"] == replayed["secret"]  # rotated once, not twice
    with engine.connect() as conn:
        assert ingest_sources.source_for_token(conn, rotated["secret"]) is not None


ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/ingest-sources", None),
    ("POST", "/ingest-sources", {"name": "mine"}),
    ("GET", "/ingest-sources/fs1", None),
    ("PATCH", "/ingest-sources/fs1", {"enabled": False}),
    ("POST", "/ingest-sources/fs1/rotate", None),
    ("DELETE", "/ingest-sources/fs1", None),
]


@pytest.mark.usefixtures("two_tenants")
def test_workspace_tokens_get_403_for_every_route_whether_the_source_exists_or_not(
    admin_as: Callable[[str | None], Admin], make_token: TokenMaker, engine: Engine
) -> None:
    ingest_sources.create_source(engine, "fs1")
    before = ingest_sources.list_sources(engine)
    for token in (make_token("acme"), make_token("acme", read_only=True)):
        acme = admin_as(token)
        for method, path, body in ROUTES:
            existing = problem(acme.request(method, path, json=body), 403)
            missing = problem(acme.request(method, path.replace("fs1", "nosuch"), json=body), 403)
            assert existing == missing, (method, path)
    assert ingest_sources.list_sources(engine) == before


def test_a_read_only_operator_reads_but_changes_nothing(
    admin_as: Callable[[str | None], Admin], make_token: TokenMaker, engine: Engine
) -> None:
    ingest_sources.create_source(engine, "fs1")
    auditor = admin_as(make_token(read_only=True))
    assert [s["name"] for s in auditor.get("/ingest-sources").json()["items"]] == ["fs1"]
    assert auditor.get("/ingest-sources/fs1").json()["name"] == "fs1"
    for method, path, body in ROUTES:
        if method != "GET":
            problem(auditor.request(method, path, json=body), 403)
    assert [s.enabled for s in ingest_sources.list_sources(engine)] == [True]


def test_no_token_or_a_wrong_one_is_401(admin_as: Callable[[str | None], Admin]) -> None:
    for token in (None, "cra_wrong"):
        client = admin_as(token)
        for method, path, body in ROUTES:
            problem(client.request(method, path, json=body), 401)


def test_lists_come_in_pages(operator: Admin, engine: Engine) -> None:
    for name in ("a1", "b2", "c3"):
        ingest_sources.create_source(engine, name)
    first = operator.get("/ingest-sources", params={"limit": 2}).json()
    assert [s["name"] for s in first["items"]] == ["a1", "b2"]
    rest = operator.get("/ingest-sources", params={"limit": 2, "cursor": first["nextCursor"]})
    assert [s["name"] for s in rest.json()["items"]] == ["c3"]
    assert rest.json()["nextCursor"] is None
