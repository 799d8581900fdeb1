"""Asterisk's ``cdr_csv`` ``Master.csv``.

No header row. Sixteen base columns (accountcode, src, dst, dcontext, clid, channel,
dstchannel, lastapp, lastdata, start, answer, end, duration, billsec, disposition, amaflags),
then ``uniqueid`` when ``loguniqueid=yes``, ``userfield`` when ``loguserfield=yes``, and
peeraccount, linkedid, sequence when ``newcdrcolumns=yes``. The options are told apart by
the column count; where one extra column could be either ``uniqueid`` or ``userfield``
(17 or 20 columns), it is the uniqueid when it looks like one (``1704099600.12``, optionally
prefixed ``systemname-``).

Times are the server's local time without an offset (UTC with ``usegmtime=yes``), so a time
zone is required. ``billsec`` is the talk time; ``duration`` and ``billsec`` pick the right
instant of a local time the clocks show twice (see ``instants``). The callid is ``uniqueid``,
else ``ast-`` and the first 32 hex digits of the SHA-256 of the row as written, so that
importing the same file twice stores each call once.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from callrec.ingest.fields import FieldError
from callrec.ingest.items import Rejected, SourceItem
from callrec.ingest.sources import cdr_fields
from callrec.ingest.sources.instants import Choices, fast_choices, local_choices, pick_instants
from callrec.model import RawCdr

SOURCE = "file:asterisk"
BASE_COLUMNS = (
    "accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp",
    "lastdata", "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
)  # fmt: skip
NEW_COLUMNS = ("peeraccount", "linkedid", "sequence")
COLUMN_COUNTS = (16, 17, 18, 19, 20, 21)
_UNIQUEID = re.compile(r"(?:[\w.-]+-)?\d{9,}\.\d+", re.ASCII)
_LOCAL_TIME = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True, slots=True)
class Outcome:
    """How an Asterisk disposition is reported: SIP status and Q.850-style cause name."""

    sip_code: str
    hangup_reason: str


# FAILED says only that the call could not be placed; 503 and "temporary failure" (Q.850 41)
# are the generic SIP and Q.850 answers for that (RFC 3398 maps 41 to 503).
DISPOSITIONS = {
    "ANSWERED": Outcome("200", "NORMAL_CLEARING"),
    "BUSY": Outcome("486", "USER_BUSY"),
    "NO ANSWER": Outcome("480", "NO_ANSWER"),
    "CONGESTION": Outcome("503", "NORMAL_CIRCUIT_CONGESTION"),
    "FAILED": Outcome("503", "NORMAL_TEMPORARY_FAILURE"),
}


def column_names(row: list[str]) -> tuple[str, ...]:
    """Name the columns of one row from its count; raises FieldError for another count."""
    count = len(row)
    if count not in COLUMN_COUNTS:
        raise FieldError(
            "columns",
            f"a cdr_csv row has 16 to 21 columns (16 base, uniqueid, userfield, "
            f"newcdrcolumns), got {count}",
        )
    extra = count - 16
    tail = NEW_COLUMNS if extra >= 3 else ()
    options = extra - len(tail)
    if options == 2:
        middle: tuple[str, ...] = ("uniqueid", "userfield")
    elif options == 1:
        middle = ("uniqueid",) if _UNIQUEID.fullmatch(row[16].strip()) else ("userfield",)
    else:
        middle = ()
    return BASE_COLUMNS + middle + tail


def _local(value: str, field: str, tz: ZoneInfo) -> Choices:
    fast = fast_choices(value, tz, separators=" ")
    if fast is not None:
        return fast
    try:
        local = datetime.strptime(value.strip(), _LOCAL_TIME)
    except ValueError as exc:
        raise FieldError(field, f"{value!r} is not a time like 2024-01-01 09:00:00") from exc
    return local_choices(local, tz, field)


def row_hash_callid(raw: bytes) -> str:
    return "ast-" + hashlib.sha256(raw.rstrip(b"\r\n")).hexdigest()[:32]


def raw_cdr(row: list[str], raw: bytes, tz: ZoneInfo, source: str = SOURCE) -> RawCdr:
    """One raw CDR from one parsed row and the raw bytes it was read from."""
    names = column_names(row)
    fields = dict(zip(names, row, strict=True))
    uniqueid = fields.get("uniqueid", "").strip()
    callid = cdr_fields.callid(uniqueid, "uniqueid") if uniqueid else row_hash_callid(raw)
    disposition = fields["disposition"].strip().upper()
    outcome = DISPOSITIONS.get(disposition)
    if outcome is None:
        raise FieldError(
            "disposition", f"{fields['disposition']!r} is not one of {', '.join(DISPOSITIONS)}"
        )
    duration = cdr_fields.seconds(fields["duration"], "duration", required=True)
    billsec = cdr_fields.seconds(fields["billsec"], "billsec", required=True)
    start = _local(fields["start"], "start", tz)
    answer = _local(fields["answer"], "answer", tz) if fields["answer"].strip() else None
    end = _local(fields["end"], "end", tz)
    start_us, answer_us, end_us = pick_instants(
        start, answer, end, call_seconds=duration, talk_seconds=billsec
    )
    cdr_fields.in_order(start_us, answer_us, end_us, ("start", "answer", "end"))
    return RawCdr(
        callid=callid,
        # An empty src is an anonymous caller: the call can still route on dst.
        caller=cdr_fields.party(fields["src"], "src", required=False),
        called=cdr_fields.party(fields["dst"], "dst"),
        start_us=start_us,
        answer_us=answer_us,
        end_us=end_us,
        talk_seconds=billsec,
        sip_code=outcome.sip_code,
        hangup_reason=outcome.hangup_reason,
        recording_url="",
        source=source,
    )


def read_master_csv(
    lines: Iterable[bytes], tz: ZoneInfo, source: str = SOURCE, *, first_line: int = 1
) -> Iterator[SourceItem]:
    """One item per line, located as ``line N`` (N counted from ``first_line``).

    cdr_csv writes one record per line, so each line is parsed on its own: a stray quote
    costs its own line only, never the lines after it. Undecodable bytes are replaced (the
    callid hash is taken from the raw bytes anyway).
    """
    for number, raw in enumerate(lines, start=first_line):
        text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if not text.strip():
            continue
        try:
            row = next(csv.reader([text], strict=True))
        except csv.Error as exc:
            yield Rejected(f"line {number}", f"not valid CSV: {exc}")
            continue
        try:
            yield raw_cdr(row, raw, tz, source)
        except FieldError as exc:
            yield Rejected(f"line {number}", str(exc))
