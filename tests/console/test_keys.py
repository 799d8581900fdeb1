"""The API keys page: list, create and rotate (secret shown once), disable and enable."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Engine

from callrec.operations.actor import CLI
from callrec.operations.audit import list_audit
from callrec.store import accounts
from tests.console.conftest import Login, Session, UserMaker, error_page, soup

Sessions = Callable[[Login | None], Session]


def _secret(engine: Engine, api_key: str) -> str:
    with engine.connect() as conn:
        return accounts.key_row(conn, api_key).secret


def test_the_list_shows_this_workspaces_keys_and_never_a_secret(
    session_for: Sessions, make_user: UserMaker, seeded: Engine
) -> None:
    session = session_for(make_user("acme"))
    page = session.page("/w/acme/keys")
    assert [row["data-key"] for row in page.select("#keys tr[data-key]")] == ["acmeKey1"]
    assert _secret(seeded, "acmeKey1") not in page.text
    assert "rivaKey1" not in page.text


def test_create_shows_the_secret_once_and_audits_who(
    session_for: Sessions, make_user: UserMaker, seeded: Engine
) -> None:
    alice = make_user("acme")
    session = session_for(alice)
    made = session.post("/w/acme/keys", {"allowIps": "203.0.113.0/24, 198.51.100.7",
                                         "requireBodySignature": "on"})  # fmt: skip
    assert made.status_code == 200
    assert made.headers["cache-control"] == "no-store"
    page = soup(made)
    api_key = page.select_one("#api-key").get_text()  # type: ignore[union-attr]
    secret = page.select_one("#api-secret").get_text()  # type: ignore[union-attr]
    assert secret == _secret(seeded, api_key)
    with seeded.connect() as conn:
        key = accounts.key_row(conn, api_key)
    assert key.workspace == "acme"
    assert key.allow_ips == ("203.0.113.0/24", "198.51.100.7/32")
    assert key.require_body_signature
    listed = session.get("/w/acme/keys").text
    assert api_key in listed
    assert secret not in listed
    entry = list_audit(seeded, CLI)[0]
    assert (entry.actor, entry.action, entry.object_id) == (f"user:{alice.name}", "key.create",
                                                            api_key)  # fmt: skip
    assert secret not in repr(entry)


def test_a_bad_address_is_named_next_to_its_field_and_nothing_is_made(
    session_for: Sessions, make_user: UserMaker, seeded: Engine
) -> None:
    session = session_for(make_user("acme"))
    answer = session.post("/w/acme/keys", {"allowIps": "not-an-ip"})
    assert answer.status_code == 422
    page = soup(answer)
    assert "Allowed IPs" in page.select_one("#allowIps-error").get_text()  # type: ignore[union-attr]
    assert page.select_one("#allowIps")["value"] == "not-an-ip"  # type: ignore[index]
    with seeded.connect() as conn:
        assert [k.api_key for k in accounts.list_keys(conn, "acme")] == ["acmeKey1"]


def test_rotate_with_grace_keeps_the_old_secret_for_a_while(
    session_for: Sessions, make_user: UserMaker, seeded: Engine
) -> None:
    session = session_for(make_user("acme"))
    old = _secret(seeded, "acmeKey1")
    rotated = session.post("/w/acme/keys/acmeKey1/rotate", {"graceSeconds": "3600"},
                           csrf_from="/w/acme/keys")  # fmt: skip
    assert rotated.status_code == 200
    new = soup(rotated).select_one("#api-secret").get_text()  # type: ignore[union-attr]
    assert new != old
    assert new == _secret(seeded, "acmeKey1")
    assert "keeps working until" in rotated.text
    with seeded.connect() as conn:
        assert accounts.key_row(conn, "acmeKey1").previous_secret_until_us is not None
    bad = session.post("/w/acme/keys/acmeKey1/rotate", {"graceSeconds": "-5"},
                       csrf_from="/w/acme/keys")  # fmt: skip
    assert bad.status_code == 422
    assert "The grace must be a whole number of seconds" in bad.text
    assert _secret(seeded, "acmeKey1") == new


def test_disable_and_enable(session_for: Sessions, make_user: UserMaker, seeded: Engine) -> None:
    session = session_for(make_user("acme"))
    off = session.post("/w/acme/keys/acmeKey1/enabled", {"enabled": "0"}, csrf_from="/w/acme/keys")
    assert off.status_code == 303
    with seeded.connect() as conn:
        assert not accounts.key_row(conn, "acmeKey1").enabled
    state = session.page("/w/acme/keys").select_one("tr[data-key=acmeKey1] .state")
    assert state.get_text() == "disabled"  # type: ignore[union-attr]
    session.post("/w/acme/keys/acmeKey1/enabled", {"enabled": "1"}, csrf_from="/w/acme/keys")
    with seeded.connect() as conn:
        assert accounts.key_row(conn, "acmeKey1").enabled


def test_another_tenants_keys_are_not_found_by_any_url(
    session_for: Sessions, make_user: UserMaker, seeded: Engine
) -> None:
    session = session_for(make_user("acme"))
    error_page(session.get("/w/rival/keys"), 404)
    for path in ["/w/acme/keys/rivaKey1/rotate", "/w/rival/keys/rivaKey1/rotate",
                 "/w/acme/keys/rivaKey1/enabled"]:  # fmt: skip
        answer = session.post(path, {"graceSeconds": "0", "enabled": "0"}, csrf_from="/w/acme/keys")
        error_page(answer, 404)
        assert "rivaKey1" not in answer.text
    error_page(session.post("/w/rival/keys", {}, csrf_from="/w/acme/keys"), 404)
    with seeded.connect() as conn:
        assert accounts.key_row(conn, "rivaKey1").enabled
        assert [k.api_key for k in accounts.list_keys(conn, "rival")] == ["rivaKey1"]


def test_an_operator_reaching_a_key_through_the_wrong_workspace_gets_404(
    session_for: Sessions, make_user: UserMaker, seeded: Engine
) -> None:
    session = session_for(make_user(None))
    error_page(session.post("/w/acme/keys/rivaKey1/enabled", {"enabled": "0"},
                            csrf_from="/w/acme/keys"), 404)  # fmt: skip
    ok = session.post("/w/rival/keys/rivaKey1/enabled", {"enabled": "0"}, csrf_from="/w/rival/keys")
    assert ok.status_code == 303
