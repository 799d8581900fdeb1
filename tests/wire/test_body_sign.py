"""The body signature's exact form, pinned by a vector computed outside Python.

The vector is what docs/api.md's recipes print: openssl (``openssl dgst -sha256 -hmac``),
Node's ``crypto.createHmac`` and Java's ``Mac.getInstance("HmacSHA256")`` all gave it.
"""

from __future__ import annotations

from callrec.wire.body_sign import SignedBody, body_signature, body_signature_matches

SECRET, TIMESTAMP, PATH = "7bz1lzh9", "1704067200", "/v3/number/record/queryPage"
BODY = (
    b'{"current":1,"size":10,"params":{"strTime":"2024-01-01T00:00:00+08:00",'
    b'"endTime":"2024-01-02T00:00:00+08:00"}}'
)
EXPECTED = "b235af9b7dd18cd2fbd882db955283e5b7f64d093513a5a95e23b0f41dfa40e0"


def test_the_signature_matches_the_documented_vector() -> None:
    assert body_signature(SECRET, TIMESTAMP, "POST", PATH, BODY) == EXPECTED
    assert body_signature(SECRET, TIMESTAMP, "post", PATH, BODY) == EXPECTED


def test_every_covered_part_changes_the_signature() -> None:
    variants = [
        body_signature("other-secret", TIMESTAMP, "POST", PATH, BODY),
        body_signature(SECRET, "1704067201", "POST", PATH, BODY),
        body_signature(SECRET, TIMESTAMP, "GET", PATH, BODY),
        body_signature(SECRET, TIMESTAMP, "POST", "/v3/other", BODY),
        body_signature(SECRET, TIMESTAMP, "POST", PATH, BODY + b" "),
    ]
    assert EXPECTED not in variants
    assert len(set(variants)) == len(variants)


def test_matching_ignores_case_and_never_accepts_a_missing_header() -> None:
    for given in (EXPECTED.upper(), f"sha256={EXPECTED}", f" {EXPECTED} "):
        assert body_signature_matches(SECRET, SignedBody(TIMESTAMP, "POST", PATH, BODY, given))
    for missing in (None, ""):
        assert not body_signature_matches(
            SECRET, SignedBody(TIMESTAMP, "POST", PATH, BODY, missing)
        )
