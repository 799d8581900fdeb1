"""``callrec cdr unrouted`` and ``callrec cdr reprocess``: the quarantine of unowned CDRs."""

from __future__ import annotations

import typer
from rich.table import Table

from callrec.cli.common import database, out, print_json
from callrec.ingest.pipeline import IngestReport, Pipeline
from callrec.store import quarantine
from callrec.wire.times import datetime_from_micros


def unrouted(
    limit: int = typer.Option(50, "--limit", help="Show at most this many CDRs."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """List quarantined CDRs: neither party is a number in any workspace's inventory."""
    with database() as target, target.connect() as conn:
        total = quarantine.count_unrouted(conn)
        kept = quarantine.list_unrouted(conn, limit)
    if as_json:
        print_json(
            {
                "total": total,
                "cdrs": [
                    {
                        "callid": cdr.callid,
                        "source": cdr.source,
                        "caller": cdr.caller,
                        "called": cdr.called,
                        "startTime": datetime_from_micros(cdr.start_us).isoformat(),
                        "reason": reason,
                    }
                    for cdr, reason, _received in kept
                ],
            }
        )
        return
    out.print(f"{total} unrouted CDR(s)", markup=False)
    if not kept:
        return
    table = Table("callid", "source", "caller", "called", "start (UTC)")
    for cdr, _reason, _received in kept:
        start = datetime_from_micros(cdr.start_us).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(cdr.callid, cdr.source, cdr.caller, cdr.called, start)
    out.print(table)
    if total > len(kept):
        out.print(f"... and {total - len(kept)} more (--limit)", markup=False)


def reprocess(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Route, rate and store quarantined CDRs whose number is now in the inventory."""
    report = IngestReport()
    with database() as target:
        pipeline = Pipeline(target)
        for chunk in quarantine.iter_unrouted(target):
            outcome = pipeline.process(chunk, release_routed=True)
            report.add(outcome)
        with target.connect() as conn:
            remaining = quarantine.count_unrouted(conn)
    if as_json:
        print_json({"routed": report.accepted + report.duplicates, **report.as_json(),
                    "remaining": remaining})  # fmt: skip
        return
    out.print(
        f"routed {report.accepted + report.duplicates} "
        f"(stored {report.accepted}, already stored {report.duplicates}); "
        f"{remaining} still unrouted",
        markup=False,
    )
