from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from callrec.ingest.items import Rejected, SourceItem
from callrec.ingest.sources.tabular import BatchError, read_csv, read_json_batch, read_jsonl
from callrec.model import RawCdr
from callrec.wire.times import parse_iso_instant

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "tabular"
KOLKATA = ZoneInfo("Asia/Kolkata")


def us(iso: str) -> int:
    return parse_iso_instant(iso).micros


def lines(name: str) -> list[bytes]:
    return (FIXTURES / name).read_bytes().splitlines(keepends=True)


def cdrs(items: list[SourceItem]) -> dict[str, RawCdr]:
    return {item.callid: item for item in items if isinstance(item, RawCdr)}


def rejections(items: list[SourceItem]) -> dict[str, str]:
    return {item.item: item.reason for item in items if isinstance(item, Rejected)}


def test_jsonl_keeps_the_good_lines_and_names_each_bad_one() -> None:
    items = list(read_jsonl(lines("mixed.jsonl")))
    assert sorted(cdrs(items)) == ["j-1", "j-10", "j-2"]
    rejected = rejections(items)
    assert sorted(rejected, key=lambda w: int(w.split()[1])) == [
        "line 4", "line 5", "line 6", "line 7", "line 8", "line 9", "line 10", "line 12",
    ]  # fmt: skip
    assert rejected["line 4"].startswith("startTime: '2024-01-01T09:10:00' has no UTC offset")
    assert rejected["line 5"].startswith("callDuration: 600 s is longer than the call")
    assert rejected["line 6"].startswith("startTime: epoch seconds 1704099600000 out of range")
    assert rejected["line 7"].startswith("sipCode: 'OK' is not a SIP status code")
    assert rejected["line 8"] == "callid: is required"
    assert rejected["line 9"].startswith("not valid JSON")
    assert rejected["line 10"] == "a CDR must be a JSON object"
    assert rejected["line 12"] == "endTime: is earlier than startTime"


def test_jsonl_fields_become_a_raw_cdr() -> None:
    found = cdrs(list(read_jsonl(lines("mixed.jsonl"))))
    first = found["j-1"]
    assert first == RawCdr(
        callid="j-1",
        caller="+915027021995",
        called="+919812345678",
        start_us=us("2024-01-01T09:00:00Z"),
        answer_us=us("2024-01-01T09:00:05Z"),
        end_us=us("2024-01-01T09:01:07Z"),
        talk_seconds=62,
        sip_code="200",
        hangup_reason="NORMAL_CLEARING",
        recording_url="https://rec.example.net/j-1.wav",
        source="file:jsonl",
    )
    second = found["j-2"]
    assert second.sip_code == "200"  # a JSON number is read as the status it spells
    assert second.talk_seconds is None
    assert second.answer_us == 1_704_099_903_250_000
    assert second.talk_time() == 11  # 10.25 s of talk rounds up
    assert second.recording_url == ""


def test_jsonl_reads_times_without_offset_in_the_zone_given() -> None:
    found = cdrs(list(read_jsonl(lines("mixed.jsonl"), KOLKATA)))
    assert found["j-3"].start_us == us("2024-01-01T09:10:00+05:30")
    assert found["j-3"].answer_us is None
    assert found["j-3"].talk_time() == 0


def test_csv_reads_quoted_fields_and_locates_rows_by_their_first_line() -> None:
    items = list(read_csv(lines("mixed.csv")))
    found = cdrs(items)
    assert sorted(found) == ["c-1", "c-2", "c-6"]
    assert found["c-1"].talk_seconds == 62
    assert found["c-1"].recording_url == "https://rec.example.net/c-1.wav"
    assert found["c-2"].talk_seconds is None  # an empty cell is an absent value
    assert found["c-6"].talk_seconds == 120
    assert found["c-6"].source == "file:csv"
    rejected = rejections(items)
    assert set(rejected) == {"line 4", "line 5", "line 6", "line 9"}
    assert rejected["line 4"].startswith("startTime: '2024-01-01 14:40:00' has no UTC offset")
    assert rejected["line 5"] == "expected 11 columns as in the header, got 8"
    assert rejected["line 6"].startswith("startTime: expected epoch seconds")
    # c-6 spans lines 7 and 8 (a quoted newline), so the next row starts on line 9.
    assert rejected["line 9"] == "sipCode: '2000' is not a SIP status code (100-699)"


def test_csv_with_a_zone_accepts_local_times() -> None:
    found = cdrs(list(read_csv(lines("mixed.csv"), KOLKATA)))
    assert found["c-3"].start_us == us("2024-01-01T09:10:00Z")


def test_csv_header_must_name_the_required_fields() -> None:
    items = list(read_csv([b"callid,caller,startTime\n", b"x,1,2\n"]))
    assert items == [
        Rejected("line 1", "header: missing column(s) called, endTime, sipCode, hangupReason")
    ]


def test_csv_without_a_header_row_says_which_columns_are_missing() -> None:
    """Regression (defect 2): it said "header: column(s) named twice: " with an empty list."""
    row = b"c-1,+915027021995,+919812345678,2024-01-01T09:00:00Z,,2024-01-01T09:00:10Z,,200,X\n"
    (item,) = list(read_csv([row]))
    assert item == Rejected(
        "line 1",
        "header: missing column(s) callid, caller, called, startTime, endTime, sipCode, "
        "hangupReason (the first line must be a header row)",
    )


def test_csv_header_naming_a_column_twice_says_which() -> None:
    header = b"callid,caller,called,startTime,endTime,sipCode,hangupReason,caller\n"
    (item,) = list(read_csv([header]))
    assert item == Rejected("line 1", "header: column(s) named twice: 'caller'")


def test_csv_rejects_a_line_that_is_not_utf8_and_keeps_going() -> None:
    header = b"callid,caller,called,startTime,endTime,sipCode,hangupReason\n"
    good = b"ok,+915027021995,+919812345678,1704099600,1704099610,200,NORMAL_CLEARING\n"
    bad = b"bad,+91\xff,+919812345678,1704099600,1704099610,200,NORMAL_CLEARING\n"
    items = list(read_csv([header, bad, good]))
    assert items[0] == Rejected("line 2", "not valid UTF-8")
    assert isinstance(items[1], RawCdr)
    assert items[1].callid == "ok"


def test_a_json_array_batch_locates_items_by_position() -> None:
    body = (
        b'[{"callid": "a", "caller": "+915027021995", "called": "+919812345678",'
        b' "startTime": 1704099600, "endTime": 1704099610, "sipCode": "200",'
        b' "hangupReason": "NORMAL_CLEARING"}, 7, {"callid": "b"}]'
    )
    items = read_json_batch(body)
    assert isinstance(items[0], RawCdr)
    assert items[0].source == "http:cdrs"
    assert items[1] == Rejected("item 2", "a CDR must be a JSON object")
    assert items[2] == Rejected("item 3", "caller: is required")


def test_a_json_lines_batch_locates_items_by_line() -> None:
    body = b'{"callid": "a"}\n\n{"callid": "b", "caller": "1"}\n'
    assert read_json_batch(body) == [
        Rejected("line 1", "caller: is required"),
        Rejected("line 3", "called: is required"),
    ]


@pytest.mark.parametrize("body", [b"", b"  \n", b"[{]"])
def test_an_unreadable_batch_is_an_error_for_the_whole_body(body: bytes) -> None:
    with pytest.raises(BatchError):
        read_json_batch(body)
