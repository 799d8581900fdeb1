"""The overview page in-process (both backends): its figures are the overview operation's,
its chart data is safe JSON, its window picker answers bad dates on the form, and another
tenant's overview is the same 404 as a missing one."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

from sqlalchemy.engine import Engine

from callrec.console.figures import FigureRow
from callrec.operations.actor import CLI
from callrec.operations.stats import overview
from callrec.store import accounts
from callrec.store.records import insert_records
from callrec.wire.times import now_micros, parse_iso_instant
from tests.console.calls_seed import seed_calls
from tests.console.conftest import Session, UserMaker, error_page, soup
from tests.helpers import make_record

Sessions = Callable[..., Session]


def _tiles(page: object) -> dict[str, str]:
    return {dd["data-figure"]: dd.get_text(strip=True) for dd in page.select("#totals dd")}  # type: ignore[attr-defined]


def test_the_overview_shows_the_operations_figures_exactly(
    seeded: Engine, make_user: UserMaker, session_for: Sessions
) -> None:
    seed_calls(seeded)
    session = session_for(make_user("acme"))
    page = session.page("/w/acme/overview?window=30d")
    expected = overview(seeded, CLI, "acme", "30d", now_micros())
    row = FigureRow.of("", expected.stats.totals, "EUR")
    assert expected.stats.totals.attempts > 100
    assert _tiles(page) == {
        "attempts": str(row.attempts),
        "answered": str(row.answered),
        "asr": row.asr,
        "acd": row.acd,
        "chargedMinutes": row.charged_minutes,
        "amount": row.spend,
        "amountUSD": row.settle_usd,
    }
    assert "Asia/Kolkata" in page.select_one("#window-range").get_text()
    data = json.loads(page.select_one("script#overview-data").string)
    assert data["labels"] == [b.label for b in expected.stats.series]
    assert data["attempts"] == [b.figures.attempts for b in expected.stats.series]
    assert (data["series"], data["timeZone"], data["currency"]) == ("day", "Asia/Kolkata", "EUR")
    countries = [tr["data-group"] for tr in page.select("#by-country tbody tr")]
    assert set(countries) == {c or "(unknown)" for c in expected.stats.by_country}
    directions = {tr["data-group"] for tr in page.select("#by-direction tbody tr")}
    assert directions <= {"Incoming", "Outgoing"}
    assert [tr["data-group"] for tr in page.select("#by-number tbody tr")] == ["+915027021995"]
    today = session.page("/w/acme/overview?window=today")
    assert json.loads(today.select_one("script#overview-data").string)["series"] == "hour"


def test_text_from_records_is_escaped_in_tables_and_in_the_chart_json(
    seeded: Engine, make_user: UserMaker, session_for: Sessions
) -> None:
    acme = accounts.get_workspace(seeded, "acme")
    hostile = "</script><img src=x onerror=alert(1)>'&"
    base = make_record("x-1", "2024-03-10T00:00:00Z")
    now = now_micros()
    with seeded.begin() as conn:
        insert_records(conn, acme.id, [replace(base, start_us=now - 60_000_000,
                                               end_us=now, country=hostile)])  # fmt: skip
    answer = session_for(make_user("acme")).get("/w/acme/overview?window=7d")
    assert answer.status_code == 200
    assert hostile not in answer.text
    assert "<img" not in answer.text
    page = soup(answer)
    assert [tr["data-group"] for tr in page.select("#by-country tbody tr")] == [hostile]
    json.loads(page.select_one("script#overview-data").string)  # one whole JSON value


def test_a_bad_custom_window_is_answered_on_the_form(
    seeded: Engine, make_user: UserMaker, session_for: Sessions
) -> None:
    session = session_for(make_user("acme"))
    for query, field in [
        ("window=custom&from=2024-03-05&to=2024-03-01", "to"),
        ("window=custom&from=yesterday&to=2024-03-01", "from"),
        ("window=fortnight", "window"),
        ("window=custom&from=2024-03-01%00&to=2024-03-02", "from"),
    ]:
        answer = session.get(f"/w/acme/overview?{query}")
        assert answer.status_code == 422, query
        page = soup(answer)
        assert page.select_one("#window-error").get_text().startswith(field), query
        assert page.select_one("#totals") is None
        if field in ("from", "to"):
            assert page.select_one(f"#window-{field}")["aria-invalid"] == "true"


def test_another_workspaces_overview_is_not_found_and_an_operator_sees_every_one(
    seeded: Engine, make_user: UserMaker, session_for: Sessions
) -> None:
    customer = session_for(make_user("acme"))
    error_page(customer.get("/w/rival/overview"), 404)
    error_page(customer.get("/w/nowhere/overview"), 404)
    operator = session_for(make_user(None))
    page = operator.page("/w/rival/overview?window=custom&from=2024-03-01&to=2024-03-01")
    assert page.select_one("#totals dd[data-figure=attempts]").get_text() == "0"
    assert "UTC" in page.select_one("#window-range").get_text()


def test_the_window_is_the_workspaces_local_days(
    seeded: Engine, make_user: UserMaker, session_for: Sessions
) -> None:
    acme = accounts.get_workspace(seeded, "acme")
    # 23:59 and 00:01 in Kolkata on either side of 2 March's local midnight.
    times = ["2024-03-01T18:29:00Z", "2024-03-01T18:31:00Z", "2024-03-02T18:29:59Z"]
    base = make_record("edge-0", "2024-03-10T00:00:00Z")
    with seeded.begin() as conn:
        insert_records(conn, acme.id, [
            replace(base, callid=f"edge-{i}", start_us=parse_iso_instant(t).micros,
                    end_us=parse_iso_instant(t).micros)
            for i, t in enumerate(times)
        ])  # fmt: skip
    page = session_for(make_user("acme")).page(
        "/w/acme/overview?window=custom&from=2024-03-02&to=2024-03-02"
    )
    assert _tiles(page)["attempts"] == "2"
