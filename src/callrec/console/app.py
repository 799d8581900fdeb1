"""The console as its own app, mounted by callrec.api.app at ``/console``.

Its own exception handlers (every error an HTML page), no OpenAPI; the service state is the
parent app's, handed over at start-up.
"""

from __future__ import annotations

from fastapi import FastAPI

from callrec import __version__
from callrec.console import errors
from callrec.console.pages import (
    audit,
    auth,
    calls,
    keys,
    numbers,
    overview,
    quarantine,
    rate_decks,
    webhook,
    workspaces,
)
from callrec.console.static_files import HashedStaticFiles


def create_console_app() -> FastAPI:
    app = FastAPI(
        title="callrec console",
        version=__version__,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    errors.install(app)
    app.mount("/static", HashedStaticFiles(), name="static")
    for page in (auth, overview, calls, numbers, keys, webhook, workspaces, quarantine,
                 rate_decks, audit):  # fmt: skip
        app.include_router(page.router)
    return app
