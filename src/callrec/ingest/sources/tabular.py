"""Raw CDRs in callrec's own field names: JSON Lines, CSV with a header row, JSON arrays.

Fields: ``callid, caller, called, startTime, answerTime?, endTime, callDuration?, sipCode,
hangupReason, recordingFileUrl?``. Times are epoch seconds or ISO 8601 with a UTC offset; a
time without an offset needs a time zone (``--tz``). ``callDuration`` is the talk time in
seconds; without it the talk time is ``endTime - answerTime`` (0 when never answered).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from callrec.ingest.fields import FieldError, integer
from callrec.ingest.items import Rejected, SourceItem
from callrec.ingest.sources import cdr_fields
from callrec.ingest.sources.instants import MICROS, pick_instants, time_choices
from callrec.model import RawCdr
from callrec.wire.json_text import JsonTextError, decode_json

SOURCE_JSONL = "file:jsonl"
SOURCE_CSV = "file:csv"
SOURCE_HTTP = "http:cdrs"
FIELDS = (
    "callid", "caller", "called", "startTime", "answerTime", "endTime", "callDuration",
    "sipCode", "hangupReason", "recordingFileUrl",
)  # fmt: skip
REQUIRED_FIELDS = ("callid", "caller", "called", "startTime", "endTime", "sipCode", "hangupReason")

_decoder = msgspec.json.Decoder(float_hook=Decimal)


class BatchError(ValueError):
    """The batch as a whole cannot be read (not one item of it is usable)."""


def _text(item: dict[str, Any], field: str) -> str | None:
    value = item.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FieldError(field, "must be a string")
    return str(value)


def raw_cdr(item: dict[str, Any], tz: ZoneInfo | None, source: str) -> RawCdr:
    """One raw CDR from its fields; raises FieldError naming the first unusable field."""
    callid = cdr_fields.callid(_text(item, "callid"), "callid")
    caller = cdr_fields.party(_text(item, "caller"), "caller")
    called = cdr_fields.party(_text(item, "called"), "called")
    start = time_choices(item.get("startTime"), "startTime", tz)
    answer_value = item.get("answerTime")
    answer = None if answer_value in (None, "") else time_choices(answer_value, "answerTime", tz)
    end = time_choices(item.get("endTime"), "endTime", tz)
    talk = None if item.get("callDuration") in (None, "") else integer(item, "callDuration")
    start_us, answer_us, end_us = pick_instants(start, answer, end, talk_seconds=talk)
    cdr_fields.in_order(start_us, answer_us, end_us, ("startTime", "answerTime", "endTime"))
    call_seconds = -(-(end_us - start_us) // MICROS)
    if talk is not None and talk > call_seconds:
        raise FieldError(
            "callDuration", f"{talk} s is longer than the call (endTime - startTime = "
            f"{call_seconds} s)"
        )  # fmt: skip
    sip_code = cdr_fields.sip_status(_text(item, "sipCode"), "sipCode")
    if sip_code is None:
        raise FieldError("sipCode", "is required")
    hangup_reason = cdr_fields.hangup_reason(_text(item, "hangupReason"), "hangupReason")
    if hangup_reason is None:
        raise FieldError("hangupReason", "is required")
    return RawCdr(
        callid=callid,
        caller=caller,
        called=called,
        start_us=start_us,
        answer_us=answer_us,
        end_us=end_us,
        talk_seconds=talk,
        sip_code=sip_code,
        hangup_reason=hangup_reason,
        recording_url=cdr_fields.recording_url(_text(item, "recordingFileUrl"), "recordingFileUrl"),
        source=source,
    )


NOT_AN_OBJECT = "a CDR must be a JSON object"
NOT_JSON = "not valid JSON"


def _item(value: object, where: str, tz: ZoneInfo | None, source: str) -> SourceItem:
    if not isinstance(value, dict):
        return Rejected(where, NOT_AN_OBJECT)
    try:
        return raw_cdr(value, tz, source)
    except FieldError as exc:
        return Rejected(where, str(exc))


def read_jsonl(
    lines: Iterable[bytes],
    tz: ZoneInfo | None = None,
    source: str = SOURCE_JSONL,
    *,
    first_line: int = 1,
) -> Iterator[SourceItem]:
    """One item per non-blank line, located as ``line N`` (N counted from ``first_line``)."""
    for number, line in enumerate(lines, start=first_line):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            value = decode_json(_decoder, line)
        except JsonTextError as exc:
            yield Rejected(where, f"{NOT_JSON}: {exc}")
            continue
        yield _item(value, where, tz, source)


def read_json_batch(
    body: bytes, tz: ZoneInfo | None = None, source: str = SOURCE_HTTP
) -> list[SourceItem]:
    """A JSON array (items located as ``item N``, from 1) or JSON Lines (``line N``)."""
    stripped = body.lstrip()
    if not stripped:
        raise BatchError("the body is empty; send a JSON array or JSON Lines of CDRs")
    if not stripped.startswith(b"["):
        return _json_lines_batch(body, tz, source)
    try:
        values = decode_json(_decoder, body)
    except JsonTextError as exc:
        raise BatchError(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(values, list):  # pragma: no cover - starts with "[" yet decodes otherwise
        raise BatchError("the body must be a JSON array or JSON Lines")
    return [_item(value, f"item {n}", tz, source) for n, value in enumerate(values, start=1)]


def _json_lines_batch(body: bytes, tz: ZoneInfo | None, source: str) -> list[SourceItem]:
    """JSON Lines; a body in which no line is a JSON object is not JSON Lines at all."""
    items = list(read_jsonl(body.splitlines(), tz, source))
    if all(_not_an_object(item) for item in items):
        first = items[0]
        assert isinstance(first, Rejected)
        raise BatchError(
            "the body is neither a JSON array nor JSON Lines of CDR objects "
            f"({first.item}: {first.reason})"
        )
    return items


def _not_an_object(item: SourceItem) -> bool:
    return isinstance(item, Rejected) and item.reason.startswith((NOT_JSON, NOT_AN_OBJECT))


class _DecodedLines:
    """Feeds text lines to the csv module, remembering which raw lines were not UTF-8."""

    def __init__(self, lines: Iterable[bytes]) -> None:
        self._lines = iter(lines)
        self.number = 0
        self.bad_lines: set[int] = set()

    def __iter__(self) -> Iterator[str]:
        for raw in self._lines:
            self.number += 1
            if self.number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                self.bad_lines.add(self.number)
                yield raw.decode("utf-8", errors="replace")


def _header(row: list[str]) -> tuple[list[str], str | None]:
    names = [name.strip() for name in row]
    # Missing columns first: a file without a header row has data there, whose repeated
    # (often empty) cells would otherwise be reported as columns named twice.
    missing = [name for name in REQUIRED_FIELDS if name not in names]
    if missing:
        hint = "" if set(names) & set(FIELDS) else " (the first line must be a header row)"
        return names, f"header: missing column(s) {', '.join(missing)}{hint}"
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        return names, f"header: column(s) named twice: {', '.join(map(repr, duplicates))}"
    return names, None


def read_csv(
    lines: Iterable[bytes],
    tz: ZoneInfo | None = None,
    source: str = SOURCE_CSV,
    skip_lines: int = 0,
) -> Iterator[SourceItem]:
    """CSV with a header row naming the fields (any order; unknown columns are ignored).
    An empty cell is an absent value. Items are located by their first line, ``line N``.
    Records after the header that start within the first ``skip_lines`` lines are read past
    without making items of them (an import resuming after them)."""
    text = _DecodedLines(lines)
    reader = csv.reader(text, strict=True)
    header: list[str] | None = None
    first_line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if header is None or first_line > skip_lines:
                yield Rejected(f"line {first_line}", f"not valid CSV: {exc}")
            first_line = text.number + 1
            continue
        where = f"line {first_line}"
        record_lines = set(range(first_line, text.number + 1))
        first_line = text.number + 1
        if not row or row == [""] or (header is not None and min(record_lines) <= skip_lines):
            continue
        if record_lines & text.bad_lines:
            yield Rejected(where, "not valid UTF-8")
            continue
        if header is None:
            header, problem = _header(row)
            if problem:
                yield Rejected(where, problem)
                return
            continue
        if len(row) != len(header):
            yield Rejected(
                where, f"expected {len(header)} columns as in the header, got {len(row)}"
            )
            continue
        values = {
            name: (cell if cell.strip() else None) for name, cell in zip(header, row, strict=True)
        }
        yield _item(values, where, tz, source)
