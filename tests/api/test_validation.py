"""``-22``: every rule of the request body, with a reason that names the field."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.support import DAY_END, DAY_START, default_body, ok_data, post, query
from tests.conftest import Tenant
from tests.helpers import QUERY_PAGE, RunningServer, page_body, signed_headers

MAX_BODY = 64 * 1024
DELETE = object()


def body_with(path: str, value: Any) -> dict[str, Any]:
    """The default body with one field (``"size"``, ``"params.strTime"``) set or removed."""
    body = copy.deepcopy(default_body())
    *parents, leaf = path.split(".")
    target = body
    for name in parents:
        target = target[name]
    if value is DELETE:
        del target[leaf]
    else:
        target[leaf] = value
    return body


# The full tables are unit-tested in tests/wire/test_query.py; these are the contract's own.
# Each value is JSON text, sent as written: json.dumps(1e0) would send "1.0".
NOT_INTEGERS: list[tuple[str, str]] = [
    ("float-one", "1.0"),
    ("exponent", "1e0"),
    ("true", "true"),
    ("false", "false"),
    ("fraction-string", '"1.5"'),
    ("leading-space", '" 1"'),
    ("negative-string", '"-1"'),
    ("non-ascii-digits", '"\\u0661"'),  # ARABIC-INDIC DIGIT ONE: isdigit(), but not ASCII
    ("object", '{"value": 1}'),
]

OUT_OF_RANGE: list[tuple[str, str, Any]] = [
    ("current", "zero", 0),
    ("current", "zero-string", "0"),
    ("current", "negative", -1),
    ("current", "over-int32", 2**31),
    ("current", "over-int32-string", str(2**31)),
    ("current", "huge", 10**30),
    ("current", "thousands-of-digits-string", "9" * 5000),
    ("size", "zero", 0),
    ("size", "zero-string", "0"),
    ("size", "one-hundred-one", 101),
    ("size", "one-hundred-one-string", "101"),
    ("size", "over-int32", 2**31),
    ("size", "thousands-of-digits-string", "9" * 5000),
]

# The full table is unit-tested in tests/wire/test_times.py.
BAD_TIMES: list[tuple[str, str]] = [
    ("no-offset", "2024-01-01T00:00:00"),
    ("compact", "20240310T000000+0800"),
    ("offset-without-colon", "2024-01-01T00:00:00+0800"),
    ("date-only", "2024-01-01"),
    ("space-separator", "2024-01-01 00:00:00+08:00"),
    ("impossible-date", "2024-02-30T00:00:00+08:00"),
    ("number-as-string", "1704038400"),
]


@pytest.mark.parametrize("field", ["current", "size", "params"])
def test_missing_top_level_field_is_minus_22_naming_it(
    tenant: Tenant, server: RunningServer, field: str
) -> None:
    document = query(server, tenant, body=body_with(field, DELETE))
    assert document["status"] == "-22"
    assert field in document["reason"]


@pytest.mark.parametrize("field", ["current", "size", "params", "params.strTime", "params.endTime"])
def test_null_field_is_minus_22_naming_it(
    tenant: Tenant, server: RunningServer, field: str
) -> None:
    document = query(server, tenant, body=body_with(field, None))
    assert document["status"] == "-22"
    assert field in document["reason"]


@pytest.mark.parametrize("field", ["params.strTime", "params.endTime"])
def test_missing_time_is_minus_22_naming_it(
    tenant: Tenant, server: RunningServer, field: str
) -> None:
    document = query(server, tenant, body=body_with(field, DELETE))
    assert document["status"] == "-22"
    assert field in document["reason"]


@pytest.mark.parametrize("field", ["current", "size"])
@pytest.mark.parametrize(
    "json_text", [t for _, t in NOT_INTEGERS], ids=[n for n, _ in NOT_INTEGERS]
)
def test_non_integer_is_minus_22_naming_the_field(
    tenant: Tenant, server: RunningServer, field: str, json_text: str
) -> None:
    content = json.dumps(body_with(field, "PLACEHOLDER")).replace('"PLACEHOLDER"', json_text)
    assert json_text in content
    headers = signed_headers(tenant.api_key, tenant.secret)
    document = post(server, headers, content=content.encode())
    assert document["status"] == "-22", document
    assert field in document["reason"]


@pytest.mark.parametrize(
    ("field", "value"),
    [(field, value) for field, _, value in OUT_OF_RANGE],
    ids=[f"{field}-{name}" for field, name, _ in OUT_OF_RANGE],
)
def test_integer_out_of_range_is_minus_22_naming_the_field(
    tenant: Tenant, server: RunningServer, field: str, value: Any
) -> None:
    document = query(server, tenant, body=body_with(field, value))
    assert document["status"] == "-22", document
    assert field in document["reason"]


@pytest.mark.parametrize(
    ("current", "size"),
    [
        (1, 1),
        (1, 100),
        ("1", "100"),
        ("0001", "0010"),
        (2**31 - 1, 100),
        (str(2**31 - 1), "1"),
    ],
    ids=["smallest", "largest-size", "digit-strings", "leading-zeros", "max-current", "max-str"],
)
def test_integers_in_range_are_accepted(
    tenant: Tenant, server: RunningServer, current: Any, size: Any
) -> None:
    data = ok_data(query(server, tenant, body=page_body(DAY_START, DAY_END, current, size)))
    assert data["current"] == int(current)
    assert data["size"] == int(size)


@pytest.mark.parametrize(
    "params", ["2024-01-01", ["2024-01-01"], 1, True], ids=["string", "list", "number", "bool"]
)
def test_params_not_an_object_is_minus_22(
    tenant: Tenant, server: RunningServer, params: Any
) -> None:
    document = query(server, tenant, body=body_with("params", params))
    assert document["status"] == "-22"
    assert "params" in document["reason"]


@pytest.mark.parametrize("field", ["params.strTime", "params.endTime"])
@pytest.mark.parametrize("value", [1704038400, ["2024-01-01T00:00:00Z"], True])
def test_time_that_is_not_a_string_is_minus_22(
    tenant: Tenant, server: RunningServer, field: str, value: Any
) -> None:
    document = query(server, tenant, body=body_with(field, value))
    assert document["status"] == "-22"
    assert field in document["reason"]


@pytest.mark.parametrize("field", ["params.strTime", "params.endTime"])
@pytest.mark.parametrize("text", [t for _, t in BAD_TIMES], ids=[n for n, _ in BAD_TIMES])
def test_time_in_another_form_is_minus_22_naming_the_field(
    tenant: Tenant, server: RunningServer, field: str, text: str
) -> None:
    # Keep the other bound far away so that only the form can be wrong.
    body = page_body("2023-12-31T00:00:00+08:00", "2024-01-02T00:00:00+08:00")
    body = {**body, "params": {**body["params"], field.split(".")[1]: text}}
    document = query(server, tenant, body=body)
    assert document["status"] == "-22", document
    assert field in document["reason"]


def test_time_without_offset_reason_shows_the_expected_form(
    tenant: Tenant, server: RunningServer
) -> None:
    document = query(server, tenant, body=body_with("params.strTime", "2024-01-01T00:00:00"))
    assert document["status"] == "-22"
    assert "YYYY-MM-DDTHH:MM:SS" in document["reason"]
    assert "2022-01-01T00:00:00+08:00" in document["reason"]


@pytest.mark.parametrize(
    ("str_time", "end_time"),
    [
        ("2023-12-31T16:00:00Z", "2024-01-01T16:00:00Z"),
        ("2023-12-31T16:00:00.5Z", "2024-01-01T16:00:00.123456+00:00"),
        ("2023-12-31T16:00:00.123456789Z", "2024-01-01T08:00:00.000000001+08:00"),
        ("2023-12-31T10:30:00-05:30", "2024-01-01T00:00:00+00:00"),
        ("2023-12-31T21:45:00+05:45", "2024-01-01T23:59:59.999999+14:00"),
    ],
    ids=["zulu", "fractions", "nanoseconds", "negative-half-hour", "unusual-offsets"],
)
def test_times_with_z_offsets_and_fractions_are_accepted(
    tenant: Tenant, server: RunningServer, str_time: str, end_time: str
) -> None:
    ok_data(query(server, tenant, body=page_body(str_time, end_time)))


@pytest.mark.parametrize(
    ("str_time", "end_time"),
    [
        ("2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z"),
        ("2024-01-01T08:00:00+08:00", "2024-01-01T00:00:00Z"),
        ("2024-01-02T00:00:00Z", "2024-01-01T00:00:00Z"),
        ("2024-01-01T00:00:00.000001Z", "2024-01-01T00:00:00Z"),
        ("2024-01-01T00:00:00.5Z", "2024-01-01T00:00:00.499999999Z"),
    ],
    ids=["equal", "same-instant-other-offset", "reversed", "one-microsecond", "sub-microsecond"],
)
def test_end_not_after_start_is_minus_22(
    tenant: Tenant, server: RunningServer, str_time: str, end_time: str
) -> None:
    document = query(server, tenant, body=page_body(str_time, end_time))
    assert document["status"] == "-22"
    assert "endTime" in document["reason"]


@pytest.mark.parametrize(
    ("str_time", "end_time"),
    [
        ("2024-01-01T00:00:00Z", "2024-01-01T00:00:00.000001Z"),
        ("2024-01-01T00:00:00.000000001Z", "2024-01-01T00:00:00.000000002Z"),
    ],
    ids=["one-microsecond", "one-nanosecond"],
)
def test_end_just_after_start_is_accepted(
    tenant: Tenant, server: RunningServer, str_time: str, end_time: str
) -> None:
    assert ok_data(query(server, tenant, body=page_body(str_time, end_time)))["total"] == 0


@pytest.mark.parametrize(
    "content",
    [b"{", b"{'current': 1}", b"current=1&size=10", b"\xff\xfe{}", b'{"current": 1,}'],
    ids=["truncated", "single-quotes", "form-encoded", "not-utf8", "trailing-comma"],
)
def test_body_that_is_not_json_is_minus_22(
    tenant: Tenant, server: RunningServer, content: bytes
) -> None:
    headers = signed_headers(tenant.api_key, tenant.secret)
    document = post(server, headers, content=content)
    assert document["status"] == "-22"
    assert "JSON" in document["reason"]


@pytest.mark.parametrize("content", [b"", b"   \r\n"], ids=["empty", "whitespace"])
def test_empty_body_is_minus_22(tenant: Tenant, server: RunningServer, content: bytes) -> None:
    document = post(server, signed_headers(tenant.api_key, tenant.secret), content=content)
    assert document["status"] == "-22"
    assert "body" in document["reason"]


@pytest.mark.parametrize("content", [b"[]", b"null", b"1", b'"body"'])
def test_json_that_is_not_an_object_is_minus_22(
    tenant: Tenant, server: RunningServer, content: bytes
) -> None:
    document = post(server, signed_headers(tenant.api_key, tenant.secret), content=content)
    assert document["status"] == "-22"
    assert "body" in document["reason"]


def _padded_body(total_bytes: int) -> bytes:
    """A valid body, padded with trailing whitespace to exactly ``total_bytes``."""
    raw = json.dumps(default_body()).encode()
    return raw + b" " * (total_bytes - len(raw))


def test_body_of_exactly_64_kib_is_accepted(tenant: Tenant, server: RunningServer) -> None:
    content = _padded_body(MAX_BODY)
    assert len(content) == MAX_BODY
    ok_data(post(server, signed_headers(tenant.api_key, tenant.secret), content=content))


def test_body_over_64_kib_is_minus_22(tenant: Tenant, server: RunningServer) -> None:
    content = _padded_body(MAX_BODY + 1)
    document = post(server, signed_headers(tenant.api_key, tenant.secret), content=content)
    assert document["status"] == "-22"
    assert "body" in document["reason"]


def test_chunked_body_over_64_kib_is_minus_22(tenant: Tenant, server: RunningServer) -> None:
    """Without a Content-Length the server must still stop at the limit."""
    content = _padded_body(4 * MAX_BODY)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(content), 8192):
            yield content[start : start + 8192]

    with server.client() as http:
        response = http.post(
            QUERY_PAGE,
            headers=signed_headers(tenant.api_key, tenant.secret),
            content=chunks(),
        )
    assert "content-length" not in response.request.headers
    assert response.status_code == 200
    document = response.json()
    assert document["status"] == "-22"
    assert "body" in document["reason"]


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/jsonp",
        "application/problem+json",
        "text/json",
    ],
    ids=["missing", "text-plain", "form", "jsonp", "problem-json", "text-json"],
)
def test_content_type_other_than_application_json_is_minus_22(
    tenant: Tenant, server: RunningServer, content_type: str | None
) -> None:
    headers = signed_headers(tenant.api_key, tenant.secret)
    del headers["Content-Type"]
    if content_type is not None:
        headers["Content-Type"] = content_type
    document = post(server, headers, content=json.dumps(default_body()).encode())
    assert document["status"] == "-22"
    assert "Content-Type" in document["reason"]


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json;charset=UTF-8",
        "application/json; charset=utf-8",
        "Application/JSON;Charset=UTF-8",
    ],
    ids=["bare", "vendor-form", "spaced-lowercase", "mixed-case"],
)
def test_any_application_json_content_type_is_accepted(
    tenant: Tenant, server: RunningServer, content_type: str
) -> None:
    headers = signed_headers(tenant.api_key, tenant.secret)
    headers["Content-Type"] = content_type
    ok_data(post(server, headers, content=json.dumps(default_body()).encode()))
