"""The audit trail: who (the token's name), what, when (UTC), before and after, no secrets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from callrec.operations.actor import CLI
from callrec.operations.audit import list_audit
from callrec.operations.tokens import create_token
from callrec.operations.workspaces import create_workspace
from callrec.store.errors import AlreadyExists
from tests.admin.conftest import Admin, problem
from tests.helpers import RunningServer


def test_every_change_is_recorded_with_its_before_and_after(
    admin_server: RunningServer, engine: Engine
) -> None:
    _, plain = create_token(engine, CLI, "billing", None, False)
    admin = Admin(admin_server, plain)
    assert admin.post("/workspaces", json={"name": "acme"}).status_code == 201
    key = admin.post("/workspaces/acme/keys", json={}).json()
    admin.post(f"/keys/{key['apiKey']}/rotate", json={"graceSeconds": 60})
    admin.patch("/workspaces/acme", json={"name": "acme-ltd"})
    admin.post("/numbers", json={"number": "915027021995", "workspace": "acme-ltd"})
    problem(admin.post("/workspaces", json={"name": "acme-ltd"}), 409)  # refused: no entry
    entries = admin.get("/audit").json()["items"]
    actions = [(e["actor"], e["action"], e["objectId"]) for e in entries]
    assert actions == [
        ("token:billing", "number.add", "915027021995"),
        ("token:billing", "workspace.rename", "acme"),
        ("token:billing", "key.rotate", key["apiKey"]),
        ("token:billing", "key.create", key["apiKey"]),
        ("token:billing", "workspace.create", "acme"),
        ("cli", "token.create", "billing"),
    ]
    rename = entries[1]
    assert (rename["before"]["name"], rename["after"]["name"]) == ("acme", "acme-ltd")
    rotate = entries[2]
    assert rotate["before"]["previousSecretValidUntil"] is None
    assert rotate["after"]["previousSecretValidUntil"] is not None
    assert key["apiSecret"] not in str(entries)  # secrets never reach the trail
    at = datetime.fromisoformat(entries[0]["at"])
    assert at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - at) < timedelta(minutes=5)
    page = admin.get("/audit", params={"limit": 4}).json()
    rest = admin.get("/audit", params={"limit": 4, "cursor": page["nextCursor"]}).json()
    assert page["items"] + rest["items"] == entries
    admin.http.close()


def test_a_change_and_its_entry_commit_together(engine: Engine) -> None:
    """A change that fails leaves no entry behind (same transaction)."""
    create_workspace(engine, CLI, "acme")
    with pytest.raises(AlreadyExists):
        create_workspace(engine, CLI, "acme")
    assert [e.action for e in list_audit(engine, CLI)] == ["workspace.create"]
