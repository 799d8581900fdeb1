"""The rate decks page (operator): versions and rows, import with bad lines named, re-price."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Engine

from callrec.operations.actor import CLI
from callrec.operations.rating import deck_versions
from tests.console.conftest import Login, Session, UserMaker, error_page, soup

Sessions = Callable[[Login | None], Session]
DECK = """prefix,rate,chargedPeriod,direction,effectiveFrom
91,0.0128,60+60,out,2024-01-01
91,0.0040,60+60,in,2024-01-01
"""


def test_import_show_and_refuse_bad_lines(
    session_for: Sessions, make_user: UserMaker, seeded: Engine
) -> None:
    session = session_for(make_user(None))
    empty = session.page("/rate-decks?workspace=acme")
    assert empty.select_one("#no-deck") is not None
    made = session.post("/rate-decks/import", {"workspace": "acme", "csv": DECK},
                        csrf_from="/rate-decks")  # fmt: skip
    assert made.status_code == 200
    assert "Imported 2 rows" in soup(made).select_one("#message").get_text()  # type: ignore[union-attr]
    page = session.page("/rate-decks?workspace=acme")
    rows = [[td.get_text() for td in tr.select("td")] for tr in page.select("#deck-rows tbody tr")]
    assert rows == [["91", "in", "0.004", "60+60"], ["91", "out", "0.0128", "60+60"]]
    worse = DECK + "44,abc,60+60,out,2024-01-01\n"
    bad = session.post(
        "/rate-decks/import", {"workspace": "acme", "csv": worse}, csrf_from="/rate-decks"
    )
    assert bad.status_code == 422
    lines = soup(bad).select("#bad-lines li")
    assert [li.get_text().split(":")[0] for li in lines] == ["line 4"]
    assert len(deck_versions(seeded, CLI, "acme")) == 1
    assert deck_versions(seeded, CLI, "acme")[0][1] == 2  # nothing of the bad deck stored
    rerate = session.post("/rate-decks/rerate", {"workspace": "acme", "from": "yesterday",
                          "to": "2024-02-01T00:00:00Z"}, csrf_from="/rate-decks")  # fmt: skip
    assert rerate.status_code == 422
    assert soup(rerate).select_one("#from-error") is not None
    done = session.post("/rate-decks/rerate", {"workspace": "acme", "from": "2024-01-01T00:00:00Z",
                        "to": "2024-02-01T00:00:00Z"}, csrf_from="/rate-decks")  # fmt: skip
    assert done.status_code == 200
    assert "0 calls examined" in soup(done).select_one("#message").get_text()  # type: ignore[union-attr]


def test_workspace_users_cannot_reach_decks(session_for: Sessions, make_user: UserMaker) -> None:
    session = session_for(make_user("acme"))
    error_page(session.get("/rate-decks?workspace=acme"), 404)
    error_page(session.post("/rate-decks/import", {"workspace": "acme", "csv": DECK},
                            csrf_from="/w/acme/numbers"), 404)  # fmt: skip
    operator = session_for(make_user(None))
    error_page(operator.get("/rate-decks?workspace=nowhere"), 404)
