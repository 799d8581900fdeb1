"""``callrec number``: the operator's side of the numbers inventory."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import TypeVar

import typer
from rich.table import Table
from sqlalchemy.engine import Engine

from callrec.cli.common import CliError, database, out, print_json
from callrec.store import accounts
from callrec.store import numbers as inventory
from callrec.store.errors import InvalidValue
from callrec.wire.numbers import UNCHANGED, Unchanged

app = typer.Typer(help="The numbers inventory.", no_args_is_help=True)

T = TypeVar("T")
JSON_OPTION = typer.Option(False, "--json", help="Print JSON instead of text.")
_FLAGS = {"type": "--type", "appId": "--app-id", "dueDate": "--due-date"}


@contextmanager
def _flags_named() -> Iterator[None]:
    """A refused value, reported with the flag that carried it."""
    try:
        yield
    except InvalidValue as exc:
        flag = _FLAGS.get(exc.field or "")
        raise CliError(f"{flag} {exc}" if flag else str(exc)) from exc


def _run(action: Callable[[Engine], T]) -> T:
    with _flags_named(), database() as target:
        return action(target)


def _rental(
    due_date: str | None, auto_renew: bool | None, disable: bool | None
) -> inventory.Rental:
    due: date | Unchanged | None = UNCHANGED
    if due_date is not None:
        with _flags_named():
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
        print_json(inventory.settings_to_dict(number, time.time()))
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
    added = _run(lambda e: accounts.add_number(e, number, workspace, app_id, number_type, rental))
    if as_json:
        found = _run(lambda e: inventory.get_number(e, added.number))
        print_json(inventory.settings_to_dict(found, time.time()))
    else:
        out.print(f"added number {added.number} to workspace {added.workspace}", markup=False)


@app.command("update")
def number_update(
    number: str,
    app_id: str | None = typer.Option(None, "--app-id", help="Application id (appId)."),
    number_type: str | None = typer.Option(None, "--type", help="MOBILE or FIXED."),
    due_date: str | None = DUE_DATE_OPTION,
    auto_renew: bool | None = AUTO_RENEW_OPTION,
    disable: bool | None = DISABLE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Change a number's rental (due date, auto-renew, disabled), appId or type."""
    rental = _rental(due_date, auto_renew, disable)
    app: str | Unchanged | None = UNCHANGED if app_id is None else app_id
    kind: str | Unchanged | None = UNCHANGED if number_type is None else number_type
    updated = _run(lambda e: inventory.update_rental(e, number, rental, app, kind))
    _print_number(updated, as_json, "updated")


@app.command("list")
def number_list(
    workspace: str | None = typer.Option(None, "--workspace", help="Only this workspace's."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List numbers with their rental and state (3 in use, 4 expired, 5 disabled)."""
    rows = _run(lambda e: inventory.list_number_settings(e, workspace))
    now = time.time()
    if as_json:
        print_json([inventory.settings_to_dict(n, now) for n in rows])
        return
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
