"""Every console error as an HTML page, rendered in one place.

No session: a redirect to the login page (back here afterwards). Store errors map to
statuses here and only here; another tenant's objects are the same 404 as missing ones.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from callrec.console.csrf import CsrfRefused
from callrec.console.paths import LOGIN
from callrec.console.render import render
from callrec.console.session import COOKIE, LoginRequired, current_user
from callrec.store.errors import (
    AlreadyExists,
    Conflict,
    Forbidden,
    InvalidValue,
    NotFound,
    StoreError,
)

log = logging.getLogger("callrec.console")

TITLES = {
    400: "Bad request",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported form",
    422: "Invalid value",
    429: "Too many attempts",
    500: "Something went wrong",
}
STATUS_BY_ERROR: list[tuple[type[StoreError], int]] = [
    (NotFound, 404),
    (AlreadyExists, 409),
    (Conflict, 409),
    (Forbidden, 403),
    (InvalidValue, 422),
]
_NOT_FOUND = "There is no such page, or it is not yours to see."


def store_error_status(error: StoreError) -> int:
    return next((code for kind, code in STATUS_BY_ERROR if isinstance(error, kind)), 500)


def store_error_message(error: StoreError) -> str:
    return error.naming() if isinstance(error, InvalidValue) else str(error)


async def error_page(request: Request, status: int, detail: str) -> Response:
    """The error page, with the nav when the request has a live session (an unknown URL is
    answered before any page's dependency looked the user up)."""
    if getattr(request.state, "console_user", None) is None and COOKIE in request.cookies:
        # An error page renders whatever the session's state: a dead one just shows no nav.
        with contextlib.suppress(Exception):
            await current_user(request)
    return render(
        request,
        "error.html",
        status_code=status,
        status=status,
        title=TITLES.get(status, "Error"),
        detail=detail,
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target = LOGIN if request.method != "GET" else f"{LOGIN}?next={quote(here, safe='/')}"
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, exc: CsrfRefused) -> Response:
        return await error_page(request, 403, str(exc))

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError) -> Response:
        status = store_error_status(exc)
        # One wording for "missing" and "another tenant's", whatever the store said.
        detail = _NOT_FOUND if status == 404 else store_error_message(exc)
        return await error_page(request, status, detail)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("query", "path"))
        return await error_page(request, 422, f"{where}: {first.get('msg', 'invalid value')}")

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 404:
            return await error_page(request, 404, _NOT_FOUND)
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "")
        response = await error_page(request, exc.status_code, detail)
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        request_id = uuid.uuid4().hex[:16]
        log.exception("console request failed, request id %s", request_id)
        return await error_page(request, 500, f"An internal error (request id {request_id}).")
