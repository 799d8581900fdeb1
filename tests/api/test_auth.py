"""Authentication: the sign, the ``-1`` answers, the timestamp tolerance (``-16``), and the key
and workspace switches (``-30``, ``-29``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine

from callrec.store import accounts
from tests.api.support import (
    default_body,
    ok_data,
    post,
    query,
    start_of_fresh_second,
    wrong_sign_headers,
)
from tests.conftest import Tenant
from tests.helpers import ManualClock, RunningServer, signed_headers

VECTOR_KEY = "bDqJFiq9"
VECTOR_SECRET = "7bz1lzh9"
VECTOR_TIMESTAMP = "1630468800"
VECTOR_SIGN = "05d7a50893e22a5c4bb3216ae3396c7c"


@pytest.fixture
def vector_tenant(engine: Engine) -> Tenant:
    workspace = accounts.create_workspace(engine, "vendor-vector")
    accounts.create_key(engine, workspace.name, api_key=VECTOR_KEY, secret=VECTOR_SECRET)
    return Tenant(workspace, VECTOR_KEY, VECTOR_SECRET)


def _vector_headers(sign: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json;charset=UTF-8",
        "Api-Key": VECTOR_KEY,
        "Timestamp": VECTOR_TIMESTAMP,
        "Sign": sign,
    }


@pytest.mark.parametrize(
    "sign",
    [VECTOR_SIGN, VECTOR_SIGN.upper(), VECTOR_SIGN[:16].upper() + VECTOR_SIGN[16:]],
    ids=["lowercase", "uppercase", "mixed-case"],
)
def test_vendor_sign_vector_is_accepted_in_any_letter_case(
    vector_tenant: Tenant, start_server: Callable[..., RunningServer], sign: str
) -> None:
    # The vector's timestamp is from 2021; a wide tolerance lets it through the -16 check.
    server = start_server(timestamp_tolerance=10**10)
    document = post(server, _vector_headers(sign), json=default_body())
    assert ok_data(document)["total"] == 0


def test_vendor_sign_vector_with_one_digit_changed_is_rejected(
    vector_tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    server = start_server(timestamp_tolerance=10**10)
    tampered = VECTOR_SIGN[:-1] + ("d" if VECTOR_SIGN[-1] != "d" else "e")
    document = post(server, _vector_headers(tampered), json=default_body())
    assert document["status"] == "-1"


@pytest.mark.parametrize("header", ["Api-Key", "Timestamp", "Sign"])
def test_each_missing_auth_header_is_status_minus_1_naming_the_header(
    tenant: Tenant, server: RunningServer, header: str
) -> None:
    headers = signed_headers(tenant.api_key, tenant.secret)
    del headers[header]
    document = post(server, headers, json=default_body())
    assert document["status"] == "-1"
    assert header in document["reason"]


@pytest.mark.parametrize("header", ["Api-Key", "Timestamp", "Sign"])
def test_an_empty_auth_header_counts_as_missing(
    tenant: Tenant, server: RunningServer, header: str
) -> None:
    headers = signed_headers(tenant.api_key, tenant.secret)
    headers[header] = ""
    document = post(server, headers, json=default_body())
    assert document["status"] == "-1"
    assert header in document["reason"]


def test_all_three_missing_headers_are_named_in_one_reason(server: RunningServer) -> None:
    document = post(server, {"Content-Type": "application/json"}, json=default_body())
    assert document["status"] == "-1"
    for header in ("Api-Key", "Timestamp", "Sign"):
        assert header in document["reason"]


@pytest.mark.parametrize(
    "timestamp",
    [
        "abc",
        "-1630468800",
        "+1630468800",
        "1630468800.0",
        "1.6e9",
        "0x61",
        "1630468800ms",
        b"\xb2",  # latin-1 SUPERSCRIPT TWO: str.isdigit() says yes, but it is not ASCII
    ],
    ids=["letters", "negative", "plus-sign", "fraction", "exponent", "hex", "suffix", "non-ascii"],
)
def test_non_digit_timestamp_is_status_minus_1(
    tenant: Tenant, server: RunningServer, timestamp: str | bytes
) -> None:
    headers: dict[str, str | bytes] = dict(signed_headers(tenant.api_key, tenant.secret))
    headers["Timestamp"] = timestamp
    document = post(server, headers, json=default_body())
    assert document["status"] == "-1"
    assert "Timestamp" in document["reason"]


def test_unknown_key_and_wrong_sign_give_the_same_reason(
    tenant: Tenant, server: RunningServer
) -> None:
    wrong_sign = post(server, wrong_sign_headers(tenant), json=default_body())
    unknown_key = post(server, signed_headers("NoSuchKy", tenant.secret), json=default_body())
    assert wrong_sign["status"] == unknown_key["status"] == "-1"
    assert wrong_sign["reason"] == unknown_key["reason"]


def test_sign_made_with_another_keys_secret_is_rejected(
    make_tenant: Callable[..., Tenant], server: RunningServer
) -> None:
    mine, theirs = make_tenant(), make_tenant()
    document = post(server, signed_headers(mine.api_key, theirs.secret), json=default_body())
    assert document["status"] == "-1"


def test_sign_over_a_different_timestamp_is_rejected(tenant: Tenant, server: RunningServer) -> None:
    now = start_of_fresh_second()
    headers = signed_headers(tenant.api_key, tenant.secret, now)
    headers["Timestamp"] = str(now - 1)
    document = post(server, headers, json=default_body())
    assert document["status"] == "-1"


@pytest.mark.parametrize("direction", [-1, 1], ids=["past", "future"])
def test_timestamp_beyond_the_tolerance_is_status_minus_16(
    tenant: Tenant, start_server: Callable[..., RunningServer], direction: int
) -> None:
    server = start_server(timestamp_tolerance=60)
    # 62 s away: a second boundary between this clock reading and the server's cannot
    # bring it back within the tolerance.
    timestamp = start_of_fresh_second() + direction * 62
    document = query(server, tenant, timestamp=timestamp)
    assert document["status"] == "-16"
    assert "Timestamp" in document["reason"]


@pytest.mark.parametrize("direction", [-1, 1], ids=["past", "future"])
def test_timestamp_exactly_at_the_tolerance_is_accepted(
    tenant: Tenant, start_server: Callable[..., RunningServer], direction: int
) -> None:
    # The server's clock is held still, so the edge is exact (no race with a second boundary).
    clock = ManualClock()
    server = start_server(timestamp_tolerance=60, clock=clock)
    ok_data(query(server, tenant, timestamp=clock.seconds() + direction * 60))


@pytest.mark.parametrize("direction", [-1, 1], ids=["past", "future"])
def test_default_tolerance_is_half_an_hour(
    tenant: Tenant, start_server: Callable[..., RunningServer], direction: int
) -> None:
    clock = ManualClock()
    server = start_server(clock=clock)
    now = clock.seconds()
    ok_data(query(server, tenant, timestamp=now + direction * 1800))
    assert query(server, tenant, timestamp=now + direction * 1801)["status"] == "-16"


@pytest.mark.parametrize("timestamp", ["0", "9" * 40], ids=["zero", "forty-digits"])
def test_absurd_digit_timestamps_are_status_minus_16(
    tenant: Tenant, server: RunningServer, timestamp: str
) -> None:
    assert query(server, tenant, timestamp=timestamp)["status"] == "-16"


def test_disabled_key_is_status_minus_30(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    accounts.set_key_enabled(engine, tenant.api_key, False)
    document = query(server, tenant)
    assert document["status"] == "-30"
    accounts.set_key_enabled(engine, tenant.api_key, True)
    ok_data(query(server, tenant))


def test_disabled_workspace_is_status_minus_29(
    engine: Engine, tenant: Tenant, server: RunningServer
) -> None:
    accounts.set_workspace_enabled(engine, tenant.workspace.name, False)
    document = query(server, tenant)
    assert document["status"] == "-29"
    accounts.set_workspace_enabled(engine, tenant.workspace.name, True)
    ok_data(query(server, tenant))


def test_disabling_one_workspace_leaves_others_working(
    engine: Engine, make_tenant: Callable[..., Tenant], server: RunningServer
) -> None:
    disabled, other = make_tenant(), make_tenant()
    accounts.set_workspace_enabled(engine, disabled.workspace.name, False)
    assert query(server, disabled)["status"] == "-29"
    ok_data(query(server, other))


@pytest.mark.parametrize("switch", ["key", "workspace"])
def test_disabled_key_or_workspace_with_wrong_sign_reveals_nothing(
    engine: Engine, tenant: Tenant, server: RunningServer, switch: str
) -> None:
    if switch == "key":
        accounts.set_key_enabled(engine, tenant.api_key, False)
    else:
        accounts.set_workspace_enabled(engine, tenant.workspace.name, False)
    wrong = post(server, wrong_sign_headers(tenant), json=default_body())
    unknown = post(server, signed_headers("NoSuchKy", "x"), json=default_body())
    assert wrong == unknown
    assert wrong["status"] == "-1"
