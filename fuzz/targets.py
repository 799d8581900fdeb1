"""One fuzz target per parser of outside bytes; each tolerates only its documented errors.

A target returns normally for any input the parser accepts or refuses in its documented way
(its own error type, or a Rejected/Skipped item); anything else it lets through is a crash.
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Callable
from zoneinfo import ZoneInfo

from callrec.ingest.sources import asterisk, tabular
from callrec.ingest.sources.freeswitch import SOURCE_HTTP, FreeswitchOptions, parse_document
from callrec.ingest.sources.freeswitch_body import BASE64_FORM, FORM, JSON, BodyError, cdr_json
from callrec.push import url_safety
from callrec.wire.query import parse_page_query
from callrec.wire.status import ContractError, Status

Target = Callable[[bytes], None]
_KOLKATA = ZoneInfo("Asia/Kolkata")
_CONTENT_TYPES = (JSON, FORM, BASE64_FORM, "text/plain", None)


def query_page(data: bytes) -> None:
    """The queryPage body: every refusal is -22."""
    try:
        parse_page_query(data)
    except ContractError as error:
        if error.status is not Status.PARAMETER_ERROR:
            raise


def freeswitch(data: bytes) -> None:
    """A mod_json_cdr POST body under every content type, then the document it carries."""
    for content_type in _CONTENT_TYPES:
        try:
            document = cdr_json(content_type, data)
        except BodyError:
            continue
        for encode_values in (True, False):
            options = FreeswitchOptions(encode_values, keep_b_legs=True, source=SOURCE_HTTP)
            parse_document(document, options, "cdr")  # refusals are Rejected, not exceptions


def asterisk_csv(data: bytes) -> None:
    """Asterisk Master.csv lines."""
    for _ in asterisk.read_master_csv(data.splitlines(keepends=True), _KOLKATA):
        pass


def tabular_jsonl(data: bytes) -> None:
    for _ in tabular.read_jsonl(data.splitlines(), _KOLKATA):
        pass


def tabular_csv(data: bytes) -> None:
    for _ in tabular.read_csv(data.splitlines(keepends=True), _KOLKATA):
        pass


def tabular_batch(data: bytes) -> None:
    """The /ingest/cdrs body: a JSON array or JSON Lines."""
    with contextlib.suppress(tabular.BatchError):
        tabular.read_json_batch(data, None)


def push_url(data: bytes) -> None:
    """The push URL guard. The input is one flags byte, then as many 4- or 16-byte addresses
    as the flags say (what a resolver could answer: no DNS, the fuzzer stays on this
    machine), then the URL as UTF-8."""
    flags, rest = (data[0], data[1:]) if data else (0, b"")
    allow_private = bool(flags & 1)
    size = 16 if flags & 2 else 4
    count = (flags >> 2) & 3
    packed, text = rest[: size * count], rest[size * count :]
    addresses = tuple(
        ipaddress.ip_address(packed[start : start + size])
        for start in range(0, len(packed) - size + 1, size)
    )
    try:
        url = url_safety.parse_push_url(text.decode("utf-8", errors="replace"))
        url_safety.hostname(url)
        url_safety.judge(url, addresses, allow_private)
    except url_safety.UnsafeUrl:
        pass


TARGETS: dict[str, Target] = {
    "query_page": query_page,
    "freeswitch": freeswitch,
    "asterisk_csv": asterisk_csv,
    "tabular_jsonl": tabular_jsonl,
    "tabular_csv": tabular_csv,
    "tabular_batch": tabular_batch,
    "push_url": push_url,
}

# Seed corpora: the test fixtures each parser reads (relative to tests/fixtures).
SEEDS: dict[str, tuple[str, ...]] = {
    "query_page": (),
    "freeswitch": ("freeswitch",),
    "asterisk_csv": ("asterisk",),
    "tabular_jsonl": ("tabular",),
    "tabular_csv": ("tabular",),
    "tabular_batch": ("tabular",),
    "push_url": (),
}
