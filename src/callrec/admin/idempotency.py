"""``Idempotency-Key`` on POST: a retried call gets the first call's answer, not a second run.

The same key with the same request (method, path, query, JSON body) within 24 hours replays
the stored answer, errors included; the same key with a different request is a 422, and a
retry while the first is still running a 409.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Header, Request
from starlette.responses import Response

from callrec.admin.auth import Caller, service
from callrec.admin.problems import PROBLEM_MEDIA_TYPE, Problem, problem_body, store_error_problem
from callrec.store import idempotency
from callrec.store.errors import StoreError
from callrec.wire.times import now_micros

IDEMPOTENCY_KEY = Header(
    None,
    alias="Idempotency-Key",
    min_length=1,
    max_length=idempotency.MAX_KEY_LENGTH,
    description="Makes a retried POST safe: the same key and body within 24 h replays the "
    "first answer.",
)
Outcome = tuple[int, Any]


def _response(status: int, body: str, replayed: bool = False) -> Response:
    media = PROBLEM_MEDIA_TYPE if status >= 400 else "application/json"
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return Response(body, status_code=status, media_type=media, headers=headers)


async def _outcome(run: Callable[[], Awaitable[Outcome]]) -> Outcome:
    try:
        return await run()
    except StoreError as error:
        return store_error_problem(error)
    except Problem as problem:
        return problem.status, problem_body(problem.status, problem.detail, problem.field)


def _fingerprint(request: Request, body: Any) -> str:
    canonical = json.dumps(
        [request.method, request.url.path, str(request.url.query), body], sort_keys=True
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def answer_once(
    request: Request,
    caller: Caller,
    key: str | None,
    body: Any,
    run: Callable[[], Awaitable[Outcome]],
) -> Response:
    if key is None:
        status, document = await _outcome(run)
        return _response(status, json.dumps(document))
    state = service(request)
    engine = state.database.engine
    fingerprint = _fingerprint(request, body)
    claimed = await state.database.run(
        idempotency.claim, engine, caller.token_id, key, fingerprint, now_micros()
    )
    if claimed is not None:
        if claimed.request_sha256 != fingerprint:
            raise Problem(
                422, "this Idempotency-Key was used for a different request", "Idempotency-Key"
            )
        if claimed.status is None or claimed.body is None:
            raise Problem(
                409, "a request with this Idempotency-Key is still under way", "Idempotency-Key"
            )
        return _response(claimed.status, claimed.body, replayed=True)
    try:
        status, document = await _outcome(run)
    except BaseException:
        await state.database.run(idempotency.release, engine, caller.token_id, key)
        raise
    encoded = json.dumps(document)
    await state.database.run(
        idempotency.store_answer, engine, caller.token_id, key, status, encoded
    )
    return _response(status, encoded)
