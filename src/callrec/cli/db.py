"""``callrec db``: schema migrations, backups, and moving to PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table
from sqlalchemy.engine import Engine, make_url

from callrec.cli.common import database, err, fail, out
from callrec.settings import Settings
from callrec.store import make_engine
from callrec.store.backup import backup_sqlite
from callrec.store.copy import DEFAULT_BATCH_ROWS, CopyReport, copy_database
from callrec.store.dialect import UnsupportedDatabase, normalise_url
from callrec.store.migrate import current_revision
from callrec.store.migrate import upgrade as upgrade_schema

app = typer.Typer(
    rich_markup_mode=None,
    help="Database schema, backups and moving to PostgreSQL.",
    no_args_is_help=True,
)


@app.command("upgrade")
def upgrade() -> None:
    """Create or migrate the schema to the newest version."""
    with database(require_current_schema=False) as target:
        upgrade_schema(target)
        out.print(f"database at revision {current_revision(target)}", markup=False)


@app.command("backup")
def backup(
    path: Path = typer.Argument(..., help="File to write the backup to.", show_default=False),
    force: bool = typer.Option(False, "--force", help="Replace PATH if it exists."),
) -> None:
    """Copy the SQLite database to PATH, consistent while servers and imports write to it.

    For PostgreSQL use pg_dump (docs/deploy.md).
    """
    result = backup_sqlite(Settings.from_env().database_url, path, force=force)
    out.print(
        f"backed up {result.source} to {result.destination} ({result.size_bytes} bytes)",
        markup=False,
    )


@app.command("copy")
def copy(
    to: str = typer.Option(
        ...,
        "--to",
        help="The empty PostgreSQL database to copy into (postgresql://user@host/database).",
        show_default=False,
    ),
    batch_size: int = typer.Option(
        DEFAULT_BATCH_ROWS, "--batch-size", min=1, help="Rows read and written at a time."
    ),
) -> None:
    """Copy this SQLite database into an empty PostgreSQL one, then verify every table.

    The target is migrated first; every table is copied in one transaction and then counted
    and digested on both sides. Stop servers and workers first (docs/deploy.md).
    """
    try:
        normalise_url(to)  # before anything opens: a bad URL names --to
    except UnsupportedDatabase as exc:
        fail(f"--to: {exc}")
    with database() as source:
        target = make_engine(to)
        try:
            report = _copy_with_progress(source, target, batch_size)
        finally:
            target.dispose()
    _print_verification(report)
    shown = make_url(to).render_as_string(hide_password=True)
    if not report.verified:
        fail(f"the copy in {shown} does not match the source (see the table above)")
    out.print(
        f"copied {report.rows} rows in {len(report.tables)} tables to {shown}; every table's "
        "row count and digest match",
        markup=False,
    )


def _copy_with_progress(source: Engine, target: Engine, batch_size: int) -> CopyReport:
    with Progress(
        TextColumn("{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def on_rows(table: str, done: int, total: int) -> None:
            if table not in tasks:
                tasks[table] = progress.add_task(table, total=total)
            progress.update(tasks[table], completed=done)

        return copy_database(source, target, batch_rows=batch_size, progress=on_rows)


def _print_verification(report: CopyReport) -> None:
    table = Table("table", "source rows", "target rows", "digest (SHA-256 sum)", "match")
    for check in report.tables:
        digest = check.source_digest[:16]
        if check.target_digest != check.source_digest:
            digest = f"{digest} != {check.target_digest[:16]}"
        table.add_row(
            check.table,
            str(check.source_rows),
            str(check.target_rows),
            digest,
            "yes" if check.matches else "NO",
        )
    out.print(table)
