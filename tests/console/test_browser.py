"""The console in Debian's Chromium: log in as each kind of user and use the pages.

Every page visited is saved under test-artifacts/screenshots/ (``snap``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from callrec.store import accounts
from callrec.store.push_batches import list_parked
from callrec.store.push_targets import set_push_target
from tests.console.conftest import CONSOLE, UserMaker, login, snap
from tests.helpers import make_record
from tests.push.receiver import ACCEPT, FAIL, running_receiver
from tests.push.support import SECRET, fast_settings, running_worker, store, wait_for


def test_a_workspace_user_logs_in_creates_and_rotates_a_key(
    page: Any, browser_user: UserMaker, browser_engine: Engine
) -> None:
    alice = browser_user("acme")
    page.goto(f"{CONSOLE}/login")
    snap(page, "login")
    login(page, alice.name, alice.password)
    assert page.url.endswith("/console/w/acme/overview")
    assert "Asia/Kolkata" in page.locator("header .zone").inner_text()

    page.get_by_role("link", name="Numbers").click()
    assert page.locator("tr[data-number='915027021995']").count() == 1
    snap(page, "numbers")

    page.get_by_role("link", name="API keys").click()
    snap(page, "keys")
    page.get_by_label("Allowed IPs").fill("198.51.100.7")
    page.get_by_role("button", name="Create key").click()
    api_key = page.locator("#api-key").inner_text()
    secret = page.locator("#api-secret").inner_text()
    assert re.fullmatch(r"[0-9a-f]{32}", secret), secret
    snap(page, "key-created")
    with browser_engine.connect() as conn:
        assert accounts.key_row(conn, api_key).secret == secret

    page.get_by_role("link", name="Back to the API keys").click()
    assert secret not in page.content()  # shown once: never on the list
    row = page.locator(f"tr[data-key='{api_key}']")
    row.get_by_label("Old secret works for").select_option("3600")
    row.get_by_role("button", name="Rotate secret").click()
    rotated = page.locator("#api-secret").inner_text()
    assert rotated != secret
    assert "keeps working until" in page.content()
    snap(page, "key-rotated")
    page.go_back()  # the list again; the browser may not resend the POST on its own
    page.goto(f"{CONSOLE}/w/acme/keys")
    assert rotated not in page.content()


def test_a_workspace_user_cannot_reach_another_workspace_by_url(
    page: Any, browser_user: UserMaker
) -> None:
    alice = browser_user("acme")
    login(page, alice.name, alice.password)
    for path in ["/w/rival/numbers", "/w/rival/keys", "/w/rival/webhook", "/workspaces",
                 "/audit"]:  # fmt: skip
        answer = page.goto(f"{CONSOLE}{path}")
        assert answer.status == 404, path
        assert page.locator("section.problem h1").inner_text() == "Not found"
        assert "442071838750" not in page.content()
        assert "rivaKey1" not in page.content()
    snap(page, "not-found")
    assert page.locator("#switch-workspace").count() == 0  # no switcher for a workspace user


def test_an_operator_switches_workspace_and_sees_the_operator_pages(
    page: Any, browser_user: UserMaker
) -> None:
    olga = browser_user(None)
    login(page, olga.name, olga.password)
    page.goto(f"{CONSOLE}/w/acme/numbers")
    page.get_by_label("Workspace").select_option("rival")
    page.get_by_role("button", name="Switch").click()
    assert page.url.endswith("/console/w/rival/numbers")
    assert page.locator("tr[data-number='442071838750']").count() == 1
    assert "UTC" in page.locator("header .zone").inner_text()
    for label, name in [("Workspaces", "workspaces"), ("Quarantine", "quarantine"),
                        ("Rate decks", "rate-decks"), ("Audit log", "audit")]:  # fmt: skip
        page.get_by_role("link", name=label, exact=True).click()
        assert page.url.split("?")[0].endswith(f"/console/{name}")
        snap(page, name)
    page.get_by_role("link", name="Workspaces", exact=True).click()
    page.get_by_label("Name", exact=True).fill("globex")
    page.get_by_label("Currency").fill("GBP")
    page.get_by_label("Time zone").fill("Europe/London")
    page.get_by_role("button", name="Create workspace").click()
    assert page.locator("tr[data-workspace='globex']").count() == 1


def test_a_parked_push_batch_is_retried_from_the_webhook_page(
    page: Any, browser_user: UserMaker, browser_engine: Engine
) -> None:
    alice = browser_user("acme")
    ws = accounts.get_workspace(browser_engine, "acme")
    first = datetime(2024, 1, 1, tzinfo=UTC)
    calls = [make_record(f"c{i}", (first + timedelta(minutes=i)).isoformat()) for i in range(3)]
    with running_receiver(SECRET, then=FAIL) as receiver:
        set_push_target(browser_engine, "acme", receiver.url, SECRET)
        store(browser_engine, ws.id, calls)
        with running_worker(browser_engine, fast_settings(retries=0, batch_size=2)):
            wait_for(lambda: len(list_parked(browser_engine, "acme")) == 2)
        login(page, alice.name, alice.password)
        page.goto(f"{CONSOLE}/w/acme/webhook")
        assert page.locator("#last-error").inner_text() == "HTTP 500"
        snap(page, "webhook")
        receiver.then = ACCEPT
        page.get_by_role("button", name="Retry batch 1").click()
        assert page.locator("#parked tr[data-batch]").count() == 1
        assert [b.batch_number for b in list_parked(browser_engine, "acme")] == [2]
        with running_worker(browser_engine, fast_settings()):
            receiver.wait_until_accepted([c.callid for c in calls[:2]])


def test_keyboard_and_phone(page: Any, browser_user: UserMaker) -> None:
    alice = browser_user("acme")
    login(page, alice.name, alice.password)
    page.goto(f"{CONSOLE}/w/acme/keys")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")  # a focus ring you can see
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width  # nothing pushes the page sideways; wide tables scroll alone
    snap(page, "keys-phone")
