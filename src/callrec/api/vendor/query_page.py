"""``POST /v3/number/record/queryPage``: every outcome is HTTP 200 with a contract envelope."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from callrec.api.client_ip import IPAddress
from callrec.api.request_log import RequestFacts, facts_of
from callrec.api.state import ServiceState
from callrec.api.vendor.body_signature import (
    BODY_SIGNATURE_FAILED,
    body_signature_refused,
    body_to_verify,
)
from callrec.api.vendor.page_cache import PageKey
from callrec.api.vendor.page_reader import PageRequest
from callrec.wire.query import PageQuery, check_window, parse_page_query
from callrec.wire.records import encode_failure, encode_page, render_record
from callrec.wire.status import ContractError, Status, parameter_error
from callrec.wire.times import now_micros

log = logging.getLogger("callrec.api")

MAX_BODY_BYTES = 64 * 1024
JSON_MEDIA_TYPE = "application/json;charset=UTF-8"


def _is_json_media_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    return content_type.split(";", 1)[0].strip().lower() == "application/json"


async def _read_body(request: Request) -> bytes:
    if not _is_json_media_type(request.headers.get("content-type")):
        raise parameter_error("Content-Type must be application/json")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise parameter_error(f"request body exceeds {MAX_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > MAX_BODY_BYTES:
            raise parameter_error(f"request body exceeds {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _parsed_body(request: Request) -> tuple[PageQuery | ContractError, bytes | None]:
    """The query or the body's error, and the body as received (None: it was not read)."""
    try:
        body = await _read_body(request)
    except ContractError as error:
        return error, None
    try:
        return parse_page_query(body), body
    except ContractError as error:
        return error, body


def _json(body: bytes) -> Response:
    return Response(body, media_type=JSON_MEDIA_TYPE)


async def _answer(
    state: ServiceState, request: Request, ip: IPAddress | None, facts: RequestFacts
) -> bytes:
    """The checks in the contract's order, then the page: from the cache, or read and kept.

    The key is checked before the body's verdict is given (``parsed`` may be the body's
    ``-22``): a caller without the secret learns nothing about its body. The rate limit comes
    after the sign, so a stranger's requests cannot spend a customer's bucket.
    """
    settings = state.settings
    signed = await state.guard.precheck(ip, request.headers)
    parsed, body = await _parsed_body(request)
    found = await state.reader.credentials(signed.api_key)
    if found is not None:  # a key that exists, whether or not the sign matches: worth logging
        facts.api_key, facts.workspace_id = found.api_key, found.workspace_id
    credentials = state.guard.verify(ip, signed, found)
    if body_signature_refused(credentials, body_to_verify(request, signed.timestamp, body)):
        raise state.guard.reject(BODY_SIGNATURE_FAILED)
    if state.guard.limiter.enabled:
        await state.guard.admit(credentials)
    if isinstance(parsed, ContractError):
        raise parsed
    check_window(parsed, settings.max_window_days, settings.lookback_days, now_micros())
    wanted = PageRequest(
        credentials.workspace_id,
        parsed.start.micros,
        parsed.end.micros,
        parsed.current,
        parsed.size,
    )
    key = PageKey(
        wanted.workspace_id,
        credentials.records_revision,
        wanted.start_us,
        wanted.end_us,
        parsed.start.offset_seconds,
        wanted.current,
        wanted.size,
    )
    cached = state.pages.get(key)
    if cached is not None:
        return cached
    read = await state.reader.page(wanted, credentials.records_revision)
    page = [render_record(row, parsed.start.offset_seconds) for row in read.rows]
    answer = encode_page(read.total, parsed.size, parsed.current, page)
    # Kept under the revision the page was read at, which may be newer than the key's.
    state.pages.put(key._replace(records_revision=read.revision), answer)
    return answer


async def query_page(request: Request) -> Response:
    state: ServiceState = request.app.state.callrec
    ip = state.guard.client_ip(request)
    facts = facts_of(request)
    facts.client_ip = None if ip is None else str(ip)
    try:
        answer = await _answer(state, request, ip, facts)
        facts.contract_status = Status.SUCCESS.value
        return _json(answer)
    except ContractError as error:
        facts.contract_status = error.status.value
        await state.guard.count_refusal(ip, request.headers, error)
        return _json(encode_failure(error.status.value, error.reason))
    except Exception:
        facts.contract_status = Status.SYSTEM_ERROR.value
        log.exception("queryPage failed, request id %s", facts.request_id)
        return _json(
            encode_failure(
                Status.SYSTEM_ERROR.value, f"system error (request id {facts.request_id})"
            )
        )
