"""Static files from the package, addressed by content hash so browsers keep them forever.

``static_url("console.css")`` is ``/console/static/console.css?v=<hash>``: a changed file
gets a new URL, so the answer to a URL with the current hash may be cached for a year.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from callrec.console.paths import PREFIX

PACKAGE = "callrec.console"
FOREVER = "public, max-age=31536000, immutable"


@cache
def content_hash(name: str) -> str:
    data = (resources.files(PACKAGE) / "static" / name).read_bytes()
    return hashlib.sha256(data).hexdigest()[:16]


def static_url(name: str) -> str:
    return f"{PREFIX}/static/{name}?v={content_hash(name)}"


class HashedStaticFiles(StaticFiles):
    """Package static files; cached forever when asked for by the current hash."""

    def __init__(self) -> None:
        super().__init__(packages=[(PACKAGE, "static")])

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        query = scope.get("query_string", b"").decode("latin-1")
        if response.status_code == 200:
            try:
                current = f"v={content_hash(path)}"
            except (FileNotFoundError, IsADirectoryError, OSError):
                current = None
            cached = current is not None and current in query.split("&")
            response.headers["Cache-Control"] = FOREVER if cached else "no-cache"
            response.headers["X-Content-Type-Options"] = "nosniff"
        return response
