"""Bodies over the admin API's limit are refused with 413 before any handler reads them.

The body is read here up to the limit and handed on as it came; a declared Content-Length
over the limit is refused without reading at all. A route that takes files (a rate deck)
has its own, larger limit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from callrec.admin.problems import problem_response

MAX_BODY_BYTES = 64 * 1024
# (method, a pattern the path ends with, that route's limit)
LargerBody = tuple[str, "re.Pattern[str]", int]


class BodyLimit:
    def __init__(
        self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES, larger: Sequence[LargerBody] = ()
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = tuple(larger)

    def _limit(self, scope: Scope) -> int:
        path = scope.get("path", "")
        for method, pattern, limit in self.larger:
            if scope.get("method") == method and pattern.search(path):
                return limit
        return self.max_bytes

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        answer = problem_response(413, f"the request body is over {limit} bytes", "body")
        await answer(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > limit:
                await self._refuse(scope, receive, send, limit)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)
