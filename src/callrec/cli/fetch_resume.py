"""Reading back a file ``callrec fetch`` was writing, to continue it with ``--resume``.

Only complete lines count: whatever follows the last line end (a record cut by a kill) is
dropped, and so is a JSON array's closing bracket. The checkpoint is the latest start second
in the file and the callids already written for that second; the fetch continues from that
second and skips those callids. The scan streams the file: memory does not grow with it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta, timezone
from pathlib import Path
from typing import BinaryIO

import msgspec

from callrec.cli.fetch_output import CSV_HEADER, JSON_OPENING, OutputFormat
from callrec.client import Checkpoint
from callrec.wire.records import RECORD_KEYS
from callrec.wire.times import TimeFormatError, datetime_from_micros, parse_iso_instant

_CALLID = RECORD_KEYS.index("callid")
_START = RECORD_KEYS.index("startTime")


class _Keys(msgspec.Struct):
    callid: str
    startTime: str


_keys_decoder = msgspec.json.Decoder(_Keys)


class ResumeError(ValueError):
    """The file cannot be continued; the message says why."""


@dataclass(frozen=True, slots=True)
class ExistingOutput:
    """What an interrupted file holds. Bytes past ``keep_bytes`` are to be cut off."""

    keep_bytes: int
    records: int
    has_opening: bool  # the CSV header or the JSON array's "[" is within keep_bytes
    checkpoint: Checkpoint | None
    offset_seconds: int | None


class _Latest:
    """The latest start second among the records read, and the callids at that second."""

    def __init__(self) -> None:
        self.records = 0
        self.micros: int | None = None
        self.offset_seconds: int | None = None
        self.callids: set[str] = set()

    def add(self, callid: str, start_time: str, where: str) -> None:
        try:
            instant = parse_iso_instant(start_time)
        except TimeFormatError as exc:
            raise ResumeError(f"{where}: startTime {start_time!r}: {exc}") from exc
        self.records += 1
        if self.micros is None or instant.micros > self.micros:
            self.micros = instant.micros
            self.offset_seconds = instant.offset_seconds
            self.callids = set()
        if instant.micros == self.micros:
            self.callids.add(callid)

    def result(self, keep_bytes: int, has_opening: bool) -> ExistingOutput:
        checkpoint = None
        if self.micros is not None and self.offset_seconds is not None:
            offset = timezone(timedelta(seconds=self.offset_seconds))
            moment = datetime_from_micros(self.micros, offset)
            checkpoint = Checkpoint(moment, frozenset(self.callids))
        return ExistingOutput(
            keep_bytes, self.records, has_opening, checkpoint, self.offset_seconds
        )


def _complete_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """(offset, line) for each line that has its line end; a cut last line is left out."""
    offset = 0
    for line in stream:
        if not line.endswith(b"\n"):
            return
        yield offset, line
        offset += len(line)


def _scan_jsonl(stream: BinaryIO, name: str) -> ExistingOutput:
    latest = _Latest()
    keep = 0
    for number, (offset, line) in enumerate(_complete_lines(stream), start=1):
        if line.strip():
            try:
                keys = _keys_decoder.decode(line)
            except msgspec.DecodeError as exc:
                raise ResumeError(f"{name}, line {number}: not a fetched record ({exc})") from exc
            latest.add(keys.callid, keys.startTime, f"{name}, line {number}")
        keep = offset + len(line)
    return latest.result(keep, has_opening=True)


def _scan_json(stream: BinaryIO, name: str) -> ExistingOutput:
    latest = _Latest()
    lines = _complete_lines(stream)
    first = next(lines, None)
    if first is None:
        return latest.result(0, has_opening=False)
    if first[1] != JSON_OPENING:
        raise ResumeError(f"{name}: does not start with '[': not a --format json output")
    keep = len(JSON_OPENING)
    for number, (offset, line) in enumerate(lines, start=2):
        body = line.rstrip(b"\r\n")
        if body == b"]":
            break
        body = body.removesuffix(b",")
        try:
            keys = _keys_decoder.decode(body)
        except msgspec.DecodeError as exc:
            raise ResumeError(f"{name}, line {number}: not a fetched record ({exc})") from exc
        latest.add(keys.callid, keys.startTime, f"{name}, line {number}")
        keep = offset + len(body)
    return latest.result(keep, has_opening=True)


def _csv_records(lines: Iterator[tuple[int, bytes]]) -> Iterator[tuple[int, bytes]]:
    """Join physical lines into CSV records: a record ends at a line end outside quotes."""
    start: int | None = None
    pending = b""
    for offset, line in lines:
        if start is None:
            start = offset
        pending += line
        if pending.count(b'"') % 2 == 0:
            yield start, pending
            start, pending = None, b""


def _scan_csv(stream: BinaryIO, name: str) -> ExistingOutput:
    latest = _Latest()
    lines = _complete_lines(stream)
    first = next(lines, None)
    if first is None:
        return latest.result(0, has_opening=False)
    if first[1] != CSV_HEADER:
        raise ResumeError(f"{name}: the first line is not fetch's CSV header")
    keep = len(CSV_HEADER)
    for number, (offset, text) in enumerate(_csv_records(lines), start=2):
        try:
            row = next(csv.reader([text.decode()]), [])
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ResumeError(f"{name}, record {number}: not a fetched record ({exc})") from exc
        if len(row) != len(RECORD_KEYS):
            raise ResumeError(
                f"{name}, record {number}: {len(row)} columns, expected {len(RECORD_KEYS)}"
            )
        latest.add(row[_CALLID], row[_START], f"{name}, record {number}")
        keep = offset + len(text)
    return latest.result(keep, has_opening=True)


_SCANNERS = {
    OutputFormat.JSONL: _scan_jsonl,
    OutputFormat.JSON: _scan_json,
    OutputFormat.CSV: _scan_csv,
}


def scan_existing_output(path: Path, output_format: OutputFormat) -> ExistingOutput:
    with path.open("rb") as stream:
        return _SCANNERS[output_format](stream, str(path))
