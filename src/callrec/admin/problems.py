"""Every admin API error as an RFC 9457 problem document, rendered in one place.

Store errors map to statuses here (and only here); a problem names the field it is about,
in the request's JSON names, so a form or script can point at it.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from callrec.store.errors import (
    AlreadyExists,
    Conflict,
    Forbidden,
    InvalidLines,
    InvalidValue,
    NotFound,
    StoreError,
)

log = logging.getLogger("callrec.admin")

PROBLEM_MEDIA_TYPE = "application/problem+json"
TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
}
STATUS_BY_ERROR: list[tuple[type[StoreError], int]] = [
    (NotFound, 404),
    (AlreadyExists, 409),
    (Conflict, 409),
    (Forbidden, 403),
    (InvalidValue, 422),
]


class Problem(Exception):
    def __init__(
        self,
        status: int,
        detail: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.field = field
        self.headers = headers


def problem_body(
    status: int, detail: str, field: str | None = None, errors: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if field is not None:
        body["field"] = field
    if errors:
        body["errors"] = errors
    return body


def problem_response(
    status: int,
    detail: str,
    field: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        problem_body(status, detail, field, errors),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def store_error_problem(error: StoreError) -> tuple[int, dict[str, Any]]:
    status = next((code for kind, code in STATUS_BY_ERROR if isinstance(error, kind)), 500)
    if isinstance(error, InvalidLines):
        lines = [{"field": error.field or "body", "line": str(line), "detail": reason}
                 for line, reason in error.lines]  # fmt: skip
        return status, problem_body(status, str(error), error.field or "body", lines)
    if isinstance(error, InvalidValue):
        return status, problem_body(status, error.naming(), error.field or "body")
    return status, problem_body(status, str(error))


def _field_of(location: tuple[Any, ...]) -> str:
    """``("body", "allowIps", 3)`` is ``allowIps[3]``; ``("query", "limit")`` is ``limit``."""
    parts = [p for p in location if p not in ("body", "query", "path", "header")]
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "body"


async def http_problem(request: Request, exc: HTTPException) -> JSONResponse:
    if exc.status_code == 400:  # FastAPI's "error parsing the body" (not UTF-8, say)
        return problem_response(422, "the body is not a JSON document", "body")
    detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "")
    return problem_response(exc.status_code, detail, headers=exc.headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.detail, exc.field, headers=exc.headers)

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError) -> JSONResponse:
        status, body = store_error_problem(exc)
        return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field_of(tuple(e.get("loc", ()))), "detail": str(e.get("msg", "invalid"))}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "body", "detail": "invalid request"}
        detail = f"{first['field']}: {first['detail']}"
        return problem_response(422, detail, first["field"], errors)

    app.add_exception_handler(HTTPException, http_problem)  # type: ignore[arg-type]

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = uuid.uuid4().hex[:16]
        log.exception("admin API request failed, request id %s", request_id)
        return problem_response(500, f"internal error (request id {request_id})")
