"""``callrec cdr``: raw CDRs from switches and files, routed, rated and stored."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from itertools import chain, islice
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from callrec.cli.common import database, err, fail, out, print_json
from callrec.cli.progress import ThrottledAdvance
from callrec.ingest.items import SourceItem
from callrec.ingest.parallel import CHUNK_LINES, PARSERS, import_here, import_in_workers
from callrec.ingest.pipeline import IngestReport, Pipeline
from callrec.ingest.runner import run_ingest
from callrec.ingest.sources.freeswitch import FreeswitchOptions, cdr_files, read_cdr_files
from callrec.ingest.sources.tabular import read_csv

app = typer.Typer(
    help="Raw CDRs: import them, and the quarantine of unrouted ones.", no_args_is_help=True
)
MAX_REJECTIONS_SHOWN = 20


class SourceFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    asterisk = "asterisk"
    freeswitch = "freeswitch"


Advance = Callable[[int], None]


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _time_zone(name: str | None, source_format: SourceFormat) -> ZoneInfo | None:
    if name is None:
        if source_format is SourceFormat.asterisk:
            raise typer.BadParameter(
                "Master.csv has local times without an offset: give the Asterisk server's "
                "zone, e.g. --tz Europe/Berlin (--tz UTC with usegmtime=yes)",
                param_hint="--tz",
            )
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise typer.BadParameter(f"unknown time zone {name!r}", param_hint="--tz") from exc


def _counted(lines: Iterable[bytes], advance: Advance) -> Iterator[bytes]:
    for line in lines:
        advance(len(line))
        yield line


def _no_progress(_size: int) -> None:
    pass


def _items(
    source_format: SourceFormat,
    lines: Iterable[bytes] | None,
    file: Path,
    tz: ZoneInfo | None,
    options: FreeswitchOptions,
    advance: Advance | None,
) -> Iterator[SourceItem]:
    """The formats read outside chunks of lines (callrec.ingest.parallel has the others)."""
    if source_format is SourceFormat.freeswitch:
        return read_cdr_files(file, options, advance or _no_progress)
    assert lines is not None
    assert source_format is SourceFormat.csv
    return read_csv(lines, tz)


def _total_bytes(source_format: SourceFormat, file: Path) -> int:
    if source_format is SourceFormat.freeswitch:
        return sum(p.stat().st_size for p in cdr_files(file))
    return file.stat().st_size


def _summary(report: IngestReport) -> str:
    return (
        f"accepted {report.accepted}, duplicates {report.duplicates} "
        f"({report.conflicts} conflicting), quarantined {report.quarantined}, "
        f"skipped {report.skipped}, rejected {len(report.rejected)}"
    )


def _print_report(report: IngestReport) -> None:
    out.print(_summary(report), markup=False)
    for rejection in report.rejected[:MAX_REJECTIONS_SHOWN]:
        out.print(f"  {rejection.item}: {rejection.reason}", markup=False)
    if len(report.rejected) > MAX_REJECTIONS_SHOWN:
        out.print(
            f"  ... and {len(report.rejected) - MAX_REJECTIONS_SHOWN} more (--json lists all)",
            markup=False,
        )


def _run(
    pipeline: Pipeline,
    source_format: SourceFormat,
    handle: BinaryIO,
    file: Path,
    tz: ZoneInfo | None,
    options: FreeswitchOptions,
    advance: Advance | None,
    jobs: int,
    on_batch: Callable[[IngestReport], None],
) -> IngestReport:
    """One file's lines. Formats with one item per line go in chunks of lines
    (callrec.ingest.parallel), by ``jobs`` worker processes when the file is longer than a
    chunk; the chunks, and so the report, are the same for any ``jobs``."""
    lines: Iterable[bytes] = handle if advance is None else _counted(handle, advance)
    if source_format in PARSERS:
        source = iter(lines)
        head = list(islice(source, CHUNK_LINES + 1))
        lines = chain(head, source)
        if jobs > 1 and len(head) > CHUNK_LINES:
            return import_in_workers(pipeline, source_format.value, tz, lines, jobs, on_batch)
        return import_here(pipeline, source_format.value, tz, lines, on_batch)
    items = _items(source_format, lines, file, tz, options, advance)
    return run_ingest(pipeline, items, on_batch=on_batch)


def _import(
    pipeline: Pipeline,
    source_format: SourceFormat,
    file: Path,
    tz: ZoneInfo | None,
    options: FreeswitchOptions,
    jobs: int = 1,
) -> IngestReport:
    from_stdin = str(file) == "-"
    hidden = from_stdin or not err.is_terminal
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=hidden,
    ) as progress:
        total = None if from_stdin else _total_bytes(source_format, file)
        task = progress.add_task("importing", total=total)
        # A hidden bar is not fed at all; a shown one at most ten times a second.
        advance = None if hidden else ThrottledAdvance(lambda size: progress.advance(task, size))

        def on_batch(report: IngestReport) -> None:
            if advance is not None:
                advance.flush()
                progress.update(task, description=f"accepted {report.accepted}")

        args = (file, tz, options, advance, jobs, on_batch)
        if from_stdin:
            return _run(pipeline, source_format, sys.stdin.buffer, *args)
        if source_format is SourceFormat.freeswitch:
            items = _items(source_format, None, file, tz, options, advance)
            return run_ingest(pipeline, items, on_batch=on_batch)
        with file.open("rb") as handle:
            return _run(pipeline, source_format, handle, *args)


@app.command("import")
def import_cdrs(
    file: Path = typer.Argument(
        ...,
        help="The file to import; - for stdin. For freeswitch also a directory "
        "(every *.json under it, e.g. mod_json_cdr's log-dir or err-log-dir).",
    ),
    source_format: SourceFormat = typer.Option(
        ..., "--format", help="jsonl or csv (callrec's raw CDR fields), asterisk, freeswitch."
    ),
    tz: str | None = typer.Option(
        None,
        "--tz",
        help="Time zone of times written without an offset (IANA name, e.g. Europe/Berlin). "
        "Required for asterisk.",
    ),
    keep_b_legs: bool = typer.Option(
        False, "--keep-b-legs", help="freeswitch: store B-legs too (skipped by default)."
    ),
    no_encode_values: bool = typer.Option(
        False,
        "--no-encode-values",
        help="freeswitch: the documents were written with encode-values=false "
        "(values are not URL-decoded).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    jobs: int | None = typer.Option(
        None,
        "--jobs",
        min=1,
        help="Processes parsing and rating a jsonl or asterisk file (one writer stores in "
        "file order either way). Default: the number of cores; 1 keeps it all in-process.",
    ),
) -> None:
    """Import raw CDRs: route each to the workspace owning its number, rate it and store it.

    Unrouted CDRs are quarantined (`callrec cdr unrouted`); a callid already stored is a
    duplicate. Good items land even when others are rejected. Exits 1 when any was rejected.
    """
    zone = _time_zone(tz, source_format)
    if str(file) == "-":
        if source_format is SourceFormat.freeswitch:
            raise typer.BadParameter("freeswitch reads files or a directory, not stdin")
    elif not file.exists():
        fail(f"{file}: no such file or directory")
    elif file.is_dir() and source_format is not SourceFormat.freeswitch:
        fail(f"{file} is a directory; only --format freeswitch imports directories")
    options = FreeswitchOptions(encode_values=not no_encode_values, keep_b_legs=keep_b_legs)
    with database() as target:
        report = _import(Pipeline(target), source_format, file, zone, options, jobs or _cores())
    if as_json:
        print_json(report.as_json())
    else:
        _print_report(report)
    if report.rejected:
        raise typer.Exit(1)
