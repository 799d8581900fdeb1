"""Ingest sources: who may push CDRs over HTTP, and how their documents are read.

A source has one random secret: the HTTP Basic password for FreeSWITCH (user name = the
source's name) and the Bearer token for ``POST /ingest/cdrs``. Only its SHA-256 is stored;
the secret is shown once, when the source is created or its secret rotated. Every function
takes an engine (its own transaction) or a connection (the caller's: callrec.operations
wraps a change and its audit entry in one).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from callrec.store.dialect import Target, reading, transaction
from callrec.store.errors import AlreadyExists, InvalidValue, NotFound
from callrec.store.schema import ingest_sources
from callrec.wire.times import datetime_from_micros, now_micros

s = ingest_sources.c
# Safe in a FreeSWITCH "cred" param (user:password) and an HTTP Basic user name.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", re.ASCII)
# Compared against when the user name is unknown, so both failures take the same time.
_NO_SUCH_SOURCE_DIGEST = hashlib.sha256(b"callrec-no-such-ingest-source").hexdigest()


@dataclass(frozen=True, slots=True)
class IngestSource:
    name: str
    username: str
    encode_values: bool
    skip_b_legs: bool
    enabled: bool
    created_us: int


@dataclass(frozen=True, slots=True)
class NewSource:
    """A source just created, with the secret that is never shown again."""

    source: IngestSource
    secret: str


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _source(row: Row[object]) -> IngestSource:
    return IngestSource(
        row.name, row.username, row.encode_values, row.skip_b_legs, row.enabled, row.created_us
    )


def source_to_dict(source: IngestSource) -> dict[str, Any]:
    """The JSON shape of a source (never its secret), for the CLI, the admin API and audit."""
    return {
        "name": source.name,
        "username": source.username,
        "encodeValues": source.encode_values,
        "skipBLegs": source.skip_b_legs,
        "enabled": source.enabled,
        "createdAt": datetime_from_micros(source.created_us)
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z"),
    }


def _new_secret() -> str:
    return secrets.token_urlsafe(24)


def _missing(name: str) -> NotFound:
    return NotFound(f"no ingest source named {name!r}")


def create_source(
    target: Target, name: str, *, encode_values: bool = True, skip_b_legs: bool = True
) -> NewSource:
    name = name.strip()
    if not _NAME.fullmatch(name):
        raise InvalidValue(
            f"{name!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
            "name",
        )
    secret = _new_secret()
    created = now_micros()
    try:
        with transaction(target) as conn:
            if conn.execute(select(s.name).where(s.name == name)).first() is not None:
                raise AlreadyExists(f"ingest source {name!r} already exists")
            conn.execute(
                insert(ingest_sources).values(
                    name=name,
                    username=name,
                    secret_sha256=secret_digest(secret),
                    encode_values=encode_values,
                    skip_b_legs=skip_b_legs,
                    enabled=True,
                    created_us=created,
                )
            )
    except IntegrityError as exc:
        raise AlreadyExists(f"ingest source {name!r} already exists") from exc
    return NewSource(IngestSource(name, name, encode_values, skip_b_legs, True, created), secret)


def get_source(target: Target, name: str) -> IngestSource:
    with reading(target) as conn:
        row = conn.execute(select(ingest_sources).where(s.name == name)).one_or_none()
    if row is None:
        raise _missing(name)
    return _source(row)


def list_sources(
    target: Target, after: str | None = None, limit: int | None = None
) -> list[IngestSource]:
    query = select(ingest_sources).order_by(s.name)
    if after is not None:
        query = query.where(s.name > after)
    if limit is not None:
        query = query.limit(limit)
    with reading(target) as conn:
        rows = conn.execute(query).all()
    return [_source(r) for r in rows]


def set_source_enabled(target: Target, name: str, enabled: bool) -> IngestSource:
    with transaction(target) as conn:
        result = conn.execute(update(ingest_sources).where(s.name == name).values(enabled=enabled))
        if result.rowcount == 0:
            raise _missing(name)
        return get_source(conn, name)


def rotate_secret(target: Target, name: str) -> NewSource:
    """A new secret, shown once; the old one stops working when this commits (no grace:
    docs/decisions.md, "Rotating an ingest source's secret")."""
    secret = _new_secret()
    with transaction(target) as conn:
        result = conn.execute(
            update(ingest_sources).where(s.name == name).values(secret_sha256=secret_digest(secret))
        )
        if result.rowcount == 0:
            raise _missing(name)
        return NewSource(get_source(conn, name), secret)


def delete_source(target: Target, name: str) -> None:
    with transaction(target) as conn:
        if conn.execute(delete(ingest_sources).where(s.name == name)).rowcount == 0:
            raise _missing(name)


def source_for_password(conn: Connection, username: str, password: str) -> IngestSource | None:
    """The source whose user name and password these are (enabled or not), else None."""
    row = conn.execute(select(ingest_sources).where(s.username == username)).one_or_none()
    stored = row.secret_sha256 if row is not None else _NO_SUCH_SOURCE_DIGEST
    matches = hmac.compare_digest(stored.encode(), secret_digest(password).encode())
    return _source(row) if row is not None and matches else None


def source_for_token(conn: Connection, token: str) -> IngestSource | None:
    """The source whose secret this token is (enabled or not), else None.

    Looked up by the token's SHA-256: timing can reveal at most how much of a digest matched,
    which says nothing about the secret behind it.
    """
    digest = secret_digest(token)
    row = conn.execute(select(ingest_sources).where(s.secret_sha256 == digest)).first()
    if row is None or not hmac.compare_digest(row.secret_sha256.encode(), digest.encode()):
        return None
    return _source(row)
