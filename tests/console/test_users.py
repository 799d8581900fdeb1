"""Console users and sessions in the operations layer, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from callrec.operations import users
from callrec.operations.actor import CLI, Actor
from callrec.operations.workspaces import delete_workspace, update_workspace
from callrec.store.console_users import token_hash
from callrec.store.errors import AlreadyExists, Forbidden, InvalidValue, NotFound
from callrec.store.schema import console_sessions
from tests.console.conftest import PASSWORD

POLICY = users.SessionPolicy(idle_us=30 * 60_000_000, lifetime_us=12 * 3_600_000_000)
T0 = 1_800_000_000_000_000  # an instant, in microseconds


def test_names_passwords_and_workspaces_are_checked(seeded: Engine) -> None:
    with pytest.raises(InvalidValue) as bad_name:
        users.create_user(seeded, CLI, "no spaces", PASSWORD, None)
    assert bad_name.value.field == "name"
    for password, rule in [("short", "at least 12"), ("x" * 1025, "at most 1024"),
                           ("twelve chars\x00", "NUL")]:  # fmt: skip
        with pytest.raises(InvalidValue) as bad:
            users.create_user(seeded, CLI, "bob", password, None)
        assert bad.value.field == "password"
        assert rule in str(bad.value)
    with pytest.raises(NotFound):
        users.create_user(seeded, CLI, "bob", PASSWORD, "nowhere")
    users.create_user(seeded, CLI, "bob", PASSWORD, "acme")
    with pytest.raises(AlreadyExists):
        users.create_user(seeded, CLI, "bob", PASSWORD, None)


def test_only_operators_manage_users(seeded: Engine) -> None:
    customer = Actor("user:alice", workspace_id=1)
    with pytest.raises(Forbidden):
        users.create_user(seeded, customer, "bob", PASSWORD, "acme")
    with pytest.raises(Forbidden):
        users.list_users(seeded, customer)


def test_a_wrong_name_and_a_wrong_password_are_both_just_wrong(seeded: Engine) -> None:
    users.create_user(seeded, CLI, "alice", PASSWORD, "acme")
    alice = users.find_login(seeded, "alice")
    assert users.check_password(alice, PASSWORD)
    assert not users.check_password(alice, PASSWORD + "!")
    assert not users.check_password(None, PASSWORD)
    assert not users.check_password(alice, "x" * 5000)
    assert users.find_login(seeded, "x" * 65) is None
    stored = alice.password_hash  # type: ignore[union-attr]
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def _session_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(console_sessions)).scalar_one())


def test_sessions_expire_when_idle_and_at_their_absolute_limit(seeded: Engine) -> None:
    alice = users.create_user(seeded, CLI, "alice", PASSWORD, "acme")
    token, _ = users.start_session(seeded, alice, POLICY, T0)
    with seeded.connect() as conn:  # only the token's hash is stored
        stored = conn.execute(select(console_sessions.c.token_sha256)).scalar_one()
    assert stored == token_hash(token)
    assert token not in stored
    # Busy: seen every 20 minutes, it lives until the absolute limit, and not a moment more.
    now = T0
    while now + 20 * 60_000_000 < T0 + POLICY.lifetime_us:
        now += 20 * 60_000_000
        assert users.resume_session(seeded, token, POLICY, now) is not None, now
    assert users.resume_session(seeded, token, POLICY, T0 + POLICY.lifetime_us) is None
    assert _session_count(seeded) == 0  # an expired session is deleted on sight

    idle, _ = users.start_session(seeded, alice, POLICY, T0)
    assert users.resume_session(seeded, idle, POLICY, T0 + POLICY.idle_us - 1) is not None
    assert users.resume_session(seeded, idle, POLICY, T0 + 2 * POLICY.idle_us) is None
    assert users.resume_session(seeded, "not-a-token", POLICY, T0) is None
    assert users.resume_session(seeded, "", POLICY, T0) is None


def test_disabling_a_user_or_changing_the_password_ends_their_sessions(seeded: Engine) -> None:
    alice = users.create_user(seeded, CLI, "alice", PASSWORD, "acme")
    token, _ = users.start_session(seeded, alice, POLICY, T0)
    users.set_user_enabled(seeded, CLI, "alice", False)
    assert users.resume_session(seeded, token, POLICY, T0) is None
    users.set_user_enabled(seeded, CLI, "alice", True)
    token, _ = users.start_session(seeded, alice, POLICY, T0)
    users.set_password(seeded, CLI, "alice", "a brand new password")
    assert users.resume_session(seeded, token, POLICY, T0) is None


def test_a_disabled_workspace_locks_its_users_out(seeded: Engine) -> None:
    alice = users.create_user(seeded, CLI, "alice", PASSWORD, "acme")
    token, _ = users.start_session(seeded, alice, POLICY, T0)
    update_workspace(seeded, CLI, "acme", enabled=False)
    assert users.resume_session(seeded, token, POLICY, T0) is None
    assert not users.may_log_in(seeded, alice)


def test_deleting_a_workspace_deletes_its_users(seeded: Engine) -> None:
    users.create_user(seeded, CLI, "rob", PASSWORD, "rival")
    rob = users.find_login(seeded, "rob")
    assert rob is not None
    users.start_session(seeded, rob, POLICY, T0)
    users.create_user(seeded, CLI, "olga", PASSWORD, None)
    delete_workspace(seeded, CLI, "rival")
    assert users.find_login(seeded, "rob") is None
    assert users.find_login(seeded, "olga") is not None
    assert _session_count(seeded) == 0
