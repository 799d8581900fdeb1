"""The quarantine page: list and filter, reprocess, discard ticked CDRs with a reason."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from callrec.operations.actor import CLI
from callrec.operations.audit import list_audit
from callrec.store import accounts, quarantine
from callrec.store.schema import call_records, unrouted_cdrs
from tests.admin.test_quarantine import CDRS
from tests.console.conftest import Login, Session, UserMaker, error_page, soup

Sessions = Callable[[Login | None], Session]


@pytest.fixture
def quarantined(seeded: Engine) -> Engine:
    with seeded.begin() as conn:
        quarantine.quarantine(conn, [(cdr, "no workspace owns either number") for cdr in CDRS])
    return seeded


def _kept(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.execute(select(unrouted_cdrs.c.callid)).scalars())


def test_list_filter_and_discard_with_a_reason(
    session_for: Sessions, make_user: UserMaker, quarantined: Engine
) -> None:
    session = session_for(make_user(None))
    page = session.page("/quarantine")
    assert [tr["data-callid"] for tr in page.select("#quarantine tr[data-callid]")] == [
        "q1", "q2", "q3", "q4", "q5",
    ]  # fmt: skip
    assert page.select_one("#total").get_text().startswith("5 CDRs")  # type: ignore[union-attr]
    filtered = session.page("/quarantine?caller=4420000001")
    assert [tr["data-callid"] for tr in filtered.select("tr[data-callid]")] == ["q3", "q5"]

    token = session.csrf("/quarantine")
    discard = "/console/quarantine/discard"
    no_reason = session.http.post(
        discard, data={"csrf": token, "callid": ["q1", "q2"], "reason": " "}
    )
    assert no_reason.status_code == 422
    assert soup(no_reason).select_one("#reason-error") is not None
    assert _kept(quarantined) == ["q1", "q2", "q3", "q4", "q5"]
    none_ticked = session.post("/quarantine/discard", {"reason": "x"}, csrf_from="/quarantine")
    assert none_ticked.status_code == 422
    gone = session.http.post(
        discard, data={"csrf": token, "callid": ["q1", "q2"], "reason": "test calls"}
    )
    assert gone.status_code == 303
    assert _kept(quarantined) == ["q3", "q4", "q5"]
    discards = [e for e in list_audit(quarantined, CLI) if e.action == "cdr.discard"]
    assert sorted(e.object_id for e in discards) == ["q1", "q2"]
    assert {e.after["reason"] for e in discards} == {"test calls"}
    assert {e.actor for e in discards} == {discards[0].actor}
    assert discards[0].actor.startswith("user:")


def test_reprocess_stores_what_is_routable_now(
    session_for: Sessions, make_user: UserMaker, quarantined: Engine
) -> None:
    session = session_for(make_user(None))
    accounts.add_number(quarantined, "919800000003", "acme")
    done = session.post("/quarantine/reprocess", {}, csrf_from="/quarantine")
    assert done.status_code == 200
    message = soup(done).select_one("#message").get_text()  # type: ignore[union-attr]
    assert "1 routed" in message
    assert "4 still unrouted" in message
    with quarantined.connect() as conn:
        assert list(conn.execute(select(call_records.c.callid)).scalars()) == ["q3"]


def test_a_workspace_user_cannot_see_or_touch_it(
    session_for: Sessions, make_user: UserMaker, quarantined: Engine
) -> None:
    session = session_for(make_user("acme"))
    error_page(session.get("/quarantine"), 404)
    error_page(session.post("/quarantine/reprocess", {}, csrf_from="/w/acme/numbers"), 404)
    error_page(session.post("/quarantine/discard", {"callid": "q1", "reason": "x"},
                            csrf_from="/w/acme/numbers"), 404)  # fmt: skip
    assert len(_kept(quarantined)) == 5
