"""The number API (number-contract.md) over HTTP, on both backends: every record key, paging,
``appId``, state around midnight in the workspace's zone, ``-24`` for numbers that are not
the caller's, and edits: every field, every validation, absent vs ``""`` vs ``null``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine

from callrec.operations.actor import CLI
from callrec.operations.audit import list_audit
from callrec.store import accounts
from callrec.store.numbers import Rental
from tests.api.number_support import (
    EDIT,
    NUMBER_KEYS,
    NUMBERS,
    add,
    b64,
    call,
    edit,
    list_numbers,
    mp3,
    record_of,
    wav,
)
from tests.conftest import Tenant
from tests.helpers import ManualClock, RunningServer, signed_headers


@pytest.fixture
def files(tmp_path: Path) -> Path:
    return tmp_path / "files"


@pytest.fixture
def server(start_server: Callable[..., RunningServer], files: Path) -> RunningServer:
    return start_server(files_dir=str(files))


def test_a_number_is_listed_with_every_key_in_the_contracts_order(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    add(engine, tenant, number_type="FIXED", rental=Rental(due_date=date(2099, 4, 11)))
    [record] = list_numbers(server, tenant)
    assert list(record) == NUMBER_KEYS
    assert record == {
        "number": "915027021995",
        "appId": "app-1",
        "ccode": "91",
        "country": "India",
        "dueDate": "2099-04-11",
        "state": 3,
        "inboundPrefix": "",
        "type": "FIXED",
        "autoRenew": 0,
        "outIp": "",
        "inIp": "",
        "remark": "",
        "enableVoicemail": 0,
        "voicemailFileId": None,
        "voicemailFileName": None,
        "voicemailMaxHangup": None,
    }


def test_numbers_come_by_number_in_pages_and_only_the_workspaces_own(
    engine: Engine, make_tenant: Callable[..., Tenant], server: RunningServer
) -> None:
    mine, other = make_tenant("mine"), make_tenant("other")
    for number in ("442071838750", "14155550100", "915027021995"):
        add(engine, mine, number)
    add(engine, other, "915027021996")
    page = call(server, mine, NUMBERS, {"current": "2", "size": "2", "params": {}})
    assert page["data"]["total"] == 3
    assert page["data"]["pages"] == 2
    assert page["data"]["current"] == 2
    assert page["data"]["size"] == 2
    assert [r["number"] for r in page["data"]["records"]] == ["915027021995"]
    first = call(server, mine, NUMBERS, {"current": 1, "size": 2, "params": {}})
    assert [r["number"] for r in first["data"]["records"]] == ["14155550100", "442071838750"]
    past = call(server, mine, NUMBERS, {"current": 9, "size": 2, "params": {}})
    assert past["data"] == {"total": 3, "size": 2, "current": 9, "pages": 2, "records": []}


def test_app_id_keeps_one_applications_numbers_and_an_unknown_one_is_an_empty_page(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    add(engine, tenant, "915027021995", app_id="app-1")
    add(engine, tenant, "915027021996", app_id="app-2")
    assert [r["number"] for r in list_numbers(server, tenant, appId="app-2")] == ["915027021996"]
    document = call(server, tenant, NUMBERS, {"current": 1, "size": 10, "params": {"appId": "x"}})
    assert document["data"] == {"total": 0, "size": 10, "current": 1, "pages": 0, "records": []}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"size": 10, "params": {}}, "current"),
        ({"current": 1, "size": 101, "params": {}}, "size"),
        ({"current": 1, "size": 0, "params": {}}, "size"),
        ({"current": 1.0, "size": 10, "params": {}}, "current"),
        ({"current": 1, "size": 10}, "params"),
        ({"current": 1, "size": 10, "params": []}, "params"),
        ({"current": 1, "size": 10, "params": {"appId": 7}}, "params.appId"),
    ],
)
def test_a_bad_query_is_minus_22_naming_the_field(
    tenant: Tenant, server: RunningServer, body: dict[str, Any], field: str
) -> None:
    document = call(server, tenant, NUMBERS, body)
    assert document["status"] == "-22", document
    assert field in document["reason"]


KOLKATA = ZoneInfo("Asia/Kolkata")


def _at(text: str) -> ManualClock:
    return ManualClock(datetime.fromisoformat(text).replace(tzinfo=KOLKATA).timestamp())


@pytest.mark.parametrize(
    ("local_time", "auto_renew", "disabled", "state"),
    [
        ("2024-04-11T23:59:59", False, False, 3),  # the due date itself: still in use
        ("2024-04-12T00:00:00", False, False, 4),  # the next day in Kolkata: expired
        ("2024-04-12T00:00:00", True, False, 3),  # renews: in use until billing moves it
        ("2024-04-11T12:00:00", False, True, 5),  # disabled wins
        ("2024-04-12T00:00:00", False, True, 5),
    ],
)
def test_state_follows_the_due_date_at_midnight_in_the_workspaces_zone(
    engine: Engine,
    start_server: Callable[..., RunningServer],
    files: Path,
    local_time: str,
    auto_renew: bool,
    disabled: bool,
    state: int,
) -> None:
    workspace = accounts.create_workspace(engine, "kolkata", time_zone="Asia/Kolkata")
    key = accounts.create_key(engine, "kolkata")
    tenant = Tenant(workspace, key.api_key, key.secret)
    add(engine, tenant, rental=Rental(date(2024, 4, 11), auto_renew, disabled))
    clock = _at(local_time)
    # 18:30 UTC is already the next day in Kolkata: a UTC reading would say otherwise.
    server = start_server(clock=clock, files_dir=str(files))
    [record] = list_numbers(server, tenant, timestamp=clock.seconds())
    assert record["state"] == state
    assert record["autoRenew"] == int(auto_renew)


def test_an_edit_sets_every_field_and_answers_the_vendors_envelope(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    add(engine, tenant)
    with server.client() as http:
        response = http.post(
            EDIT,
            headers=signed_headers(tenant.api_key, tenant.secret),
            json={
                "number": "915027021995",
                "appId": "app-1",
                "outIp": "192.168.10.176,192.168.10.16,2001:db8::1",
                "inIp": "192.168.10.24:5060",
                "inboundPrefix": "+1*#",
                "remark": "note",
                "enableVoicemail": "1",
                "voicemailFile": b64(mp3(2048)),
                "voicemailFileName": "hello.MP3",
                "voicemailMaxHangup": "120",
            },
        )
    assert response.content == b'{"status":"0","reason":"success","data":null}'
    record = record_of(server, tenant, "915027021995")
    assert record["outIp"] == "192.168.10.176,192.168.10.16,2001:db8::1"
    assert record["inIp"] == "192.168.10.24:5060"
    assert record["inboundPrefix"] == "+1*#"
    assert record["remark"] == "note"
    assert record["enableVoicemail"] == 1
    assert record["voicemailMaxHangup"] == 120
    assert record["voicemailFileName"] == "hello.MP3"
    assert isinstance(record["voicemailFileId"], str)
    assert len(record["voicemailFileId"]) >= 16


FULL = {
    "outIp": "10.0.0.1",
    "inIp": "sip.example.com",
    "inboundPrefix": "00",
    "remark": "first",
    "voicemailMaxHangup": 60,
}


def test_absent_and_null_fields_keep_their_values_and_empty_strings_clear_them(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    add(engine, tenant)
    assert edit(server, tenant, **FULL)["status"] == "0"
    # Absent: nothing changes.
    assert edit(server, tenant)["status"] == "0"
    record = record_of(server, tenant, "915027021995")
    assert (record["outIp"], record["inIp"], record["inboundPrefix"]) == (
        "10.0.0.1",
        "sip.example.com",
        "00",
    )
    assert (record["remark"], record["voicemailMaxHangup"]) == ("first", 60)
    # null is absent.
    nulls = dict.fromkeys(FULL)
    assert edit(server, tenant, **nulls)["status"] == "0"
    assert record_of(server, tenant, "915027021995") == record
    # "" clears; the maximum becomes null.
    empties = dict.fromkeys(FULL, "")
    assert edit(server, tenant, **empties)["status"] == "0"
    cleared = record_of(server, tenant, "915027021995")
    assert (cleared["outIp"], cleared["inIp"], cleared["inboundPrefix"], cleared["remark"]) == (
        "",
        "",
        "",
        "",
    )
    assert cleared["voicemailMaxHangup"] is None


def test_a_foreign_missing_or_mismatched_number_is_minus_24_with_one_reason(
    engine: Engine, make_tenant: Callable[..., Tenant], server: RunningServer
) -> None:
    mine, other = make_tenant("mine"), make_tenant("other")
    add(engine, mine, "915027021995")
    add(engine, other, "915027021996")
    answers = [
        edit(server, mine, number="915027021996"),  # another workspace's
        edit(server, mine, number="915027021997"),  # nobody's
        edit(server, mine, appId="app-2"),  # mine, wrong appId
    ]
    assert [a["status"] for a in answers] == ["-24", "-24", "-24"]
    assert len({a["reason"] for a in answers}) == 1
    assert answers[0]["reason"] == "data does not exist"
    assert "data" not in answers[0]
    assert record_of(server, other, "915027021996")["remark"] == ""


def test_disabled_and_expired_numbers_can_still_be_edited(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    add(engine, tenant, "915027021995", rental=Rental(disabled=True))
    add(engine, tenant, "915027021996", rental=Rental(due_date=date(2020, 1, 1)))
    for number, state in (("915027021995", 5), ("915027021996", 4)):
        assert edit(server, tenant, number=number, remark="still mine")["status"] == "0"
        record = record_of(server, tenant, number)
        assert (record["state"], record["remark"]) == (state, "still mine")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"outIp": "192.168.10.300"}, "outIp"),
        ({"outIp": "10.0.0.1, 10.0.0.2"}, "outIp"),
        ({"outIp": ",".join(["10.0.0.1"] * 6)}, "outIp"),  # 53 characters
        ({"outIp": 17}, "outIp"),
        ({"inIp": "10.0.0.1:70000"}, "inIp"),
        ({"inIp": "10.0.0.1:"}, "inIp"),
        ({"inIp": "bad host:5060"}, "inIp"),
        ({"inIp": "sip." + "a" * 47}, "inIp"),
        ({"inboundPrefix": "12a"}, "inboundPrefix"),
        ({"inboundPrefix": "1" * 33}, "inboundPrefix"),
        ({"remark": "x" * 51}, "remark"),
        ({"remark": ["x"]}, "remark"),
        ({"enableVoicemail": 2, "voicemailMaxHangup": 10}, "enableVoicemail"),
        ({"enableVoicemail": None}, "enableVoicemail"),
        ({"enableVoicemail": True}, "enableVoicemail"),
        ({"enableVoicemail": "1"}, "voicemailMaxHangup"),
        ({"enableVoicemail": 1, "voicemailMaxHangup": ""}, "voicemailMaxHangup"),
        ({"voicemailMaxHangup": 0}, "voicemailMaxHangup"),
        ({"voicemailMaxHangup": "1000"}, "voicemailMaxHangup"),
        ({"voicemailMaxHangup": 1.5}, "voicemailMaxHangup"),
        ({"number": None}, "number"),
        ({"number": 915027021995}, "number"),
        ({"appId": None}, "appId"),
        ({"voicemailFile": b64(mp3(64))}, "voicemailFileName"),
        ({"voicemailFileName": "hello.mp3"}, "voicemailFileName"),
        ({"voicemailFile": b64(mp3(64)), "voicemailFileName": "hello.ogg"}, "voicemailFileName"),
        ({"voicemailFile": b64(mp3(64)), "voicemailFileName": "../x.mp3"}, "voicemailFileName"),
        ({"voicemailFile": "not base64!", "voicemailFileName": "a.mp3"}, "voicemailFile"),
        ({"voicemailFile": b64(mp3(64))[:-1], "voicemailFileName": "a.mp3"}, "voicemailFile"),
        ({"voicemailFile": b64(wav(64)), "voicemailFileName": "a.mp3"}, "voicemailFile"),
        (
            {"voicemailFile": b64(b"just text, not audio"), "voicemailFileName": "a.wav"},
            "voicemailFile",
        ),
    ],
)
def test_every_refused_value_is_minus_22_naming_the_field_and_changes_nothing(
    engine: Engine, tenant: Tenant, server: RunningServer, fields: dict[str, Any], field: str
) -> None:
    add(engine, tenant)
    before = record_of(server, tenant, "915027021995")
    document = edit(server, tenant, **fields)
    assert document["status"] == "-22", document
    assert document["reason"].startswith(field), document
    assert record_of(server, tenant, "915027021995") == before


@pytest.mark.parametrize(
    "fields",
    [
        {"outIp": ""},
        {"outIp": "2001:db8::1,10.0.0.1"},
        {"inIp": "[2001:db8::1]:5060"},
        {"inIp": "2001:db8::1"},
        {"inIp": "10.0.0.1"},
        {"inIp": "sip-1.example.com:5080"},
        {"inboundPrefix": "1" * 32},
        {"remark": "é" * 50},
        {"enableVoicemail": "1", "voicemailMaxHangup": 999},
        {"enableVoicemail": 1, "voicemailMaxHangup": "001"},
    ],
)
def test_values_at_the_edge_of_the_rules_are_accepted(
    engine: Engine, tenant: Tenant, server: RunningServer, fields: dict[str, Any]
) -> None:
    add(engine, tenant)
    assert edit(server, tenant, **fields)["status"] == "0"


def test_an_edit_is_in_the_audit_log_as_the_api_key_and_a_no_op_is_not(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    add(engine, tenant)
    assert edit(server, tenant, remark="first", outIp="192.168.10.176")["status"] == "0"
    assert edit(server, tenant, remark="first")["status"] == "0"  # nothing changed
    assert edit(server, tenant, remark="x" * 51)["status"] == "-22"  # refused: no entry
    [entry] = list_audit(engine, CLI)
    assert (entry.actor, entry.action, entry.object_id) == (
        f"key:{tenant.api_key}",
        "number.edit",
        "915027021995",
    )
    assert (entry.before["remark"], entry.after["remark"]) == ("", "first")
    assert (entry.before["outIp"], entry.after["outIp"]) == ("", "192.168.10.176")
    assert entry.workspace_id == tenant.workspace.id
