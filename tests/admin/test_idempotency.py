"""Idempotency-Key on POST: a retried provisioning call does not create two of anything."""

from __future__ import annotations

import base64
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine

from callrec.operations.actor import CLI
from callrec.operations.tokens import create_token, revoke_token
from callrec.store import accounts
from callrec.store.schema import idempotency_keys
from callrec.store.secret_box import MASTER_KEY_VARIABLE, MasterKey, SecretBox, new_master_key_text
from callrec.store.secret_rotation import rotate_secrets
from tests.admin.conftest import PREFIX, Admin, TokenMaker, problem
from tests.helpers import RunningServer


def test_a_retry_with_the_same_key_and_body_gets_the_first_answer(
    operator: Admin, engine: Engine
) -> None:
    headers = {"Idempotency-Key": "signup-42"}
    first = operator.post("/workspaces", json={"name": "acme"}, headers=headers)
    again = operator.post("/workspaces", json={"name": "acme"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert [w.name for w in accounts.list_workspaces(engine)] == ["acme"]
    # Without the key, the same call is a new request: the workspace exists now.
    problem(operator.post("/workspaces", json={"name": "acme"}), 409)


def test_a_retried_key_creation_returns_the_same_key_and_secret(
    operator: Admin, engine: Engine
) -> None:
    accounts.create_workspace(engine, "acme")
    headers = {"Idempotency-Key": "key-1"}
    first = operator.post("/workspaces/acme/keys", json={}, headers=headers).json()
    again = operator.post("/workspaces/acme/keys", json={}, headers=headers).json()
    assert first == again
    assert [k.api_key for k in accounts.list_keys(engine)] == [first["apiKey"]]


def test_the_same_key_with_another_body_is_422(operator: Admin, engine: Engine) -> None:
    headers = {"Idempotency-Key": "signup-43"}
    assert operator.post("/workspaces", json={"name": "a"}, headers=headers).status_code == 201
    problem(operator.post("/workspaces", json={"name": "b"}, headers=headers), 422,
            "Idempotency-Key")  # fmt: skip
    assert [w.name for w in accounts.list_workspaces(engine)] == ["a"]


def test_errors_are_replayed_too_and_keys_are_per_token(
    operator: Admin,
    admin_as: Callable[[str | None], Admin],
    make_token: TokenMaker,
    engine: Engine,
) -> None:
    headers = {"Idempotency-Key": "k"}
    problem(operator.post("/workspaces", json={"name": "x", "currency": "??"}, headers=headers),
            422, "currency")  # fmt: skip
    replay = operator.post("/workspaces", json={"name": "x", "currency": "??"}, headers=headers)
    problem(replay, 422, "currency")
    other = admin_as(make_token())
    assert other.post("/workspaces", json={"name": "x"}, headers=headers).status_code == 201


def test_a_key_older_than_24_hours_is_forgotten(operator: Admin, engine: Engine) -> None:
    headers = {"Idempotency-Key": "old"}
    assert operator.post("/workspaces", json={"name": "a"}, headers=headers).status_code == 201
    with engine.begin() as conn:
        day_ago_and_more = idempotency_keys.c.created_us - (24 * 3600 + 1) * 1_000_000
        conn.execute(update(idempotency_keys).values(created_us=day_ago_and_more))
    # The stored answer is gone: the call runs again (and the name is taken now).
    problem(operator.post("/workspaces", json={"name": "a"}, headers=headers), 409)
    replay = operator.post("/workspaces", json={"name": "a"}, headers=headers)
    problem(replay, 409)
    assert replay.headers["idempotent-replayed"] == "true"


def test_an_overlong_key_is_422_naming_the_header(operator: Admin) -> None:
    overlong = {"Idempotency-Key": "k" * 201}
    problem(operator.post("/workspaces", json={"name": "a"}, headers=overlong), 422,
            "Idempotency-Key")  # fmt: skip


def test_concurrent_retries_run_the_request_once(
    admin_server: RunningServer, make_token: TokenMaker, engine: Engine
) -> None:
    """Sent together, the same key makes one workspace: the others replay it or get 409."""
    token = make_token()
    headers = {"Idempotency-Key": "burst", "Authorization": f"Bearer {token}"}

    def send(_: int) -> int:
        with httpx.Client(base_url=admin_server.base_url + PREFIX, timeout=10) as http:
            return http.post("/workspaces", json={"name": "acme"}, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(send, range(6)))
    assert set(statuses) <= {201, 409}, statuses
    assert 201 in statuses
    assert [w.name for w in accounts.list_workspaces(engine)] == ["acme"]


def test_a_stored_answer_holding_a_new_secret_is_sealed_and_survives_secrets_rotate(
    operator: Admin, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_key = SecretBox(MasterKey.parse(new_master_key_text()))
    monkeypatch.setenv(MASTER_KEY_VARIABLE, base64.b64encode(first_key.key.material).decode())
    accounts.create_workspace(engine, "acme")
    headers = {"Idempotency-Key": "key-sealed"}
    created = operator.post("/workspaces/acme/keys", json={}, headers=headers).json()
    with engine.connect() as conn:
        stored = conn.execute(select(idempotency_keys.c.body)).scalar_one()
    assert created["apiSecret"] not in stored  # no plaintext secret at rest
    assert stored.startswith("v1:")

    second_key = SecretBox(MasterKey.parse(new_master_key_text()))
    rotate_secrets(engine, first_key, second_key)
    monkeypatch.setenv(MASTER_KEY_VARIABLE, base64.b64encode(second_key.key.material).decode())
    replayed = operator.post("/workspaces/acme/keys", json={}, headers=headers)
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == created


def test_revoking_a_token_forgets_its_stored_answers(
    admin_as: Callable[[str | None], Admin], engine: Engine
) -> None:
    _, plain = create_token(engine, CLI, "provisioner", None, False)
    admin_as(plain).post("/workspaces", json={"name": "acme"}, headers={"Idempotency-Key": "a"})
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(idempotency_keys)).scalar_one() == 1
    revoke_token(engine, CLI, "provisioner")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(idempotency_keys)).scalar_one() == 0


def test_deleting_a_workspace_forgets_the_answers_kept_for_its_tokens(
    admin_as: Callable[[str | None], Admin], operator: Admin, engine: Engine
) -> None:
    accounts.create_workspace(engine, "acme")
    _, plain = create_token(engine, CLI, "portal", "acme", False)
    created = admin_as(plain).post(
        "/workspaces/acme/keys", json={}, headers={"Idempotency-Key": "k"}
    )
    assert created.status_code == 201, created.text
    assert operator.delete("/workspaces/acme").status_code == 200
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(idempotency_keys)).scalar_one() == 0
