"""What the ingest endpoints share: bounded bodies, short JSON errors, the report answer."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse

from callrec.api.request_log import facts_of
from callrec.ingest.pipeline import IngestReport
from callrec.observability.metrics import INGEST_ITEMS

log = logging.getLogger("callrec.api")


class IngestHttpError(Exception):
    """An answer other than success: HTTP status, a one-line reason, optional headers."""

    def __init__(self, status: int, reason: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = dict(headers or {})


def too_large(limit: int) -> IngestHttpError:
    return IngestHttpError(413, f"the request body exceeds {limit} bytes; send smaller batches")


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or 413 as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def error_response(error: IngestHttpError) -> JSONResponse:
    return JSONResponse({"error": error.reason}, status_code=error.status, headers=error.headers)


def count_items(source: str, report: IngestReport) -> None:
    """The report's items in ``callrec_ingest_items_total``, under the source's name."""
    for outcome, count in (
        ("accepted", report.accepted),
        ("duplicate", report.duplicates),
        ("conflict", report.conflicts),
        ("quarantined", report.quarantined),
        ("skipped", report.skipped),
        ("rejected", len(report.rejected)),
    ):
        if count:
            INGEST_ITEMS.labels(source, outcome).inc(count)


def report_response(request: Request, source: str, report: IngestReport) -> JSONResponse:
    facts_of(request).ingest_source = source
    count_items(source, report)
    return JSONResponse(report.as_json(), status_code=200)


def internal_error(request: Request, what: str) -> JSONResponse:
    """500 without details (they go to the log under the request id); senders retry."""
    request_id = facts_of(request).request_id
    log.exception("%s failed, request id %s", what, request_id)
    return JSONResponse(
        {"error": f"internal error (request id {request_id}); nothing was stored, retry"},
        status_code=500,
    )
