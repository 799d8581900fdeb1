"""Which keys the stored secrets are sealed under, the start-up check, and re-sealing them all.

``rotate_secrets`` re-seals every API and push secret (and the admin API's stored
idempotent answers, which may hold a new key's secret) under a new box in one transaction:
values sealed under the old key, under the new key already (a rotation run twice) and plain
ones are all accepted; anything else aborts the transaction and changes nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Table, select, update
from sqlalchemy.engine import Connection, Engine

from callrec.store.dialect import write_transaction
from callrec.store.schema import api_keys, idempotency_keys, push_targets
from callrec.store.secret_box import (
    MASTER_KEY_VARIABLE,
    MasterKeyError,
    SecretBox,
    api_key_context,
    idempotency_context,
    push_target_context,
    sealed_key_id,
)


@dataclass(frozen=True, slots=True)
class SecretInventory:
    """How many stored secrets are plain, and how many are sealed under each key id."""

    plain: int
    sealed: dict[str, int]


@dataclass(frozen=True, slots=True)
class _StoredSecret:
    table: Table
    row: ColumnElement[bool]
    context: str
    stored: str
    column: str = "secret"


def _stored(conn: Connection) -> list[_StoredSecret]:
    k, t = api_keys.c, push_targets.c
    keys = conn.execute(select(k.api_key, k.secret)).all()
    # A rotated key's old secret, still accepted during its grace (callrec.operations.keys).
    previous = conn.execute(
        select(k.api_key, k.previous_secret).where(k.previous_secret.is_not(None))
    ).all()
    targets = conn.execute(
        select(t.workspace_id, t.secret).where(t.secret.is_not(None), t.secret != "")
    ).all()
    i = idempotency_keys.c
    answers = conn.execute(select(i.token_id, i.key, i.body).where(i.body.is_not(None))).all()
    return (
        [
            _StoredSecret(api_keys, k.api_key == key, api_key_context(key), secret)
            for key, secret in keys
        ]
        + [
            _StoredSecret(
                api_keys, k.api_key == key, api_key_context(key), secret, "previous_secret"
            )
            for key, secret in previous
        ]
        + [
            _StoredSecret(push_targets, t.workspace_id == ws, push_target_context(ws), secret)
            for ws, secret in targets
        ]
        + [
            _StoredSecret(
                idempotency_keys,
                (i.token_id == token_id) & (i.key == key),
                idempotency_context(token_id, key),
                body,
                "body",
            )
            for token_id, key, body in answers
        ]
    )


def inventory(engine: Engine) -> SecretInventory:
    with engine.connect() as conn:
        ids = [sealed_key_id(found.stored) for found in _stored(conn)]
    sealed = Counter(key_id for key_id in ids if key_id is not None)
    return SecretInventory(plain=ids.count(None), sealed=dict(sealed))


def check_master_key(engine: Engine, box: SecretBox) -> SecretInventory:
    """Refuse to start when a stored secret is sealed under a key this process lacks."""
    found = inventory(engine)
    others = sorted(key_id for key_id in found.sealed if key_id != box.key_id)
    if others and box.key_id is None:
        raise MasterKeyError(
            f"{MASTER_KEY_VARIABLE} is not set, but {sum(found.sealed.values())} stored secrets "
            f"are encrypted (key id {', '.join(others)})"
        )
    if others:
        raise MasterKeyError(
            f"{MASTER_KEY_VARIABLE} (key id {box.key_id}) is not the key "
            f"{sum(found.sealed[k] for k in others)} stored secrets were encrypted with "
            f"(key id {', '.join(others)})"
        )
    return found


def _opener(stored: str, old: SecretBox, new: SecretBox) -> SecretBox:
    key_id = sealed_key_id(stored)
    if key_id is not None and key_id == new.key_id:
        return new
    return old  # plain values open with any box; a foreign key id fails in reveal


def rotate_secrets(engine: Engine, old: SecretBox, new: SecretBox) -> int:
    """Re-seal every stored secret under ``new``; the number of secrets re-sealed."""
    with write_transaction(engine) as conn:
        found = _stored(conn)
        known = {old.key_id, new.key_id}
        strangers = sorted({sealed_key_id(s.stored) for s in found} - known - {None})
        if strangers:
            raise MasterKeyError(
                f"stored secrets are encrypted under key id {', '.join(map(str, strangers))}, "
                f"neither the old key ({old.key_id or 'none given'}) nor the new one "
                f"({new.key_id or 'none'})"
            )
        for secret in found:
            plain = _opener(secret.stored, old, new).reveal(secret.stored, secret.context)
            sealed = new.seal(plain, secret.context)
            conn.execute(update(secret.table).where(secret.row).values({secret.column: sealed}))
    return len(found)
