"""The ASGI application."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.exception_handlers import http_exception_handler
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from callrec import __version__
from callrec.admin.app import PREFIX as ADMIN_PREFIX
from callrec.admin.app import create_admin_app, merge_openapi
from callrec.admin.problems import http_problem
from callrec.api.database import DatabaseRunner
from callrec.api.ingest.cdrs import PATH as INGEST_CDRS_PATH
from callrec.api.ingest.cdrs import ingest_cdrs
from callrec.api.ingest.freeswitch import PATH as INGEST_FREESWITCH_PATH
from callrec.api.ingest.freeswitch import ingest_freeswitch
from callrec.api.ingest.openapi import INGEST_CDRS_OPENAPI, INGEST_FREESWITCH_OPENAPI
from callrec.api.ingest.openapi import SECURITY_SCHEMES as INGEST_SECURITY_SCHEMES
from callrec.api.readiness import ping_database, readiness
from callrec.api.request_log import RequestLog
from callrec.api.state import ServiceState
from callrec.api.switch.numbers import GREETING_PATH as SWITCH_GREETING_PATH
from callrec.api.switch.numbers import NUMBER_PATH as SWITCH_NUMBER_PATH
from callrec.api.switch.numbers import switch_greeting, switch_number
from callrec.api.switch.openapi import SWITCH_GREETING_OPENAPI, SWITCH_NUMBER_OPENAPI
from callrec.api.vendor.guard_setup import build_guard
from callrec.api.vendor.numbers import EDIT_PATH, QUERY_PATH, edit_number, query_numbers
from callrec.api.vendor.openapi import (
    EDIT_DESCRIPTION,
    EDIT_OPENAPI,
    NUMBERS_DESCRIPTION,
    NUMBERS_OPENAPI,
    QUERY_PAGE_DESCRIPTION,
    QUERY_PAGE_OPENAPI,
    EnvelopeDoc,
)
from callrec.api.vendor.openapi import SECURITY_SCHEMES as VENDOR_SECURITY_SCHEMES
from callrec.api.vendor.page_cache import PageCache
from callrec.api.vendor.query_page import JSON_MEDIA_TYPE, query_page
from callrec.api.vendor.readers import open_page_reader
from callrec.console.app import create_console_app
from callrec.console.paths import PREFIX as CONSOLE_PREFIX
from callrec.ingest.pipeline import Pipeline
from callrec.observability.exposition import CONTENT_TYPE, render, scrape_registry
from callrec.observability.pools import track_pool
from callrec.push.settings import PushSettings
from callrec.push.worker import BackgroundPushWorker
from callrec.settings import Settings
from callrec.store import make_engine
from callrec.store.greetings import GreetingStore
from callrec.store.migrate import is_current
from callrec.store.secret_box import box_from_env
from callrec.store.secret_rotation import check_master_key

log = logging.getLogger("callrec.api")

QUERY_PAGE_PATH = "/v3/number/record/queryPage"


class SchemaNotCurrent(RuntimeError):
    pass


def create_app(
    settings: Settings,
    push: PushSettings | None = None,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """The app; with ``push`` (and ``push.in_serve``) it also runs a push delivery worker.

    ``clock`` is the guard's time (timestamp tolerance, lockout window, rate limit, Redis
    breaker): tests inject one they can move instead of sleeping.
    """

    admin = create_admin_app()
    console = create_console_app()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        if not is_current(engine):
            engine.dispose()
            raise SchemaNotCurrent("the database schema is not current: run `callrec db upgrade`")
        check_master_key(engine, box_from_env())
        track_pool(engine)
        database = DatabaseRunner(engine)
        guard = build_guard(settings, clock)
        reader = await open_page_reader(engine)
        app.state.callrec = ServiceState(
            settings,
            database,
            guard.guard,
            Pipeline(engine),
            reader=reader,
            pages=PageCache(settings.page_cache_mb * 1024 * 1024),
            greetings=GreetingStore(settings.files_dir),
            clock=clock,
            push=push if push is not None else PushSettings.from_env(),
        )
        admin.state.callrec = app.state.callrec
        console.state.callrec = app.state.callrec
        app.state.guard_redis = guard.redis
        app.state.metrics = scrape_registry(engine)
        pusher = BackgroundPushWorker(engine, push) if push and push.in_serve else None
        try:
            yield
        finally:
            if pusher is not None:
                await pusher.stop()
            await guard.aclose()
            await reader.close()
            database.close()

    # FastAPIOffline serves Swagger UI's and ReDoc's assets from its package, not a CDN, so
    # /docs works on a server without internet.
    app = FastAPIOffline(
        title="callrec",
        version=__version__,
        description="Call detail records through the vendor-compatible number-record API.",
        lifespan=lifespan,
    )
    app.add_middleware(RequestLog, metrics=settings.metrics_enabled)
    if settings.metrics_on_api:
        app.add_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
    app.add_api_route(
        QUERY_PAGE_PATH,
        query_page,
        methods=["POST"],
        summary="Query a page of call records",
        description=QUERY_PAGE_DESCRIPTION,
        response_model=EnvelopeDoc,
        responses={200: {"content": {JSON_MEDIA_TYPE: {}}}},
        openapi_extra=QUERY_PAGE_OPENAPI,
        tags=["number records"],
    )
    app.add_api_route(
        QUERY_PATH,
        query_numbers,
        methods=["POST"],
        summary="List the workspace's numbers",
        description=NUMBERS_DESCRIPTION,
        responses={200: {"content": {JSON_MEDIA_TYPE: {}}}},
        openapi_extra=NUMBERS_OPENAPI,
        tags=["numbers"],
    )
    app.add_api_route(
        EDIT_PATH,
        edit_number,
        methods=["POST"],
        summary="Configure one number: IP whitelist, interconnect address, prefix, voicemail",
        description=EDIT_DESCRIPTION,
        responses={200: {"content": {JSON_MEDIA_TYPE: {}}}},
        openapi_extra=EDIT_OPENAPI,
        tags=["numbers"],
    )

    app.add_api_route(
        SWITCH_NUMBER_PATH,
        switch_number,
        methods=["GET"],
        summary="Routing facts for an incoming call to a number (Bearer: ingest source token)",
        openapi_extra=SWITCH_NUMBER_OPENAPI,
        tags=["switch"],
    )
    app.add_api_route(
        SWITCH_GREETING_PATH,
        switch_greeting,
        methods=["GET"],
        summary="A number's voicemail greeting, as uploaded (Bearer: ingest source token)",
        openapi_extra=SWITCH_GREETING_OPENAPI,
        tags=["switch"],
    )
    app.add_api_route(
        INGEST_FREESWITCH_PATH,
        ingest_freeswitch,
        methods=["POST"],
        summary="Receive one CDR from FreeSWITCH mod_json_cdr (HTTP Basic per ingest source)",
        openapi_extra=INGEST_FREESWITCH_OPENAPI,
        tags=["ingest"],
    )
    app.add_api_route(
        INGEST_CDRS_PATH,
        ingest_cdrs,
        methods=["POST"],
        summary="Receive a batch of raw CDRs, JSON array or JSON Lines (Bearer token)",
        openapi_extra=INGEST_CDRS_OPENAPI,
        tags=["ingest"],
    )

    _add_security_schemes(app, {**VENDOR_SECURITY_SCHEMES, **INGEST_SECURITY_SCHEMES})

    @app.get("/healthz", tags=["operations"], summary="Liveness and database reachability")
    async def healthz(request: Request) -> JSONResponse:
        state: ServiceState = request.app.state.callrec
        try:
            await state.database.run(ping_database, state.database)
        except Exception:
            log.exception("health check: database unreachable")
            return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
        return JSONResponse(
            {"status": "ok", "database": "ok", "version": __version__, "pid": os.getpid()}
        )

    @app.get(
        "/readyz",
        tags=["operations"],
        summary="Readiness: the database within 2 s (503 without it), and Redis when configured",
    )
    async def readyz(request: Request) -> JSONResponse:
        state: ServiceState = request.app.state.callrec
        status, report = await readiness(state.database, request.app.state.guard_redis)
        return JSONResponse(report, status_code=status)

    app.mount(ADMIN_PREFIX, admin)
    app.mount(CONSOLE_PREFIX, console)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # A path under the admin prefix that the mount does not match (a newline in it) is
        # still the admin API's to answer, as a problem document.
        if request.url.path.startswith(ADMIN_PREFIX + "/"):
            return await http_problem(request, exc)
        return await http_exception_handler(request, exc)

    service_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = merge_openapi(service_openapi(), admin)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _add_security_schemes(app: FastAPI, schemes: dict[str, Any]) -> None:
    """FastAPI lists only the schemes of its own security dependencies; ours are hand-made."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            document.setdefault("components", {})["securitySchemes"] = schemes
        return app.openapi_schema or build()

    app.openapi = openapi  # type: ignore[method-assign]


async def metrics(request: Request) -> Response:
    """Prometheus text format (CALLREC_METRICS_ON_API): every worker's numbers, added up."""
    state: ServiceState = request.app.state.callrec
    # On a database thread: the push queue is counted with a query.
    body = await state.database.run(render, request.app.state.metrics)
    return Response(body, media_type=CONTENT_TYPE)


def create_app_from_env() -> FastAPI:
    """The factory uvicorn workers import: every setting comes from CALLREC_* variables."""
    return create_app(Settings.from_env(), PushSettings.from_env())
