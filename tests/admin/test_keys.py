"""API keys over real HTTP, and rotation's grace checked with the real signed queryPage."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from callrec.operations import keys
from callrec.operations.actor import CLI
from callrec.store import accounts
from callrec.store.schema import api_keys
from callrec.store.secret_box import MASTER_KEY_VARIABLE, MasterKey, SecretBox, new_master_key_text
from callrec.store.secret_rotation import rotate_secrets
from callrec.wire.times import parse_iso_instant
from tests.admin.conftest import Admin, TokenMaker, admin_client, problem
from tests.api.support import query
from tests.conftest import Tenant
from tests.helpers import ManualClock, RunningServer

KEY_MEMBERS = {
    "apiKey",
    "workspace",
    "enabled",
    "allowIps",
    "requireBodySignature",
    "createdAt",
    "previousSecretValidUntil",
}


def test_create_shows_the_secret_once_then_never(operator: Admin, tenant: Tenant) -> None:
    created = operator.post("/workspaces/acme/keys", json={"allowIps": ["10.1.2.3/8"]})
    assert created.status_code == 201, created.text
    key = created.json()
    assert set(key) == KEY_MEMBERS | {"apiSecret"}
    assert key["allowIps"] == ["10.0.0.0/8"]
    assert len(key["apiSecret"]) == 32
    got = operator.get(f"/keys/{key['apiKey']}").json()
    assert set(got) == KEY_MEMBERS
    listed = operator.get("/workspaces/acme/keys").json()["items"]
    assert sorted(k["apiKey"] for k in listed) == sorted([key["apiKey"], tenant.api_key])
    assert all("apiSecret" not in k for k in listed)


def test_update_disables_and_replaces_the_whitelist(
    operator: Admin, tenant: Tenant, engine: Engine
) -> None:
    changed = operator.patch(
        f"/keys/{tenant.api_key}", json={"enabled": False, "allowIps": ["::1", "192.0.2.0/24"]}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["enabled"] is False
    assert changed.json()["allowIps"] == ["::1/128", "192.0.2.0/24"]
    bad = problem(operator.patch(f"/keys/{tenant.api_key}", json={"allowIps": ["10.0.0.0/33"]}),
                  422, "allowIps")  # fmt: skip
    assert "10.0.0.0/33" in bad["detail"]
    problem(operator.patch(f"/keys/{tenant.api_key}", json={"allowIps": ["10.0.0.1"] * 101}),
            422, "allowIps")  # fmt: skip
    assert accounts.get_key(engine, tenant.api_key).allow_ips == ("::1/128", "192.0.2.0/24")


def test_delete_makes_the_key_fail_with_minus_1(
    operator: Admin, tenant: Tenant, admin_server: RunningServer
) -> None:
    assert query(admin_server, tenant)["status"] == "0"
    assert operator.delete(f"/keys/{tenant.api_key}").status_code == 200
    problem(operator.get(f"/keys/{tenant.api_key}"), 404)
    assert query(admin_server, tenant)["status"] == "-1"


def test_rotation_without_grace_stops_the_old_secret_at_once(
    operator: Admin, tenant: Tenant, admin_server: RunningServer
) -> None:
    assert query(admin_server, tenant)["status"] == "0"  # its credentials are cached now
    rotated = operator.post(f"/keys/{tenant.api_key}/rotate")
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["previousSecretValidUntil"] is None
    new = Tenant(tenant.workspace, tenant.api_key, rotated.json()["apiSecret"])
    assert query(admin_server, tenant)["status"] == "-1"
    assert query(admin_server, new)["status"] == "0"


def test_the_old_secret_works_until_the_grace_ends_and_not_after(
    start_server: Callable[..., RunningServer], make_token: TokenMaker, tenant: Tenant
) -> None:
    clock = ManualClock()
    server = start_server(clock=clock)
    with admin_client(server, make_token()) as admin:
        assert query(server, tenant, timestamp=clock.seconds())["status"] == "0"  # cached
        rotated = admin.post(f"/keys/{tenant.api_key}/rotate", json={"graceSeconds": 600})
    rotated_by = time.time()
    assert rotated.status_code == 200, rotated.text
    # The grace runs from the rotation's real time, which a loaded machine puts seconds after
    # the clock's start: the checks below go by the end the answer states.
    grace_ends = parse_iso_instant(rotated.json()["previousSecretValidUntil"]).micros / 1e6
    assert clock.now + 600 <= grace_ends <= rotated_by + 600
    new = Tenant(tenant.workspace, tenant.api_key, rotated.json()["apiSecret"])
    assert query(server, tenant, timestamp=clock.seconds())["status"] == "0"
    assert query(server, new, timestamp=clock.seconds())["status"] == "0"
    clock.now = grace_ends - 10  # still inside the grace: both sign, the page is cached
    assert query(server, tenant, timestamp=clock.seconds())["status"] == "0"
    assert query(server, new, timestamp=clock.seconds())["status"] == "0"
    clock.now = grace_ends + 5  # past the grace
    assert query(server, tenant, timestamp=clock.seconds())["status"] == "-1"
    assert query(server, new, timestamp=clock.seconds())["status"] == "0"


def test_a_negative_or_huge_grace_is_422(operator: Admin, tenant: Tenant) -> None:
    for grace in (-1, 10**9, "soon"):
        problem(operator.post(f"/keys/{tenant.api_key}/rotate", json={"graceSeconds": grace}),
                422, "graceSeconds")  # fmt: skip


def test_secrets_rotate_reseals_a_rotated_keys_old_secret_too(
    engine: Engine, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(MASTER_KEY_VARIABLE, raising=False)
    rotated = keys.rotate_key(engine, CLI, tenant.api_key, grace_seconds=600)
    box = SecretBox(MasterKey.parse(new_master_key_text()))
    assert rotate_secrets(engine, SecretBox(None), box) == 2
    with engine.connect() as conn:
        stored = conn.execute(select(api_keys.c.secret, api_keys.c.previous_secret)).one()
    assert tenant.secret not in stored.previous_secret  # no plaintext left behind
    assert rotated.secret not in stored.secret
    monkeypatch.setenv(MASTER_KEY_VARIABLE, base64.b64encode(box.key.material).decode())
    with engine.connect() as conn:
        found = accounts.lookup_credentials(conn, tenant.api_key)
    assert found is not None
    assert (found.secret, found.previous_secret) == (rotated.secret, tenant.secret)
