"""``callrec workspace`` and ``callrec key`` (``callrec number`` is cli/numbers.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import typer
from rich.table import Table
from sqlalchemy.engine import Engine

from callrec.cli.common import database, out, print_json
from callrec.store import accounts
from callrec.wire.times import datetime_from_micros

workspace_app = typer.Typer(help="Workspaces (tenants).", no_args_is_help=True)
key_app = typer.Typer(help="API keys.", no_args_is_help=True)

T = TypeVar("T")
JSON_OPTION = typer.Option(False, "--json", help="Print JSON instead of text.")
BODY_SIGNATURE_OPTION = typer.Option(
    False,
    "--require-body-signature",
    help="Requests must also carry X-Callrec-Signature, an HMAC over the body (docs/api.md).",
)


def _run(action: Callable[[Engine], T]) -> T:
    with database() as target:
        return action(target)


def _created(micros: int) -> str:
    return datetime_from_micros(micros).isoformat(timespec="seconds")


def _workspace_json(ws: accounts.Workspace) -> dict[str, object]:
    return {
        "name": ws.name,
        "enabled": ws.enabled,
        "currency": ws.currency,
        "timeZone": ws.time_zone,
        "created": _created(ws.created_us),
    }


@workspace_app.command("create")
def workspace_create(
    name: str,
    currency: str = typer.Option("USD", help="Quote currency (ISO 4217)."),
    tz: str = typer.Option("UTC", "--tz", help="IANA time zone of pushed records' times."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a workspace."""
    ws = _run(lambda e: accounts.create_workspace(e, name, currency, tz))
    if as_json:
        print_json(_workspace_json(ws))
    else:
        zone = "" if ws.time_zone == "UTC" else f", time zone {ws.time_zone}"
        out.print(f"created workspace {ws.name} (quote currency {ws.currency}{zone})", markup=False)


@workspace_app.command("disable")
def workspace_disable(name: str) -> None:
    """Disable a workspace: its keys get -29 until it is enabled again."""
    _run(lambda e: accounts.set_workspace_enabled(e, name, False))
    out.print(f"workspace {name} disabled", markup=False)


@workspace_app.command("enable")
def workspace_enable(name: str) -> None:
    """Enable a workspace."""
    _run(lambda e: accounts.set_workspace_enabled(e, name, True))
    out.print(f"workspace {name} enabled", markup=False)


@workspace_app.command("list")
def workspace_list(as_json: bool = JSON_OPTION) -> None:
    """List workspaces."""
    rows = _run(accounts.list_workspaces)
    if as_json:
        print_json([_workspace_json(ws) for ws in rows])
        return
    table = Table("name", "enabled", "currency", "created", "time zone")
    for ws in rows:
        table.add_row(
            ws.name,
            "yes" if ws.enabled else "no",
            ws.currency,
            _created(ws.created_us),
            ws.time_zone,
        )
    out.print(table)


def _key_json(key: accounts.ApiKey, with_secret: bool) -> dict[str, object]:
    value: dict[str, object] = {"apiKey": key.api_key}
    if with_secret:
        value["apiSecret"] = key.secret
    value.update(
        {
            "workspace": key.workspace,
            "enabled": key.enabled,
            "allowIps": list(key.allow_ips),
            "requireBodySignature": key.require_body_signature,
            "created": _created(key.created_us),
        }
    )
    return value


@key_app.command("create")
def key_create(
    workspace: str = typer.Option(..., "--workspace", help="The workspace the key belongs to."),
    allow_ip: list[str] = typer.Option(
        [], "--allow-ip", help="Allowed caller CIDR (IPv4 or IPv6); repeat for more. None: any."
    ),
    require_body_signature: bool = BODY_SIGNATURE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Create an API key; the secret is shown once here."""
    key = _run(
        lambda e: accounts.create_key(
            e, workspace, allow_ip, require_body_signature=require_body_signature
        )
    )
    if as_json:
        print_json({"apiKey": key.api_key, "apiSecret": key.secret, "workspace": key.workspace})
        return
    out.print(f"API key:    {key.api_key}", markup=False)
    out.print(f"API secret: {key.secret}", markup=False)
    out.print(f"workspace:  {key.workspace}", markup=False)
    if key.allow_ips:
        out.print(f"allowed:    {' '.join(key.allow_ips)}", markup=False)
    if key.require_body_signature:
        out.print("requires:   X-Callrec-Signature (docs/api.md)", markup=False)


@key_app.command("disable")
def key_disable(api_key: str = typer.Argument(..., metavar="APIKEY")) -> None:
    """Disable a key: requests signed with it get -30."""
    _run(lambda e: accounts.set_key_enabled(e, api_key, False))
    out.print(f"API key {api_key} disabled", markup=False)


@key_app.command("enable")
def key_enable(api_key: str = typer.Argument(..., metavar="APIKEY")) -> None:
    """Enable a key."""
    _run(lambda e: accounts.set_key_enabled(e, api_key, True))
    out.print(f"API key {api_key} enabled", markup=False)


@key_app.command("set")
def key_set(
    api_key: str = typer.Argument(..., metavar="APIKEY"),
    require_body_signature: bool = typer.Option(
        ...,
        "--require-body-signature/--no-require-body-signature",
        help="Require (or stop requiring) the X-Callrec-Signature body HMAC on every request.",
    ),
) -> None:
    """Change a key's options."""
    _run(lambda e: accounts.set_key_requires_body_signature(e, api_key, require_body_signature))
    state = "requires" if require_body_signature else "no longer requires"
    out.print(f"API key {api_key} {state} X-Callrec-Signature", markup=False)


@key_app.command("list")
def key_list(
    workspace: str | None = typer.Option(None, "--workspace", help="Only this workspace's keys."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List keys (secrets are not shown)."""
    keys = _run(lambda e: accounts.list_keys(e, workspace))
    if as_json:
        print_json([_key_json(k, with_secret=False) for k in keys])
        return
    table = Table("apiKey", "workspace", "enabled", "allowed IPs", "body signature", "created")
    for k in keys:
        table.add_row(
            k.api_key,
            k.workspace,
            "yes" if k.enabled else "no",
            " ".join(k.allow_ips) or "any",
            "required" if k.require_body_signature else "-",
            _created(k.created_us),
        )
    out.print(table)
