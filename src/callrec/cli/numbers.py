"""``callrec number``: the numbers inventory: add, list, change, move, remove."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from callrec.cli.common import JSON_OPTION, database, fail, out, print_json
from callrec.operations import numbers
from callrec.operations.actor import CLI
from callrec.store.accounts import NumberFilter, number_to_dict

app = typer.Typer(help="The numbers inventory.", no_args_is_help=True)


@app.command("add")
def number_add(
    number: str,
    workspace: str = typer.Option(..., "--workspace", help="The workspace that owns it."),
    app_id: str | None = typer.Option(None, "--app-id", help="Application id (appId)."),
    number_type: str | None = typer.Option(None, "--type", help="MOBILE or FIXED."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a virtual number to a workspace's inventory."""
    with database() as engine:
        added = numbers.add_number(engine, CLI, number, workspace, app_id, number_type)
    if as_json:
        print_json(number_to_dict(added))
    else:
        out.print(f"added number {added.number} to workspace {added.workspace}", markup=False)


@app.command("set")
def number_set(
    number: str,
    app_id: str | None = typer.Option(None, "--app-id", help="Application id (appId)."),
    number_type: str | None = typer.Option(None, "--type", help="MOBILE or FIXED."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Change a number's appId or type (records already stored keep theirs)."""
    changes: dict[str, Any] = {}
    if app_id is not None:
        changes["app_id"] = app_id
    if number_type is not None:
        changes["number_type"] = number_type
    if not changes:
        fail("nothing to change: give --app-id or --type")
    with database() as engine:
        changed = numbers.update_number(engine, CLI, number, **changes)
    if as_json:
        print_json(number_to_dict(changed))
    else:
        out.print(f"number {changed.number} changed", markup=False)


@app.command("move")
def number_move(
    number: str,
    workspace: str = typer.Option(..., "--workspace", help="The workspace that gets it."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Move a number to another workspace; records already stored stay where they are."""
    with database() as engine:
        moved = numbers.move_number(engine, CLI, number, workspace)
    if as_json:
        print_json(number_to_dict(moved))
    else:
        out.print(f"number {moved.number} moved to workspace {moved.workspace}", markup=False)


@app.command("remove")
def number_remove(number: str) -> None:
    """Remove a number from the inventory; its stored records stay."""
    with database() as engine:
        numbers.remove_number(engine, CLI, number)
    out.print(f"number {number} removed", markup=False)


@app.command("list")
def number_list(
    workspace: str | None = typer.Option(None, "--workspace", help="Only this workspace's."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List numbers."""
    with database() as engine:
        rows = numbers.list_numbers(engine, CLI, NumberFilter(workspace=workspace))
    if as_json:
        print_json([number_to_dict(n) for n in rows])
        return
    table = Table("number", "workspace", "appId", "type")
    for n in rows:
        table.add_row(n.number, n.workspace, n.app_id or "", n.type or "")
    out.print(table)
