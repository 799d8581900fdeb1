"""What the ingest endpoints share: bounded bodies, short JSON errors, the report answer."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse

from callrec.ingest.pipeline import IngestReport

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


def report_response(report: IngestReport) -> JSONResponse:
    return JSONResponse(report.as_json(), status_code=200)


def internal_error(what: str) -> JSONResponse:
    """500 without details (they go to the log under a request id); senders retry."""
    request_id = uuid.uuid4().hex[:16]
    log.exception("%s failed, request id %s", what, request_id)
    return JSONResponse(
        {"error": f"internal error (request id {request_id}); nothing was stored, retry"},
        status_code=500,
    )
