"""The overview and calls pages in Debian's Chromium: the overview's figures equal `callrec
summary` run against the same server, the charts draw, the calls table filters through its
form, the downloaded CSV is the admin API's, a call shows its rating trail, an operator
switches workspaces, and a customer cannot reach another workspace's pages or CSV by URL."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.engine import Engine

from callrec.operations.actor import CLI
from callrec.operations.stats import local_window
from callrec.operations.tokens import create_token
from callrec.store import accounts
from callrec.wire.times import datetime_from_micros, now_micros
from tests.cli.support import CALLREC, cli_env
from tests.console.calls_seed import seed_calls
from tests.console.conftest import CONSOLE, UserMaker, login, snap
from tests.helpers import RunningServer

ZONE = "Asia/Kolkata"


def _summary(engine: Engine, server: RunningServer, start: str, end: str) -> dict[str, Any]:
    [key] = accounts.list_keys(engine, "acme")
    completed = subprocess.run(
        [CALLREC, "summary", "--from", start, "--to", end, "--json",
         "--base-url", server.base_url, "--api-key", key.api_key],
        capture_output=True, text=True, timeout=120, check=False,
        env=cli_env(str(engine.url), {"CALLREC_API_SECRET": key.secret}),
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def _text(page: Any, selector: str) -> str:
    return str(page.locator(selector).text_content()).strip()


def test_the_overview_equals_callrec_summary_for_the_same_window(
    page: Any, browser_user: UserMaker, browser_engine: Engine, browser_server: RunningServer
) -> None:
    seed_calls(browser_engine, count=4000, days=30)
    alice = browser_user("acme")
    login(page, alice.name, alice.password)
    page.goto(f"{CONSOLE}/w/acme/overview?window=30d")
    page.wait_for_selector("html[data-charts='3']")
    assert page.locator(".chart canvas").count() == 3
    window = local_window("30d", ZONE, now_micros())
    start = datetime_from_micros(window.start_us).astimezone(ZoneInfo(ZONE)).isoformat()
    end = datetime_from_micros(window.end_us).astimezone(ZoneInfo(ZONE)).isoformat()
    summary = _summary(browser_engine, browser_server, start, end)
    [totals] = summary["totals"]
    assert totals["currency"] == "EUR"
    shown = {
        name: _text(page, f"#totals dd[data-figure={name}]")
        for name in ("attempts", "answered", "chargedMinutes", "amount", "amountUSD")
    }
    assert shown == {
        "attempts": str(totals["calls"]),
        "answered": str(totals["answered"]),
        "chargedMinutes": totals["chargedMinutes"],
        "amount": totals["amount"],
        "amountUSD": summary["totalUSD"],
    }
    assert int(shown["attempts"]) > 500
    # Day by day too: the summary's days are in the offset of --from, the workspace's zone.
    days = {g["group"]: (str(g["calls"]), g["chargedMinutes"], g["amount"])
            for g in summary["groups"]}  # fmt: skip
    rows = page.locator("#series tbody tr")
    charted = {}
    for index in range(rows.count()):
        cells = [str(c).strip() for c in rows.nth(index).locator("th, td").all_text_contents()]
        if cells[1] != "0":
            charted[cells[0]] = (cells[1], cells[4], cells[5])
    assert charted == days
    assert ZONE in page.locator("header .zone").inner_text()
    snap(page, "overview")


def test_the_calls_table_filters_downloads_the_admin_csv_and_shows_a_calls_trail(
    page: Any,
    browser_user: UserMaker,
    browser_engine: Engine,
    browser_server: RunningServer,
    tmp_path: Path,
) -> None:
    seed_calls(browser_engine, count=4000, days=30)
    alice = browser_user("acme")
    login(page, alice.name, alice.password)
    page.goto(f"{CONSOLE}/w/acme/calls?window=7d")
    page.get_by_label("Result").select_option("false")
    page.get_by_label("Direction").select_option("3")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert "answered=false" in page.url
    results = page.locator("#calls tbody tr td:nth-child(6)").all_inner_texts()
    assert results
    assert all(text.startswith("Failed") for text in results)
    snap(page, "calls")

    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download CSV").click()
    downloaded = tmp_path / "calls.csv"
    waiting.value.save_as(downloaded)
    window = local_window("7d", ZONE, now_micros())
    _, token = create_token(browser_engine, CLI, "csv", None, True)
    admin = httpx.get(
        f"{browser_server.base_url}/admin/v1/workspaces/acme/records",
        params={"strTime": datetime_from_micros(window.start_us).isoformat(),
                "endTime": datetime_from_micros(window.end_us).isoformat(),
                "callSource": "3", "answered": "false"},
        headers={"Authorization": f"Bearer {token}", "Accept": "text/csv"},
        timeout=30,
    )  # fmt: skip
    assert admin.status_code == 200
    assert downloaded.read_bytes() == admin.content
    assert len(admin.text.splitlines()) - 1 >= len(results)

    page.goto(f"{CONSOLE}/w/acme/calls?window=7d&answered=true&callSource=3")
    page.locator("#calls tbody tr a").first.click()
    page.wait_for_load_state()
    trail = page.locator("#rating-trail").inner_text()
    assert "prefix" in trail
    assert "1 EUR = 1.0832 USD" in trail
    snap(page, "call")


def test_an_operator_switches_workspaces_and_a_customer_cannot_reach_anothers(
    page: Any, browser_user: UserMaker, browser_engine: Engine, browser_server: RunningServer
) -> None:
    seed_calls(browser_engine, count=600, days=5)
    operator = browser_user(None)
    login(page, operator.name, operator.password)
    page.goto(f"{CONSOLE}/w/acme/overview")
    page.get_by_label("Workspace").select_option("rival")
    page.get_by_role("button", name="Switch").click()
    page.wait_for_load_state()
    assert page.url.endswith("/w/rival/overview")
    assert int(_text(page, "#totals dd[data-figure=attempts]")) > 0
    page.goto(f"{CONSOLE}/w/rival/calls?window=7d")
    assert page.locator("#calls tbody tr").count() > 0

    page.context.clear_cookies()
    alice = browser_user("acme")
    login(page, alice.name, alice.password)
    for path in ("/w/rival/overview", "/w/rival/calls?window=7d"):
        answer = page.goto(CONSOLE + path)
        assert answer is not None
        assert answer.status == 404
        assert page.locator("section.problem[data-status='404']").count() == 1
    csv = page.request.get(f"{CONSOLE}/w/rival/calls.csv?window=7d")
    assert csv.status == 404
    assert "callid" not in csv.text()
