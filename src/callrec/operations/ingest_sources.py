"""Ingest source operations: create, read, enable/disable, rotate the secret, delete.

Ingest sources belong to no workspace: only operators see or change them (a workspace token
gets 403 before any name is looked up, so it cannot learn which sources exist). Audit
entries hold the source as ``source_to_dict`` shows it, never a secret.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from callrec.operations.actor import Actor
from callrec.operations.audit import record
from callrec.store import ingest_sources as store
from callrec.store.dialect import write_transaction
from callrec.store.errors import Forbidden
from callrec.store.ingest_sources import IngestSource, NewSource, source_to_dict

OBJECT_TYPE = "ingest_source"


def _check_reads(actor: Actor) -> None:
    if not actor.is_operator:
        raise Forbidden("only an operator token may read ingest sources")


def create_source(
    engine: Engine,
    actor: Actor,
    name: str,
    *,
    encode_values: bool = True,
    skip_b_legs: bool = True,
) -> NewSource:
    actor.check_operator("create ingest sources")
    with write_transaction(engine) as conn:
        created = store.create_source(
            conn, name, encode_values=encode_values, skip_b_legs=skip_b_legs
        )
        record(conn, actor, "ingest_source.create", OBJECT_TYPE, created.source.name, None,
               after=source_to_dict(created.source))  # fmt: skip
    return created


def get_source(engine: Engine, actor: Actor, name: str) -> IngestSource:
    _check_reads(actor)
    return store.get_source(engine, name)


def list_sources(
    engine: Engine, actor: Actor, after: str | None = None, limit: int | None = None
) -> list[IngestSource]:
    _check_reads(actor)
    return store.list_sources(engine, after, limit)


def set_source_enabled(engine: Engine, actor: Actor, name: str, enabled: bool) -> IngestSource:
    actor.check_operator("enable or disable ingest sources")
    with write_transaction(engine) as conn:
        before = store.get_source(conn, name)
        after = store.set_source_enabled(conn, name, enabled)
        action = "ingest_source.enable" if enabled else "ingest_source.disable"
        record(conn, actor, action, OBJECT_TYPE, name, None,
               source_to_dict(before), source_to_dict(after))  # fmt: skip
    return after


def rotate_secret(engine: Engine, actor: Actor, name: str) -> NewSource:
    """A new secret, returned once; the old one is refused from the commit on."""
    actor.check_operator("rotate ingest source secrets")
    with write_transaction(engine) as conn:
        rotated = store.rotate_secret(conn, name)
        shown = source_to_dict(rotated.source)
        record(conn, actor, "ingest_source.rotate", OBJECT_TYPE, name, None, shown, shown)
    return rotated


def delete_source(engine: Engine, actor: Actor, name: str) -> None:
    actor.check_operator("delete ingest sources")
    with write_transaction(engine) as conn:
        before = store.get_source(conn, name)
        store.delete_source(conn, name)
        record(conn, actor, "ingest_source.delete", OBJECT_TYPE, name, None,
               source_to_dict(before))  # fmt: skip
