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

from callrec.cli import cdr_resume
from callrec.cli.cdr_resume import Resume
from callrec.cli.common import database, err, fail, out, print_json
from callrec.cli.progress import ThrottledAdvance
from callrec.ingest.checkpoint import ReadPosition, fingerprint
from callrec.ingest.items import SourceItem
from callrec.ingest.parallel import PARSERS, Chunk, import_here, import_in_workers
from callrec.ingest.pipeline import IngestReport, Pipeline
from callrec.ingest.runner import BATCH_SIZE, run_ingest
from callrec.ingest.sources.freeswitch import FreeswitchOptions, cdr_files, read_cdr_files
from callrec.ingest.sources.tabular import read_csv

app = typer.Typer(
    rich_markup_mode=None,
    help="Raw CDRs: import them, and the quarantine of unrouted ones.",
    no_args_is_help=True,
)
MAX_REJECTIONS_SHOWN = 20


class SourceFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    asterisk = "asterisk"
    freeswitch = "freeswitch"


Advance = Callable[[int], None]
# Line-based formats read from a file can resume after their committed part.
RESUMABLE = (SourceFormat.jsonl, SourceFormat.csv, SourceFormat.asterisk)


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
    skip_lines: int,
) -> Iterator[SourceItem]:
    """The formats read outside chunks of lines (callrec.ingest.parallel has the others)."""
    if source_format is SourceFormat.freeswitch:
        return read_cdr_files(file, options, advance or _no_progress)
    assert lines is not None
    assert source_format is SourceFormat.csv
    # A csv record may span lines and the header comes first: the reader skips records itself.
    return read_csv(lines, tz, skip_lines=skip_lines)


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
    handle: BinaryIO | None,
    file: Path,
    tz: ZoneInfo | None,
    options: FreeswitchOptions,
    advance: Advance | None,
    jobs: int,
    batch_size: int,
    resume: Resume | None,
    on_batch: Callable[[IngestReport], None],
) -> IngestReport:
    """One file (``handle``; None for a freeswitch file or directory), this run's report.

    Formats with one item per line go in chunks of ``batch_size`` lines
    (callrec.ingest.parallel), by ``jobs`` worker processes when more than a chunk is left;
    the chunks, and so the report, are the same for any ``jobs``. A resumed import reads
    past the committed lines first and numbers its chunks on from there. After each batch
    commits (chunks commit in file order) the checkpoint moves to its end."""
    skip_lines = 0 if resume is None else resume.skip_lines
    position = ReadPosition()
    save = None if resume is None else resume.saver(position)

    def committed(report: IngestReport) -> None:
        if save is not None:
            save(report)
        on_batch(report)

    if handle is None:
        items = _items(source_format, None, file, tz, options, advance, skip_lines)
        return run_ingest(pipeline, items, batch_size, on_batch=committed)
    lines: Iterable[bytes] = handle if advance is None else _counted(handle, advance)
    if source_format not in PARSERS:
        items = _items(source_format, position.track(lines), file, tz, options, None, skip_lines)
        return run_ingest(pipeline, items, batch_size, on_batch=committed)
    return _import_lines(
        pipeline, source_format, tz, lines, jobs, batch_size, skip_lines, position, save, committed
    )


def _import_lines(
    pipeline: Pipeline,
    source_format: SourceFormat,
    tz: ZoneInfo | None,
    lines: Iterable[bytes],
    jobs: int,
    batch_size: int,
    skip_lines: int,
    position: ReadPosition,
    save: Callable[[IngestReport], None] | None,
    committed: Callable[[IngestReport], None],
) -> IngestReport:
    """A jsonl or asterisk file after its first ``skip_lines`` lines, in chunks numbered on
    from there; ``position`` (the checkpoint's) grows by each chunk once it committed."""

    def chunk_committed(report: IngestReport, chunk: Chunk) -> None:
        if save is not None:
            position.add(chunk.lines)
        committed(report)

    source = iter(lines)
    position.add(islice(source, skip_lines))  # the resume plan checked their bytes already
    head = list(islice(source, batch_size + 1))
    rest = chain(head, source)
    fmt = source_format.value
    first_line = skip_lines + 1
    if jobs > 1 and len(head) > batch_size:
        return import_in_workers(
            pipeline, fmt, tz, rest, jobs, chunk_committed, batch_size, first_line=first_line
        )
    return import_here(pipeline, fmt, tz, rest, chunk_committed, batch_size, first_line=first_line)


def _import(
    pipeline: Pipeline,
    source_format: SourceFormat,
    file: Path,
    tz: ZoneInfo | None,
    options: FreeswitchOptions,
    batch_size: int,
    resume: Resume | None,
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

        def run(handle: BinaryIO | None) -> IngestReport:
            args = (file, tz, options, advance, jobs, batch_size, resume, on_batch)
            report = _run(pipeline, source_format, handle, *args)
            return report if resume is None else resume.combined(report)

        if from_stdin:
            return run(sys.stdin.buffer)
        if source_format is SourceFormat.freeswitch:
            return run(None)
        with file.open("rb") as handle:
            return run(handle)


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
    checkpoint_path: Path | None = typer.Option(
        None,
        "--checkpoint",
        help="Where to keep the checkpoint that lets an interrupted import resume "
        f"(default: beside the file, FILE{cdr_resume.SUFFIX}). jsonl, csv, asterisk files.",
    ),
    no_checkpoint: bool = typer.Option(
        False, "--no-checkpoint", help="Keep no checkpoint: an interrupted import starts over."
    ),
    batch_size: int = typer.Option(
        BATCH_SIZE,
        "--batch-size",
        min=1,
        max=50_000,
        help="Lines per transaction (a jsonl or asterisk chunk, a worker's unit with --jobs); "
        "CDRs per transaction for csv and freeswitch. The checkpoint moves after each.",
    ),
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
    An interrupted import of a jsonl, csv or asterisk file resumes after the part it
    committed when run again (docs/ingest.md).
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
    resumable = source_format in RESUMABLE and str(file) != "-" and not no_checkpoint
    if checkpoint_path is not None and not resumable:
        raise typer.BadParameter(
            "checkpoints are kept for jsonl, csv and asterisk files (not stdin, not freeswitch)",
            param_hint="--checkpoint",
        )
    with database() as target:
        resume = None
        if resumable:
            settings = fingerprint(
                source_format.value, tz or "", target.url.render_as_string(hide_password=False)
            )
            resume = cdr_resume.for_import(file, checkpoint_path, settings)
        pipeline = Pipeline(target)
        workers = jobs or _cores()
        report = _import(pipeline, source_format, file, zone, options, batch_size, resume, workers)
        if resume is not None:
            resume.finish()
    report.name_time_zone_parameter("--tz")
    if as_json:
        print_json(report.as_json())
    else:
        _print_report(report)
    if report.rejected:
        raise typer.Exit(1)
