"""Whatever a source is fed, each item becomes a CDR, a rejection or a skip: never an
exception that would stop the items after it."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from callrec.ingest.items import Rejected, Skipped
from callrec.ingest.sources.asterisk import read_master_csv
from callrec.ingest.sources.freeswitch import FreeswitchOptions, parse_document
from callrec.ingest.sources.freeswitch_body import BASE64_FORM, BodyError, cdr_json
from callrec.ingest.sources.tabular import read_csv, read_jsonl
from callrec.model import RawCdr

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
ITEM_TYPES = (RawCdr, Rejected, Skipped)
FIELD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.text(max_size=30),
    st.sampled_from(
        ["1704099600", "1" * 5000, "0", "-1", "2024-10-27 02:30:00", "%2B91", "outbound"]
    ),
    st.lists(st.integers(), max_size=3),
)
TABULAR_FIELDS = ("callid", "caller", "called", "startTime", "answerTime", "endTime",
                  "callDuration", "sipCode", "hangupReason", "recordingFileUrl")  # fmt: skip
FREESWITCH_VARIABLES = ("uuid", "start_epoch", "start_uepoch", "answer_epoch", "end_epoch",
                        "end_uepoch", "billsec", "sip_term_status", "hangup_cause",
                        "hangup_cause_q850", "caller_id_number", "destination_number",
                        "force_process_cdr", "originator", "direction")  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(TABULAR_FIELDS), FIELD_VALUES))
def test_any_json_line_is_one_item(fields: dict[str, object]) -> None:
    line = json.dumps(fields).encode()
    items = list(read_jsonl([line], ZoneInfo("Europe/Berlin")))
    assert len(items) == 1
    assert isinstance(items[0], ITEM_TYPES)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=200), max_size=5))
def test_any_bytes_as_csv_or_master_csv_never_raise(lines: list[bytes]) -> None:
    header = b"callid,caller,called,startTime,endTime,sipCode,hangupReason\n"
    for item in read_csv([header, *lines]):
        assert isinstance(item, ITEM_TYPES)
    for item in read_master_csv(lines, ZoneInfo("Europe/Berlin")):
        assert isinstance(item, ITEM_TYPES)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(FREESWITCH_VARIABLES),
        st.one_of(FIELD_VALUES, st.text(alphabet="0123456789%", max_size=25)),
    ),
    st.booleans(),
)
def test_any_freeswitch_variables_are_one_item(variables: dict[str, object], keep: bool) -> None:
    document = json.dumps({"variables": variables, "callflow": [{"profile_index": "x"}]})
    item = parse_document(document.encode(), FreeswitchOptions(keep_b_legs=keep), "cdr")
    assert isinstance(item, ITEM_TYPES)


CONTENT_TYPES = st.sampled_from(
    [None, "application/json", "application/x-www-form-urlencoded", BASE64_FORM]
)


@settings(max_examples=300, deadline=None)
@given(
    CONTENT_TYPES, st.one_of(st.binary(max_size=300), st.binary(max_size=300).map(b"cdr=".__add__))
)
def test_any_body_unwraps_or_is_a_body_error(content_type: str | None, body: bytes) -> None:
    with contextlib.suppress(BodyError):
        assert isinstance(cdr_json(content_type, body), bytes)


def test_a_huge_callflow_is_read_in_linear_time() -> None:
    doc = json.loads((FIXTURES / "freeswitch" / "a-leg.json").read_bytes())
    doc["callflow"] = doc["callflow"] + [1] * 300_000
    body = json.dumps(doc).encode()
    started = time.monotonic()
    assert isinstance(parse_document(body, FreeswitchOptions(), "cdr"), RawCdr)
    assert time.monotonic() - started < 2
