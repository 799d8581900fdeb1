"""``callrec audit list``: the audit log of account changes, newest first."""

from __future__ import annotations

import typer
from rich.table import Table

from callrec.cli.common import JSON_OPTION, database, out, print_json
from callrec.operations.actor import CLI
from callrec.operations.audit import audit_to_dict, list_audit

app = typer.Typer(
    rich_markup_mode=None, help="The audit log of account changes.", no_args_is_help=True
)


@app.command("list")
def audit_list(
    limit: int = typer.Option(50, "--limit", min=1, max=10_000, help="At most this many."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show the latest changes: who, what, when, before and after."""
    with database() as engine:
        entries = [audit_to_dict(e) for e in list_audit(engine, CLI, limit=limit)]
    if as_json:
        print_json(entries)
        return
    table = Table("id", "at", "actor", "action", "object")
    for e in entries:
        table.add_row(str(e["id"]), e["at"], e["actor"], e["action"], e["objectId"])
    out.print(table)
