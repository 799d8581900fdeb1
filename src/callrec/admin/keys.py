"""API keys: ``/admin/v1/workspaces/{name}/keys`` and ``/admin/v1/keys/{apiKey}``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from callrec.admin.auth import Caller, caller, service
from callrec.admin.idempotency import IDEMPOTENCY_KEY, answer_once
from callrec.admin.models import Deleted, Key, KeyCreate, KeyRotate, KeyUpdate, KeyWithSecret, Page
from callrec.admin.paging import CURSOR, LIMIT, decode_cursor, page
from callrec.admin.responses import problems
from callrec.operations import keys
from callrec.store.accounts import ApiKey, key_to_dict

router = APIRouter(tags=["admin: API keys"])


def _with_secret(key: ApiKey) -> dict[str, Any]:
    return key_to_dict(key, with_secret=True)


@router.post(
    "/workspaces/{name}/keys",
    status_code=201,
    response_model=KeyWithSecret,
    summary="Create an API key; the answer holds its secret, shown only here",
    responses=problems(403, 404, 413),
)
async def create_key(
    name: str,
    body: KeyCreate,
    request: Request,
    who: Caller = Depends(caller),
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Response:
    state = service(request)

    async def run() -> tuple[int, Any]:
        key = await state.database.run(
            keys.create_key,
            state.database.engine,
            who.actor,
            name,
            body.allow_ips,
            body.require_body_signature,
        )
        return 201, _with_secret(key)

    return await answer_once(request, who, idempotency_key, body.model_dump(), run)


@router.get(
    "/workspaces/{name}/keys",
    response_model=Page[Key],
    summary="List a workspace's API keys (never their secrets)",
    responses=problems(404),
)
async def list_keys(
    name: str,
    request: Request,
    who: Caller = Depends(caller),
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
) -> dict[str, Any]:
    state = service(request)
    found = await state.database.run(
        keys.list_keys, state.database.engine, who.actor, name, decode_cursor(cursor, str),
        limit + 1,
    )  # fmt: skip
    return page(found, limit, lambda k: k.api_key, key_to_dict)


@router.get("/keys/{apiKey}", response_model=Key, summary="Get an API key", responses=problems(404))
async def get_key(apiKey: str, request: Request, who: Caller = Depends(caller)) -> Any:
    state = service(request)
    return key_to_dict(
        await state.database.run(keys.get_key, state.database.engine, who.actor, apiKey)
    )


@router.patch(
    "/keys/{apiKey}",
    response_model=Key,
    summary="Enable or disable a key, replace its IP whitelist, require the body signature",
    responses=problems(403, 404, 413),
)
async def update_key(
    apiKey: str,
    body: KeyUpdate,
    request: Request,
    who: Caller = Depends(caller),
) -> Any:
    state = service(request)
    key = await state.database.run(
        lambda: keys.update_key(
            state.database.engine,
            who.actor,
            apiKey,
            enabled=body.enabled,
            allow_ips=body.allow_ips,
            require_body_signature=body.require_body_signature,
        )
    )
    return key_to_dict(key)


@router.post(
    "/keys/{apiKey}/rotate",
    response_model=KeyWithSecret,
    summary="Give a key a new secret; the old one works for graceSeconds more (default 0)",
    responses=problems(403, 404, 413),
)
async def rotate_key(
    apiKey: str,
    request: Request,
    body: KeyRotate | None = None,
    who: Caller = Depends(caller),
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Response:
    state = service(request)
    grace = body.grace_seconds if body else 0

    async def run() -> tuple[int, Any]:
        key = await state.database.run(
            keys.rotate_key, state.database.engine, who.actor, apiKey, grace
        )
        return 200, _with_secret(key)

    return await answer_once(request, who, idempotency_key, {"graceSeconds": grace}, run)


@router.delete(
    "/keys/{apiKey}",
    response_model=Deleted,
    summary="Delete an API key",
    responses=problems(403, 404),
)
async def delete_key(apiKey: str, request: Request, who: Caller = Depends(caller)) -> Any:
    state = service(request)
    await state.database.run(keys.delete_key, state.database.engine, who.actor, apiKey)
    return {"deleted": apiKey, "purgedRecords": 0}
