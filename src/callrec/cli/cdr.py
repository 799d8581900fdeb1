"""``callrec cdr``: raw CDRs from switches and files, routed, rated and stored."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from callrec.cli import cdr_resume
from callrec.cli.cdr_resume import Resume
from callrec.cli.common import database, err, fail, out, print_json
from callrec.ingest.checkpoint import ReadPosition, fingerprint
from callrec.ingest.items import SourceItem
from callrec.ingest.pipeline import IngestReport, Pipeline
from callrec.ingest.runner import BATCH_SIZE, run_ingest
from callrec.ingest.sources.asterisk import read_master_csv
from callrec.ingest.sources.freeswitch import FreeswitchOptions, cdr_files, read_cdr_files
from callrec.ingest.sources.tabular import read_csv, read_jsonl

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
# Line-based formats read from a file can resume after their committed part.
RESUMABLE = (SourceFormat.jsonl, SourceFormat.csv, SourceFormat.asterisk)


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


def _items(
    source_format: SourceFormat,
    handle: BinaryIO | None,
    file: Path,
    tz: ZoneInfo | None,
    options: FreeswitchOptions,
    advance: Advance,
    position: ReadPosition,
    skip_lines: int,
) -> Iterator[SourceItem]:
    if source_format is SourceFormat.freeswitch:
        return read_cdr_files(file, options, advance)
    assert handle is not None
    lines = position.track(_counted(handle, advance))
    if source_format is SourceFormat.jsonl:
        return read_jsonl(lines, tz, skip_lines=skip_lines)
    if source_format is SourceFormat.csv:
        return read_csv(lines, tz, skip_lines=skip_lines)
    assert tz is not None
    return read_master_csv(lines, tz, skip_lines=skip_lines)


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


def _import(
    pipeline: Pipeline,
    source_format: SourceFormat,
    file: Path,
    tz: ZoneInfo | None,
    options: FreeswitchOptions,
    batch_size: int,
    resume: Resume | None,
) -> IngestReport:
    from_stdin = str(file) == "-"
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=from_stdin or not err.is_terminal,
    ) as progress:
        total = None if from_stdin else _total_bytes(source_format, file)
        task = progress.add_task("importing", total=total)

        def advance(size: int) -> None:
            progress.advance(task, size)

        position = ReadPosition()
        skip_lines = 0 if resume is None else resume.skip_lines
        save_checkpoint = None if resume is None else resume.saver(position)

        def on_batch(report: IngestReport) -> None:
            if save_checkpoint is not None:
                save_checkpoint(report)
            progress.update(task, description=f"accepted {report.accepted}")

        def run(handle: BinaryIO | None) -> IngestReport:
            items = _items(source_format, handle, file, tz, options, advance, position, skip_lines)
            report = run_ingest(pipeline, items, batch_size, on_batch=on_batch)
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
        BATCH_SIZE, "--batch-size", min=1, max=50_000, help="CDRs per transaction."
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
        report = _import(Pipeline(target), source_format, file, zone, options, batch_size, resume)
        if resume is not None:
            resume.finish()
    if as_json:
        print_json(report.as_json())
    else:
        _print_report(report)
    if report.rejected:
        raise typer.Exit(1)
