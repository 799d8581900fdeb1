"""Malformed queryPage bodies over the wire: ``-22`` in the contract's order, never ``-18``.

Bodies nested past the recursion limit and invalid UTF-8 inside a string once escaped the
parser as ``-18`` with a traceback in the log, before the sign was checked (so a caller
without the secret learned about its body, and its ``-1`` was never counted).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from tests.api.support import ok_data, post, query, wrong_sign_headers
from tests.conftest import Tenant
from tests.helpers import RunningServer, signed_headers
from tests.wire.test_query import MALFORMED_BODIES

DEEP = b'{"current":' + b"[" * 3000 + b"]" * 3000 + b"}"
INVALID_UTF8 = b'{"current":1,"size":1,"params":{"strTime":"\xff\xfe","endTime":"x"}}'


@pytest.mark.parametrize("content", [body for _, body in MALFORMED_BODIES],
                         ids=[name for name, _ in MALFORMED_BODIES])  # fmt: skip
def test_malformed_body_with_a_valid_sign_is_minus_22_without_a_traceback(
    tenant: Tenant, server: RunningServer, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        document = post(server, signed_headers(tenant.api_key, tenant.secret), content=content)
    assert document["status"] == "-22", document
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize("content", [DEEP, INVALID_UTF8], ids=["deep", "invalid-utf8"])
def test_malformed_body_without_the_secret_is_minus_1(
    tenant: Tenant, server: RunningServer, content: bytes
) -> None:
    document = post(server, wrong_sign_headers(tenant), content=content)
    assert document["status"] == "-1", document


def test_minus_1_for_a_malformed_body_counts_toward_the_lockout(
    tenant: Tenant, start_server: Callable[..., RunningServer]
) -> None:
    server = start_server(lockout_failures=2)
    assert post(server, wrong_sign_headers(tenant), content=DEEP)["status"] == "-1"
    ok_data(query(server, tenant))  # one failure: not yet
    assert post(server, wrong_sign_headers(tenant), content=INVALID_UTF8)["status"] == "-1"
    assert query(server, tenant)["status"] == "-2"
