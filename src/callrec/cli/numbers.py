"""``callrec number``: the numbers inventory: add, update, list, move, remove.

Every change goes through callrec.operations.numbers (the audit log names the CLI);
a refused value is reported by cli/main.py with the flag that carried it.
"""

from __future__ import annotations

import time
from datetime import date

import typer
from rich.table import Table

from callrec.cli.common import JSON_OPTION, database, out, print_json
from callrec.operations import numbers
from callrec.operations.actor import CLI
from callrec.settings import Settings
from callrec.store import numbers as inventory
from callrec.store.greetings import GreetingStore
from callrec.store.numbers import NumberFilter, number_to_dict
from callrec.wire.numbers import UNCHANGED, Unchanged

app = typer.Typer(rich_markup_mode=None, help="The numbers inventory.", no_args_is_help=True)


def _rental(
    due_date: str | None, auto_renew: bool | None, disable: bool | None
) -> inventory.Rental:
    due: date | Unchanged | None = UNCHANGED
    if due_date is not None:
        due = inventory.parse_due_date(due_date)
    return inventory.Rental(
        due_date=due,
        auto_renew=UNCHANGED if auto_renew is None else auto_renew,
        disabled=UNCHANGED if disable is None else disable,
    )


DUE_DATE_OPTION = typer.Option(
    None, "--due-date", help='Rental due date, YYYY-MM-DD ("" for none: never expires).'
)
AUTO_RENEW_OPTION = typer.Option(
    None, "--auto-renew/--no-auto-renew", help="Renew at the due date (default: no)."
)
DISABLE_OPTION = typer.Option(
    None, "--disable/--enable", help="Disable the number (state 5), or enable it again."
)


def _print_number(number: inventory.NumberSettings, as_json: bool, verb: str) -> None:
    if as_json:
        print_json(number_to_dict(number))
    else:
        out.print(f"{verb} number {number.number} in workspace {number.workspace}", markup=False)


@app.command("add")
def number_add(
    number: str,
    workspace: str = typer.Option(..., "--workspace", help="The workspace that owns it."),
    app_id: str | None = typer.Option(None, "--app-id", help="Application id (appId)."),
    number_type: str | None = typer.Option(None, "--type", help="MOBILE or FIXED."),
    due_date: str | None = DUE_DATE_OPTION,
    auto_renew: bool | None = AUTO_RENEW_OPTION,
    disable: bool | None = DISABLE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a virtual number to a workspace's inventory."""
    rental = _rental(due_date, auto_renew, disable)
    with database() as engine:
        added = numbers.add_number(engine, CLI, number, workspace, app_id, number_type, rental)
    if as_json:
        print_json(number_to_dict(added))
    else:
        out.print(f"added number {added.number} to workspace {added.workspace}", markup=False)


@app.command("update")
def number_update(
    number: str,
    app_id: str | None = typer.Option(None, "--app-id", help="Application id (appId)."),
    number_type: str | None = typer.Option(None, "--type", help="MOBILE or FIXED."),
    remark: str | None = typer.Option(None, "--remark", help="A note on the number."),
    due_date: str | None = DUE_DATE_OPTION,
    auto_renew: bool | None = AUTO_RENEW_OPTION,
    disable: bool | None = DISABLE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Change a number's rental (due date, auto-renew, disabled), appId, type or remark
    (records already stored keep their appId and type)."""
    rental = _rental(due_date, auto_renew, disable)
    with database() as engine:
        updated = numbers.update_number(
            engine,
            CLI,
            number,
            rental,
            UNCHANGED if app_id is None else app_id,
            UNCHANGED if number_type is None else number_type,
            UNCHANGED if remark is None else remark,
        )
    _print_number(updated, as_json, "updated")


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
    """Remove a number from the inventory (and its voicemail greeting); its stored records stay."""
    greetings = GreetingStore(Settings.from_env().files_dir)
    with database() as engine:
        numbers.remove_number(engine, CLI, number, greetings)
    out.print(f"number {number} removed", markup=False)


@app.command("list")
def number_list(
    workspace: str | None = typer.Option(None, "--workspace", help="Only this workspace's."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List numbers with their rental and state (3 in use, 4 expired, 5 disabled)."""
    with database() as engine:
        rows = numbers.list_numbers(engine, CLI, NumberFilter(workspace=workspace))
    if as_json:
        print_json([number_to_dict(n) for n in rows])
        return
    now = time.time()
    table = Table("number", "workspace", "appId", "type", "due date", "auto-renew", "state")
    for n in rows:
        state = n.state(now)
        table.add_row(
            n.number,
            n.workspace,
            n.app_id or "",
            n.type or "",
            n.due_date.isoformat() if n.due_date else "-",
            "yes" if n.auto_renew else "no",
            f"{state} {inventory.STATE_NAMES[state]}",
        )
    out.print(table)
