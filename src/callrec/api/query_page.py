"""``POST /v3/number/record/queryPage``: every outcome is HTTP 200 with a contract envelope."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from callrec.api.body_signature import (
    BODY_SIGNATURE_FAILED,
    body_signature_refused,
    body_to_verify,
)
from callrec.api.client_ip import IPAddress, client_ip
from callrec.api.database import DatabaseRunner
from callrec.api.guard import RequestGuard, SignedHeaders
from callrec.api.page_cache import PageCache, PageKey
from callrec.ingest.pipeline import Pipeline
from callrec.settings import Settings
from callrec.store import records
from callrec.store.accounts import lookup_credentials
from callrec.wire.body_sign import SignedBody
from callrec.wire.query import PageQuery, check_window, parse_page_query
from callrec.wire.records import encode_failure, encode_page, render_record
from callrec.wire.status import ContractError, Status, parameter_error
from callrec.wire.times import now_micros

log = logging.getLogger("callrec.api")

MAX_BODY_BYTES = 64 * 1024
JSON_MEDIA_TYPE = "application/json;charset=UTF-8"


@dataclass(frozen=True, slots=True)
class ServiceState:
    settings: Settings
    database: DatabaseRunner
    guard: RequestGuard
    pipeline: Pipeline  # one per process, so its rating cache stays warm across requests
    pages: PageCache = field(default_factory=PageCache)


@dataclass(frozen=True, slots=True)
class PageRead:
    """What the database trip found: a cached answer, or the rows to render and remember."""

    query: PageQuery
    key: PageKey
    cached: bytes | None
    total: int = 0
    rows: list[tuple[Any, ...]] = field(default_factory=list)


def _authorized_page(
    state: ServiceState,
    ip: IPAddress | None,
    signed: SignedHeaders,
    parsed: PageQuery | ContractError,
    signed_body: SignedBody | None = None,
) -> PageRead:
    """Everything that needs the database, in one trip to its thread and one snapshot.

    The key is checked before the body's verdict is given (``parsed`` may be the body's
    ``-22``), keeping the contract's order: a caller without the secret learns nothing about
    its body. Count and page come from the same snapshot, so they never disagree, and so does
    the records revision that keys the page cache.
    """
    settings = state.settings
    with state.database.engine.connect() as conn, conn.begin():
        credentials = lookup_credentials(conn, signed.api_key)
        credentials = state.guard.verify(ip, signed, credentials)
        if body_signature_refused(credentials, signed_body):
            raise state.guard.reject(ip, BODY_SIGNATURE_FAILED)
        if isinstance(parsed, ContractError):
            raise parsed
        check_window(parsed, settings.max_window_days, settings.lookback_days, now_micros())
        start, end = parsed.start.micros, parsed.end.micros
        key = PageKey(
            credentials.workspace_id,
            credentials.records_revision,
            start,
            end,
            parsed.start.offset_seconds,
            parsed.current,
            parsed.size,
        )
        cached = state.pages.get(key)
        if cached is not None:
            return PageRead(parsed, key, cached)
        total, rows = records.read_page(
            conn, credentials.workspace_id, start, end, parsed.offset, parsed.size
        )
    return PageRead(parsed, key, None, total, rows)


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


async def query_page(request: Request) -> Response:
    state: ServiceState = request.app.state.callrec
    settings = state.settings
    try:
        ip = client_ip(
            request.client.host if request.client else None,
            request.headers.get("x-forwarded-for"),
            settings.trusted_proxies,
        )
        signed = state.guard.precheck(ip, request.headers, int(time.time()))
        parsed, body = await _parsed_body(request)
        signed_body = body_to_verify(request, signed.timestamp, body)
        read = await state.database.run(_authorized_page, state, ip, signed, parsed, signed_body)
        if read.cached is not None:
            return _json(read.cached)
        query, offset = read.query, read.query.start.offset_seconds
        page = [render_record(row, offset) for row in read.rows]
        body = encode_page(read.total, query.size, query.current, page)
        state.pages.put(read.key, body)
        return _json(body)
    except ContractError as error:
        return _json(encode_failure(error.status.value, error.reason))
    except Exception:
        request_id = uuid.uuid4().hex[:16]
        log.exception("queryPage failed, request id %s", request_id)
        return _json(
            encode_failure(Status.SYSTEM_ERROR.value, f"system error (request id {request_id})")
        )
