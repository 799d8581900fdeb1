"""Logging in and out, sessions, and the refusals every console page shares."""

from __future__ import annotations

from collections.abc import Callable

from tests.console.conftest import CONSOLE, Login, Session, UserMaker, soup


def test_no_session_is_sent_to_the_login_page(
    session_for: Callable[[Login | None], Session],
) -> None:
    anonymous = session_for(None)
    answer = anonymous.get("/w/acme/numbers")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{CONSOLE}/login?next=/console/w/acme/numbers"
    form = soup(anonymous.get("/login")).select_one("form[action='/console/login']")
    assert form is not None
    assert form.select_one("input[name=password][type=password]") is not None


def test_a_workspace_user_logs_in_and_lands_on_their_workspace(
    session_for: Callable[[Login | None], Session], make_user: UserMaker
) -> None:
    session = session_for(None)
    answer = session.login(make_user("acme"))
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/console" in cookie
    assert "Secure" not in cookie  # plain HTTP here
    front = session.get("/")
    assert front.status_code == 303
    assert front.headers["location"] == f"{CONSOLE}/w/acme/overview"
