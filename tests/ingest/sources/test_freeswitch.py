from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from callrec.ingest.items import Rejected, Skipped, SourceItem
from callrec.ingest.sources.freeswitch import (
    FreeswitchOptions,
    callflow_entries,
    load_document,
    parse_document,
    read_cdr_files,
    switch_true,
)
from callrec.ingest.sources.freeswitch_body import BodyError, cdr_json
from callrec.model import RawCdr

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "freeswitch"
A_LEG_UUID = "7f4de4bc-4d64-4a2c-9b2b-2f5a3c1e8a01"
DEFAULTS = FreeswitchOptions()


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def document(name: str) -> dict[str, Any]:
    return json.loads(fixture(name))


def parse(doc: bytes | dict[str, Any], options: FreeswitchOptions = DEFAULTS) -> SourceItem:
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return parse_document(body, options, "cdr under test")


def as_cdr(item: SourceItem) -> RawCdr:
    assert isinstance(item, RawCdr), item
    return item


def test_the_a_leg_becomes_a_raw_cdr_with_values_url_decoded() -> None:
    assert parse(fixture("a-leg.json")) == RawCdr(
        callid=A_LEG_UUID,
        caller="+915027021995",
        called="+919812345678",
        start_us=1_704_099_600_123_456,
        answer_us=1_704_099_605_321_000,
        end_us=1_704_099_667_450_000,
        talk_seconds=62,
        sip_code="200",
        hangup_reason="NORMAL_CLEARING",
        recording_url="https://rec.example.net/2024/01/01/7f4de4bc.wav?token=a&b",
        source="file:freeswitch",
    )


def test_with_encode_values_off_values_are_taken_as_written() -> None:
    doc = document("a-leg.json")
    doc["variables"]["recording_file_url"] = "https://rec.example.net/a%20b.wav"
    doc["variables"]["caller_id_number"] = "+915027021995"
    cdr = as_cdr(parse(doc, FreeswitchOptions(encode_values=False)))
    assert cdr.recording_url == "https://rec.example.net/a%20b.wav"
    assert cdr.caller == "+915027021995"
    # ...whereas decoding it would have turned %20 into a space:
    assert as_cdr(parse(doc)).recording_url == "https://rec.example.net/a b.wav"


def test_the_b_leg_is_skipped_by_default() -> None:
    item = parse(fixture("b-leg.json"))
    assert isinstance(item, Skipped)
    assert item.item == "cdr under test"
    assert "B-leg" in item.reason
    assert "callflow caller_profile.originator" in item.reason


def test_the_b_leg_is_kept_when_the_source_keeps_b_legs() -> None:
    cdr = as_cdr(parse(fixture("b-leg.json"), FreeswitchOptions(keep_b_legs=True)))
    assert cdr.callid == "c2a9e1f0-8b7d-4e3a-a1c4-5d6e7f809102"
    assert (cdr.caller, cdr.called) == ("+915027021995", "919812345678")


@pytest.mark.parametrize("value", ["true", "1", "yes", "on"])
def test_force_process_cdr_keeps_a_b_leg(value: str) -> None:
    doc = document("b-leg.json")
    doc["variables"]["force_process_cdr"] = value
    assert isinstance(parse(doc), RawCdr)


def test_b_leg_variables_count_only_on_an_outbound_channel() -> None:
    doc = document("b-leg.json")
    del doc["callflow"][0]["caller_profile"]["originator"]
    item = parse(doc)
    assert isinstance(item, Skipped)
    assert "variables.originating_leg_uuid" in item.reason
    del doc["variables"]["originating_leg_uuid"]
    item = parse(doc)
    assert isinstance(item, Skipped)
    assert "variables.originator" in item.reason
    doc["variables"]["direction"] = "inbound"  # an inbound leg that inherited the variable
    assert isinstance(parse(doc), RawCdr)


def test_bridge_variables_alone_do_not_make_a_b_leg() -> None:
    doc = document("a-leg.json")  # has bridge_uuid, signal_bond and last_bridge_to
    doc["channel_data"]["direction"] = doc["variables"]["direction"] = "outbound"
    assert isinstance(parse(doc), RawCdr)  # e.g. a leg placed by the originate API


def test_repeated_callflow_keys_and_the_caller_profile_fallback() -> None:
    raw = fixture("busy-repeated-callflow.json")
    assert len(callflow_entries(load_document(raw)["callflow"])) == 2
    cdr = as_cdr(parse(raw))
    assert cdr.callid == "0d9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f5a"
    # No caller/destination variables: the original profile (index 1), not the transfer's.
    assert (cdr.caller, cdr.called) == ("+14155550123", "+915027021995")
    assert cdr.answer_us is None  # answer_epoch "0"
    assert (cdr.start_us, cdr.end_us) == (1_704_101_400_000_000, 1_704_101_412_000_000)
    assert cdr.talk_seconds == 0
    assert (cdr.sip_code, cdr.hangup_reason) == ("486", "USER_BUSY")  # from Q.850 17


def test_callflow_as_an_array_and_as_one_object() -> None:
    entry = {"profile_index": "1", "caller_profile": {"destination_number": "+915027021995"}}
    assert callflow_entries([entry]) == [entry]
    assert callflow_entries(entry) == [entry]
    assert callflow_entries(None) == []


@pytest.mark.parametrize(
    ("changes", "sip_code"),
    [
        ({"hangup_cause": "ORIGINATOR_CANCEL", "hangup_cause_q850": "16"}, "487"),
        ({"hangup_cause": "NORMAL_CLEARING", "hangup_cause_q850": "16"}, "487"),
        ({"hangup_cause": "NO_ANSWER", "hangup_cause_q850": "19"}, "480"),
        ({"hangup_cause": "UNALLOCATED_NUMBER", "hangup_cause_q850": "1"}, "404"),
        ({"hangup_cause": "CALL_REJECTED", "hangup_cause_q850": "21"}, "403"),
        ({"hangup_cause": "NORMAL_TEMPORARY_FAILURE", "hangup_cause_q850": "41"}, "503"),
        ({"hangup_cause": "RECOVERY_ON_TIMER_EXPIRE", "hangup_cause_q850": "102"}, "504"),
        ({"hangup_cause": "GATEWAY_DOWN", "hangup_cause_q850": "16"}, "503"),
        ({"hangup_cause": "SOMETHING_ODD", "hangup_cause_q850": "99"}, "500"),
        ({"hangup_cause": "USER_BUSY"}, "486"),  # the name alone
        ({"sip_term_status": "603", "hangup_cause_q850": "21"}, "603"),  # reported wins
        ({"sip_term_status": "n/a", "hangup_cause_q850": "17"}, "486"),  # unusable: derived
        ({}, None),
    ],
)
def test_sip_code_of_an_unanswered_call(changes: dict[str, str], sip_code: str | None) -> None:
    doc = document("busy-repeated-callflow.json")
    for name in ("hangup_cause", "hangup_cause_q850", "sip_term_status"):
        doc["variables"].pop(name, None)
    doc["variables"].update(changes)
    assert as_cdr(parse(doc)).sip_code == sip_code


def test_an_answered_call_without_sip_status_is_200() -> None:
    doc = document("a-leg.json")
    del doc["variables"]["sip_term_status"]
    doc["variables"]["hangup_cause"] = "MEDIA_TIMEOUT"
    assert as_cdr(parse(doc)).sip_code == "200"


def test_microsecond_epochs_are_preferred_and_seconds_are_the_fallback() -> None:
    doc = document("a-leg.json")
    for name in ("start_uepoch", "answer_uepoch", "end_uepoch"):
        del doc["variables"][name]
    cdr = as_cdr(parse(doc))
    assert (cdr.start_us, cdr.answer_us, cdr.end_us) == (
        1_704_099_600_000_000,
        1_704_099_605_000_000,
        1_704_099_667_000_000,
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d["variables"].pop("start_epoch") and d["variables"].pop("start_uepoch"),
         "variables.start_epoch: is required"),
        (lambda d: d["variables"].update(end_uepoch="soon"),
         "variables.end_uepoch: 'soon' is not epoch µs"),
        (lambda d: d["variables"].update(end_uepoch="1704099500000000"),
         "variables.end_epoch: is earlier than variables.start_epoch"),
        (lambda d: d["variables"].update(billsec="-1"),
         "variables.billsec: '-1' is not a whole number of seconds"),
        (lambda d: d["variables"].pop("uuid") and d["callflow"][0]["caller_profile"].pop("uuid"),
         "variables.uuid: is required"),
        (lambda d: d["variables"].pop("destination_number")
         and d["callflow"][0]["caller_profile"].pop("destination_number"),
         "variables.destination_number: is required"),
        (lambda d: d.pop("variables"),
         "variables: is required: a mod_json_cdr document has a variables object"),
    ],
)  # fmt: skip
def test_a_malformed_cdr_is_rejected_naming_the_field(change: Any, reason: str) -> None:
    doc = document("a-leg.json")
    change(doc)
    assert parse(doc) == Rejected("cdr under test", reason)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "a mod_json_cdr document is a JSON object"),
        (b'{"variables": NaN}', "not valid JSON"),
        (b"[" * 100_000, "not valid JSON"),
    ],
)
def test_a_document_that_is_not_a_cdr_is_rejected(body: bytes, reason: str) -> None:
    item = parse(body)
    assert isinstance(item, Rejected)
    assert item.reason.startswith(reason)


def test_switch_true_reads_like_freeswitch() -> None:
    assert [switch_true(v) for v in ("true", "On", "2", "allow")] == [True] * 4
    assert [switch_true(v) for v in ("false", "0", "", None, "nope")] == [False] * 5


def test_a_directory_import_reads_every_json_file(tmp_path: Path) -> None:
    (tmp_path / "2024-01-01").mkdir()
    (tmp_path / "2024-01-01" / "a_7f4de4bc.cdr.json").write_bytes(fixture("a-leg.json"))
    (tmp_path / "c2a9e1f0.cdr.json").write_bytes(fixture("b-leg.json"))
    (tmp_path / "broken.cdr.json").write_bytes(b"{")
    (tmp_path / "notes.txt").write_text("not a CDR")
    sizes: list[int] = []
    items = list(read_cdr_files(tmp_path, DEFAULTS, sizes.append))
    assert [type(i).__name__ for i in items] == ["RawCdr", "Rejected", "Skipped"]
    assert isinstance(items[1], Rejected)
    assert items[1].item == "broken.cdr.json"
    assert sum(sizes) == len(fixture("a-leg.json")) + len(fixture("b-leg.json")) + 1


# --- the three HTTP body encodings ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("a-leg.json", "application/json"),
        ("a-leg.form.txt", "application/x-www-form-urlencoded"),
        ("a-leg.base64.txt", "application/x-www-form-base64-encoded"),
        ("b-leg.form.txt", "application/x-www-form-urlencoded"),
        ("b-leg.base64.txt", "application/x-www-form-base64-encoded"),
        # Without a usable Content-Type the body is recognised by its shape.
        ("a-leg.json", None),
        ("a-leg.form.txt", "text/plain"),
        ("a-leg.base64.txt", None),
    ],
)
def test_each_encoding_unwraps_to_the_same_document(name: str, content_type: str | None) -> None:
    leg = name.split(".")[0]
    assert json.loads(cdr_json(content_type, fixture(name))) == document(f"{leg}.json")


def test_double_encoded_values_survive_the_form_encoding() -> None:
    # encode=true wraps a document whose values are already URL-encoded: "%2B" -> "%252B".
    assert b"%252B915027021995" in fixture("a-leg.form.txt")
    unwrapped = cdr_json("application/x-www-form-urlencoded", fixture("a-leg.form.txt"))
    assert as_cdr(parse(unwrapped)).caller == "+915027021995"


def test_base64_plus_and_slash_are_not_form_decoded() -> None:
    doc = b'{"note": ">>>???"}'
    encoded = base64.b64encode(doc)
    assert b"+" in encoded
    assert b"/" in encoded
    assert cdr_json("application/x-www-form-base64-encoded", b"cdr=" + encoded) == doc
    relayed = b"cdr=" + quote(encoded.decode(), safe="").encode()  # percent-encoded by a relay
    assert cdr_json("application/x-www-form-base64-encoded", relayed) == doc


@pytest.mark.parametrize(
    ("content_type", "body", "reason"),
    [
        ("application/x-www-form-urlencoded", b"uuid=1", "a form body must have a cdr field"),
        ("application/x-www-form-base64-encoded", b"cdr=***", "cdr: not valid base64"),
        ("application/x-www-form-urlencoded", b"cdr=%7B%FF%7D", "cdr: not a URL-encoded UTF-8"),
        ("application/json", b"  ", "the body is empty"),
        (None, b"hello", "a form body must have a cdr field"),
    ],
)
def test_bodies_that_are_none_of_the_encodings(
    content_type: str | None, body: bytes, reason: str
) -> None:
    with pytest.raises(BodyError, match=reason):
        cdr_json(content_type, body)


@pytest.mark.parametrize(("value", "kept"), [("1" * 5000, True), ("0" * 5000, False)])
def test_a_huge_force_process_cdr_number_is_read_without_building_it(
    value: str, kept: bool
) -> None:
    doc = document("b-leg.json")
    doc["variables"]["force_process_cdr"] = value
    assert isinstance(parse(doc), RawCdr) is kept
