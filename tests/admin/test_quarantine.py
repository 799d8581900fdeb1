"""The quarantine over real HTTP: list (paged, with the reason), reprocess, discard with a
reason kept in the audit trail; an operator's only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from callrec.model import RawCdr
from callrec.store import accounts, quarantine
from callrec.store.schema import call_records, unrouted_cdrs
from callrec.wire.times import parse_iso_instant
from tests.admin.conftest import Admin, TokenMaker, problem

OWN = "915027021995"  # acme's number (two_tenants)


def _cdr(callid: str, caller: str, called: str, start: str) -> RawCdr:
    start_us = parse_iso_instant(start).micros
    return RawCdr(
        callid=callid,
        caller=caller,
        called=called,
        start_us=start_us,
        answer_us=start_us + 2_000_000,
        end_us=start_us + 32_000_000,
        talk_seconds=30,
        sip_code="200",
        hangup_reason="NORMAL_CLEARING",
        recording_url="",
        source="freeswitch",
    )


CDRS = [
    _cdr("q1", "3312345678", "919800000001", "2024-01-01T10:00:00Z"),
    _cdr("q2", "3312345678", "919800000002", "2024-01-02T10:00:00Z"),
    _cdr("q3", "4420000001", "919800000003", "2024-01-03T10:00:00Z"),
    _cdr("q4", "3312345678", "919800000004", "2024-02-01T10:00:00Z"),
    _cdr("q5", "4420000001", "919800000005", "2024-02-02T10:00:00Z"),
]


@pytest.fixture
def quarantined(engine: Engine) -> list[RawCdr]:
    with engine.begin() as conn:
        quarantine.quarantine(conn, [(cdr, "no workspace owns either number") for cdr in CDRS])
    return CDRS


def _kept(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.execute(select(unrouted_cdrs.c.callid)).scalars())


@pytest.mark.usefixtures("quarantined")
def test_the_list_pages_oldest_first_with_the_reason_and_filters(operator: Admin) -> None:
    first = operator.get("/quarantine", params={"limit": 2}).json()
    assert first["total"] == 5
    assert [c["callid"] for c in first["items"]] == ["q1", "q2"]
    one = first["items"][0]
    assert one == {
        "callid": "q1",
        "source": "freeswitch",
        "caller": "3312345678",
        "called": "919800000001",
        "startTime": "2024-01-01T10:00:00Z",
        "answerTime": "2024-01-01T10:00:02Z",
        "endTime": "2024-01-01T10:00:32Z",
        "talkSeconds": 30,
        "sipCode": "200",
        "hangupReason": "NORMAL_CLEARING",
        "recordingUrl": "",
        "reason": "no workspace owns either number",
        "received": one["received"],
    }
    seen = [c["callid"] for c in first["items"]]
    cursor = first["nextCursor"]
    while cursor:
        following = operator.get("/quarantine", params={"limit": 2, "cursor": cursor}).json()
        seen += [c["callid"] for c in following["items"]]
        cursor = following["nextCursor"]
    assert seen == ["q1", "q2", "q3", "q4", "q5"]
    by_caller = operator.get("/quarantine", params={"caller": "4420000001"}).json()
    assert (by_caller["total"], [c["callid"] for c in by_caller["items"]]) == (2, ["q3", "q5"])
    early = operator.get(
        "/quarantine", params={"caller": "3312345678", "startedBefore": "2024-02-01"}
    ).json()
    assert [c["callid"] for c in early["items"]] == ["q1", "q2"]
    problem(operator.get("/quarantine", params={"startedBefore": "last week"}), 422,
            "startedBefore")  # fmt: skip
    problem(operator.get("/quarantine", params={"cursor": "W10"}), 422, "cursor")


def test_discard_by_callid_keeps_each_cdr_and_the_reason_in_the_audit_log(
    operator: Admin, engine: Engine, quarantined: list[RawCdr]
) -> None:
    body = {"callids": ["q2", "q1", "nosuch"], "reason": "SIP scanner from 33 (ticket 881)"}
    headers = {"Idempotency-Key": "discard-1"}
    done = operator.post("/quarantine/discard", json=body, headers=headers)
    assert done.status_code == 200, done.text
    assert done.json() == {"discarded": 2, "notQuarantined": ["nosuch"]}
    replay = operator.post("/quarantine/discard", json=body, headers=headers)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == done.json()
    assert _kept(engine) == ["q3", "q4", "q5"]

    entries = [e for e in operator.get("/audit").json()["items"] if e["action"] == "cdr.discard"]
    assert sorted(e["objectId"] for e in entries) == ["q1", "q2"]
    q1 = next(e for e in entries if e["objectId"] == "q1")
    assert q1["actor"] == "token:t0"
    assert q1["objectType"] == "cdr"
    assert q1["after"] == {"discarded": True, "reason": "SIP scanner from 33 (ticket 881)"}
    before = q1["before"]
    assert (before["callid"], before["caller"], before["called"]) == (
        "q1", "3312345678", "919800000001",
    )  # fmt: skip
    assert before["startTime"] == "2024-01-01T10:00:00Z"
    assert before["reason"] == "no workspace owns either number"
    # Enough to rebuild the CDR exactly as it was kept.
    original = quarantined[0]
    assert parse_iso_instant(before["endTime"]).micros == original.end_us
    assert (before["talkSeconds"], before["sipCode"], before["hangupReason"], before["source"]) == (
        original.talk_seconds, original.sip_code, original.hangup_reason, original.source,
    )  # fmt: skip


@pytest.mark.usefixtures("quarantined")
def test_discard_by_filter_takes_every_match(operator: Admin, engine: Engine) -> None:
    body = {"filter": {"caller": "3312345678", "startedBefore": "2024-01-15"}, "reason": "test"}
    assert operator.post("/quarantine/discard", json=body).json() == {
        "discarded": 2,
        "notQuarantined": [],
    }
    assert _kept(engine) == ["q3", "q4", "q5"]
    everything = {"filter": {"startedBefore": "2100-01-01"}, "reason": "clean slate"}
    assert operator.post("/quarantine/discard", json=everything).json()["discarded"] == 3
    assert _kept(engine) == []


@pytest.mark.usefixtures("quarantined")
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"callids": ["q1"], "reason": "   "}, "reason"),
        ({"callids": ["q1"], "reason": "bad\u0000byte"}, "reason"),
        ({"callids": ["q1"]}, "reason"),
        ({"callids": ["q1"], "reason": "x" * 501}, "reason"),
        ({"reason": "why"}, "callids"),
        ({"filter": {}, "reason": "why"}, "callids"),
        ({"callids": [], "reason": "why"}, "callids"),
        ({"callids": ["q1"], "filter": {"caller": "1"}, "reason": "why"}, "callids"),
        ({"callids": [f"q{i}" for i in range(1001)], "reason": "why"}, "callids"),
        ({"callids": ["x" * 129], "reason": "why"}, "callids"),
        ({"filter": {"startedBefore": "soon"}, "reason": "why"}, "filter.startedBefore"),
        ({"filter": {"caller": "1", "colour": "red"}, "reason": "why"}, "filter.colour"),
    ],
)
def test_a_bad_discard_is_422_naming_the_field_and_discards_nothing(
    operator: Admin, engine: Engine, body: dict, field: str
) -> None:
    problem(operator.post("/quarantine/discard", json=body), 422, field)
    assert _kept(engine) == ["q1", "q2", "q3", "q4", "q5"]


@pytest.mark.usefixtures("two_tenants", "quarantined")
def test_reprocess_stores_what_is_routable_now(operator: Admin, engine: Engine) -> None:
    nothing = operator.post("/quarantine/reprocess").json()
    assert (nothing["routed"], nothing["remaining"]) == (0, 5)
    accounts.add_number(engine, "919800000003", "acme")
    headers = {"Idempotency-Key": "reprocess-1"}
    done = operator.post("/quarantine/reprocess", headers=headers)
    assert done.status_code == 200, done.text
    assert (done.json()["routed"], done.json()["accepted"], done.json()["remaining"]) == (1, 1, 4)
    assert operator.post("/quarantine/reprocess", headers=headers).json() == done.json()
    assert "q3" not in _kept(engine)
    with engine.connect() as conn:
        assert list(conn.execute(select(call_records.c.callid)).scalars()) == ["q3"]
    entries = [e for e in operator.get("/audit").json()["items"]
               if e["action"] == "quarantine.reprocess"]  # fmt: skip
    assert [e["after"]["routed"] for e in entries] == [1, 0]


@pytest.mark.usefixtures("two_tenants", "quarantined")
@pytest.mark.parametrize("read_only", [False, True], ids=["workspace", "workspace-read-only"])
def test_a_workspace_token_cannot_see_or_touch_the_quarantine(
    admin_as: Callable[[str | None], Admin],
    make_token: TokenMaker,
    engine: Engine,
    read_only: bool,
) -> None:
    acme = admin_as(make_token("acme", read_only=read_only))
    problem(acme.get("/quarantine"), 403)
    problem(acme.post("/quarantine/reprocess"), 403)
    problem(acme.post("/quarantine/discard", json={"callids": ["q1"], "reason": "mine"}), 403)
    assert _kept(engine) == ["q1", "q2", "q3", "q4", "q5"]
    assert acme.get("/audit").json()["items"][0]["action"] == "token.create"


@pytest.mark.usefixtures("quarantined")
def test_a_read_only_operator_lists_but_changes_nothing(
    admin_as: Callable[[str | None], Admin], make_token: TokenMaker, engine: Engine
) -> None:
    reader = admin_as(make_token(read_only=True))
    assert reader.get("/quarantine").json()["total"] == 5
    problem(reader.post("/quarantine/reprocess"), 403)
    problem(reader.post("/quarantine/discard", json={"callids": ["q1"], "reason": "x"}), 403)
    assert _kept(engine) == ["q1", "q2", "q3", "q4", "q5"]
    assert [e["action"] for e in reader.get("/audit").json()["items"]] == ["token.create"]
