"""``callrec push``: where a workspace's records are pushed, and the delivery worker."""

from __future__ import annotations

import asyncio
import signal

import typer
from rich.table import Table

from callrec.cli.common import database, err, fail, out, print_json
from callrec.operations import push
from callrec.operations.actor import CLI
from callrec.push.settings import PushSettings
from callrec.push.worker import PushWorker
from callrec.store.secret_box import box_from_env
from callrec.store.secret_rotation import check_master_key

app = typer.Typer(
    rich_markup_mode=None,
    help="Push each new record to the workspace's webhook (docs/push.md).",
    no_args_is_help=True,
)
WORKSPACE = typer.Option(..., "--workspace", help="The workspace whose records are pushed.")
JSON_OPTION = typer.Option(False, "--json", help="Print JSON instead of text.")


def _as_text(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@app.command("set")
def push_set(
    url: str = typer.Argument(..., help="http:// or https:// URL that receives the records."),
    workspace: str = WORKSPACE,
    secret: str | None = typer.Option(
        None, "--secret", help="Sign each push with HMAC-SHA256 under this secret (16+ chars)."
    ),
    no_secret: bool = typer.Option(False, "--no-secret", help="Stop signing pushes."),
) -> None:
    """Push the workspace's new records to URL (a changed URL keeps the secret)."""
    settings = PushSettings.from_env()
    with database() as target:
        pushed = push.set_push_target(
            target, CLI, workspace, url, secret, no_secret, settings.allow_private
        )
    signed = "signed" if pushed.signed else "unsigned"
    state = "" if pushed.enabled else " (disabled: `callrec push enable` to send)"
    out.print(f"workspace {workspace} pushes to {pushed.url}, {signed}{state}", markup=False)


@app.command("show")
def push_show(workspace: str = WORKSPACE, as_json: bool = JSON_OPTION) -> None:
    """Show the push target and its queue (the secret is never shown)."""
    with database() as target:
        shown = push.status_to_dict(push.push_status(target, CLI, workspace))
    if as_json:
        print_json(shown)
        return
    for key, value in shown.items():
        out.print(f"{key + ':':<18} {_as_text(value)}", markup=False)


@app.command("disable")
def push_disable(workspace: str = WORKSPACE) -> None:
    """Pause pushing: nothing is sent, and records stored meanwhile are not queued."""
    with database() as target:
        push.set_push_enabled(target, CLI, workspace, False)
    out.print(f"pushing for workspace {workspace} disabled", markup=False)


@app.command("enable")
def push_enable(workspace: str = WORKSPACE) -> None:
    """Resume pushing, including what was queued before it was disabled."""
    with database() as target:
        push.set_push_enabled(target, CLI, workspace, True)
    out.print(f"pushing for workspace {workspace} enabled", markup=False)


@app.command("failed")
def push_failed(workspace: str = WORKSPACE, as_json: bool = JSON_OPTION) -> None:
    """List parked batches: every try failed. `callrec push retry` sends them again."""
    with database() as target:
        parked = push.list_parked(target, CLI, workspace)
    if as_json:
        print_json([push.parked_to_dict(batch) for batch in parked])
        return
    if not parked:
        out.print(f"no parked batches in workspace {workspace}", markup=False)
        return
    table = Table("batch", "records", "tries", "parked", "last error")
    for batch in parked:
        shown = push.parked_to_dict(batch)
        table.add_row(
            str(batch.batch_number),
            str(batch.record_count),
            str(batch.attempts),
            shown["parked"] or "",
            batch.last_error or "",
        )
    out.print(table)


@app.command("retry")
def push_retry(
    batch_numbers: list[int] = typer.Argument(
        None, metavar="BATCH", help="Parked batch numbers (`callrec push failed`)."
    ),
    workspace: str = WORKSPACE,
    retry_all: bool = typer.Option(False, "--all", help="Every parked batch of the workspace."),
) -> None:
    """Send parked batches again, each with a fresh schedule of tries."""
    if retry_all == bool(batch_numbers):
        fail("give parked batch numbers, or --all (see `callrec push failed`)")
    with database() as target:
        count = push.retry_parked(target, CLI, workspace, None if retry_all else batch_numbers)
    out.print(f"{count} parked batch(es) of workspace {workspace} queued again", markup=False)


async def _run_worker_until_signalled(settings: PushSettings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    with database() as target:
        check_master_key(target, box_from_env())
        await PushWorker(target, settings).run(stop)


@app.command("worker")
def push_worker() -> None:
    """Run a delivery worker until SIGINT/SIGTERM (`callrec serve` also runs one)."""
    settings = PushSettings.from_env()
    err.print(
        f"callrec push worker running (tries {settings.attempts}, "
        f"timeout {settings.timeout_seconds:g} s)",
        markup=False,
    )
    asyncio.run(_run_worker_until_signalled(settings))
