"""Workspaces and API keys: their rows, rules and JSON shapes; adding a number.

Every function takes an engine (its own transaction) or a connection (the caller's
transaction: callrec.operations wraps a change and its audit entry in one). The rules on
values live here, once (a number's in callrec.store.numbers); an ``InvalidValue`` names
its field (callrec.store.errors). A change to a key or a workspace runs in
``credentials_transaction``, so that every server drops the credentials it holds.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import string
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, exists, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from callrec.settings import IPNetwork
from callrec.store import numbers as numbers_rules
from callrec.store.change_notices import account_change
from callrec.store.dialect import (
    Target,
    chunks_for,
    driver_rows,
    reading,
    transaction,
    write_transaction,
)
from callrec.store.errors import AlreadyExists, InvalidValue, NotFound
from callrec.store.numbers import Rental
from callrec.store.schema import api_keys, call_record_ids, numbers, workspaces
from callrec.store.secret_box import api_key_context, box_from_env
from callrec.wire.times import datetime_from_micros, now_micros

MAX_WORKSPACE_NAME = 200  # workspaces.name
MAX_ALLOW_IPS = 100  # CIDRs in one key's whitelist
_ALPHANUMERIC = string.ascii_letters + string.digits
_CURRENCY = re.compile(r"[A-Z]{3}")
# Printable, no surrounding spaces, no "/" (names appear in URL paths).
_NAME_CHAR = r"[^/\x00-\x1f\x7f-\x9f]"
_NAME_EDGE = r"[^\s/\x00-\x1f\x7f-\x9f]"
WORKSPACE_NAME_PATTERN = f"{_NAME_EDGE}(?:{_NAME_CHAR}*{_NAME_EDGE})?"
_WORKSPACE_NAME = re.compile(WORKSPACE_NAME_PATTERN)

__all__ = ["Target", "reading", "transaction"]  # callers import them from here too


@contextmanager
def credentials_transaction(target: Target) -> Iterator[Connection]:
    """A write transaction that changes a key or a workspace: on PostgreSQL every server
    drops the credentials it holds when it commits (callrec.store.change_notices), and
    leaving the block waits for their answers. Given a connection, its owner opened it
    with this function (callrec.operations does, around the change and its audit entry)."""
    if isinstance(target, Connection):
        yield target
        return
    with account_change(target) as announce, write_transaction(target) as conn:
        yield conn
        announce(conn)


@dataclass(frozen=True, slots=True)
class Workspace:
    id: int
    name: str
    enabled: bool
    currency: str
    created_us: int
    time_zone: str = "UTC"  # IANA zone pushed records' times are rendered in


@dataclass(frozen=True, slots=True)
class ApiKey:
    api_key: str
    secret: str
    workspace: str
    enabled: bool
    allow_ips: tuple[str, ...]
    created_us: int
    require_body_signature: bool = False
    previous_secret_until_us: int | None = None  # the old secret's grace after a rotation


@dataclass(frozen=True, slots=True)
class Number:
    number: str
    workspace: str
    app_id: str | None
    type: str | None


def iso_instant(micros: int) -> str:
    return datetime_from_micros(micros).isoformat(timespec="seconds").replace("+00:00", "Z")


def workspace_to_dict(ws: Workspace) -> dict[str, Any]:
    """The JSON shape of a workspace, for the CLI's --json and the admin API alike."""
    return {
        "name": ws.name,
        "enabled": ws.enabled,
        "currency": ws.currency,
        "timeZone": ws.time_zone,
        "createdAt": iso_instant(ws.created_us),
    }


def key_to_dict(key: ApiKey, with_secret: bool = False) -> dict[str, Any]:
    """The JSON shape of an API key; the secret only where it is shown once (create, rotate)."""
    value: dict[str, Any] = {"apiKey": key.api_key}
    if with_secret:
        value["apiSecret"] = key.secret
    value.update(
        {
            "workspace": key.workspace,
            "enabled": key.enabled,
            "allowIps": list(key.allow_ips),
            "requireBodySignature": key.require_body_signature,
            "createdAt": iso_instant(key.created_us),
            "previousSecretValidUntil": (
                None
                if key.previous_secret_until_us is None
                else iso_instant(key.previous_secret_until_us)
            ),
        }
    )
    return value


@dataclass(frozen=True, slots=True)
class KeyCredentials:
    """What the API needs to authenticate one request, in one lookup."""

    api_key: str
    secret: str
    key_enabled: bool
    allow_ips: tuple[IPNetwork, ...]
    workspace_id: int
    workspace_enabled: bool
    records_revision: int
    require_body_signature: bool = False
    # The secret before the last rotation and until when it still signs (UTC microseconds).
    previous_secret: str | None = None
    previous_secret_until_us: int = 0


def _networks(text: str) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in text.split())


def normalise_currency(code: str) -> str:
    upper = code.strip().upper()
    if not _CURRENCY.fullmatch(upper):
        raise InvalidValue(f"{code!r} is not a three-letter ISO 4217 code", "currency")
    return upper


def normalise_time_zone(name: str) -> str:
    name = name.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidValue(
            f"{name!r} is not an IANA time zone name (e.g. UTC, Asia/Kolkata)",
            "timeZone",
        ) from exc
    return name


def normalise_workspace_name(name: str, field: str = "name") -> str:
    name = name.strip()
    if not name:
        raise InvalidValue("is empty: a workspace needs a name", field)
    if len(name) > MAX_WORKSPACE_NAME:  # the column's size: the same refusal on every backend
        raise InvalidValue(f"has at most {MAX_WORKSPACE_NAME} characters", field)
    if not _WORKSPACE_NAME.fullmatch(name):
        raise InvalidValue(
            "must be printable text without '/' or control characters",
            field,
        )
    return name


def _workspace_from(row: Any) -> Workspace:
    return Workspace(row.id, row.name, row.enabled, row.currency, row.created_us, row.time_zone)


def create_workspace(
    target: Target, name: str, currency: str = "USD", time_zone: str = "UTC"
) -> Workspace:
    name = normalise_workspace_name(name)
    currency = normalise_currency(currency)
    time_zone = normalise_time_zone(time_zone)
    created = now_micros()
    try:
        with transaction(target) as conn:
            if conn.execute(select(workspaces.c.id).where(workspaces.c.name == name)).first():
                raise AlreadyExists(f"workspace {name!r} already exists")
            workspace_id = conn.execute(
                insert(workspaces)
                .values(
                    name=name,
                    enabled=True,
                    currency=currency,
                    created_us=created,
                    time_zone=time_zone,
                )
                .returning(workspaces.c.id)
            ).scalar_one()
    except IntegrityError as exc:
        raise AlreadyExists(f"workspace {name!r} already exists") from exc
    return Workspace(workspace_id, name, True, currency, created, time_zone)


def workspace_row(conn: Connection, name: str) -> Workspace:
    row = conn.execute(select(workspaces).where(workspaces.c.name == name)).one_or_none()
    if row is None:
        raise NotFound(f"no workspace named {name!r}")
    return _workspace_from(row)


_workspace = workspace_row  # the name older callers use


def workspace_by_id(conn: Connection, workspace_id: int) -> Workspace:
    row = conn.execute(select(workspaces).where(workspaces.c.id == workspace_id)).one()
    return _workspace_from(row)


def get_workspace(target: Target, name: str) -> Workspace:
    with reading(target) as conn:
        return workspace_row(conn, name)


def list_workspaces(
    target: Target, after: str | None = None, limit: int | None = None
) -> list[Workspace]:
    query = select(workspaces).order_by(workspaces.c.name)
    if after is not None:
        query = query.where(workspaces.c.name > after)
    if limit is not None:
        query = query.limit(limit)
    with reading(target) as conn:
        rows = conn.execute(query).all()
    return [_workspace_from(r) for r in rows]


def set_workspace_enabled(target: Target, name: str, enabled: bool) -> None:
    update_workspace(target, name, enabled=enabled)


def update_workspace(
    target: Target,
    name: str,
    *,
    new_name: str | None = None,
    currency: str | None = None,
    time_zone: str | None = None,
    enabled: bool | None = None,
) -> Workspace:
    """Rename or change a workspace; records stay with it (they are keyed by its id)."""
    values: dict[str, Any] = {}
    if new_name is not None:
        values["name"] = normalise_workspace_name(new_name, "newName")
    if currency is not None:
        values["currency"] = normalise_currency(currency)
    if time_zone is not None:
        values["time_zone"] = normalise_time_zone(time_zone)
    if enabled is not None:
        values["enabled"] = enabled
    try:
        with credentials_transaction(target) as conn:
            ws = workspace_row(conn, name)
            if (
                values.get("name", ws.name) != ws.name
                and conn.execute(
                    select(workspaces.c.id).where(workspaces.c.name == values["name"])
                ).first()
            ):
                raise AlreadyExists(f"workspace {values['name']!r} already exists")
            if values:
                conn.execute(update(workspaces).where(workspaces.c.id == ws.id).values(**values))
            return workspace_by_id(conn, ws.id)
    except IntegrityError as exc:
        raise AlreadyExists(f"workspace {values.get('name')!r} already exists") from exc


def _normalise_cidrs(cidrs: Sequence[str]) -> tuple[str, ...]:
    if len(cidrs) > MAX_ALLOW_IPS:
        raise InvalidValue(f"has at most {MAX_ALLOW_IPS} entries", "allowIps")
    normalised = []
    for cidr in cidrs:
        try:
            normalised.append(str(ipaddress.ip_network(cidr.strip(), strict=False)))
        except ValueError as exc:
            raise InvalidValue(f"{cidr!r} is not an IP address or CIDR", "allowIps") from exc
    return tuple(normalised)


def create_key(
    target: Target,
    workspace: str,
    allow_ips: Sequence[str] | None = None,
    api_key: str | None = None,
    secret: str | None = None,
    require_body_signature: bool = False,
) -> ApiKey:
    """Create a key; the public name looks like the vendor's (8 alphanumerics)."""
    cidrs = _normalise_cidrs(allow_ips or [])
    secret = secret or secrets.token_hex(16)
    box = box_from_env()
    created = now_micros()
    with transaction(target) as conn:
        ws = workspace_row(conn, workspace)
        for _attempt in range(10):
            candidate = api_key or "".join(secrets.choice(_ALPHANUMERIC) for _ in range(8))
            taken = conn.execute(
                select(api_keys.c.api_key).where(api_keys.c.api_key == candidate)
            ).first()
            if taken is None:
                break
            if api_key:
                raise AlreadyExists(f"API key {api_key!r} already exists")
        else:
            raise AlreadyExists("could not find a free API key name; try again")
        conn.execute(
            insert(api_keys).values(
                api_key=candidate,
                secret=box.seal(secret, api_key_context(candidate)),
                workspace_id=ws.id,
                enabled=True,
                allow_ips=" ".join(cidrs),
                created_us=created,
                require_body_signature=require_body_signature,
            )
        )
    return ApiKey(candidate, secret, ws.name, True, cidrs, created, require_body_signature)


def _update_key(target: Target, api_key: str, **values: Any) -> ApiKey:
    with credentials_transaction(target) as conn:
        result = conn.execute(update(api_keys).where(api_keys.c.api_key == api_key).values(values))
        if result.rowcount == 0:
            raise NotFound(f"no API key {api_key!r}")
        return key_row(conn, api_key)


def set_key_enabled(target: Target, api_key: str, enabled: bool) -> ApiKey:
    return _update_key(target, api_key, enabled=enabled)


def set_key_requires_body_signature(target: Target, api_key: str, required: bool) -> ApiKey:
    return _update_key(target, api_key, require_body_signature=required)


def set_key_allow_ips(target: Target, api_key: str, allow_ips: Sequence[str]) -> ApiKey:
    return _update_key(target, api_key, allow_ips=" ".join(_normalise_cidrs(allow_ips)))


def rotate_key(target: Target, api_key: str, grace_seconds: int, now_us: int) -> ApiKey:
    """A new secret; the current one keeps signing for ``grace_seconds`` (0: not at all).

    A second rotation inside the grace drops the oldest secret: only one previous is kept.
    """
    if grace_seconds < 0:
        raise InvalidValue("must be 0 or more seconds", "graceSeconds")
    new_secret = secrets.token_hex(16)
    with credentials_transaction(target) as conn:
        stored = conn.execute(
            select(api_keys.c.secret).where(api_keys.c.api_key == api_key)
        ).scalar_one_or_none()
        if stored is None:
            raise NotFound(f"no API key {api_key!r}")
        conn.execute(
            update(api_keys)
            .where(api_keys.c.api_key == api_key)
            .values(
                secret=box_from_env().seal(new_secret, api_key_context(api_key)),
                # Still sealed for this same row, so the sealed value moves as it is.
                previous_secret=stored if grace_seconds else None,
                previous_secret_until_us=(
                    now_us + grace_seconds * 1_000_000 if grace_seconds else None
                ),
            )
        )
        key = key_row(conn, api_key)
    return ApiKey(
        key.api_key,
        new_secret,
        key.workspace,
        key.enabled,
        key.allow_ips,
        key.created_us,
        key.require_body_signature,
        key.previous_secret_until_us,
    )


def delete_key(target: Target, api_key: str) -> None:
    with credentials_transaction(target) as conn:
        if conn.execute(delete(api_keys).where(api_keys.c.api_key == api_key)).rowcount == 0:
            raise NotFound(f"no API key {api_key!r}")


def _keys_query() -> Any:
    return select(api_keys, workspaces.c.name.label("workspace_name")).join(
        workspaces, workspaces.c.id == api_keys.c.workspace_id
    )


def _key_from(row: Any) -> ApiKey:
    return ApiKey(
        row.api_key,
        box_from_env().reveal(row.secret, api_key_context(row.api_key)),
        row.workspace_name,
        row.enabled,
        tuple(row.allow_ips.split()),
        row.created_us,
        row.require_body_signature,
        row.previous_secret_until_us,
    )


def key_row(conn: Connection, api_key: str) -> ApiKey:
    row = conn.execute(_keys_query().where(api_keys.c.api_key == api_key)).one_or_none()
    if row is None:
        raise NotFound(f"no API key {api_key!r}")
    return _key_from(row)


def key_workspace_id(conn: Connection, api_key: str) -> int | None:
    return conn.execute(
        select(api_keys.c.workspace_id).where(api_keys.c.api_key == api_key)
    ).scalar_one_or_none()


def get_key(target: Target, api_key: str) -> ApiKey:
    with reading(target) as conn:
        return key_row(conn, api_key)


def list_keys(
    target: Target,
    workspace: str | None = None,
    after: str | None = None,
    limit: int | None = None,
) -> list[ApiKey]:
    query = _keys_query()
    if limit is None:
        query = query.order_by(workspaces.c.name, api_keys.c.created_us, api_keys.c.api_key)
    else:  # paged: one order a cursor can resume
        query = query.order_by(api_keys.c.api_key).limit(limit)
    if after is not None:
        query = query.where(api_keys.c.api_key > after)
    with reading(target) as conn:
        if workspace is not None:
            ws = workspace_row(conn, workspace)
            query = query.where(api_keys.c.workspace_id == ws.id)
        rows = conn.execute(query).all()
    return [_key_from(r) for r in rows]


CREDENTIALS_SQL = (
    "SELECT k.api_key, k.secret, k.enabled, k.allow_ips, k.workspace_id, w.enabled, "
    "w.records_revision, k.require_body_signature, k.previous_secret, "
    "k.previous_secret_until_us "
    f"FROM {api_keys.name} k JOIN {workspaces.name} w ON w.id = k.workspace_id "
    "WHERE k.api_key = ?"
)


def lookup_credentials(conn: Connection, api_key: str) -> KeyCredentials | None:
    """One indexed lookup per API request, on the driver directly (see driver_rows)."""
    return credentials_from_rows(driver_rows(conn, CREDENTIALS_SQL, (api_key,)))


def credentials_from_rows(rows: Sequence[Sequence[Any]]) -> KeyCredentials | None:
    """The credentials in CREDENTIALS_SQL's answer, whichever driver ran it: the API's raw
    readers (callrec.api.vendor.read_sqlite, read_postgres) come through here too."""
    if not rows:
        return None
    row = rows[0]
    (key, stored, key_enabled, allow_ips, workspace_id, workspace_enabled, revision, body_sig,
     previous, previous_until) = row  # fmt: skip
    box = box_from_env()
    return KeyCredentials(
        api_key=key,
        secret=box.reveal(stored, api_key_context(key)),
        key_enabled=bool(key_enabled),
        allow_ips=_networks(allow_ips),
        workspace_id=workspace_id,
        workspace_enabled=bool(workspace_enabled),
        records_revision=revision,
        require_body_signature=bool(body_sig),
        previous_secret=box.reveal(previous, api_key_context(key)) if previous else None,
        previous_secret_until_us=previous_until or 0,
    )


def add_number(
    target: Target,
    number: str,
    workspace: str,
    app_id: str | None = None,
    number_type: str | None = None,
    rental: Rental | None = None,
) -> Number:
    digits = numbers_rules.normalise_digits(number)
    number_type = numbers_rules.check_number_type(number_type)
    app_id = numbers_rules.check_app_id(app_id)
    try:
        with transaction(target) as conn:
            ws = workspace_row(conn, workspace)
            _refuse_owned(conn, digits)
            conn.execute(
                insert(numbers).values(
                    number=digits,
                    workspace_id=ws.id,
                    app_id=app_id,
                    type=number_type,
                    created_us=now_micros(),
                    **numbers_rules.rental_values(rental or Rental()),
                )
            )
    except IntegrityError as exc:  # added meanwhile by another writer
        with reading(target.engine) as conn:
            _refuse_owned(conn, digits)
        raise AlreadyExists(f"number {digits} is already in the inventory") from exc
    return Number(digits, ws.name, app_id, number_type)


def list_numbers(target: Target, workspace: str | None = None) -> list[Number]:
    """Who owns which number (callrec.store.numbers.list_numbers has all their settings)."""
    found = numbers_rules.list_numbers(target, numbers_rules.NumberFilter(workspace))
    return [Number(n.number, n.workspace, n.app_id, n.type) for n in found]


def _refuse_owned(conn: Connection, digits: str) -> None:
    # Name the owner: an operator sees only the workspaces of the CLI in front of them.
    owner = conn.execute(
        select(workspaces.c.name)
        .join(numbers, numbers.c.workspace_id == workspaces.c.id)
        .where(numbers.c.number == digits)
    ).scalar_one_or_none()
    if owner is not None:
        raise AlreadyExists(f"number {digits} is already in the inventory of workspace {owner!r}")


def workspace_holds_records(conn: Connection, workspace_id: int) -> bool:
    return bool(
        conn.execute(
            select(exists().where(call_record_ids.c.workspace_id == workspace_id))
        ).scalar()
    )


@dataclass(frozen=True, slots=True)
class NumberOwner:
    """Who owns a number, with what the router and rater need about them."""

    number: str
    workspace_id: int
    app_id: str | None
    type: str | None
    currency: str


# Once per ingest batch with every party of the batch (thousands of mostly unowned numbers):
# plain SQL on the driver, as SQLAlchemy's expansion of an IN-list of that size costs more
# than the lookup.
_OWNERS_SQL = (
    "SELECT n.number, n.workspace_id, n.app_id, n.type, w.currency "
    "FROM numbers AS n JOIN workspaces AS w ON w.id = n.workspace_id WHERE n.number "
)


def owners_of(conn: Connection, digits: set[str]) -> dict[str, NumberOwner]:
    found: dict[str, NumberOwner] = {}
    for chunk in chunks_for(conn, sorted(digits)):
        if conn.dialect.name == "postgresql":
            rows = driver_rows(conn, _OWNERS_SQL + "= ANY(?)", (chunk,))
        else:
            rows = driver_rows(
                conn, f"{_OWNERS_SQL}IN ({', '.join('?' * len(chunk))})", tuple(chunk)
            )
        for number, workspace_id, app_id, kind, currency in rows:
            found[number] = NumberOwner(number, workspace_id, app_id, kind, currency)
    return found
