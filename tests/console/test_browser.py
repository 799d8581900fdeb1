"""The console in Debian's Chromium: log in as each kind of user, and what each may reach."""

from __future__ import annotations

from typing import Any

from tests.console.conftest import CONSOLE, UserMaker, login, snap


def test_a_workspace_user_logs_in_and_sees_their_numbers(
    page: Any, browser_user: UserMaker
) -> None:
    alice = browser_user("acme")
    login(page, alice.name, alice.password)
    page.goto(f"{CONSOLE}/w/acme/numbers")
    assert page.locator("tr[data-number='915027021995']").count() == 1
    assert "Asia/Kolkata" in page.locator("header .zone").inner_text()
    snap(page, "numbers")
