"""``callrec records``: records priced elsewhere, in the contract's record form."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from callrec.cli.common import database, err, fail, out, print_json
from callrec.ingest.importer import ImportReport, import_priced_file
from callrec.store.accounts import get_workspace

app = typer.Typer(rich_markup_mode=None, help="Call records.", no_args_is_help=True)
MAX_REJECTIONS_SHOWN = 20


def _print_report(report: ImportReport) -> None:
    out.print(
        f"imported {report.imported}, duplicates {report.duplicates}, "
        f"rejected {len(report.rejected)}",
        markup=False,
    )
    for rejection in report.rejected[:MAX_REJECTIONS_SHOWN]:
        out.print(f"  line {rejection.line}: {rejection.reason}", markup=False)
    if len(report.rejected) > MAX_REJECTIONS_SHOWN:
        out.print(
            f"  ... and {len(report.rejected) - MAX_REJECTIONS_SHOWN} more (--json lists all)",
            markup=False,
        )


@app.command("import")
def import_records(
    file: Path = typer.Argument(..., help="JSON Lines file, one record a line; - for stdin."),
    workspace: str = typer.Option(..., "--workspace", help="The workspace the records belong to."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Import priced records (the contract's record keys, times ISO 8601 with an offset).

    Good lines land even when others are rejected; a callid already stored is a duplicate.
    Exits 1 when any line was rejected.
    """
    with database() as target:
        ws = get_workspace(target, workspace)
        if str(file) == "-":
            report = import_priced_file(target, ws.id, sys.stdin.buffer)
        else:
            if not file.is_file():
                fail(f"{file}: no such file")
            with (
                file.open("rb") as handle,
                Progress(
                    TextColumn("importing"),
                    BarColumn(),
                    DownloadColumn(),
                    TimeRemainingColumn(),
                    console=err,
                    transient=True,
                    disable=not err.is_terminal,
                ) as progress,
            ):
                task = progress.add_task("import", total=file.stat().st_size)
                report = import_priced_file(
                    target, ws.id, handle, lambda size: progress.advance(task, size)
                )
    if as_json:
        print_json(report.as_json())
    else:
        _print_report(report)
    if report.rejected:
        raise typer.Exit(1)
