"""A workspace's push target: ``/admin/v1/workspaces/{name}/push-target`` and its parked
batches. A workspace token manages its own; the secret is written, never read back."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field
from starlette.responses import Response

from callrec.admin.auth import Caller, caller, service
from callrec.admin.idempotency import IDEMPOTENCY_KEY, answer_once
from callrec.admin.models import Answer, Body, Page
from callrec.admin.paging import CURSOR, LIMIT, decode_cursor, page
from callrec.admin.problems import Problem
from callrec.admin.responses import problems
from callrec.operations import push
from callrec.operations.push import MAX_RETRY_BATCHES
from callrec.push.targets import MAX_SECRET_LENGTH
from callrec.push.url_safety import MAX_URL_LENGTH

router = APIRouter(tags=["admin: push targets"])
PATH = "/workspaces/{name}/push-target"


class PushTargetSet(Body):
    url: str = Field(max_length=MAX_URL_LENGTH, description="http:// or https://, public.")
    secret: str | None = Field(
        None,
        max_length=MAX_SECRET_LENGTH,
        description="Sign each push with HMAC-SHA256 under it (16 to 200 characters). "
        "Absent: a changed URL keeps the secret it had.",
    )
    clear_secret: bool = Field(False, description="Stop signing pushes.")


class PushTargetUpdate(Body):
    enabled: bool = Field(description="false pauses pushing; true resumes it.")


class ParkedRetry(Body):
    batches: list[int] | None = Field(
        None, min_length=1, max_length=MAX_RETRY_BATCHES, description="Parked batch numbers."
    )
    all: bool = Field(False, description="Every parked batch of the workspace.")


class PushTarget(Answer):
    workspace: str
    url: str
    signed: bool = Field(description="A secret is set (it is never shown).")
    enabled: bool
    delivered_records: int
    queued_records: int
    retrying_batches: int
    in_flight_batches: int
    parked_batches: int
    parked_records: int
    last_success: str | None
    last_failure: str | None
    last_error: str | None


class ParkedBatch(Answer):
    batch: int
    delivery_id: str
    records: int
    attempts: int
    created: str | None
    parked: str | None
    last_error: str | None
    callids: list[str]


class Requeued(Answer):
    requeued: int = Field(description="Parked batches queued again.")


@router.get(PATH, response_model=PushTarget, summary="Show the push target and its queue",
            responses=problems(404))  # fmt: skip
async def show_push_target(name: str, request: Request, who: Caller = Depends(caller)) -> Any:
    return await _status(request, who, name)


async def _status(request: Request, who: Caller, name: str) -> dict[str, Any]:
    state = service(request)
    status = await state.database.run(push.push_status, state.database.engine, who.actor, name)
    return push.status_to_dict(status)


@router.put(
    PATH,
    response_model=PushTarget,
    summary="Set the URL (and signing secret) the workspace's new records are pushed to",
    responses=problems(403, 404, 413),
)
async def set_push_target(
    name: str, body: PushTargetSet, request: Request, who: Caller = Depends(caller)
) -> Any:
    state = service(request)
    await state.database.run(
        lambda: push.set_push_target(
            state.database.engine,
            who.actor,
            name,
            body.url,
            body.secret,
            body.clear_secret,
            state.push.allow_private,
        )
    )
    return await _status(request, who, name)


@router.patch(
    PATH,
    response_model=PushTarget,
    summary="Enable or disable pushing",
    responses=problems(403, 404, 413),
)
async def update_push_target(
    name: str, body: PushTargetUpdate, request: Request, who: Caller = Depends(caller)
) -> Any:
    state = service(request)
    await state.database.run(
        push.set_push_enabled, state.database.engine, who.actor, name, body.enabled
    )
    return await _status(request, who, name)


@router.get(
    PATH + "/parked",
    response_model=Page[ParkedBatch],
    summary="List parked batches: every try failed",
    responses=problems(404),
)
async def list_parked(
    name: str,
    request: Request,
    who: Caller = Depends(caller),
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
) -> dict[str, Any]:
    state = service(request)
    found = await state.database.run(
        push.list_parked, state.database.engine, who.actor, name, decode_cursor(cursor, int),
        limit + 1,
    )  # fmt: skip
    return page(found, limit, lambda b: b.batch_number, push.parked_to_dict)


@router.post(
    PATH + "/parked/retry",
    response_model=Requeued,
    summary="Send parked batches again, each with a fresh schedule of tries",
    responses=problems(403, 404, 413),
)
async def retry_parked(
    name: str,
    body: ParkedRetry,
    request: Request,
    who: Caller = Depends(caller),
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Response:
    state = service(request)
    if (body.batches is None) != body.all:
        raise Problem(422, "give batches or all: true, not both and not neither", "batches")

    async def run() -> tuple[int, Any]:
        count = await state.database.run(
            push.retry_parked, state.database.engine, who.actor, name, body.batches
        )
        return 200, {"requeued": count}

    return await answer_once(request, who, idempotency_key, body.model_dump(), run)
