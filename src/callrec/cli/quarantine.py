"""``callrec quarantine list|reprocess|discard``: the quarantine of unowned CDRs.

``callrec cdr unrouted`` and ``callrec cdr reprocess`` are the same commands under their
older names (docs/decisions.md).
"""

from __future__ import annotations

import typer
from rich.table import Table

from callrec.cli.common import JSON_OPTION, database, out, print_json
from callrec.operations import quarantine
from callrec.operations.actor import CLI
from callrec.operations.purge import parse_before
from callrec.store.quarantine import QuarantineFilter
from callrec.wire.times import datetime_from_micros

app = typer.Typer(
    rich_markup_mode=None,
    help="Unrouted CDRs: neither party is a number in any workspace's inventory.",
    no_args_is_help=True,
)
CALLER = typer.Option(None, "--caller", help="Only CDRs from this caller (as the CDR has it).")
CALLED = typer.Option(None, "--called", help="Only CDRs to this called number.")
BEFORE = typer.Option(
    None, "--before", help="Only calls that started before this (a date means 00:00 UTC)."
)


def _filter(caller: str | None, called: str | None, before: str | None) -> QuarantineFilter:
    started_before_us = None if before is None else parse_before(before)
    return QuarantineFilter(caller, called, started_before_us)


def unrouted(
    limit: int = typer.Option(50, "--limit", min=1, help="Show at most this many CDRs."),
    caller: str | None = CALLER,
    called: str | None = CALLED,
    before: str | None = BEFORE,
    as_json: bool = JSON_OPTION,
) -> None:
    """List quarantined CDRs: neither party is a number in any workspace's inventory."""
    with database() as target:
        found = quarantine.list_quarantine(
            target, CLI, _filter(caller, called, before), limit=limit
        )
    if as_json:
        print_json(
            {
                "total": found.total,
                "cdrs": [
                    {
                        "callid": kept.cdr.callid,
                        "source": kept.cdr.source,
                        "caller": kept.cdr.caller,
                        "called": kept.cdr.called,
                        "startTime": datetime_from_micros(kept.cdr.start_us).isoformat(),
                        "reason": kept.reason,
                    }
                    for kept in found.items
                ],
            }
        )
        return
    out.print(f"{found.total} unrouted CDR(s)", markup=False)
    if not found.items:
        return
    table = Table("callid", "source", "caller", "called", "start (UTC)", "reason")
    for kept in found.items:
        cdr = kept.cdr
        start = datetime_from_micros(cdr.start_us).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(cdr.callid, cdr.source, cdr.caller, cdr.called, start, kept.reason)
    out.print(table)
    if found.total > len(found.items):
        out.print(f"... and {found.total - len(found.items)} more (--limit)", markup=False)


def reprocess(as_json: bool = JSON_OPTION) -> None:
    """Route, rate and store quarantined CDRs whose number is now in the inventory."""
    with database() as target:
        report = quarantine.reprocess(target, CLI)
    if as_json:
        print_json(quarantine.report_to_dict(report))
        return
    out.print(
        f"routed {report.routed} "
        f"(stored {report.stored}, already stored {report.duplicates}); "
        f"{report.remaining} still unrouted",
        markup=False,
    )


def discard(
    callid: list[str] = typer.Option(
        [], "--callid", help="A quarantined CDR's callid; repeat for more (up to 1000)."
    ),
    caller: str | None = CALLER,
    called: str | None = CALLED,
    before: str | None = BEFORE,
    reason: str = typer.Option(
        ..., "--reason", help="Why they are discarded; kept in the audit log with each CDR."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Remove quarantined CDRs for good: by --callid, or every one --caller/--called/--before
    match. Each CDR is kept whole in the audit log (`callrec audit list`)."""
    found = _filter(caller, called, before)
    with database() as target:
        report = quarantine.discard(
            target, CLI, callid or None, None if found.is_empty else found, reason
        )
    if as_json:
        print_json({"discarded": report.discarded, "notQuarantined": report.missing})
        return
    out.print(f"discarded {report.discarded} quarantined CDR(s)", markup=False)
    if report.missing:
        out.print(f"not in the quarantine: {' '.join(report.missing)}", markup=False)


app.command("list")(unrouted)
app.command("reprocess")(reprocess)
app.command("discard")(discard)
