from __future__ import annotations

import csv
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from callrec.ingest.fields import FieldError
from callrec.ingest.items import Rejected, SourceItem
from callrec.ingest.sources.asterisk import BASE_COLUMNS, column_names, read_master_csv
from callrec.model import RawCdr
from callrec.wire.times import parse_iso_instant

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "asterisk"
KOLKATA = ZoneInfo("Asia/Kolkata")
BERLIN = ZoneInfo("Europe/Berlin")


def us(iso: str) -> int:
    return parse_iso_instant(iso).micros


def read(name: str, tz: ZoneInfo = KOLKATA) -> list[SourceItem]:
    return list(read_master_csv((FIXTURES / name).read_bytes().splitlines(keepends=True), tz))


def cdrs(items: list[SourceItem]) -> list[RawCdr]:
    return [item for item in items if isinstance(item, RawCdr)]


def rejections(items: list[SourceItem]) -> dict[str, str]:
    return {item.item: item.reason for item in items if isinstance(item, Rejected)}


def row(extra: list[str]) -> list[str]:
    base = ["", "1", "2", "ctx", "clid", "chan", "dchan", "Dial", "", "2024-01-01 00:00:00", "",
            "2024-01-01 00:00:01", "1", "0", "NO ANSWER", "DOCUMENTATION"]  # fmt: skip
    return base + extra


@pytest.mark.parametrize(
    ("extra", "names"),
    [
        ([], ()),
        (["1704099600.1"], ("uniqueid",)),
        (["pbx1-1704099600.17"], ("uniqueid",)),
        (["customer-42"], ("userfield",)),
        (["1704099600.1", "customer-42"], ("uniqueid", "userfield")),
        (["", "1704099600.1", "3"], ("peeraccount", "linkedid", "sequence")),
        (["1704099600.1", "", "1704099600.1", "3"],
         ("uniqueid", "peeraccount", "linkedid", "sequence")),
        (["1704099600.1", "x", "", "1704099600.1", "3"],
         ("uniqueid", "userfield", "peeraccount", "linkedid", "sequence")),
    ],
)  # fmt: skip
def test_columns_are_named_from_their_count(extra: list[str], names: tuple[str, ...]) -> None:
    assert column_names(row(extra)) == BASE_COLUMNS + names


@pytest.mark.parametrize("count", [15, 22])
def test_other_column_counts_are_rejected(count: int) -> None:
    with pytest.raises(FieldError, match="16 to 21 columns"):
        column_names(["x"] * count)


def test_master_csv_with_uniqueid_and_userfield() -> None:
    items = read("Master-uniqueid.csv")
    found = {cdr.callid: cdr for cdr in cdrs(items)}
    assert list(found) == [
        "1704099600.1", "1704099900.3", "1704100200.5", "1704100500.7", "1704101400.13"
    ]  # fmt: skip
    answered = found["1704099600.1"]
    assert answered == RawCdr(
        callid="1704099600.1",
        caller="+915027021995",
        called="919812345678",
        start_us=us("2024-01-01T09:00:00Z"),
        answer_us=us("2024-01-01T09:00:05Z"),
        end_us=us("2024-01-01T09:01:07Z"),
        talk_seconds=62,
        sip_code="200",
        hangup_reason="NORMAL_CLEARING",
        recording_url="",
        source="file:asterisk",
    )
    busy = found["1704099900.3"]
    assert (busy.called, busy.answer_us, busy.talk_seconds) == ("0091 98123 45679", None, 0)
    assert (busy.sip_code, busy.hangup_reason) == ("486", "USER_BUSY")
    no_answer = found["1704100200.5"]
    assert (no_answer.sip_code, no_answer.hangup_reason) == ("480", "NO_ANSWER")
    failed = found["1704100500.7"]
    assert (failed.sip_code, failed.hangup_reason) == ("503", "NORMAL_TEMPORARY_FAILURE")
    assert rejections(items) == {
        "line 5": "disposition: 'TRANSFERRED' is not one of ANSWERED, BUSY, NO ANSWER, "
        "CONGESTION, FAILED",
        "line 6": "start: '2024-01-01 25:00:00' is not a time like 2024-01-01 09:00:00",
    }


def test_quoted_fields_with_commas_and_escaped_quotes_keep_the_columns_apart() -> None:
    text = (FIXTURES / "Master-uniqueid.csv").read_text()
    first = next(csv.reader(io.StringIO(text)))
    assert first[4] == '"Alice, Sales" <+915027021995>'
    assert first[17] == 'campaign "spring", wave 2'
    assert len(first) == 18


def test_without_uniqueid_the_callid_is_a_stable_hash_of_the_row() -> None:
    first_read = read("Master-basic.csv")
    second_read = read("Master-basic.csv")
    callids = [cdr.callid for cdr in cdrs(first_read)]
    assert callids == [cdr.callid for cdr in cdrs(second_read)]
    assert len(callids) == 2
    assert len(set(callids)) == 2
    assert all(c.startswith("ast-") and len(c) == 36 for c in callids)
    assert rejections(first_read) == {
        "line 3": "columns: a cdr_csv row has 16 to 21 columns (16 base, uniqueid, userfield, "
        "newcdrcolumns), got 14"
    }


def test_the_hash_ignores_the_line_ending_but_not_the_content() -> None:
    line = (FIXTURES / "Master-basic.csv").read_bytes().splitlines()[0]
    lf = cdrs(list(read_master_csv([line + b"\n"], KOLKATA)))[0].callid
    crlf = cdrs(list(read_master_csv([line + b"\r\n"], KOLKATA)))[0].callid
    changed = cdrs(list(read_master_csv([line.replace(b"67,62", b"67,61") + b"\n"], KOLKATA)))
    assert lf == crlf
    assert changed[0].callid != lf


def test_newcdrcolumns_rows_use_the_uniqueid() -> None:
    found = cdrs(read("Master-newcdrcolumns.csv"))
    assert [cdr.callid for cdr in found] == ["pbx1-1704099600.1", "pbx1-1704110400.15"]
    assert found[1].talk_seconds == 10


def test_daylight_saving_time_in_the_servers_zone() -> None:
    items = read("Master-dst-berlin.csv", BERLIN)
    found = {cdr.callid: cdr for cdr in cdrs(items)}
    across = found["1729990770.1"]  # starts in CEST, ends in CET: duration tells which is which
    assert across.start_us == us("2024-10-27T02:59:30+02:00")
    assert across.answer_us == us("2024-10-27T02:59:40+02:00")
    assert across.end_us == us("2024-10-27T02:01:30+01:00")
    inside = found["1729991400.3"]  # wholly in the repeated hour: the earlier (CEST) reading
    assert inside.start_us == us("2024-10-27T02:10:00+02:00")
    assert rejections(items) == {
        "line 3": "start: 2024-03-31 02:30:00 does not exist in Europe/Berlin (the clocks "
        "skipped it); is that the switch's time zone?"
    }


def test_a_bad_row_does_not_stop_the_rows_after_it() -> None:
    lines = [b'"broken\n', b'"",1,2\n']
    lines += (FIXTURES / "Master-newcdrcolumns.csv").read_bytes().splitlines(keepends=True)
    items = list(read_master_csv(lines, KOLKATA))
    assert len(cdrs(items)) == 2
    rejected = rejections(items)
    assert set(rejected) == {"line 1", "line 2"}
    assert rejected["line 1"].startswith("not valid CSV: ")
    assert rejected["line 2"].startswith("columns: a cdr_csv row has 16 to 21 columns")
