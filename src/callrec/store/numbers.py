"""The number inventory's rental and routing settings, and the rules every face shares.

What a number's fields may hold (the customer's routing through ``/v3/number/edit``, the
operator's rental through ``callrec number``) and how its ``state`` follows from them are
decided here once; the vendor API, the CLI and the switch endpoint only translate.
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection, Engine

from callrec.phone import NumberFormatError, normalise_number
from callrec.store.dialect import Target, is_sqlite, reading, transaction
from callrec.store.errors import InvalidValue, NotFound
from callrec.store.greetings import GreetingStore, decode_greeting
from callrec.store.schema import ingest_sources, numbers, workspaces
from callrec.wire.numbers import UNCHANGED, NumberEditBody, Unchanged

# state, as the vendor's number API spells it
IN_USE = 3
EXPIRED = 4
DISABLED = 5

MAX_IP_LIST = 50  # outIp, inIp
MAX_PREFIX = 32  # inboundPrefix
MAX_REMARK = 50
MAX_HANGUP_SECONDS = 999
_PREFIX = re.compile(r"[0-9+*#]*")
_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


@dataclass(frozen=True, slots=True)
class Rental:
    """The operator's side of a number. ``UNCHANGED`` leaves a field as it is on update."""

    due_date: date | Unchanged | None = UNCHANGED
    auto_renew: bool | Unchanged = UNCHANGED
    disabled: bool | Unchanged = UNCHANGED


@dataclass(frozen=True, slots=True)
class NumberSettings:
    """A number with everything the number API shows about it."""

    number: str
    workspace_id: int
    workspace: str
    time_zone: str
    app_id: str | None
    type: str | None
    due_date: date | None
    auto_renew: bool
    disabled: bool
    out_ip: str
    in_ip: str
    inbound_prefix: str
    remark: str
    enable_voicemail: bool
    voicemail_file_id: str | None
    voicemail_file_name: str | None
    voicemail_max_hangup: int | None

    def state(self, now_seconds: float) -> int:
        return number_state(
            self.disabled, self.due_date, self.auto_renew, today_in(self.time_zone, now_seconds)
        )


def settings_to_dict(number: NumberSettings, now_seconds: float) -> dict[str, Any]:
    """The operator's view of a number (CLI ``--json``; the admin API's number resource)."""
    return {
        "number": number.number,
        "workspace": number.workspace,
        "appId": number.app_id,
        "type": number.type,
        "dueDate": number.due_date.isoformat() if number.due_date else None,
        "autoRenew": number.auto_renew,
        "disabled": number.disabled,
        "state": number.state(now_seconds),
        "outIp": number.out_ip,
        "inIp": number.in_ip,
        "inboundPrefix": number.inbound_prefix,
        "remark": number.remark,
        "enableVoicemail": number.enable_voicemail,
        "voicemailFileId": number.voicemail_file_id,
        "voicemailFileName": number.voicemail_file_name,
        "voicemailMaxHangup": number.voicemail_max_hangup,
    }


def number_to_dict(number: NumberSettings) -> dict[str, Any]:
    """``settings_to_dict`` now: the CLI's, the admin API's and the audit log's shape."""
    return settings_to_dict(number, time.time())


STATE_NAMES = {IN_USE: "in use", EXPIRED: "expired", DISABLED: "disabled"}


def today_in(time_zone: str, now_seconds: float) -> date:
    return datetime.fromtimestamp(now_seconds, ZoneInfo(time_zone)).date()


def number_state(disabled: bool, due_date: date | None, auto_renew: bool, today: date) -> int:
    """``5`` disabled by the operator; else ``4`` once the due date is past (the workspace's
    today) without auto-renew; else ``3``. A renewing number stays ``3`` until billing, which
    is out of scope, moves its due date."""
    if disabled:
        return DISABLED
    if due_date is not None and due_date < today and not auto_renew:
        return EXPIRED
    return IN_USE


def parse_due_date(text: str) -> date | None:
    """``YYYY-MM-DD``, or ``""`` for no due date (the rental never expires)."""
    text = text.strip()
    if not text:
        return None
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidValue(f"{text!r} is not a date in the form YYYY-MM-DD", "dueDate") from exc


# The operator's fields

NUMBER_TYPES = ("MOBILE", "FIXED")
MAX_APP_ID = 64  # numbers.app_id


def normalise_digits(number: str, field: str = "number") -> str:
    try:
        return normalise_number(number)
    except NumberFormatError as exc:
        raise InvalidValue(str(exc), field) from exc


def check_number_type(number_type: str | None) -> str | None:
    if number_type is None:
        return None
    upper = number_type.upper()
    if upper not in NUMBER_TYPES:
        raise InvalidValue(f"must be MOBILE or FIXED, got {upper!r}", "type")
    return upper


def check_app_id(app_id: str | None) -> str | None:
    if app_id is not None and len(app_id) > MAX_APP_ID:
        raise InvalidValue(f"has at most {MAX_APP_ID} characters", "appId")
    return app_id


# The customer's routing fields


def check_out_ip(value: str) -> str:
    if len(value) > MAX_IP_LIST:
        raise InvalidValue(f"has at most {MAX_IP_LIST} characters", "outIp")
    if value:
        for item in value.split(","):
            try:
                ipaddress.ip_address(item)
            except ValueError as exc:
                raise InvalidValue(
                    f"{item!r} is not an IPv4 or IPv6 address (comma-separated, no spaces)",
                    "outIp",
                ) from exc
    return value


def _is_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.removesuffix(".").split(".")
    return len(host) <= 253 and all(_HOST_LABEL.fullmatch(label) for label in labels)


def _is_port(port: str) -> bool:
    return port.isascii() and port.isdigit() and 1 <= int(port) <= 65535 and len(port) <= 5


def check_in_ip(value: str) -> str:
    """``host:port`` or ``host``: an IPv4 address or a DNS name, or IPv6 (``[v6]:port``)."""
    if len(value) > MAX_IP_LIST:
        raise InvalidValue(f"has at most {MAX_IP_LIST} characters", "inIp")
    if not value:
        return value
    if value.startswith("["):
        host, bracket, port = value[1:].partition("]")
        ok = (
            bool(bracket)
            and _is_v6(host)
            and (port == "" or (port[:1] == ":" and _is_port(port[1:])))
        )
    elif value.count(":") > 1:
        ok = _is_v6(value)
    else:
        host, colon, port = value.partition(":")
        ok = _is_host(host) and (not colon or _is_port(port))
    if not ok:
        raise InvalidValue(
            f"{value!r} is not host:port or host (an IP address or a DNS name; IPv6 as [v6]:port)",
            "inIp",
        )
    return value


def _is_v6(text: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(text), ipaddress.IPv6Address)
    except ValueError:
        return False


def check_inbound_prefix(value: str) -> str:
    if len(value) > MAX_PREFIX or not _PREFIX.fullmatch(value):
        raise InvalidValue(f"has at most {MAX_PREFIX} characters of 0-9, +, *, #", "inboundPrefix")
    return value


def check_remark(value: str) -> str:
    if len(value) > MAX_REMARK:
        raise InvalidValue(f"has at most {MAX_REMARK} characters", "remark")
    return value


def _check_voicemail(edit: NumberEditBody) -> None:
    if edit.enable_voicemail not in (0, 1):
        raise InvalidValue("must be 1 (on) or 0 (off)", "enableVoicemail")
    hangup = edit.voicemail_max_hangup
    if isinstance(hangup, int) and not 1 <= hangup <= MAX_HANGUP_SECONDS:
        raise InvalidValue(f"must be from 1 to {MAX_HANGUP_SECONDS} seconds", "voicemailMaxHangup")
    if edit.enable_voicemail == 1 and not isinstance(hangup, int):
        raise InvalidValue("is required when enableVoicemail is 1", "voicemailMaxHangup")
    name_sent = isinstance(edit.voicemail_file_name, str) and edit.voicemail_file_name != ""
    if edit.voicemail_file in (UNCHANGED, "") and name_sent:
        raise InvalidValue("is sent only with voicemailFile", "voicemailFileName")
    if edit.voicemail_file not in (UNCHANGED, "") and not name_sent:
        raise InvalidValue("is required with voicemailFile", "voicemailFileName")


def _routing_changes(edit: NumberEditBody) -> dict[str, Any]:
    """The columns the edit sets, each value checked (``InvalidValue`` names the field)."""
    changes: dict[str, Any] = {"enable_voicemail": edit.enable_voicemail == 1}
    checks = (
        ("out_ip", edit.out_ip, check_out_ip),
        ("in_ip", edit.in_ip, check_in_ip),
        ("inbound_prefix", edit.inbound_prefix, check_inbound_prefix),
        ("remark", edit.remark, check_remark),
    )
    for column, value, check in checks:
        if isinstance(value, str):
            changes[column] = check(value)
    if not isinstance(edit.voicemail_max_hangup, Unchanged):
        changes["voicemail_max_hangup"] = edit.voicemail_max_hangup
    return changes


# Called in the edit's transaction with the number before and after (the audit log's entry).
EditAudit = Callable[[Connection, NumberSettings, NumberSettings], None]


def edit_number(
    engine: Engine,
    greetings: GreetingStore,
    workspace_id: int,
    edit: NumberEditBody,
    audit: EditAudit | None = None,
) -> None:
    """Apply a customer's edit. ``NotFound`` for a number outside the workspace or a wrong
    appId (one message for both); ``InvalidValue`` naming the field for a refused value.

    A new greeting is written before the transaction and removed if it fails; the greeting it
    replaces is removed after the commit, once no number refers to it.
    """
    _check_voicemail(edit)
    changes = _routing_changes(edit)
    greeting = None
    if isinstance(edit.voicemail_file, str) and edit.voicemail_file:
        assert isinstance(edit.voicemail_file_name, str)
        greeting = decode_greeting(edit.voicemail_file, edit.voicemail_file_name)
    new_file_id = greetings.save(greeting) if greeting is not None else None
    if new_file_id is not None:
        changes.update(voicemail_file_id=new_file_id, voicemail_file_name=edit.voicemail_file_name)
    elif edit.voicemail_file == "":
        changes.update(voicemail_file_id=None, voicemail_file_name=None)
    try:
        old_file_id = _apply(engine, workspace_id, edit, changes, audit)
    except BaseException:
        if new_file_id is not None:
            greetings.delete(new_file_id)
        raise
    if old_file_id is not None and "voicemail_file_id" in changes:
        forget_greeting(engine, greetings, old_file_id)


def _apply(
    engine: Engine,
    workspace_id: int,
    edit: NumberEditBody,
    changes: dict[str, Any],
    audit: EditAudit | None,
) -> str | None:
    """Update the row; the greeting id it had before."""
    query = select(numbers.c.app_id, numbers.c.voicemail_file_id).where(
        numbers.c.number == edit.number, numbers.c.workspace_id == workspace_id
    )
    with engine.begin() as conn:
        if not is_sqlite(engine):
            query = query.with_for_update()
        row = conn.execute(query).one_or_none()
        if row is None or (row.app_id or "") != edit.app_id:
            raise NotFound("data does not exist")
        before = number_settings(conn, edit.number) if audit else None
        conn.execute(
            update(numbers)
            .where(numbers.c.number == edit.number, numbers.c.workspace_id == workspace_id)
            .values(**changes)
        )
        if audit and before:
            after = number_row(conn, edit.number)
            if after != before:
                audit(conn, before, after)
        old: str | None = row.voicemail_file_id
        return old


def forget_greeting(engine: Engine, greetings: GreetingStore, file_id: str) -> None:
    """Delete a greeting file once no number refers to it any more."""
    with engine.connect() as conn:
        referred = conn.execute(
            select(func.count()).where(numbers.c.voicemail_file_id == file_id)
        ).scalar_one()
    if not referred:
        greetings.delete(file_id)


# Reading


_SETTINGS_COLUMNS = (
    numbers.c.number,
    numbers.c.workspace_id,
    workspaces.c.name.label("workspace_name"),
    workspaces.c.time_zone,
    numbers.c.app_id,
    numbers.c.type,
    numbers.c.due_date,
    numbers.c.auto_renew,
    numbers.c.disabled,
    numbers.c.out_ip,
    numbers.c.in_ip,
    numbers.c.inbound_prefix,
    numbers.c.remark,
    numbers.c.enable_voicemail,
    numbers.c.voicemail_file_id,
    numbers.c.voicemail_file_name,
    numbers.c.voicemail_max_hangup,
)


def _settings(row: Any) -> NumberSettings:
    return NumberSettings(
        row.number,
        row.workspace_id,
        row.workspace_name,
        row.time_zone,
        row.app_id,
        row.type,
        row.due_date,
        bool(row.auto_renew),
        bool(row.disabled),
        row.out_ip,
        row.in_ip,
        row.inbound_prefix,
        row.remark,
        bool(row.enable_voicemail),
        row.voicemail_file_id,
        row.voicemail_file_name,
        row.voicemail_max_hangup,
    )


def _settings_query() -> Any:
    return select(*_SETTINGS_COLUMNS).join(workspaces, workspaces.c.id == numbers.c.workspace_id)


def page_of_numbers(
    conn: Connection, workspace_id: int, app_id: str | None, offset: int, size: int
) -> tuple[int, list[NumberSettings]]:
    """The workspace's numbers (only ``app_id``'s when given) by number, and their total."""
    where = [numbers.c.workspace_id == workspace_id]
    if app_id is not None:
        where.append(numbers.c.app_id == app_id)
    total = conn.execute(select(func.count()).select_from(numbers).where(*where)).scalar_one()
    rows = conn.execute(
        _settings_query().where(*where).order_by(numbers.c.number).offset(offset).limit(size)
    ).all()
    return total, [_settings(row) for row in rows]


def number_settings(conn: Connection, number: str) -> NumberSettings | None:
    row = conn.execute(_settings_query().where(numbers.c.number == number)).one_or_none()
    return None if row is None else _settings(row)


# A switch's lookup, per call set-up: the ingest source a token's digest names and the called
# number, in one statement on the driver (the API's readers run it on the event loop).
ROUTING_SQL = (
    "SELECT s.name, s.enabled, n.number, n.workspace_id, w.name, w.time_zone, n.app_id, n.type, "
    "n.due_date, n.auto_renew, n.disabled, n.out_ip, n.in_ip, n.inbound_prefix, n.remark, "
    "n.enable_voicemail, n.voicemail_file_id, n.voicemail_file_name, n.voicemail_max_hangup "
    f"FROM {ingest_sources.name} s LEFT JOIN {numbers.name} n ON n.number = ? "
    f"LEFT JOIN {workspaces.name} w ON w.id = n.workspace_id "
    "WHERE s.secret_sha256 = ?"
)


@dataclass(frozen=True, slots=True)
class RoutingLookup:
    """ROUTING_SQL's answer: no source (unknown token), a source (enabled or not), and the
    number when it is in the inventory."""

    source_name: str | None
    source_enabled: bool
    number: NumberSettings | None


def routing_from_rows(rows: Sequence[Sequence[Any]]) -> RoutingLookup:
    if not rows:
        return RoutingLookup(None, False, None)
    (source, enabled, number, workspace_id, workspace, zone, app_id, kind, due, renew,
     disabled, out_ip, in_ip, prefix, remark, voicemail, file_id, file_name,
     hangup) = rows[0]  # fmt: skip
    if number is None:
        return RoutingLookup(source, bool(enabled), None)
    # SQLite's driver hands back the ISO text SQLAlchemy stored; psycopg a date.
    due_date = date.fromisoformat(due) if isinstance(due, str) else due
    found = NumberSettings(
        number, workspace_id, workspace, zone, app_id, kind, due_date, bool(renew),
        bool(disabled), out_ip, in_ip, prefix, remark, bool(voicemail), file_id, file_name, hangup,
    )  # fmt: skip
    return RoutingLookup(source, bool(enabled), found)


def greeting_file_name(conn: Connection, file_id: str) -> str | None:
    """The name a stored greeting was uploaded as; None when no number refers to it."""
    found: str | None = conn.execute(
        select(numbers.c.voicemail_file_name).where(numbers.c.voicemail_file_id == file_id)
    ).scalar()
    return found


def get_number(engine: Engine, number: str) -> NumberSettings:
    digits = normalise_digits(number)
    with engine.connect() as conn:
        found = number_settings(conn, digits)
    if found is None:
        raise NotFound(f"number {digits} is not in the inventory")
    return found


# The operator's side


def rental_values(rental: Rental) -> dict[str, Any]:
    """The columns a rental sets, for an insert or an update."""
    values: dict[str, Any] = {}
    if not isinstance(rental.due_date, Unchanged):
        values["due_date"] = rental.due_date
    if not isinstance(rental.auto_renew, Unchanged):
        values["auto_renew"] = rental.auto_renew
    if not isinstance(rental.disabled, Unchanged):
        values["disabled"] = rental.disabled
    return values


def _missing(digits: str) -> NotFound:
    return NotFound(f"number {digits} is not in the inventory")


def number_row(conn: Connection, digits: str) -> NumberSettings:
    found = number_settings(conn, digits)
    if found is None:
        raise _missing(digits)
    return found


def number_workspace_id(conn: Connection, digits: str) -> int | None:
    return conn.execute(
        select(numbers.c.workspace_id).where(numbers.c.number == digits)
    ).scalar_one_or_none()


def update_number(
    target: Target,
    number: str,
    rental: Rental | None = None,
    app_id: str | Unchanged | None = UNCHANGED,
    number_type: str | Unchanged | None = UNCHANGED,
    remark: str | Unchanged = UNCHANGED,
) -> NumberSettings:
    """The operator's update of one number (``callrec number update``, the admin API's
    PATCH); records already stored keep the appId and type they had."""
    digits = normalise_digits(number)
    values = rental_values(rental or Rental())
    if not isinstance(app_id, Unchanged):
        values["app_id"] = check_app_id(app_id)
    if not isinstance(number_type, Unchanged):
        values["type"] = check_number_type(number_type)
    if not isinstance(remark, Unchanged):
        values["remark"] = check_remark(remark)
    with transaction(target) as conn:
        if values:
            result = conn.execute(
                update(numbers).where(numbers.c.number == digits).values(**values)
            )
            if result.rowcount == 0:
                raise _missing(digits)
        return number_row(conn, digits)


def _workspace_id(conn: Connection, name: str) -> int:
    found: int | None = conn.execute(
        select(workspaces.c.id).where(workspaces.c.name == name)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no workspace named {name!r}")
    return found


def move_number(target: Target, number: str, workspace: str) -> NumberSettings:
    """Give a number to another workspace; its records already stored stay where they are."""
    digits = normalise_digits(number)
    with transaction(target) as conn:
        number_row(conn, digits)
        workspace_id = _workspace_id(conn, workspace)
        conn.execute(
            update(numbers).where(numbers.c.number == digits).values(workspace_id=workspace_id)
        )
        return number_row(conn, digits)


def remove_number(target: Target, number: str) -> None:
    digits = normalise_digits(number)
    with transaction(target) as conn:
        if conn.execute(delete(numbers).where(numbers.c.number == digits)).rowcount == 0:
            raise _missing(digits)


@dataclass(frozen=True, slots=True)
class NumberFilter:
    workspace: str | None = None
    app_id: str | None = None
    type: str | None = None
    prefix: str | None = None  # leading digits of the number


def list_numbers(
    target: Target,
    where: NumberFilter | None = None,
    after: str | None = None,
    limit: int | None = None,
) -> list[NumberSettings]:
    """Numbers by number, filtered; ``after``/``limit`` page them."""
    where = where or NumberFilter()
    query = _settings_query().order_by(numbers.c.number)
    if where.app_id is not None:
        query = query.where(numbers.c.app_id == where.app_id)
    if where.type is not None:
        query = query.where(numbers.c.type == check_number_type(where.type))
    if where.prefix is not None:
        if not where.prefix.isascii() or not where.prefix.isdigit():
            raise InvalidValue("must be digits", "prefix")
        query = query.where(numbers.c.number.startswith(where.prefix))
    if after is not None:
        query = query.where(numbers.c.number > after)
    if limit is not None:
        query = query.limit(limit)
    with reading(target) as conn:
        if where.workspace is not None:
            query = query.where(numbers.c.workspace_id == _workspace_id(conn, where.workspace))
        return [_settings(row) for row in conn.execute(query).all()]
