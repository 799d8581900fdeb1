"""``callrec key``: create, list, change, rotate and delete API keys."""

from __future__ import annotations

import typer
from rich.table import Table

from callrec.cli.common import JSON_OPTION, database, fail, out, print_json
from callrec.operations import keys
from callrec.operations.actor import CLI
from callrec.store.accounts import ApiKey, key_to_dict

app = typer.Typer(rich_markup_mode=None, help="API keys.", no_args_is_help=True)

BODY_SIGNATURE_OPTION = typer.Option(
    False,
    "--require-body-signature",
    help="Requests must also carry X-Callrec-Signature, an HMAC over the body (docs/api.md).",
)
APIKEY = typer.Argument(..., metavar="APIKEY")


def _print_secret(key: ApiKey) -> None:
    out.print(f"API key:    {key.api_key}", markup=False)
    out.print(f"API secret: {key.secret}", markup=False)
    out.print(f"workspace:  {key.workspace}", markup=False)


@app.command("create")
def key_create(
    workspace: str = typer.Option(..., "--workspace", help="The workspace the key belongs to."),
    allow_ip: list[str] = typer.Option(
        [], "--allow-ip", help="Allowed caller CIDR (IPv4 or IPv6); repeat for more. None: any."
    ),
    require_body_signature: bool = BODY_SIGNATURE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Create an API key; the secret is shown once here."""
    with database() as engine:
        key = keys.create_key(engine, CLI, workspace, allow_ip, require_body_signature)
    if as_json:
        print_json({"apiKey": key.api_key, "apiSecret": key.secret, "workspace": key.workspace})
        return
    _print_secret(key)
    if key.allow_ips:
        out.print(f"allowed:    {' '.join(key.allow_ips)}", markup=False)
    if key.require_body_signature:
        out.print("requires:   X-Callrec-Signature (docs/api.md)", markup=False)


@app.command("disable")
def key_disable(api_key: str = APIKEY) -> None:
    """Disable a key: requests signed with it get -30."""
    with database() as engine:
        keys.set_key_enabled(engine, CLI, api_key, False)
    out.print(f"API key {api_key} disabled", markup=False)


@app.command("enable")
def key_enable(api_key: str = APIKEY) -> None:
    """Enable a key."""
    with database() as engine:
        keys.set_key_enabled(engine, CLI, api_key, True)
    out.print(f"API key {api_key} enabled", markup=False)


@app.command("set")
def key_set(
    api_key: str = APIKEY,
    require_body_signature: bool | None = typer.Option(
        None,
        "--require-body-signature/--no-require-body-signature",
        help="Require (or stop requiring) the X-Callrec-Signature body HMAC on every request.",
    ),
    allow_ip: list[str] = typer.Option(
        [], "--allow-ip", help="Replace the whitelist with these CIDRs; repeat for more."
    ),
    any_ip: bool = typer.Option(False, "--any-ip", help="Clear the whitelist: any address."),
) -> None:
    """Change a key's options: body signature, IP whitelist."""
    if allow_ip and any_ip:
        fail("give --allow-ip or --any-ip, not both")
    if require_body_signature is None and not allow_ip and not any_ip:
        fail("nothing to change: give --require-body-signature, --allow-ip or --any-ip")
    with database() as engine:
        if require_body_signature is not None:
            keys.set_key_requires_body_signature(engine, CLI, api_key, require_body_signature)
            state = "requires" if require_body_signature else "no longer requires"
            out.print(f"API key {api_key} {state} X-Callrec-Signature", markup=False)
        if allow_ip or any_ip:
            key = keys.set_key_allow_ips(engine, CLI, api_key, allow_ip)
            allowed = " ".join(key.allow_ips) or "any address"
            out.print(f"API key {api_key} allows {allowed}", markup=False)


@app.command("rotate")
def key_rotate(
    api_key: str = APIKEY,
    grace: int = typer.Option(
        0, "--grace", min=0, help="Seconds the old secret keeps working (default 0: none)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Give a key a new secret, shown once here."""
    with database() as engine:
        key = keys.rotate_key(engine, CLI, api_key, grace)
    if as_json:
        print_json(key_to_dict(key, with_secret=True))
        return
    _print_secret(key)
    if key.previous_secret_until_us is not None:
        until = key_to_dict(key)["previousSecretValidUntil"]
        out.print(f"old secret: works until {until}", markup=False)


@app.command("delete")
def key_delete(api_key: str = APIKEY) -> None:
    """Delete a key: requests signed with it get -1 from now on."""
    with database() as engine:
        keys.delete_key(engine, CLI, api_key)
    out.print(f"API key {api_key} deleted", markup=False)


@app.command("list")
def key_list(
    workspace: str | None = typer.Option(None, "--workspace", help="Only this workspace's keys."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List keys (secrets are not shown)."""
    with database() as engine:
        found = keys.list_keys(engine, CLI, workspace)
    if as_json:
        print_json([key_to_dict(k) for k in found])
        return
    table = Table("apiKey", "workspace", "enabled", "allowed IPs", "body signature", "created")
    for k in found:
        table.add_row(
            k.api_key,
            k.workspace,
            "yes" if k.enabled else "no",
            " ".join(k.allow_ips) or "any",
            "required" if k.require_body_signature else "-",
            key_to_dict(k)["createdAt"],
        )
    out.print(table)
