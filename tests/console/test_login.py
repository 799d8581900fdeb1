"""Logging in and out, sessions, and the refusals every console page shares."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from bs4 import BeautifulSoup

from callrec.operations import users
from callrec.operations.actor import CLI
from tests.console.conftest import CONSOLE, PASSWORD, Login, Session, UserMaker, error_page, soup
from tests.helpers import ManualClock, RunningServer

Sessions = Callable[[Login | None], Session]


def _login_error(answer_text: str) -> str:
    alert = BeautifulSoup(answer_text, "html.parser").select_one("#login-error")
    assert alert is not None, answer_text[:2000]
    return alert.get_text(strip=True)


def test_no_session_is_sent_to_the_login_page_and_back(
    session_for: Sessions, make_user: UserMaker
) -> None:
    anonymous = session_for(None)
    answer = anonymous.get("/w/acme/numbers")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{CONSOLE}/login?next=/console/w/acme/numbers"
    form = soup(anonymous.get("/login?next=/console/w/acme/numbers")).select_one(
        "form[action='/console/login']"
    )
    assert form is not None
    assert form.select_one("input[name=password][type=password]") is not None
    assert form.select_one("input[name=next]")["value"] == "/console/w/acme/numbers"  # type: ignore[index]
    alice = make_user("acme")
    back = anonymous.http.post(
        f"{CONSOLE}/login",
        data={"name": alice.name, "password": alice.password, "next": "/console/w/acme/numbers"},
    )
    assert back.headers["location"] == "/console/w/acme/numbers"


def test_next_never_leads_off_the_console(session_for: Sessions, make_user: UserMaker) -> None:
    alice = make_user("acme")
    for target in ["https://evil.example/", "//evil.example/", "/console/../admin",
                   "/elsewhere", "/console\\@evil.example", "javascript:alert(1)"]:  # fmt: skip
        session = session_for(None)
        answer = session.http.post(f"{CONSOLE}/login", data={
            "name": alice.name, "password": alice.password, "next": target})  # fmt: skip
        assert answer.headers["location"] == "/console/", target


def test_a_workspace_user_logs_in_and_lands_on_their_workspace(
    session_for: Sessions, make_user: UserMaker
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


def test_an_operator_lands_on_the_first_workspace(
    session_for: Sessions, make_user: UserMaker
) -> None:
    session = session_for(make_user(None))
    assert session.get("/").headers["location"] == f"{CONSOLE}/w/acme/overview"
    switched = session.get("/switch?workspace=rival&page=numbers")
    assert switched.headers["location"] == f"{CONSOLE}/w/rival/numbers"
    odd = session.get("/switch?workspace=rival&page=../../admin")
    assert odd.headers["location"] == f"{CONSOLE}/w/rival/overview"


def test_a_wrong_name_and_a_wrong_password_get_the_same_answer(
    session_for: Sessions, make_user: UserMaker
) -> None:
    alice = make_user("acme")
    session = session_for(None)
    wrong_password = session.http.post(
        f"{CONSOLE}/login", data={"name": alice.name, "password": "not the password"}
    )
    wrong_name = session.http.post(
        f"{CONSOLE}/login", data={"name": "nobody", "password": "not the password"}
    )
    assert wrong_password.status_code == wrong_name.status_code == 401
    assert _login_error(wrong_password.text) == _login_error(wrong_name.text)
    assert "set-cookie" not in wrong_password.headers
    assert session.get("/w/acme/numbers").status_code == 303  # still logged out


def test_failed_logins_count_toward_the_lockout(
    start_server: Callable[..., RunningServer], seeded: object, make_user: UserMaker
) -> None:
    server = start_server(lockout_failures=3)
    alice = make_user("acme")
    session = Session(server)
    try:
        for _ in range(3):
            wrong = session.http.post(f"{CONSOLE}/login", data={"name": "x", "password": "y"})
            assert wrong.status_code == 401
        # Locked out now: even the right password is refused, and says why.
        locked = session.http.post(
            f"{CONSOLE}/login", data={"name": alice.name, "password": alice.password}
        )
        assert locked.status_code == 429
        assert "Too many failed attempts" in _login_error(locked.text)
        # The admin API shares the lockout.
        assert session.http.get("/admin/v1/workspaces").status_code == 429
    finally:
        session.close()


def test_a_disabled_user_cannot_log_in(session_for: Sessions, make_user: UserMaker,
                                       seeded: object) -> None:  # fmt: skip
    alice = make_user("acme")
    users.set_user_enabled(seeded, CLI, alice.name, False)  # type: ignore[arg-type]
    answer = session_for(None).http.post(
        f"{CONSOLE}/login", data={"name": alice.name, "password": alice.password}
    )
    assert answer.status_code == 403
    assert "disabled" in _login_error(answer.text)


def test_the_cookie_is_secure_behind_a_trusted_https_proxy_only(
    start_server: Callable[..., RunningServer], seeded: object, make_user: UserMaker
) -> None:
    alice = make_user("acme")
    trusted = start_server(trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),))
    untrusted = start_server()
    for server, secure in ((trusted, True), (untrusted, False)):
        session = Session(server)
        try:
            answer = session.http.post(
                f"{CONSOLE}/login",
                data={"name": alice.name, "password": alice.password},
                headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"},
            )
            assert answer.status_code == 303
            assert ("Secure" in answer.headers["set-cookie"]) is secure
        finally:
            session.close()


def test_sessions_expire_idle_and_absolute_over_http(
    start_server: Callable[..., RunningServer], seeded: object, make_user: UserMaker
) -> None:
    clock = ManualClock()
    server = start_server(clock=clock, console_idle_minutes=10, console_session_hours=1)
    session = Session(server)
    try:
        session.login(make_user("acme"))
        assert session.get("/w/acme/numbers").status_code == 200
        clock.advance(9 * 60)
        assert session.get("/w/acme/numbers").status_code == 200
        clock.advance(9 * 60)  # 9 minutes since the last request: still alive
        assert session.get("/w/acme/numbers").status_code == 200
        clock.advance(10 * 60 + 1)
        assert session.get("/w/acme/numbers").status_code == 303
        session.login(make_user("acme"))
        for _ in range(7):  # busy, a request every 9 minutes, for over an hour
            clock.advance(9 * 60)
        assert session.get("/w/acme/numbers").status_code == 303
    finally:
        session.close()


def test_logout_ends_the_session_and_needs_the_token(
    session_for: Sessions, make_user: UserMaker
) -> None:
    session = session_for(make_user("acme"))
    cookie = session.http.cookies.get("callrec_console")
    forged = session.http.post(f"{CONSOLE}/logout", data={"csrf": "guess"})
    error_page(forged, 403)
    assert session.get("/w/acme/numbers").status_code == 200
    out = session.post("/logout", {}, csrf_from="/w/acme/numbers")
    assert out.status_code == 303
    assert out.headers["location"] == f"{CONSOLE}/login"
    assert session.get("/w/acme/numbers").status_code == 303
    # The old cookie is dead on the server too, not just forgotten by this client.
    session.http.cookies.set("callrec_console", cookie or "", path="/console")
    assert session.get("/w/acme/numbers").status_code == 303


def test_csrf_refusals(session_for: Sessions, make_user: UserMaker) -> None:
    session = session_for(make_user("acme"))
    path = "/w/acme/numbers/915027021995/remark"
    token = session.csrf("/w/acme/numbers")
    cases = [
        ({"remark": "x"}, {}),  # no token
        ({"remark": "x", "csrf": token + "x"}, {}),  # a wrong token
        ({"remark": "x", "csrf": token}, {"Origin": "https://evil.example"}),
        ({"remark": "x", "csrf": token}, {"Sec-Fetch-Site": "cross-site"}),
        ({"remark": "x", "csrf": token}, {"Origin": "null"}),
    ]
    for data, headers in cases:
        error_page(session.http.post(CONSOLE + path, data=data, headers=headers), 403)
    rows = session.page("/w/acme/numbers").select("input[name=remark]")
    assert [r.get("value") for r in rows] == [""]  # nothing changed
    cross_login = session_for(None).http.post(
        f"{CONSOLE}/login", data={"name": "a", "password": "b"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )  # fmt: skip
    error_page(cross_login, 403)


def test_another_tenants_workspace_is_the_same_404_as_a_missing_one(
    session_for: Sessions, make_user: UserMaker
) -> None:
    session = session_for(make_user("acme"))
    other = error_page(session.get("/w/rival/numbers"), 404)
    missing = error_page(session.get("/w/nowhere/numbers"), 404)
    assert other.select_one("main").get_text() == missing.select_one("main").get_text()  # type: ignore[union-attr]
    assert "rival" not in session.get("/w/rival/numbers").text
    remark = session.post("/w/rival/numbers/442071838750/remark", {"remark": "mine"},
                          csrf_from="/w/acme/numbers")  # fmt: skip
    error_page(remark, 404)
    # An operator page is a 404 for a workspace user too.
    error_page(session.get("/audit"), 404)


def test_bad_forms_are_answered_with_an_error_page(
    session_for: Sessions, make_user: UserMaker
) -> None:
    session = session_for(make_user("acme"))
    path = CONSOLE + "/w/acme/numbers/915027021995/remark"
    error_page(session.http.post(path, content=b"a" * 70_000,
               headers={"Content-Type": "application/x-www-form-urlencoded"}), 413)  # fmt: skip
    error_page(session.http.post(path, json={"remark": "x"}), 415)
    error_page(session.http.post(path, content=b"remark=%ff",
               headers={"Content-Type": "application/x-www-form-urlencoded"}), 400)  # fmt: skip
    error_page(session.http.post(path, content=b"remark=a%00b",
               headers={"Content-Type": "application/x-www-form-urlencoded"}), 400)  # fmt: skip


def test_password_of_the_seed_is_long_enough() -> None:
    assert len(PASSWORD) >= users.MIN_PASSWORD_LENGTH
