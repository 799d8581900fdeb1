"""The numbers page: each number's state, and its remark edited through the operation."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Engine

from callrec.operations.actor import CLI
from callrec.operations.audit import list_audit
from callrec.operations.numbers import get_number
from tests.console.conftest import Login, Session, UserMaker, soup

Sessions = Callable[[Login | None], Session]
NUMBER = "915027021995"
REMARK = f"/w/acme/numbers/{NUMBER}/remark"


def test_states_and_remarks(session_for: Sessions, make_user: UserMaker, seeded: Engine) -> None:
    alice = make_user("acme")
    session = session_for(alice)
    row = session.page("/w/acme/numbers").select_one(f"tr[data-number='{NUMBER}']")
    assert row is not None
    assert row.select_one(".state").get_text() == "in use"  # type: ignore[union-attr]
    saved = session.post(REMARK, {"remark": "front desk <b>"}, csrf_from="/w/acme/numbers")
    assert saved.status_code == 303
    assert get_number(seeded, CLI, NUMBER).remark == "front desk <b>"
    page = session.get("/w/acme/numbers").text
    assert "front desk &lt;b&gt;" in page  # autoescaped
    entry = list_audit(seeded, CLI)[0]
    assert (entry.actor, entry.action) == (f"user:{alice.name}", "number.update")

    too_long = session.post(REMARK, {"remark": "x" * 51}, csrf_from="/w/acme/numbers")
    assert too_long.status_code == 422
    error = soup(too_long).select_one(f"#remark-{NUMBER}-error")
    assert error is not None
    assert error.get_text().startswith("The remark")
    assert get_number(seeded, CLI, NUMBER).remark == "front desk <b>"


def test_a_get_changes_nothing(session_for: Sessions, make_user: UserMaker, seeded: Engine) -> None:
    session = session_for(make_user("acme"))
    before = len(list_audit(seeded, CLI))
    for path in ["/w/acme/numbers", "/w/acme/keys", "/w/acme/webhook", f"{REMARK}?remark=x"]:
        session.get(path)
    assert len(list_audit(seeded, CLI)) == before
    assert get_number(seeded, CLI, NUMBER).remark == ""
