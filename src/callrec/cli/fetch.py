"""``callrec fetch``: every record of a window, streamed to a file, resumable after a kill."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from callrec.cli.common import err, fail
from callrec.cli.fetch_output import WRITERS, OutputFormat, RecordWriter
from callrec.cli.fetch_resume import ExistingOutput, ResumeError, scan_existing_output
from callrec.cli.remote import (
    USAGE_ERROR,
    api_key_option,
    base_url_option,
    connect,
    describe,
    from_option,
    to_option,
    window_from_options,
)
from callrec.client import ApiError, Checkpoint, Client, Record, Window


def _existing(output: Path | None, output_format: OutputFormat, window: Window) -> ExistingOutput:
    if output is None:
        fail("--resume needs -o FILE: there is no file to continue", USAGE_ERROR)
    if not output.exists() or output.stat().st_size == 0:
        return ExistingOutput(0, 0, False, None, None)
    try:
        existing = scan_existing_output(output, output_format)
    except ResumeError as exc:
        fail(f"cannot resume: {exc}")
    except OSError as exc:
        fail(f"cannot resume: {output}: {exc.strerror or exc}")
    checkpoint = existing.checkpoint
    if checkpoint is None:
        return existing
    window_offset = int(window.tz.utcoffset(None).total_seconds())
    if existing.offset_seconds != window_offset:
        fail(
            f"cannot resume: {output} has times at UTC offset "
            f"{checkpoint.start_time.strftime('%z')}, --from has "
            f"{window.start.strftime('%z')}; resume with the same --from"
        )
    if not window.start.replace(microsecond=0) <= checkpoint.start_time < window.end:
        fail(
            f"cannot resume: {output} ends with a record of {checkpoint.start_time.isoformat()}, "
            "outside --from..--to; resume with the same window"
        )
    return existing


@contextmanager
def _target(output: Path | None, existing: ExistingOutput | None) -> Iterator[BinaryIO]:
    if output is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    if existing is None or not existing.has_opening:
        with output.open("wb") as new_file:
            yield new_file
        return
    with output.open("r+b") as continued:
        continued.truncate(existing.keep_bytes)
        continued.seek(0, os.SEEK_END)
        yield continued


def _progress() -> Progress:
    return Progress(
        TextColumn("fetching"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def _expected(client: Client, window: Window, checkpoint: Checkpoint | None) -> int:
    """How many records the walk should write (for the progress bar)."""
    start = window.start
    if checkpoint is not None:
        start = max(start, checkpoint.start_time.astimezone(window.tz))
    if start >= window.end:
        return 0
    already = len(checkpoint.callids) if checkpoint is not None else 0
    return max(0, client.count(start, window.end) - already)


def _copy(records: Iterable[Record], writer: RecordWriter, progress: Progress, total: int) -> int:
    task = progress.add_task("fetch", total=total)
    written = 0
    for record in records:
        writer.write(record)
        written += 1
        progress.update(task, completed=written, total=max(total, written))
        if written % 100 == 0:
            writer.stream.flush()  # a kill loses at most the last page or so
    return written


def fetch(
    start: str = from_option(),
    end: str = to_option(),
    base_url: str | None = base_url_option(),
    api_key: str | None = api_key_option(),
    output_format: OutputFormat = typer.Option(
        OutputFormat.JSONL,
        "--format",
        help="jsonl (what `callrec records import` reads), csv (header row of the contract's "
        "keys) or json (one array).",
    ),
    output: Path | None = typer.Option(
        None, "-o", "--output", dir_okay=False, help="File to write (default: stdout)."
    ),
    resume: bool = typer.Option(
        False, "--resume", help="Continue the -o file where it ends, instead of starting over."
    ),
    max_window_days: int = typer.Option(
        31, "--max-window-days", min=1, help="The server's longest window; longer ones are split."
    ),
    size: int = typer.Option(100, "--size", min=1, max=100, help="Records per request."),
) -> None:
    """Every record of the window, each once, streamed in ascending start time.

    Times are written as ISO 8601 in the offset of --from. A progress bar shows on stderr
    when it is a terminal. After an interruption, the same command with --resume continues
    the file: a record cut in half is dropped and fetched again.
    """
    window = window_from_options(start, end)
    existing = _existing(output, output_format, window) if resume else None
    checkpoint = existing.checkpoint if existing is not None else None
    try:
        with connect(base_url, api_key, max_window_days) as client:
            expected = _expected(client, window, checkpoint)
            with _target(output, existing) as stream, _progress() as progress:
                writer = WRITERS[output_format](stream, bool(existing and existing.records))
                if existing is None or not existing.has_opening:
                    writer.start()
                records = client.iter_records(window.start, window.end, size, checkpoint=checkpoint)
                try:
                    written = _copy(records, writer, progress, expected)
                except ApiError as error:
                    if output is None:
                        raise
                    fail(f"{describe(error)}; {output} keeps what was fetched: rerun with --resume")
                writer.finish()
    except BrokenPipeError:
        # The reader went away (`| head`): say so once, without Python's own complaint at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        fail("output closed before the fetch finished")
    except OSError as exc:
        fail(f"{output or 'stdout'}: {exc.strerror or exc}")
    where = f" to {output}" if output is not None else ""
    before = f" after the {existing.records} already there" if existing and existing.records else ""
    err.print(f"fetched {written} records{where}{before}", markup=False)
