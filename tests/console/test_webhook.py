"""The webhook page: set the target, see its queue and last error, retry parked batches."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from callrec.store import accounts
from callrec.store.push_batches import list_parked
from callrec.store.push_targets import get_push_target
from tests.console.conftest import Login, Session, UserMaker, error_page, soup
from tests.helpers import RunningServer, make_record
from tests.push.receiver import ACCEPT, FAIL, running_receiver
from tests.push.support import SECRET, fast_settings, running_worker, store, wait_for

Sessions = Callable[[Login | None], Session]


@pytest.fixture
def private_push(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLREC_PUSH_ALLOW_PRIVATE", "1")  # receivers are on loopback


def park_batches(engine: Engine, workspace: str, count: int) -> list[str]:
    """``count`` records pushed to a failing receiver until each batch of 2 is parked."""
    ws = accounts.get_workspace(engine, workspace)
    first = datetime(2024, 1, 1, tzinfo=UTC)
    calls = [make_record(f"c{i}", (first + timedelta(minutes=i)).isoformat()) for i in range(count)]
    store(engine, ws.id, calls)
    batches = (count + 1) // 2
    with running_worker(engine, fast_settings(retries=0, batch_size=2)):
        wait_for(lambda: len(list_parked(engine, workspace)) == batches)
    return [c.callid for c in calls]


def test_no_webhook_yet_then_set_one_with_a_secret_never_shown(
    private_push: None, start_server: Callable[..., RunningServer], seeded: Engine,
    make_user: UserMaker,
) -> None:  # fmt: skip
    session = Session(start_server())
    try:
        session.login(make_user("acme"))
        empty = session.page("/w/acme/webhook")
        assert empty.select_one("#no-webhook") is not None
        bad = session.post(
            "/w/acme/webhook", {"url": "ftp://nope", "secret": "s3cr3t-value-long-enough"}
        )
        assert bad.status_code == 422
        assert soup(bad).select_one("#url-error") is not None
        assert "s3cr3t-value-long-enough" not in bad.text
        made = session.post("/w/acme/webhook", {"url": "http://127.0.0.1:9/hook",
                                                "secret": "s3cr3t-value-long-enough"})  # fmt: skip
        assert made.status_code == 303
        target = get_push_target(seeded, "acme")
        assert (target.url, target.signed, target.enabled) == (
            "http://127.0.0.1:9/hook",
            True,
            True,
        )
        shown = session.get("/w/acme/webhook").text
        assert "s3cr3t-value-long-enough" not in shown
        assert "http://127.0.0.1:9/hook" in shown
        session.post("/w/acme/webhook/enabled", {"enabled": "0"}, csrf_from="/w/acme/webhook")
        assert not get_push_target(seeded, "acme").enabled
    finally:
        session.close()


def test_parked_batches_are_listed_and_retried_to_a_real_receiver(
    private_push: None, start_server: Callable[..., RunningServer], seeded: Engine,
    make_user: UserMaker,
) -> None:  # fmt: skip
    session = Session(start_server())
    try:
        session.login(make_user("acme"))
        with running_receiver(SECRET, then=FAIL) as receiver:
            made = session.post("/w/acme/webhook", {"url": receiver.url, "secret": SECRET})
            assert made.status_code == 303
            callids = park_batches(seeded, "acme", 5)
            page = session.page("/w/acme/webhook")
            assert [tr["data-batch"] for tr in page.select("#parked tr[data-batch]")] == [
                "1", "2", "3",
            ]  # fmt: skip
            assert page.select_one("#last-error").get_text() == "HTTP 500"  # type: ignore[union-attr]
            assert "3 (5 records)" in page.select_one("#parked-count").get_text()  # type: ignore[union-attr]

            receiver.then = ACCEPT
            one = session.post("/w/acme/webhook/retry", {"batch": "1"}, csrf_from="/w/acme/webhook")
            assert one.status_code == 303
            assert [b.batch_number for b in list_parked(seeded, "acme")] == [2, 3]
            bad = session.post("/w/acme/webhook/retry", {"batch": "x"}, csrf_from="/w/acme/webhook")
            assert bad.status_code == 422
            session.post("/w/acme/webhook/retry", {"batch": "all"}, csrf_from="/w/acme/webhook")
            assert list_parked(seeded, "acme") == []
            with running_worker(seeded, fast_settings()):
                receiver.wait_until_accepted(callids)
        assert session.page("/w/acme/webhook").select_one("#parked") is None
    finally:
        session.close()


def test_another_tenants_webhook_is_not_found(session_for: Sessions, make_user: UserMaker) -> None:
    session = session_for(make_user("acme"))
    error_page(session.get("/w/rival/webhook"), 404)
    for path, data in [("/w/rival/webhook", {"url": "http://127.0.0.1:9/x"}),
                       ("/w/rival/webhook/retry", {"batch": "all"}),
                       ("/w/rival/webhook/enabled", {"enabled": "0"})]:  # fmt: skip
        error_page(session.post(path, data, csrf_from="/w/acme/webhook"), 404)
