"""Push targets over real HTTP: set, show, enable/disable, parked batches and their retry
delivered to a real receiver, scope isolation, read-only tokens and the audit trail."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from callrec.store import accounts
from callrec.store.push_batches import list_parked
from callrec.store.push_targets import get_push_target, set_push_target
from tests.admin.conftest import Admin, TokenMaker, admin_client, problem
from tests.helpers import RunningServer, make_record
from tests.push.receiver import ACCEPT, FAIL, running_receiver
from tests.push.support import SECRET, fast_settings, running_worker, store, wait_for

PUBLIC_URL = "https://93.184.215.14/hooks/calls"  # a public address literal: no name lookup
TARGET = "/workspaces/acme/push-target"


def _audit(admin: Admin) -> list[dict]:
    return admin.get("/audit").json()["items"]


@pytest.mark.usefixtures("two_tenants")
def test_set_show_disable_enable_and_the_secret_never_comes_back(operator: Admin) -> None:
    problem(operator.get(TARGET), 404)  # none set yet
    made = operator.put(TARGET, json={"url": PUBLIC_URL, "secret": SECRET})
    assert made.status_code == 200, made.text
    shown = made.json()
    assert (shown["url"], shown["signed"], shown["enabled"]) == (PUBLIC_URL, True, True)
    assert shown["queuedRecords"] == shown["parkedBatches"] == 0
    assert shown["lastError"] is None
    assert operator.get(TARGET).json() == shown

    # A new URL keeps the secret; clearSecret drops it.
    moved = operator.put(TARGET, json={"url": PUBLIC_URL + "/v2"}).json()
    assert (moved["url"], moved["signed"]) == (PUBLIC_URL + "/v2", True)
    cleared = operator.put(TARGET, json={"url": PUBLIC_URL, "clearSecret": True}).json()
    assert cleared["signed"] is False

    paused = operator.patch(TARGET, json={"enabled": False})
    assert paused.status_code == 200, paused.text
    assert paused.json()["enabled"] is False
    assert operator.put(TARGET, json={"url": PUBLIC_URL}).json()["enabled"] is False  # stays
    assert operator.patch(TARGET, json={"enabled": True}).json()["enabled"] is True

    entries = _audit(operator)
    assert SECRET not in json.dumps(entries)
    mine = [e for e in entries if e["objectType"] == "push_target"]
    assert [e["action"] for e in reversed(mine)] == [
        "push_target.set",
        "push_target.set",
        "push_target.set",
        "push_target.disable",
        "push_target.set",
        "push_target.enable",
    ]
    first = mine[-1]
    assert first["before"] is None
    assert first["after"] == {"workspace": "acme", "url": PUBLIC_URL, "signed": True,
                              "enabled": True}  # fmt: skip
    assert mine[-3]["before"]["signed"] is True
    assert mine[-3]["after"]["signed"] is False


@pytest.mark.usefixtures("two_tenants")
@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"url": "ftp://example.com/hook"}, "url", "must start with http:// or https://"),
        ({"url": "http://127.0.0.1:8080/hook"}, "url", "loopback"),
        ({"url": "http://169.254.169.254/latest/"}, "url", "link-local"),
        ({"url": "http://192.168.0.10/hook"}, "url", "private"),
        ({"url": PUBLIC_URL, "secret": "short"}, "secret", "16 to 200"),
        ({"url": PUBLIC_URL, "secret": " " + SECRET}, "secret", "printable"),
        ({"url": PUBLIC_URL, "secret": SECRET, "clearSecret": True}, "clearSecret", "secret"),
        ({"url": "x" * 2001}, "url", "2000"),
        ({"url": PUBLIC_URL, "extra": 1}, "extra", "Extra inputs"),
        ({}, "url", "required"),
    ],
)
def test_a_bad_target_is_422_naming_the_field_and_nothing_is_stored(
    operator: Admin, engine: Engine, body: dict, field: str, fragment: str
) -> None:
    found = problem(operator.put(TARGET, json=body), 422, field)
    assert fragment in found["detail"]
    problem(operator.get(TARGET), 404)
    assert not [e for e in _audit(operator) if e["objectType"] == "push_target"]


@pytest.mark.usefixtures("two_tenants")
def test_bad_enable_and_retry_bodies_are_422(operator: Admin) -> None:
    operator.put(TARGET, json={"url": PUBLIC_URL})
    problem(operator.patch(TARGET, json={"enabled": "maybe"}), 422, "enabled")
    problem(operator.patch(TARGET, json={}), 422, "enabled")
    retry = TARGET + "/parked/retry"
    problem(operator.post(retry, json={}), 422, "batches")
    problem(operator.post(retry, json={"batches": [1], "all": True}), 422, "batches")
    problem(operator.post(retry, json={"batches": []}), 422, "batches")
    problem(operator.post(retry, json={"batches": ["one"]}), 422, "batches[0]")
    missing = problem(operator.post(retry, json={"batches": [41]}), 404)
    assert "no parked batch 41" in missing["detail"]
    problem(operator.get(TARGET + "/parked", params={"cursor": "bm9wZQ"}), 422, "cursor")


def _fail_until_parked(engine: Engine, receiver_url: str, workspace_id: int) -> list[str]:
    first = datetime(2024, 1, 1, tzinfo=UTC)
    calls = [make_record(f"c{i}", (first + timedelta(minutes=i)).isoformat()) for i in range(7)]
    store(engine, workspace_id, calls)
    with running_worker(engine, fast_settings(retries=0, batch_size=3)):
        wait_for(lambda: len(list_parked(engine, "acme")) == 3)
    return sorted(c.callid for c in calls)


def test_a_parked_batch_retried_over_http_reaches_a_real_receiver(
    start_server: Callable[..., RunningServer],
    make_token: TokenMaker,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CALLREC_PUSH_ALLOW_PRIVATE", "1")  # the receiver is on loopback
    server = start_server()
    ws = accounts.create_workspace(engine, "acme")
    with (
        running_receiver(SECRET, then=FAIL) as receiver,
        admin_client(server, make_token("acme")) as acme,
    ):
        made = acme.put(TARGET, json={"url": receiver.url, "secret": SECRET})
        assert made.status_code == 200, made.text
        callids = _fail_until_parked(engine, receiver.url, ws.id)

        shown = acme.get(TARGET).json()
        assert (shown["parkedBatches"], shown["parkedRecords"]) == (3, 7)
        assert shown["lastError"] == "HTTP 500"
        first = acme.get(TARGET + "/parked", params={"limit": 2}).json()
        assert [b["batch"] for b in first["items"]] == [1, 2]
        rest = acme.get(TARGET + "/parked", params={"cursor": first["nextCursor"]}).json()
        assert [b["batch"] for b in rest["items"]] == [3]
        assert rest["nextCursor"] is None
        batches = first["items"] + rest["items"]
        assert [c for b in batches for c in b["callids"]] == callids
        assert {(b["records"], b["attempts"], b["lastError"]) for b in batches[:2]} == {
            (3, 1, "HTTP 500")
        }

        receiver.then = ACCEPT
        headers = {"Idempotency-Key": "retry-batch-1"}
        retried = acme.post(TARGET + "/parked/retry", json={"batches": [1]}, headers=headers)
        assert retried.status_code == 200, retried.text
        assert retried.json() == {"requeued": 1}
        again = acme.post(TARGET + "/parked/retry", json={"batches": [1]}, headers=headers)
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == {"requeued": 1}
        assert [b.batch_number for b in list_parked(engine, "acme")] == [2, 3]
        with running_worker(engine, fast_settings()):
            receiver.wait_until_accepted(batches[0]["callids"])
        everything = acme.post(TARGET + "/parked/retry", json={"all": True}).json()
        assert everything == {"requeued": 2}
        with running_worker(engine, fast_settings()):
            receiver.wait_until_accepted(callids)

        assert acme.get(TARGET + "/parked").json()["items"] == []
        done = acme.get(TARGET).json()
        assert (done["deliveredRecords"], done["parkedBatches"]) == (7, 0)
    assert receiver.duplicates_accepted() == 0
    assert all(push.signature_valid for push in receiver.pushes)
    retries = [e for e in _audit_of(server, make_token()) if e["action"] == "push_target.retry"]
    assert [(e["actor"], e["after"]) for e in retries] == [
        ("token:t0", {"batches": "all", "requeued": 2}),
        ("token:t0", {"batches": [1], "requeued": 1}),
    ]


def _audit_of(server: RunningServer, token: str) -> list[dict]:
    with admin_client(server, token) as admin:
        return admin.get("/audit").json()["items"]


RIVAL = "/workspaces/rival/push-target"
MISSING = "/workspaces/nosuch/push-target"
ROUTES: list[tuple[str, str, object]] = [
    ("GET", "", None),
    ("PUT", "", {"url": PUBLIC_URL}),
    ("PATCH", "", {"enabled": False}),
    ("GET", "/parked", None),
    ("POST", "/parked/retry", {"all": True}),
]


@pytest.mark.usefixtures("two_tenants")
def test_a_workspace_token_manages_its_own_target_and_cannot_detect_anothers(
    admin_as: Callable[[str | None], Admin], make_token: TokenMaker, engine: Engine
) -> None:
    set_push_target(engine, "rival", PUBLIC_URL + "/rival", SECRET)
    acme = admin_as(make_token("acme"))
    assert acme.put(TARGET, json={"url": PUBLIC_URL}).status_code == 200
    assert acme.patch(TARGET, json={"enabled": False}).status_code == 200
    assert acme.get(TARGET + "/parked").json() == {"items": [], "nextCursor": None}
    assert acme.post(TARGET + "/parked/retry", json={"all": True}).json() == {"requeued": 0}
    before = get_push_target(engine, "rival")
    for method, tail, body in ROUTES:
        rival = problem(acme.request(method, RIVAL + tail, json=body), 404)
        missing = problem(acme.request(method, MISSING + tail, json=body), 404)
        assert rival["detail"].replace("rival", "X") == missing["detail"].replace("nosuch", "X")
    assert get_push_target(engine, "rival") == before
    assert all("rival" not in json.dumps(e) for e in _audit(acme))


@pytest.mark.usefixtures("two_tenants")
@pytest.mark.parametrize("scope", [None, "acme"], ids=["operator", "workspace"])
def test_a_read_only_token_reads_the_target_but_changes_nothing(
    admin_as: Callable[[str | None], Admin],
    make_token: TokenMaker,
    engine: Engine,
    scope: str | None,
) -> None:
    set_push_target(engine, "acme", PUBLIC_URL, SECRET)
    reader = admin_as(make_token(scope, read_only=True))
    assert reader.get(TARGET).status_code == 200
    assert reader.get(TARGET + "/parked").status_code == 200
    before = get_push_target(engine, "acme")
    audit_before = _audit(reader)
    for method, tail, body in ROUTES[1:]:
        if method != "GET":
            problem(reader.request(method, TARGET + tail, json=body), 403)
    assert get_push_target(engine, "acme") == before
    assert _audit(reader) == audit_before
