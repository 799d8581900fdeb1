"""``callrec workspace``: create, list, rename, change, enable/disable and delete workspaces."""

from __future__ import annotations

import typer
from rich.table import Table

from callrec.cli.common import JSON_OPTION, database, out, print_json
from callrec.operations import workspaces
from callrec.operations.actor import CLI
from callrec.store.accounts import workspace_to_dict

app = typer.Typer(rich_markup_mode=None, help="Workspaces (tenants).", no_args_is_help=True)


@app.command("create")
def workspace_create(
    name: str,
    currency: str = typer.Option("USD", help="Quote currency (ISO 4217)."),
    tz: str = typer.Option("UTC", "--tz", help="IANA time zone of pushed records' times."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a workspace."""
    with database() as engine:
        ws = workspaces.create_workspace(engine, CLI, name, currency, tz)
    if as_json:
        print_json(workspace_to_dict(ws))
    else:
        zone = "" if ws.time_zone == "UTC" else f", time zone {ws.time_zone}"
        out.print(f"created workspace {ws.name} (quote currency {ws.currency}{zone})", markup=False)


@app.command("disable")
def workspace_disable(name: str) -> None:
    """Disable a workspace: its keys get -29 until it is enabled again."""
    with database() as engine:
        workspaces.update_workspace(engine, CLI, name, enabled=False)
    out.print(f"workspace {name} disabled", markup=False)


@app.command("enable")
def workspace_enable(name: str) -> None:
    """Enable a workspace."""
    with database() as engine:
        workspaces.update_workspace(engine, CLI, name, enabled=True)
    out.print(f"workspace {name} enabled", markup=False)


@app.command("rename")
def workspace_rename(name: str, new_name: str, as_json: bool = JSON_OPTION) -> None:
    """Rename a workspace; its keys, numbers and records stay with it."""
    with database() as engine:
        ws = workspaces.update_workspace(engine, CLI, name, new_name=new_name)
    if as_json:
        print_json(workspace_to_dict(ws))
    else:
        out.print(f"workspace {name} renamed to {ws.name}", markup=False)


@app.command("set")
def workspace_set(
    name: str,
    currency: str | None = typer.Option(None, help="Quote currency (ISO 4217)."),
    tz: str | None = typer.Option(None, "--tz", help="IANA time zone of pushed records' times."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Change a workspace's quote currency or time zone."""
    with database() as engine:
        ws = workspaces.update_workspace(engine, CLI, name, currency=currency, time_zone=tz)
    if as_json:
        print_json(workspace_to_dict(ws))
    else:
        out.print(
            f"workspace {ws.name}: quote currency {ws.currency}, time zone {ws.time_zone}",
            markup=False,
        )


@app.command("delete")
def workspace_delete(
    name: str,
    purge: bool = typer.Option(
        False, "--purge", help="Also delete its call records (in batches); refused without."
    ),
) -> None:
    """Delete a workspace with its keys, numbers, rate deck and push target."""
    with database() as engine:
        purged = workspaces.delete_workspace(engine, CLI, name, purge)
    suffix = f" and {purged} call records" if purge else ""
    out.print(f"deleted workspace {name}{suffix}", markup=False)


@app.command("list")
def workspace_list(as_json: bool = JSON_OPTION) -> None:
    """List workspaces."""
    with database() as engine:
        rows = workspaces.list_workspaces(engine, CLI)
    if as_json:
        print_json([workspace_to_dict(ws) for ws in rows])
        return
    table = Table("name", "enabled", "currency", "created", "time zone")
    for ws in rows:
        shown = workspace_to_dict(ws)
        table.add_row(
            ws.name, "yes" if ws.enabled else "no", ws.currency, shown["createdAt"], ws.time_zone
        )
    out.print(table)
