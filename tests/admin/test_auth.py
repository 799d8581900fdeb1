"""Admin tokens: 401 for a missing, wrong or revoked token, and the shared lockout."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Engine

from callrec.operations.actor import CLI
from callrec.operations.tokens import create_token, revoke_token
from callrec.store.admin_tokens import list_tokens, token_hash
from tests.admin.conftest import Admin, TokenMaker, admin_client, problem
from tests.api.support import post as post_signed
from tests.api.support import query, wrong_sign_headers
from tests.conftest import Tenant
from tests.helpers import RunningServer


def test_missing_wrong_and_revoked_tokens_are_401(
    admin_as: Callable[[str | None], Admin], engine: Engine
) -> None:
    _, plain = create_token(engine, CLI, "crm", None, False)
    assert admin_as(plain).get("/workspaces").status_code == 200
    for token in (None, "cra_wrong", plain + "x", "Basic abc"):
        answer = admin_as(token).get("/workspaces")
        problem(answer, 401)
        assert answer.headers["www-authenticate"].startswith("Bearer")
    revoke_token(engine, CLI, "crm")
    problem(admin_as(plain).get("/workspaces"), 401)


def test_only_the_hash_is_stored(engine: Engine) -> None:
    _token, plain = create_token(engine, CLI, "crm", None, False)
    assert plain.startswith("cra_")
    assert len(plain) > 40
    [listed] = list_tokens(engine)
    assert listed.name == "crm"
    with engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT token_sha256 FROM admin_tokens").scalar_one()
    assert stored == token_hash(plain)
    assert plain not in stored


def test_wrong_tokens_count_toward_the_lockout_shared_with_query_page(
    start_server: Callable[..., RunningServer], make_token: TokenMaker, tenant: Tenant
) -> None:
    server = start_server(lockout_failures=3, lockout_key_failures=3)
    good = make_token()
    with admin_client(server, "cra_guess") as guessing:
        for _ in range(3):
            problem(guessing.get("/workspaces"), 401)
        problem(guessing.get("/workspaces"), 429)
    with admin_client(server, good) as admin:
        problem(admin.get("/workspaces"), 429)  # the network is locked out, whatever the token
    assert query(server, tenant)["status"] == "-2"  # and queryPage sees the same lockout


def test_wrong_signs_on_query_page_lock_out_the_admin_api_too(
    start_server: Callable[..., RunningServer], make_token: TokenMaker, tenant: Tenant
) -> None:
    server = start_server(lockout_failures=2, lockout_key_failures=2)
    for _ in range(2):
        assert post_signed(server, wrong_sign_headers(tenant), json={})["status"] == "-1"
    with admin_client(server, make_token()) as admin:
        problem(admin.get("/workspaces"), 429)
