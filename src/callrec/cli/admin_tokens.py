"""``callrec admin token``: tokens for the admin API (docs/admin-api.md)."""

from __future__ import annotations

import typer
from rich.table import Table

from callrec.cli.common import JSON_OPTION, database, out, print_json
from callrec.operations import tokens
from callrec.operations.actor import CLI
from callrec.store.admin_tokens import list_tokens, token_to_dict

app = typer.Typer(rich_markup_mode=None, help="The admin API.", no_args_is_help=True)
token_app = typer.Typer(rich_markup_mode=None, help="Admin API tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")


@token_app.command("create")
def token_create(
    name: str,
    workspace: str | None = typer.Option(
        None, "--workspace", help="Limit the token to this workspace (default: every one)."
    ),
    read_only: bool = typer.Option(False, "--read-only", help="The token changes nothing."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a token; it is shown once here and stored only as a hash."""
    with database() as engine:
        token, plain = tokens.create_token(engine, CLI, name, workspace, read_only)
    if as_json:
        print_json({"token": plain, "name": token.name, "scope": token.scope})
        return
    out.print(f"token: {plain}", markup=False)
    out.print(f"name:  {token.name}", markup=False)
    out.print(f"scope: {token.scope}", markup=False)


@token_app.command("list")
def token_list(as_json: bool = JSON_OPTION) -> None:
    """List tokens (never the tokens themselves)."""
    with database() as engine:
        found = list_tokens(engine)
    if as_json:
        print_json([token_to_dict(t) for t in found])
        return
    table = Table("name", "scope", "created", "revoked")
    for t in found:
        shown = token_to_dict(t)
        table.add_row(t.name, t.scope, shown["createdAt"], shown["revokedAt"] or "-")
    out.print(table)


@token_app.command("revoke")
def token_revoke(name: str) -> None:
    """Revoke a token: its next request gets 401."""
    with database() as engine:
        tokens.revoke_token(engine, CLI, name)
    out.print(f"admin token {name} revoked", markup=False)
