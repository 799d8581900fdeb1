"""Workspaces, API keys and the numbers inventory."""

from __future__ import annotations

import ipaddress
import re
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from callrec.settings import IPNetwork
from callrec.store import numbers as numbers_rules
from callrec.store.change_notices import account_change
from callrec.store.dialect import chunks_for, driver_rows, is_one_of
from callrec.store.errors import AlreadyExists, InvalidValue, NotFound
from callrec.store.numbers import Rental
from callrec.store.schema import api_keys, numbers, workspaces
from callrec.store.secret_box import api_key_context, box_from_env
from callrec.wire.times import now_micros

MAX_WORKSPACE_NAME = 200  # workspaces.name
_ALPHANUMERIC = string.ascii_letters + string.digits
_CURRENCY = re.compile(r"[A-Z]{3}")


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


@dataclass(frozen=True, slots=True)
class Number:
    number: str
    workspace: str
    app_id: str | None
    type: str | None


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


def _networks(text: str) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in text.split())


def normalise_currency(code: str) -> str:
    upper = code.strip().upper()
    if not _CURRENCY.fullmatch(upper):
        raise InvalidValue(f"currency {code!r} is not a three-letter ISO 4217 code")
    return upper


def normalise_time_zone(name: str) -> str:
    name = name.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidValue(
            f"time zone {name!r} is not an IANA time zone name (e.g. UTC, Asia/Kolkata)"
        ) from exc
    return name


def create_workspace(
    engine: Engine, name: str, currency: str = "USD", time_zone: str = "UTC"
) -> Workspace:
    name = name.strip()
    if not name:
        raise InvalidValue("a workspace needs a name")
    if len(name) > MAX_WORKSPACE_NAME:  # the column's size: the same refusal on every backend
        raise InvalidValue(f"a workspace name has at most {MAX_WORKSPACE_NAME} characters")
    currency = normalise_currency(currency)
    time_zone = normalise_time_zone(time_zone)
    created = now_micros()
    try:
        with engine.begin() as conn:
            result = conn.execute(
                insert(workspaces)
                .values(
                    name=name,
                    enabled=True,
                    currency=currency,
                    created_us=created,
                    time_zone=time_zone,
                )
                .returning(workspaces.c.id)
            )
            workspace_id = result.scalar_one()
    except IntegrityError as exc:
        raise AlreadyExists(f"workspace {name!r} already exists") from exc
    return Workspace(workspace_id, name, True, currency, created, time_zone)


def _workspace(conn: Connection, name: str) -> Workspace:
    row = conn.execute(select(workspaces).where(workspaces.c.name == name)).one_or_none()
    if row is None:
        raise NotFound(f"no workspace named {name!r}")
    return Workspace(row.id, row.name, row.enabled, row.currency, row.created_us, row.time_zone)


def get_workspace(engine: Engine, name: str) -> Workspace:
    with engine.connect() as conn:
        return _workspace(conn, name)


def list_workspaces(engine: Engine) -> list[Workspace]:
    with engine.connect() as conn:
        rows = conn.execute(select(workspaces).order_by(workspaces.c.name)).all()
    return [Workspace(r.id, r.name, r.enabled, r.currency, r.created_us, r.time_zone) for r in rows]


def set_workspace_enabled(engine: Engine, name: str, enabled: bool) -> None:
    with account_change(engine) as announce, engine.begin() as conn:
        result = conn.execute(
            update(workspaces).where(workspaces.c.name == name).values(enabled=enabled)
        )
        if result.rowcount == 0:
            raise NotFound(f"no workspace named {name!r}")
        announce(conn)


def _normalise_cidrs(cidrs: list[str]) -> tuple[str, ...]:
    normalised = []
    for cidr in cidrs:
        try:
            normalised.append(str(ipaddress.ip_network(cidr.strip(), strict=False)))
        except ValueError as exc:
            raise InvalidValue(f"--allow-ip {cidr!r} is not an IP address or CIDR") from exc
    return tuple(normalised)


def create_key(
    engine: Engine,
    workspace: str,
    allow_ips: list[str] | None = None,
    api_key: str | None = None,
    secret: str | None = None,
    require_body_signature: bool = False,
) -> ApiKey:
    """Create a key; the public name looks like the vendor's (8 alphanumerics)."""
    cidrs = _normalise_cidrs(allow_ips or [])
    secret = secret or secrets.token_hex(16)
    box = box_from_env()
    created = now_micros()
    with engine.begin() as conn:
        ws = _workspace(conn, workspace)
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


def set_key_enabled(engine: Engine, api_key: str, enabled: bool) -> None:
    with account_change(engine) as announce, engine.begin() as conn:
        result = conn.execute(
            update(api_keys).where(api_keys.c.api_key == api_key).values(enabled=enabled)
        )
        if result.rowcount == 0:
            raise NotFound(f"no API key {api_key!r}")
        announce(conn)


def set_key_requires_body_signature(engine: Engine, api_key: str, required: bool) -> None:
    with account_change(engine) as announce, engine.begin() as conn:
        result = conn.execute(
            update(api_keys)
            .where(api_keys.c.api_key == api_key)
            .values(require_body_signature=required)
        )
        if result.rowcount == 0:
            raise NotFound(f"no API key {api_key!r}")
        announce(conn)


def list_keys(engine: Engine, workspace: str | None = None) -> list[ApiKey]:
    query = (
        select(api_keys, workspaces.c.name.label("workspace_name"))
        .join(workspaces, workspaces.c.id == api_keys.c.workspace_id)
        .order_by(workspaces.c.name, api_keys.c.created_us, api_keys.c.api_key)
    )
    with engine.connect() as conn:
        if workspace is not None:
            ws = _workspace(conn, workspace)
            query = query.where(api_keys.c.workspace_id == ws.id)
        rows = conn.execute(query).all()
    box = box_from_env()
    return [
        ApiKey(
            r.api_key,
            box.reveal(r.secret, api_key_context(r.api_key)),
            r.workspace_name,
            r.enabled,
            tuple(r.allow_ips.split()),
            r.created_us,
            r.require_body_signature,
        )
        for r in rows
    ]


CREDENTIALS_SQL = (
    "SELECT k.api_key, k.secret, k.enabled, k.allow_ips, k.workspace_id, w.enabled, "
    "w.records_revision, k.require_body_signature "
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
    key, stored, key_enabled, allow_ips, workspace_id, workspace_enabled, revision, body_sig = row
    return KeyCredentials(
        api_key=key,
        secret=box_from_env().reveal(stored, api_key_context(key)),
        key_enabled=bool(key_enabled),
        allow_ips=_networks(allow_ips),
        workspace_id=workspace_id,
        workspace_enabled=bool(workspace_enabled),
        records_revision=revision,
        require_body_signature=bool(body_sig),
    )


def add_number(
    engine: Engine,
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
        with engine.begin() as conn:
            ws = _workspace(conn, workspace)
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
    except IntegrityError as exc:
        # Name the owner: an operator sees only the workspaces of the CLI in front of them.
        owner = _number_owner_name(engine, digits)
        where = f" of workspace {owner!r}" if owner else ""
        raise AlreadyExists(f"number {digits} is already in the inventory{where}") from exc
    return Number(digits, ws.name, app_id, number_type)


def _number_owner_name(engine: Engine, digits: str) -> str | None:
    query = (
        select(workspaces.c.name)
        .join(numbers, numbers.c.workspace_id == workspaces.c.id)
        .where(numbers.c.number == digits)
    )
    with engine.connect() as conn:
        return conn.execute(query).scalar_one_or_none()


def list_numbers(engine: Engine, workspace: str | None = None) -> list[Number]:
    query = (
        select(numbers, workspaces.c.name.label("workspace_name"))
        .join(workspaces, workspaces.c.id == numbers.c.workspace_id)
        .order_by(numbers.c.number)
    )
    with engine.connect() as conn:
        if workspace is not None:
            query = query.where(numbers.c.workspace_id == _workspace(conn, workspace).id)
        rows = conn.execute(query).all()
    return [Number(r.number, r.workspace_name, r.app_id, r.type) for r in rows]


@dataclass(frozen=True, slots=True)
class NumberOwner:
    """Who owns a number, with what the router and rater need about them."""

    number: str
    workspace_id: int
    app_id: str | None
    type: str | None
    currency: str


def owners_of(conn: Connection, digits: set[str]) -> dict[str, NumberOwner]:
    found: dict[str, NumberOwner] = {}
    for chunk in chunks_for(conn, sorted(digits)):
        rows = conn.execute(
            select(
                numbers.c.number,
                numbers.c.workspace_id,
                numbers.c.app_id,
                numbers.c.type,
                workspaces.c.currency,
            )
            .join(workspaces, workspaces.c.id == numbers.c.workspace_id)
            .where(is_one_of(conn, numbers.c.number, chunk))
        ).all()
        for r in rows:
            found[r.number] = NumberOwner(r.number, r.workspace_id, r.app_id, r.type, r.currency)
    return found
