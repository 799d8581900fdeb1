"""``callrec purge``: data retention."""

from __future__ import annotations

import sys

import typer

from callrec.cli.common import database, fail, out, print_json
from callrec.operations.actor import CLI
from callrec.operations.purge import parse_before, purge_records
from callrec.wire.times import datetime_from_micros


def purge(
    before: str = typer.Option(
        ..., "--before", help="Remove calls that started before this (a date means 00:00 UTC)."
    ),
    workspace: str | None = typer.Option(
        None, "--workspace", help="Only this workspace's records (default: every workspace's)."
    ),
    yes: bool = typer.Option(
        False, "--yes", help="Confirm without a question; required when not at a terminal."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Remove call records that started before a moment, of every workspace or of one.

    PostgreSQL drops whole monthly partitions before it (purging every workspace); the rest is
    deleted in chunks. If interrupted, run it again: it continues where it stopped.
    """
    before_us = parse_before(before)
    shown = datetime_from_micros(before_us).isoformat()
    whose = f"workspace {workspace}'s" if workspace else "every workspace's"
    if not yes:
        # Removal is for good: a script or a pipe must say so, it cannot answer a question.
        if not sys.stdin.isatty():
            fail(f"purge removes {whose} call records for good: pass --yes to confirm", 2)
        if not typer.confirm(f"Remove {whose} call records that started before {shown}?"):
            fail("nothing removed")
    with database() as target:
        report = purge_records(target, CLI, before, workspace).report
    if as_json:
        print_json({"before": shown, "workspace": workspace, **report.as_json()})
        return
    dropped = ", ".join(report.partitions_dropped) or "none"
    out.print(
        f"removed {report.records} of {whose} call records that started before {shown} "
        f"(partitions dropped: {dropped})",
        markup=False,
    )
