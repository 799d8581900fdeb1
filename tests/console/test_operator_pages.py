"""The operator's pages: workspaces (create, rename, enable/disable) and the audit log."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Engine

from callrec.operations.actor import CLI
from callrec.operations.workspaces import update_workspace
from callrec.store import accounts
from tests.console.conftest import Login, Session, UserMaker, error_page, soup

Sessions = Callable[[Login | None], Session]
OPERATOR_PAGES = ["/workspaces", "/audit", "/quarantine", "/rate-decks"]


def test_workspace_users_get_404_for_every_operator_page(
    session_for: Sessions, make_user: UserMaker
) -> None:
    session = session_for(make_user("acme"))
    for path in OPERATOR_PAGES:
        error_page(session.get(path), 404)
    error_page(session.post("/workspaces", {"name": "mine"}, csrf_from="/w/acme/numbers"), 404)
    error_page(session.post("/workspaces/rival/enabled", {"enabled": "0"},
                            csrf_from="/w/acme/numbers"), 404)  # fmt: skip
    nav = session.page("/w/acme/numbers").select("nav.pages a")
    assert [a.get_text() for a in nav] == ["Overview", "Calls", "Numbers", "API keys", "Webhook"]


def test_an_operator_sees_every_workspace_and_the_operator_nav(
    session_for: Sessions, make_user: UserMaker
) -> None:
    session = session_for(make_user(None))
    page = session.page("/workspaces")
    assert [tr["data-workspace"] for tr in page.select("#workspaces tr[data-workspace]")] == [
        "acme", "rival",
    ]  # fmt: skip
    assert [a.get_text() for a in page.select("nav.pages a")][-4:] == [
        "Workspaces", "Quarantine", "Rate decks", "Audit log",
    ]  # fmt: skip
    options = [o["value"] for o in page.select("#switch-workspace option")]
    assert options == ["acme", "rival"]
    rival = session.page("/w/rival/numbers")
    assert rival.select_one("#switch-workspace option[selected]")["value"] == "rival"  # type: ignore[index]
    assert "UTC" in rival.select_one("header .zone").get_text()  # type: ignore[union-attr]


def test_create_rename_disable_enable(
    session_for: Sessions, make_user: UserMaker, seeded: Engine
) -> None:
    session = session_for(make_user(None))
    made = session.post("/workspaces", {"name": "globex", "currency": "gbp",
                                        "timeZone": "Europe/London"})  # fmt: skip
    assert made.status_code == 303
    ws = accounts.get_workspace(seeded, "globex")
    assert (ws.currency, ws.time_zone, ws.enabled) == ("GBP", "Europe/London", True)
    bad = session.post("/workspaces", {"name": "initech", "timeZone": "Mars/Olympus"},
                       csrf_from="/workspaces")  # fmt: skip
    assert bad.status_code == 422
    assert soup(bad).select_one("#timeZone-error") is not None
    again = session.post("/workspaces", {"name": "globex"})
    assert again.status_code == 409
    assert "already exists" in soup(again).select_one("#name-error").get_text()  # type: ignore[union-attr]
    renamed = session.post("/workspaces/globex/rename", {"newName": "globex-eu"},
                           csrf_from="/workspaces")  # fmt: skip
    assert renamed.status_code == 303
    assert accounts.get_workspace(seeded, "globex-eu").id == ws.id
    session.post("/workspaces/globex-eu/enabled", {"enabled": "0"}, csrf_from="/workspaces")
    assert not accounts.get_workspace(seeded, "globex-eu").enabled
    session.post("/workspaces/globex-eu/enabled", {"enabled": "1"}, csrf_from="/workspaces")
    assert accounts.get_workspace(seeded, "globex-eu").enabled
    error_page(session.post("/workspaces/nowhere/enabled", {"enabled": "0"},
                            csrf_from="/workspaces"), 404)  # fmt: skip


def test_the_audit_log_pages_newest_first(
    session_for: Sessions, make_user: UserMaker, seeded: Engine
) -> None:
    olga = make_user(None)
    for i in range(60):  # 60 changes, plus the seed's and the user's own
        update_workspace(seeded, CLI, "acme", enabled=i % 2 == 0)
    session = session_for(olga)
    first = session.page("/audit")
    ids = [int(tr["data-id"]) for tr in first.select("#audit tr[data-id]")]  # type: ignore[arg-type]
    assert len(ids) == 50
    assert ids == sorted(ids, reverse=True)
    older = first.select_one("a[rel=next]")
    assert older is not None
    second = session.page("/audit" + str(older["href"]))
    more = [int(tr["data-id"]) for tr in second.select("#audit tr[data-id]")]  # type: ignore[arg-type]
    assert more
    assert max(more) < min(ids)
    assert first.select_one("#audit tr[data-id] td:nth-of-type(5)").get_text() == "acme"  # type: ignore[union-attr]
    error_page(session.get("/audit?before=abc"), 422)
    error_page(session.get("/audit?before=0"), 422)
