"""The calls page in-process (both backends): filters as the admin API reads them, pages
both ways, the CSV equal to the admin API's for the same search, a call's rating trail, bad
filters on the form, and another tenant's calls out of reach by URL."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlparse

import httpx
from bs4 import BeautifulSoup
from sqlalchemy.engine import Engine

from callrec.operations.actor import CLI
from callrec.operations.stats import local_window
from callrec.operations.tokens import create_token
from callrec.store import accounts
from callrec.wire.times import datetime_from_micros, now_micros
from tests.console.calls_seed import seed_calls
from tests.console.conftest import CONSOLE, Session, UserMaker, error_page, soup
from tests.helpers import RunningServer

Sessions = Callable[..., Session]


def _callids(page: BeautifulSoup) -> list[str]:
    return [str(tr["data-callid"]) for tr in page.select("#calls tbody tr")]


def _console_path(href: str) -> str:
    return href.removeprefix(CONSOLE)


def _admin_csv(server: RunningServer, engine: Engine, params: dict[str, str]) -> str:
    _, token = create_token(engine, CLI, "csv-check", None, True)
    answer = httpx.get(
        f"{server.base_url}/admin/v1/workspaces/acme/records",
        params=params,
        headers={"Authorization": f"Bearer {token}", "Accept": "text/csv"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return answer.text


def test_filters_pages_and_csv_match_the_admin_api(
    seeded: Engine, make_user: UserMaker, session_for: Sessions, console_server: RunningServer
) -> None:
    seed_calls(seeded)
    session = session_for(make_user("acme"))
    query = "window=30d&callSource=3&answered=false&number=&country="
    first = session.page(f"/w/acme/calls?{query}")
    rows = first.select("#calls tbody tr")
    assert rows, "the seeded month has failed outgoing calls"
    for tr in rows:
        cells = [td.get_text(strip=True) for td in tr.select("td")]
        assert cells[1] == "Outgoing"
        assert cells[5].startswith("Failed")
    assert first.select_one("#f-direction option[selected]")["value"] == "3"
    assert first.select_one("#f-answered option[selected]")["value"] == "false"

    # Walk every page forward, then back again by "Previous".
    pages = [_callids(first)]
    page = first
    while (link := page.select_one("#next-page")) is not None:
        page = session.page(_console_path(str(link["href"])))
        pages.append(_callids(page))
    back = [pages[-1]]
    while (link := page.select_one("#previous-page")) is not None:
        page = session.page(_console_path(str(link["href"])))
        back.append(_callids(page))
    assert back == pages[::-1]
    assert len(pages) > 1, "more failed calls than one page holds"

    # The CSV of the same search is the admin API's, byte for byte.
    csv_link = first.select_one("#download-csv")["href"]
    download = session.get(_console_path(str(csv_link)))
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    window = local_window("30d", "Asia/Kolkata", now_micros())
    admin = _admin_csv(console_server, seeded, {
        "strTime": datetime_from_micros(window.start_us).isoformat(),
        "endTime": datetime_from_micros(window.end_us).isoformat(),
        "callSource": "3", "answered": "false",
    })  # fmt: skip
    lines = download.text.splitlines()
    assert download.text == admin
    assert [line.split(",")[0] for line in lines[1:]] == [c for p in pages for c in p]


def test_a_call_shows_every_contract_field_and_its_rating_trail(
    seeded: Engine, make_user: UserMaker, session_for: Sessions
) -> None:
    seed_calls(seeded)
    session = session_for(make_user("acme"))
    listing = session.page("/w/acme/calls?window=30d&callSource=3&answered=true")
    link = listing.select_one("#calls tbody tr a")
    detail = session.page(_console_path(str(link["href"])))
    shown = detail.select("#record-fields dd")
    fields = {dd["data-field"]: dd.get_text(strip=True) for dd in shown}
    assert len(fields) == 23
    assert fields["callSource"] == "3"
    assert fields["currency"] == "EUR"
    assert fields["QuoteExchange"] == "1.0832"
    trail = {dd["data-trail"]: dd.get_text(" ", strip=True) for dd in detail.select("[data-trail]")}
    prefix = trail["deck-row"].split()[1]
    assert fields["called"].startswith(prefix)
    assert f"{fields['customerRate']} EUR/min" in trail["deck-row"]
    assert f"increment {fields['chargedPeriod']}" in trail["deck-row"]
    assert trail["exchange"] == "1 EUR = 1.0832 USD"
    assert f"pay {fields['SettlePay']} USD" in trail["settle"]
    back = detail.select_one("a[href*='/calls?']")["href"]
    assert parse_qs(urlparse(str(back)).query)["answered"] == ["true"]


def test_bad_filters_are_answered_on_the_form(
    seeded: Engine, make_user: UserMaker, session_for: Sessions
) -> None:
    session = session_for(make_user("acme"))
    for query, field, control in [
        ("minDuration=-5", "minDuration", "#f-min-duration"),
        ("minDuration=ten", "minDuration", "#f-min-duration"),
        ("callSource=4", "callSource", "#f-direction"),
        ("answered=maybe", "answered", "#f-answered"),
        ("number=4420%00", "number", "#f-number"),
        ("country=" + "x" * 65, "country", "#f-country"),
    ]:
        answer = session.get(f"/w/acme/calls?{query}")
        assert answer.status_code == 422, query
        page = soup(answer)
        assert page.select_one(control)["aria-invalid"] == "true", query
        assert page.select_one(f"#{field}-error").get_text().startswith(field), query
    forged = session.get("/w/acme/calls?after=forged.cursor")
    assert forged.status_code == 422
    assert soup(forged).select_one("#cursor-error") is not None
    csv = session.get("/w/acme/calls.csv?minDuration=-1")
    assert "minDuration" in error_page(csv, 422).select_one(".detail").get_text()


def test_another_workspaces_calls_csv_and_call_are_not_found(
    seeded: Engine, make_user: UserMaker, session_for: Sessions
) -> None:
    seed_calls(seeded)
    rival = accounts.get_workspace(seeded, "rival")
    operator = session_for(make_user(None))
    rival_calls = operator.page("/w/rival/calls?window=30d")
    callid = _callids(rival_calls)[0]
    assert operator.page(f"/w/rival/calls/{callid}").select_one("#rating-trail") is not None
    customer = session_for(make_user("acme"))
    for path in ("/w/rival/calls?window=30d", "/w/rival/calls.csv?window=30d",
                 f"/w/rival/calls/{callid}"):  # fmt: skip
        answer = customer.get(path)
        page = error_page(answer, 404)
        assert callid not in answer.text, path
        assert page.select_one("#calls") is None
    assert rival.id != accounts.get_workspace(seeded, "acme").id
