"""Raw CDRs written as a JSON Lines file, as a switch export would hand them to
``callrec cdr import --format jsonl``: times to the second with a UTC offset."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from callrec.model import RawCdr

MICROS = 1_000_000


def _time(micros: int) -> str:
    return datetime.fromtimestamp(micros // MICROS, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def jsonl_line(cdr: RawCdr) -> bytes:
    item: dict[str, object] = {
        "callid": cdr.callid,
        "caller": cdr.caller,
        "called": cdr.called,
        "startTime": _time(cdr.start_us),
        "endTime": _time(cdr.end_us),
        "callDuration": cdr.talk_seconds,
        "sipCode": cdr.sip_code,
        "hangupReason": cdr.hangup_reason,
    }
    if cdr.answer_us is not None:
        item["answerTime"] = _time(cdr.answer_us)
    if cdr.recording_url:
        item["recordingFileUrl"] = cdr.recording_url
    return msgspec.json.encode(item) + b"\n"


def write_jsonl(path: Path, cdrs: Iterable[RawCdr]) -> Path:
    with path.open("wb") as handle:
        for cdr in cdrs:
            handle.write(jsonl_line(cdr))
    return path
