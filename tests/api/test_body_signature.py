"""Keys that require X-Callrec-Signature: a captured request cannot be replayed with another
body, while vendor-style keys keep working exactly as before."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from callrec.client import AuthenticationError, Client
from callrec.store import accounts
from callrec.wire.body_sign import BODY_SIGNATURE_HEADER, body_signature
from tests.api.support import DAY_END, DAY_START, default_body, post, store
from tests.conftest import Tenant
from tests.helpers import QUERY_PAGE, RunningServer, make_record, signed_headers

BODY_SIGNATURE_FAILED = "requires a valid X-Callrec-Signature header"


@pytest.fixture
def strict_tenant(make_tenant: Callable[..., Tenant], engine: Engine) -> Tenant:
    tenant = make_tenant("strict")
    accounts.set_key_requires_body_signature(engine, tenant.api_key, True)
    return tenant


def _captured(tenant: Tenant, body: dict[str, Any]) -> tuple[dict[str, str], bytes]:
    """A request as a client would send it, both signatures included, ready to replay."""
    content = json.dumps(body).encode()
    headers = signed_headers(tenant.api_key, tenant.secret)
    headers[BODY_SIGNATURE_HEADER] = body_signature(
        tenant.secret, headers["Timestamp"], "POST", QUERY_PAGE, content
    )
    return headers, content


def _other_body() -> bytes:
    return json.dumps(default_body(size=1)).encode()


def test_a_replay_with_another_body_is_refused_for_a_key_that_requires_it(
    strict_tenant: Tenant, server: RunningServer, engine: Engine
) -> None:
    store(engine, strict_tenant, [make_record("c1", "2024-01-01T09:00:00Z")])
    headers, content = _captured(strict_tenant, default_body())
    assert post(server, headers, content=content)["status"] == "0"

    replayed = post(server, headers, content=_other_body())
    assert replayed["status"] == "-1"
    assert BODY_SIGNATURE_FAILED in replayed["reason"]


def test_a_replay_with_another_body_is_still_accepted_for_a_vendor_style_key(
    tenant: Tenant, server: RunningServer
) -> None:
    headers, content = _captured(tenant, default_body())
    assert post(server, headers, content=content)["status"] == "0"
    assert post(server, headers, content=_other_body())["status"] == "0"
    del headers[BODY_SIGNATURE_HEADER]  # the vendor's own clients never send it
    assert post(server, headers, content=_other_body())["status"] == "0"


@pytest.mark.parametrize(
    "signature", [None, "", "0" * 64, "not hex"], ids=["missing", "empty", "zeros", "garbage"]
)
def test_a_missing_or_wrong_body_signature_is_minus_1(
    strict_tenant: Tenant, server: RunningServer, signature: str | None
) -> None:
    headers, content = _captured(strict_tenant, default_body())
    if signature is None:
        del headers[BODY_SIGNATURE_HEADER]
    else:
        headers[BODY_SIGNATURE_HEADER] = signature
    answer = post(server, headers, content=content)
    assert answer["status"] == "-1"
    assert BODY_SIGNATURE_FAILED in answer["reason"]


def test_the_signature_is_case_insensitive_hex(
    strict_tenant: Tenant, server: RunningServer
) -> None:
    headers, content = _captured(strict_tenant, default_body())
    headers[BODY_SIGNATURE_HEADER] = headers[BODY_SIGNATURE_HEADER].upper()
    assert post(server, headers, content=content)["status"] == "0"


def test_a_wrong_md5_sign_is_reported_first_without_naming_the_key_option(
    strict_tenant: Tenant, server: RunningServer
) -> None:
    headers, content = _captured(strict_tenant, default_body())
    headers["Sign"] = "0" * 32
    answer = post(server, headers, content=content)
    assert answer["status"] == "-1"
    assert BODY_SIGNATURE_HEADER not in answer["reason"]


def test_body_signature_failures_count_towards_the_lockout(
    strict_tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    server = start_server(lockout_failures=2)
    headers, _ = _captured(strict_tenant, default_body())
    for _ in range(2):
        assert post(server, headers, content=_other_body())["status"] == "-1"
    assert post(server, headers, content=_other_body())["status"] == "-2"


def test_an_unreadable_body_still_gets_its_own_parameter_error(
    strict_tenant: Tenant, server: RunningServer
) -> None:
    headers, content = _captured(strict_tenant, default_body())
    headers["Content-Type"] = "text/plain"
    answer = post(server, headers, content=content)
    assert answer["status"] == "-22"
    assert "Content-Type" in answer["reason"]


def test_the_requirement_can_be_turned_off_and_on_again(
    strict_tenant: Tenant, server: RunningServer, engine: Engine
) -> None:
    headers, _ = _captured(strict_tenant, default_body())
    accounts.set_key_requires_body_signature(engine, strict_tenant.api_key, False)
    assert post(server, headers, content=_other_body())["status"] == "0"
    accounts.set_key_requires_body_signature(engine, strict_tenant.api_key, True)
    assert post(server, headers, content=_other_body())["status"] == "-1"


def test_callrecs_own_client_signs_the_body_by_itself(
    strict_tenant: Tenant, tenant: Tenant, server: RunningServer, engine: Engine
) -> None:
    store(engine, strict_tenant, [make_record("c1", "2024-01-01T09:00:00Z")])
    for who in (strict_tenant, tenant):
        with Client(who.api_key, who.secret, base_url=server.base_url) as client:
            assert client.count(DAY_START, DAY_END) == (1 if who is strict_tenant else 0)
    wrong = Client(strict_tenant.api_key, "not-the-secret", base_url=server.base_url)
    with wrong, pytest.raises(AuthenticationError):
        wrong.count(DAY_START, DAY_END)
