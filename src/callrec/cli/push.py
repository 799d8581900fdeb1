"""``callrec push``: where a workspace's records are pushed, and the delivery worker."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.table import Table
from sqlalchemy.engine import Engine

from callrec.cli.common import database, err, fail, out, print_json
from callrec.observability.exposition import scrape_registry, start_listener
from callrec.push.settings import PushSettings
from callrec.push.targets import configure_push_target
from callrec.push.worker import PushWorker
from callrec.store import push_batches, push_targets
from callrec.store.secret_box import box_from_env
from callrec.store.secret_rotation import check_master_key
from callrec.wire.times import datetime_from_micros, now_micros

app = typer.Typer(
    rich_markup_mode=None,
    help="Push each new record to the workspace's webhook (docs/push.md).",
    no_args_is_help=True,
)
WORKSPACE = typer.Option(..., "--workspace", help="The workspace whose records are pushed.")
JSON_OPTION = typer.Option(False, "--json", help="Print JSON instead of text.")


def _when(micros: int | None) -> str | None:
    return None if micros is None else datetime_from_micros(micros).isoformat(timespec="seconds")


def _as_text(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _target_json(
    target: push_targets.PushTarget, status: push_batches.QueueStatus
) -> dict[str, object]:
    return {
        "workspace": target.workspace,
        "url": target.url,
        "signed": target.signed,
        "enabled": target.enabled,
        "deliveredRecords": target.delivered_records,
        "queuedRecords": status.queued_records,
        "retryingBatches": status.retrying_batches,
        "inFlightBatches": status.in_flight_batches,
        "parkedBatches": status.parked_batches,
        "parkedRecords": status.parked_records,
        "lastSuccess": _when(target.last_success_us),
        "lastFailure": _when(target.last_failure_us),
        "lastError": target.last_error,
    }


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
        pushed = configure_push_target(
            target, workspace, url, secret, no_secret, settings.allow_private
        )
    signed = "signed" if pushed.signed else "unsigned"
    state = "" if pushed.enabled else " (disabled: `callrec push enable` to send)"
    out.print(f"workspace {workspace} pushes to {pushed.url}, {signed}{state}", markup=False)


@app.command("show")
def push_show(workspace: str = WORKSPACE, as_json: bool = JSON_OPTION) -> None:
    """Show the push target and its queue (the secret is never shown)."""
    with database() as target:
        pushed = push_targets.get_push_target(target, workspace)
        status = push_batches.queue_status(target, workspace, now_micros())
    shown = _target_json(pushed, status)
    if as_json:
        print_json(shown)
        return
    for key, value in shown.items():
        out.print(f"{key + ':':<18} {_as_text(value)}", markup=False)


@app.command("disable")
def push_disable(workspace: str = WORKSPACE) -> None:
    """Pause pushing: nothing is sent, and records stored meanwhile are not queued."""
    with database() as target:
        push_targets.set_push_enabled(target, workspace, False)
    out.print(f"pushing for workspace {workspace} disabled", markup=False)


@app.command("enable")
def push_enable(workspace: str = WORKSPACE) -> None:
    """Resume pushing, including what was queued before it was disabled."""
    with database() as target:
        push_targets.set_push_enabled(target, workspace, True)
    out.print(f"pushing for workspace {workspace} enabled", markup=False)


@app.command("failed")
def push_failed(workspace: str = WORKSPACE, as_json: bool = JSON_OPTION) -> None:
    """List parked batches: every try failed. `callrec push retry` sends them again."""
    with database() as target:
        parked = push_batches.list_parked(target, workspace)
    if as_json:
        print_json(
            [
                {
                    "batch": batch.batch_number,
                    "deliveryId": batch.delivery_id,
                    "records": batch.record_count,
                    "attempts": batch.attempts,
                    "created": _when(batch.created_us),
                    "parked": _when(batch.parked_us),
                    "lastError": batch.last_error,
                    "callids": batch.callids,
                }
                for batch in parked
            ]
        )
        return
    if not parked:
        out.print(f"no parked batches in workspace {workspace}", markup=False)
        return
    table = Table("batch", "records", "tries", "parked", "last error")
    for batch in parked:
        table.add_row(
            str(batch.batch_number),
            str(batch.record_count),
            str(batch.attempts),
            _when(batch.parked_us) or "",
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
        count = push_batches.retry_parked(
            target, workspace, None if retry_all else batch_numbers, now_micros()
        )
    out.print(f"{count} parked batch(es) of workspace {workspace} queued again", markup=False)


async def _run_worker_until_signalled(settings: PushSettings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    with database() as target, _metrics_listener(target, settings):
        check_master_key(target, box_from_env())
        await PushWorker(target, settings).run(stop)


@contextmanager
def _metrics_listener(target: Engine, settings: PushSettings) -> Iterator[None]:
    """CALLREC_PUSH_METRICS_LISTEN: this worker's deliveries and the queue, for Prometheus."""
    if settings.metrics_listen is None:
        yield
        return
    host, port = settings.metrics_listen
    try:
        stop = start_listener(host, port, scrape_registry(target))
    except OSError as exc:
        fail(f"cannot listen for metrics on {host}:{port}: {exc.strerror or exc}")
    try:
        yield
    finally:
        stop()


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
