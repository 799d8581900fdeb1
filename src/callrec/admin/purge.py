"""``POST /admin/v1/workspaces/{name}/purge``: remove a workspace's calls before a moment."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field
from starlette.responses import Response

from callrec.admin.auth import Caller, caller, service
from callrec.admin.idempotency import IDEMPOTENCY_KEY, answer_once
from callrec.admin.models import Answer, Body
from callrec.admin.responses import problems
from callrec.operations import purge

router = APIRouter(tags=["admin: records"])


class PurgeRequest(Body):
    before: str = Field(
        max_length=64,
        description="Remove the calls that started before this: an ISO 8601 instant with an "
        "offset, or a date (00:00 UTC).",
    )


class Purged(Answer):
    before: str
    workspace: str | None
    records: int = Field(description="Call records removed.")
    partitions_dropped: list[str]


@router.post(
    "/workspaces/{name}/purge",
    response_model=Purged,
    summary="Remove the workspace's calls that started before a moment (operator tokens)",
    responses=problems(403, 404, 413),
)
async def purge_workspace(
    name: str,
    body: PurgeRequest,
    request: Request,
    who: Caller = Depends(caller),
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Response:
    state = service(request)

    async def run() -> tuple[int, Any]:
        result = await state.database.run(
            purge.purge_records, state.database.engine, who.actor, body.before, name
        )
        return 200, purge.purge_to_dict(result)

    return await answer_once(request, who, idempotency_key, body.model_dump(), run)
