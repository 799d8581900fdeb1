"""The admin API as its own app, mounted by callrec.api.app at ``/admin/v1``.

Its own exception handlers (every error a problem document) and body limit; the service
state is the parent app's, handed over at start-up. Its routes are described in the
service's one ``/openapi.json`` (``merge_openapi``).
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI

from callrec import __version__
from callrec.admin import (
    audit,
    fx,
    ingest_sources,
    keys,
    numbers,
    problems,
    purge,
    push,
    quarantine,
    rating,
    records,
    workspaces,
)
from callrec.admin.body_limit import BodyLimit
from callrec.admin.query_params import single_query_values

PREFIX = "/admin/v1"


def create_admin_app() -> FastAPI:
    app = FastAPI(
        title="callrec admin API",
        version=__version__,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(single_query_values)],
    )
    problems.install(app)
    app.add_middleware(BodyLimit, larger=rating.LARGER_BODIES)
    app.include_router(workspaces.router)
    app.include_router(keys.router)
    app.include_router(numbers.router)
    app.include_router(audit.router)
    app.include_router(records.router)
    app.include_router(rating.router)
    app.include_router(fx.router)
    app.include_router(ingest_sources.router)
    app.include_router(push.router)
    app.include_router(quarantine.router)
    app.include_router(purge.router)
    return app


def merge_openapi(document: dict[str, Any], admin: FastAPI) -> dict[str, Any]:
    """Add the admin routes, schemas and bearer scheme to the service's document; error
    answers are problem documents (``application/problem+json``)."""
    described = admin.openapi()
    for path, item in described.get("paths", {}).items():
        for operation in item.values():
            for status, answer in operation.get("responses", {}).items():
                content = answer.get("content", {})
                if int(status) >= 400 and "application/json" in content:
                    content[problems.PROBLEM_MEDIA_TYPE] = content.pop("application/json")
        document.setdefault("paths", {})[PREFIX + path] = item
    components = document.setdefault("components", {})
    for kind, entries in described.get("components", {}).items():
        components.setdefault(kind, {}).update(entries)
    document.setdefault("tags", [])
    return document
