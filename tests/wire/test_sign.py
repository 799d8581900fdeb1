"""The request signature: ``md5(ApiKey + ApiSecret + Timestamp)``."""

from __future__ import annotations

import pytest

from callrec.wire.sign import compute_sign, sign_matches

VECTOR = ("bDqJFiq9", "7bz1lzh9", "1630468800")
VECTOR_SIGN = "05d7a50893e22a5c4bb3216ae3396c7c"


def test_vendor_test_vector() -> None:
    assert compute_sign(*VECTOR) == VECTOR_SIGN


def test_sign_is_32_lowercase_hex_digits() -> None:
    sign = compute_sign("key", "secret", "1")
    assert len(sign) == 32
    assert sign == sign.lower()
    int(sign, 16)


@pytest.mark.parametrize(
    "changed",
    [("bDqJFiq8", "7bz1lzh9", "1630468800"), ("bDqJFiq9", "7bz1lzh8", "1630468800"),
     ("bDqJFiq9", "7bz1lzh9", "1630468801"), ("bdqjfiq9", "7bz1lzh9", "1630468800")],
    ids=["key", "secret", "timestamp", "key-case"],
)  # fmt: skip
def test_every_input_changes_the_sign(changed: tuple[str, str, str]) -> None:
    assert compute_sign(*changed) != VECTOR_SIGN


@pytest.mark.parametrize(
    "given",
    [VECTOR_SIGN, VECTOR_SIGN.upper(), "05D7A50893e22a5c4bb3216ae3396C7C"],
    ids=["lower", "upper", "mixed"],
)
def test_sign_comparison_ignores_letter_case(given: str) -> None:
    assert sign_matches(VECTOR_SIGN, given)


@pytest.mark.parametrize(
    "given",
    [
        "",
        VECTOR_SIGN[:-1],
        VECTOR_SIGN + "0",
        VECTOR_SIGN[:-1] + "d",
        "0" * 32,
        "é" * 32,
    ],
    ids=["empty", "short", "long", "last-digit", "zeros", "non-ascii"],
)
def test_sign_comparison_rejects_other_values(given: str) -> None:
    assert not sign_matches(VECTOR_SIGN, given)
