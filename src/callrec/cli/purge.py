"""``callrec purge``: data retention."""

from __future__ import annotations

import sys

import typer

from callrec.cli.common import database, fail, out, print_json
from callrec.store.purge import purge as purge_records
from callrec.wire.times import TimeFormatError, datetime_from_micros, parse_date_or_instant


def purge(
    before: str = typer.Option(
        ..., "--before", help="Remove calls that started before this (a date means 00:00 UTC)."
    ),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation on a terminal."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Remove every workspace's call records that started before a moment.

    PostgreSQL drops whole monthly partitions before it; the rest is deleted in chunks.
    If interrupted, run it again: it continues where it stopped.
    """
    try:
        before_us = parse_date_or_instant(before)
    except TimeFormatError as exc:
        fail(f"--before: {exc}")
    shown = datetime_from_micros(before_us).isoformat()
    if (
        not yes
        and sys.stdin.isatty()
        and not typer.confirm(f"Remove all call records that started before {shown}?")
    ):
        fail("nothing removed")
    with database() as target:
        report = purge_records(target, before_us)
    if as_json:
        print_json({"before": shown, **report.as_json()})
        return
    dropped = ", ".join(report.partitions_dropped) or "none"
    out.print(
        f"removed {report.records} call records that started before {shown} "
        f"(partitions dropped: {dropped})",
        markup=False,
    )
