"""API and push secrets at rest: sealed under the master key, opened only with it."""

from __future__ import annotations

import base64

import pytest
from alembic import command
from sqlalchemy import select, text, update
from sqlalchemy.engine import Engine

from callrec.store import accounts, make_engine
from callrec.store.migrate import alembic_config, upgrade
from callrec.store.push_batches import claim_batch
from callrec.store.push_targets import set_push_target
from callrec.store.schema import api_keys, push_targets
from callrec.store.secret_box import (
    MASTER_KEY_VARIABLE,
    MasterKey,
    MasterKeyError,
    SecretBox,
    box_from_env,
    new_master_key_text,
)
from callrec.store.secret_rotation import check_master_key, inventory, rotate_secrets
from callrec.wire.times import now_micros
from tests.helpers import make_record
from tests.push.support import store

PUSH_SECRET = "push-secret-0123456789"
API_SECRET = "api-secret-0123456789abcdef"


def _raw_secrets(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        keys = conn.execute(select(api_keys.c.secret)).scalars().all()
        targets = conn.execute(select(push_targets.c.secret)).scalars().all()
    return [*keys, *[value for value in targets if value]]


def _with_secrets(engine: Engine) -> str:
    accounts.create_workspace(engine, "acme")
    key = accounts.create_key(engine, "acme", secret=API_SECRET)
    set_push_target(engine, "acme", "https://hooks.example.com/in", PUSH_SECRET)
    return key.api_key


def _credentials(engine: Engine, api_key: str) -> accounts.KeyCredentials:
    with engine.connect() as conn:
        found = accounts.lookup_credentials(conn, api_key)
    assert found is not None
    return found


@pytest.fixture
def master_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = new_master_key_text()
    monkeypatch.setenv(MASTER_KEY_VARIABLE, key)
    return key


@pytest.mark.usefixtures("master_key")
def test_with_a_master_key_the_stored_columns_hold_no_plaintext(engine: Engine) -> None:
    api_key = _with_secrets(engine)
    stored = _raw_secrets(engine)
    assert len(stored) == 2
    for value in stored:
        assert value.startswith(f"v1:{box_from_env().key_id}:")
        assert API_SECRET not in value
        assert PUSH_SECRET not in value
    assert _credentials(engine, api_key).secret == API_SECRET
    assert [k.secret for k in accounts.list_keys(engine)] == [API_SECRET]


def test_without_a_master_key_secrets_are_stored_plain_with_a_version_prefix(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(MASTER_KEY_VARIABLE, raising=False)
    api_key = _with_secrets(engine)
    assert sorted(_raw_secrets(engine)) == sorted([f"plain:{API_SECRET}", f"plain:{PUSH_SECRET}"])
    assert _credentials(engine, api_key).secret == API_SECRET
    assert inventory(engine).plain == 2


def test_a_sealed_secret_copied_onto_another_row_does_not_open(
    engine: Engine, master_key: str
) -> None:
    api_key = _with_secrets(engine)
    other = accounts.create_key(engine, "acme").api_key
    with engine.begin() as conn:
        sealed = conn.execute(
            select(api_keys.c.secret).where(api_keys.c.api_key == api_key)
        ).scalar_one()
        conn.execute(update(api_keys).where(api_keys.c.api_key == other).values(secret=sealed))
    with pytest.raises(MasterKeyError, match="does not decrypt"):
        _credentials(engine, other)


def test_a_missing_or_wrong_master_key_is_one_clear_error(
    engine: Engine, master_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    api_key = _with_secrets(engine)
    key_id = MasterKey.parse(master_key).key_id

    monkeypatch.delenv(MASTER_KEY_VARIABLE)
    with pytest.raises(MasterKeyError) as missing:
        check_master_key(engine, box_from_env())
    assert str(missing.value) == (
        f"CALLREC_MASTER_KEY is not set, but 2 stored secrets are encrypted (key id {key_id})"
    )
    with pytest.raises(MasterKeyError, match="is not set"):
        _credentials(engine, api_key)

    monkeypatch.setenv(MASTER_KEY_VARIABLE, new_master_key_text())
    with pytest.raises(MasterKeyError, match="not the key 2 stored secrets were encrypted with"):
        check_master_key(engine, box_from_env())
    with pytest.raises(MasterKeyError, match=f"key id {key_id}"):
        _credentials(engine, api_key)

    monkeypatch.setenv(MASTER_KEY_VARIABLE, "not base64 at all!")
    with pytest.raises(MasterKeyError, match="CALLREC_MASTER_KEY is not base64"):
        box_from_env()
    monkeypatch.setenv(MASTER_KEY_VARIABLE, base64.b64encode(b"short").decode())
    with pytest.raises(MasterKeyError, match="must be 32 bytes in base64, got 5 bytes"):
        box_from_env()


def test_rotate_moves_every_secret_to_the_new_key_and_seals_plain_ones(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(MASTER_KEY_VARIABLE, raising=False)
    api_key = _with_secrets(engine)  # plain, as before a master key was set
    first, second = (SecretBox(MasterKey.parse(new_master_key_text())) for _ in range(2))

    assert rotate_secrets(engine, SecretBox(None), first) == 2
    assert inventory(engine).sealed == {first.key_id: 2}
    assert rotate_secrets(engine, first, second) == 2
    assert inventory(engine).sealed == {second.key_id: 2}
    for value in _raw_secrets(engine):
        assert API_SECRET not in value
        assert PUSH_SECRET not in value

    monkeypatch.setenv(MASTER_KEY_VARIABLE, base64.b64encode(second.key.material).decode())
    check_master_key(engine, box_from_env())
    assert _credentials(engine, api_key).secret == API_SECRET
    workspace_id = accounts.get_workspace(engine, "acme").id
    store(engine, workspace_id, [make_record("c1", "2024-01-01T09:00:00Z")])
    claimed = claim_batch(engine, workspace_id, now_micros(), 60_000_000, 10)
    assert claimed is not None
    assert claimed.secret == PUSH_SECRET  # what the push signature is computed with


def test_a_rotation_that_meets_a_secret_under_an_unknown_key_changes_nothing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(MASTER_KEY_VARIABLE, raising=False)
    _with_secrets(engine)
    stranger, new = (SecretBox(MasterKey.parse(new_master_key_text())) for _ in range(2))
    rotate_secrets(engine, SecretBox(None), stranger)
    accounts.create_key(engine, "acme")  # plain, beside the sealed ones
    before = sorted(_raw_secrets(engine))

    with pytest.raises(MasterKeyError, match=f"key id {stranger.key_id}"):
        rotate_secrets(engine, SecretBox(None), new)
    assert sorted(_raw_secrets(engine)) == before


def test_upgrading_a_database_with_plain_secrets_keeps_them_working(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(MASTER_KEY_VARIABLE, raising=False)
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0003")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO workspaces (name, enabled, currency, created_us) "
                    "VALUES ('acme', true, 'USD', 0)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO api_keys (api_key, secret, workspace_id, enabled, allow_ips, "
                    "created_us) VALUES ('legacy01', :secret, 1, true, '', 0)"
                ),
                {"secret": API_SECRET},
            )
        upgrade(engine)
        assert _raw_secrets(engine) == [f"plain:{API_SECRET}"]
        credentials = _credentials(engine, "legacy01")
        assert credentials.secret == API_SECRET
        assert credentials.require_body_signature is False
    finally:
        engine.dispose()


def test_downgrading_restores_plain_secrets_and_refuses_encrypted_ones(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(MASTER_KEY_VARIABLE, raising=False)
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        api_key = _with_secrets(engine)
        sealing = SecretBox(MasterKey.parse(new_master_key_text()))
        rotate_secrets(engine, SecretBox(None), sealing)
        with pytest.raises(RuntimeError, match="2 secrets are encrypted"):
            command.downgrade(alembic_config(engine), "0003")

        rotate_secrets(engine, sealing, SecretBox(None))
        command.downgrade(alembic_config(engine), "0003")
        with engine.connect() as conn:
            stored = conn.execute(
                text("SELECT secret FROM api_keys WHERE api_key = :key"), {"key": api_key}
            ).scalar_one()
        assert stored == API_SECRET
    finally:
        engine.dispose()
