"""Answers to POSTs kept under their Idempotency-Key for 24 hours, per admin token.

The first request claims the key before it runs, so a retry sent while it is still under way
is told so instead of running twice; its answer is stored when it is done, sealed like the
API secrets (callrec.store.secret_box): a key's creation answer holds its plain secret.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from callrec.store.dialect import write_transaction
from callrec.store.schema import idempotency_keys
from callrec.store.secret_box import box_from_env, idempotency_context

KEEP_SECONDS = 24 * 3600
MAX_KEY_LENGTH = 200  # idempotency_keys.key
k = idempotency_keys.c


@dataclass(frozen=True, slots=True)
class Claimed:
    """The key's earlier request: its hash, and its answer (None while under way)."""

    request_sha256: str
    status: int | None
    body: str | None


def claim(
    engine: Engine, token_id: int, key: str, request_sha256: str, now_us: int
) -> Claimed | None:
    """None: the key is now this request's to answer. Else what it already holds."""
    mine = (k.token_id == token_id) & (k.key == key)
    try:
        with write_transaction(engine) as conn:
            # This token's expired keys go here; no separate sweeper is needed.
            conn.execute(
                delete(idempotency_keys).where(
                    k.token_id == token_id, k.created_us < now_us - KEEP_SECONDS * 1_000_000
                )
            )
            row = conn.execute(select(k.request_sha256, k.status, k.body).where(mine)).first()
            if row is not None:
                body = None
                if row.body is not None:
                    body = box_from_env().reveal(row.body, idempotency_context(token_id, key))
                return Claimed(row.request_sha256, row.status, body)
            conn.execute(
                insert(idempotency_keys).values(
                    token_id=token_id, key=key, request_sha256=request_sha256, created_us=now_us
                )
            )
    except IntegrityError:  # a concurrent request claimed it first
        return Claimed(request_sha256, None, None)
    return None


def store_answer(engine: Engine, token_id: int, key: str, status: int, body: str) -> None:
    with write_transaction(engine) as conn:
        conn.execute(
            update(idempotency_keys)
            .where(k.token_id == token_id, k.key == key)
            .values(
                status=status, body=box_from_env().seal(body, idempotency_context(token_id, key))
            )
        )


def release(engine: Engine, token_id: int, key: str) -> None:
    """Forget a claim whose request failed unexpectedly, so a retry runs it again."""
    with write_transaction(engine) as conn:
        conn.execute(delete(idempotency_keys).where(k.token_id == token_id, k.key == key))
