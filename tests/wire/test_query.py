"""The queryPage body rules (``-22``) and window limits (``-25``), without a server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from callrec.wire.query import (
    MAX_INTEGER,
    PageQuery,
    check_window,
    contract_integer,
    parse_page_query,
)
from callrec.wire.status import ContractError, Status
from callrec.wire.times import parse_iso_instant

DAY_US = 86_400 * 1_000_000


def _body(**overrides: Any) -> bytes:
    document: dict[str, Any] = {
        "current": 1,
        "size": 10,
        "params": {"strTime": "2024-01-01T00:00:00+08:00", "endTime": "2024-01-02T00:00:00+08:00"},
    }
    document.update(overrides)
    return json.dumps(document).encode()


def _parameter_error(body: bytes) -> str:
    with pytest.raises(ContractError) as caught:
        parse_page_query(body)
    error: ContractError = caught.value
    assert error.status is Status.PARAMETER_ERROR
    return error.reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, 1), (100, 100), ("1", 1), ("100", 100), ("007", 7), (MAX_INTEGER, MAX_INTEGER),
     (str(MAX_INTEGER), MAX_INTEGER), ("0" * 50 + "5", 5)],
)  # fmt: skip
def test_contract_integer_accepts_integers_and_digit_strings(value: Any, expected: int) -> None:
    assert contract_integer(value, "current", 1) == expected


@pytest.mark.parametrize(
    "value",
    [1.0, 1.5, True, False, None, "1.5", " 1", "1 ", "", "-1", "+1", "1e0", "0x1", "1_000",
     "\u0661", "\uff11", "\u00b9", [1], {"v": 1}],
    ids=["float-one", "fraction", "true", "false", "null", "fraction-string",
         "leading-space", "trailing-space", "empty", "negative-string", "plus-string",
         "exponent-string", "hex-string", "underscore-string", "arabic-indic-digit",
         "fullwidth-digit", "superscript-one", "list", "object"],
)  # fmt: skip
def test_contract_integer_rejects_non_integers(value: Any) -> None:
    with pytest.raises(ContractError) as caught:
        contract_integer(value, "size", 1, 100)
    assert caught.value.status is Status.PARAMETER_ERROR
    assert "size" in caught.value.reason


@pytest.mark.parametrize(
    "value",
    [0, -1, MAX_INTEGER + 1, str(MAX_INTEGER + 1), 10**40, "9" * 5000, "1" + "0" * 10],
    ids=["zero", "negative", "over-int32", "over-int32-string", "huge", "5000-digits", "1e10"],
)
def test_contract_integer_rejects_values_out_of_range(value: Any) -> None:
    with pytest.raises(ContractError) as caught:
        contract_integer(value, "current", 1)
    assert caught.value.status is Status.PARAMETER_ERROR
    assert "current" in caught.value.reason


@pytest.mark.parametrize("number", ["1.0", "1e0", "1E0", "1e+0", "10e-1", "1.5", "true", "-0"])
def test_json_number_forms_other_than_plain_integers_are_refused(number: str) -> None:
    """As JSON text: ``1e0`` and ``1.0`` are the same float once parsed, but not on the wire."""
    body = _body(current="PLACEHOLDER").replace(b'"PLACEHOLDER"', number.encode())
    assert "current" in _parameter_error(body)


@pytest.mark.parametrize("value", [0, 101, "101", "0"])
def test_size_must_be_1_to_100(value: Any) -> None:
    reason = _parameter_error(_body(size=value))
    assert "size" in reason
    assert "100" in reason


def test_parse_a_valid_body() -> None:
    query = parse_page_query(_body(current="3", size="25"))
    assert (query.current, query.size, query.offset) == (3, 25, 50)
    assert query.start.offset_seconds == 8 * 3600
    assert query.end.micros - query.start.micros == DAY_US


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"", "body"),
        (b"  \n", "body"),
        (b"{", "JSON"),
        (b"[1]", "JSON object"),
        (b"null", "JSON object"),
        (b'{"size": 10, "params": {}}', "current"),
        (b'{"current": 1, "params": {}}', "size"),
        (b'{"current": 1, "size": 10}', "params"),
        (b'{"current": 1, "size": 10, "params": []}', "params"),
        (b'{"current": 1, "size": 10, "params": {}}', "params.strTime"),
        (b'{"current": 1, "size": 10, "params": {"strTime": "2024-01-01T00:00:00Z"}}',
         "params.endTime"),
        (b'{"current": 1, "size": 10, "params": {"strTime": 1, "endTime": 2}}',
         "params.strTime"),
    ],
)  # fmt: skip
def test_parse_errors_name_the_field(body: bytes, field: str) -> None:
    assert field in _parameter_error(body)


def test_checks_run_in_field_order_current_first() -> None:
    """With several bad fields, the reason names the first: current, size, params."""
    reason = _parameter_error(_body(current=0, size=0, params=None))
    assert reason.startswith("current")


@pytest.mark.parametrize(
    ("str_time", "end_time"),
    [
        ("2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z"),
        ("2024-01-01T08:00:00+08:00", "2024-01-01T00:00:00Z"),
        ("2024-01-01T00:00:00.000000002Z", "2024-01-01T00:00:00.000000001Z"),
    ],
    ids=["equal", "same-instant", "reversed-by-a-nanosecond"],
)
def test_end_not_after_start_is_a_parameter_error(str_time: str, end_time: str) -> None:
    body = _body(params={"strTime": str_time, "endTime": end_time})
    assert "params.endTime" in _parameter_error(body)


def test_end_a_nanosecond_after_start_is_accepted() -> None:
    body = _body(params={"strTime": "2024-01-01T00:00:00.000000001Z",
                         "endTime": "2024-01-01T00:00:00.000000002Z"})  # fmt: skip
    query = parse_page_query(body)
    assert query.start.micros == query.end.micros  # the same stored microsecond: empty window


def _query(str_time: str, end_time: str) -> PageQuery:
    return PageQuery(1, 10, parse_iso_instant(str_time), parse_iso_instant(end_time))


NOW_US = 1_704_067_200 * 1_000_000  # 2024-01-01T00:00:00Z


@pytest.mark.parametrize(
    ("str_time", "end_time", "allowed"),
    [
        ("2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z", True),
        ("2024-01-01T00:00:00Z", "2024-02-01T00:00:00.000000001Z", False),
        ("2024-01-01T00:00:00.000000001Z", "2024-02-01T00:00:00.000000001Z", True),
        ("2024-01-01T00:00:00.0000001Z", "2024-02-01T00:00:00.0000005Z", False),
        ("2024-01-01T00:00:00+08:00", "2024-01-31T16:00:00Z", True),
        ("2024-01-01T00:00:00+08:00", "2024-01-31T16:00:00.000001Z", False),
    ],
)
def test_span_limit_is_exact(str_time: str, end_time: str, allowed: bool) -> None:
    query = _query(str_time, end_time)
    if allowed:
        check_window(query, 31, None, NOW_US)
    else:
        with pytest.raises(ContractError) as caught:
            check_window(query, 31, None, NOW_US)
        assert caught.value.status is Status.TIME_RANGE


@pytest.mark.parametrize(
    ("str_time", "allowed"),
    [
        ("2023-12-25T00:00:00Z", True),
        ("2023-12-25T00:00:00.000000001Z", True),
        ("2023-12-24T23:59:59.999999999Z", False),
        ("2023-12-24T00:00:00Z", False),
    ],
    ids=["exactly-7-days", "just-inside", "a-nanosecond-over", "8-days"],
)
def test_lookback_limit_is_exact(str_time: str, allowed: bool) -> None:
    query = _query(str_time, "2023-12-26T00:00:00Z")
    if allowed:
        check_window(query, 31, 7, NOW_US)
    else:
        with pytest.raises(ContractError) as caught:
            check_window(query, 31, 7, NOW_US)
        assert caught.value.status is Status.TIME_RANGE
        assert "params.strTime" in caught.value.reason


def test_no_lookback_limit_when_unset() -> None:
    ancient = _query("1970-01-01T00:00:00Z", "1970-01-02T00:00:00Z")
    with pytest.raises(ContractError) as caught:
        check_window(ancient, 31, 7, NOW_US)  # the same window is refused with a look-back
    assert caught.value.status is Status.TIME_RANGE
    assert check_window(ancient, 31, None, NOW_US) is None


VALID_PARAMS = b'{"strTime":"2024-01-01T00:00:00Z","endTime":"2024-01-02T00:00:00Z"}'

# Bodies that once escaped the parser as RecursionError or UnicodeDecodeError (and so as -18
# with a logged traceback), and their relatives: each is -22 like any other malformed body.
MALFORMED_BODIES: list[tuple[str, bytes]] = [
    ("deep-array", b"[" * 5000 + b"]" * 5000),
    ("deep-object", b'{"a":' * 5000 + b"1" + b"}" * 5000),
    ("deep-params", b'{"current":1,"size":1,"params":' + b"[" * 3000 + b"]" * 3000 + b"}"),
    ("deep-unclosed", b"[" * 60000),
    ("invalid-utf8-in-value", b'{"current":1,"size":1,"params":{"strTime":"\xff\xfe"}}'),
    ("invalid-utf8-in-key", b'{"\xc3\x28":1,"current":1}'),
    ("overlong-utf8", b'{"current":"\xc0\xb1","size":1,"params":{}}'),
    ("utf8-encoded-surrogate", b'{"current":1,"size":1,"params":{"strTime":"\xed\xa0\x80"}}'),
    ("truncated-utf8", b'{"current":1,"size":1,"params":{"strTime":"\xe2\x82"}}'),
    ("lone-surrogate-escape", b'{"current":1,"size":1,"params":{"strTime":"\\ud800"}}'),
    ("bom", b'\xef\xbb\xbf{"current":1,"size":1,"params":' + VALID_PARAMS + b"}"),
    ("utf16", '{"current":1}'.encode("utf-16")),
    ("raw-nul-in-string", b'{"current":1,"size":1,"params":{"strTime":"\x00"}}'),
    ("nul-after-document", b'{"current":1,"size":1,"params":' + VALID_PARAMS + b"}\x00"),
    ("huge-integer", b'{"current":' + b"9" * 5000 + b',"size":1,"params":' + VALID_PARAMS + b"}"),
    ("huge-float", b'{"current":1e999,"size":1,"params":' + VALID_PARAMS + b"}"),
    ("nan", b'{"current":NaN,"size":1,"params":' + VALID_PARAMS + b"}"),
    ("two-documents", b'{"current":1}{"current":1}'),
]


@pytest.mark.parametrize("body", [body for _, body in MALFORMED_BODIES],
                         ids=[name for name, _ in MALFORMED_BODIES])  # fmt: skip
def test_every_malformed_body_is_a_parameter_error(body: bytes) -> None:
    reason = _parameter_error(body)
    assert "body" in reason or "JSON" in reason or "current" in reason


def test_escaped_nul_in_a_time_is_a_parameter_error_naming_the_field() -> None:
    body = b'{"current":1,"size":1,"params":{"strTime":"2024-01-01T00:00:00Z\\u0000",'
    body += b'"endTime":"2024-01-02T00:00:00Z"}}'
    assert "params.strTime" in _parameter_error(body)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"current":[],"size":1,"params":' + VALID_PARAMS + b"}", "current"),
        (b'{"current":1,"size":{},"params":' + VALID_PARAMS + b"}", "size"),
        (b'{"current":1,"size":1,"params":"x"}', "params"),
        (b'{"current":1,"size":1,"params":[' + VALID_PARAMS + b"]}", "params"),
        (b'{"current":1,"size":1,"params":{"strTime":[],"endTime":"x"}}', "params.strTime"),
        (b'{"current":1,"size":1,"params":{"strTime":"2024-01-01T00:00:00Z","endTime":1}}',
         "params.endTime"),
    ],
    ids=["current-array", "size-object", "params-string", "params-array", "strTime-array",
         "endTime-number"],
)  # fmt: skip
def test_wrong_types_at_every_level_name_the_field(body: bytes, field: str) -> None:
    assert field in _parameter_error(body)


def test_a_duplicate_key_takes_its_last_value() -> None:
    body = b'{"current":1,"current":2,"size":1,"params":' + VALID_PARAMS + b"}"
    assert parse_page_query(body).current == 2
