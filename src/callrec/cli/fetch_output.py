"""The files ``callrec fetch`` writes: JSON Lines, CSV and a JSON array, one record a line.

Every format writes a record's times as ISO 8601 with the request's offset
(``2024-01-01T09:00:00+08:00``), so a file says which instant it means without the command
line that made it; JSON Lines is exactly what ``callrec records import`` reads. Each record is
one line, which is what lets ``--resume`` find where an interrupted file ends.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from enum import StrEnum
from typing import Any, BinaryIO

import msgspec

from callrec.client import Record
from callrec.wire.records import RECORD_KEYS

_encoder = msgspec.json.Encoder(decimal_format="string")


class OutputFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"
    JSON = "json"


CSV_HEADER = (",".join(RECORD_KEYS) + "\r\n").encode()
JSON_OPENING = b"[\n"


class RecordWriter:
    """Writes records to a binary stream; ``start`` only for a new file, ``finish`` at the end.

    ``continues_records`` says the stream already holds records (a resumed file).
    """

    def __init__(self, stream: BinaryIO, continues_records: bool = False) -> None:
        self.stream = stream
        self.has_records = continues_records

    def start(self) -> None:
        """Write what comes before the first record (a header), when the file is new."""

    def write(self, record: Record) -> None:
        self.stream.write(self.encode(record))
        self.has_records = True

    def encode(self, record: Record) -> bytes:
        raise NotImplementedError

    def finish(self) -> None:
        """Write what comes after the last record."""


class JsonLinesWriter(RecordWriter):
    def encode(self, record: Record) -> bytes:
        return _encoder.encode(record.to_importable()) + b"\n"


class JsonArrayWriter(RecordWriter):
    """``[``, then one record a line with the comma at the end of the line before, then ``]``."""

    def start(self) -> None:
        self.stream.write(JSON_OPENING)

    def encode(self, record: Record) -> bytes:
        separator = b",\n" if self.has_records else b""
        return separator + _encoder.encode(record.to_importable())

    def finish(self) -> None:
        self.stream.write(b"\n]\n" if self.has_records else b"]\n")


def csv_cell(value: Any) -> str:
    """A contract value as CSV text: null is the empty cell (only ``recordingFileUrl`` is
    ever ``""`` in the contract, so an empty cell reads back without ambiguity)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class CsvWriter(RecordWriter):
    """RFC 4180: a header row of the contract's keys, CRLF line ends, quotes where needed."""

    def start(self) -> None:
        self.stream.write(CSV_HEADER)

    def encode(self, record: Record) -> bytes:
        document = record.to_importable()
        line = io.StringIO()
        csv.writer(line, lineterminator="\r\n").writerow(
            [csv_cell(document[key]) for key in RECORD_KEYS]
        )
        return line.getvalue().encode()


WRITERS: dict[OutputFormat, type[RecordWriter]] = {
    OutputFormat.JSONL: JsonLinesWriter,
    OutputFormat.CSV: CsvWriter,
    OutputFormat.JSON: JsonArrayWriter,
}
