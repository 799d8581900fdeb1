"""``/admin/v1/workspaces``: create, list, get, update (rename too), delete (with purge)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from callrec.admin.auth import Caller, caller, service
from callrec.admin.idempotency import IDEMPOTENCY_KEY, answer_once
from callrec.admin.models import Deleted, Page, Workspace, WorkspaceCreate, WorkspaceUpdate
from callrec.admin.paging import CURSOR, LIMIT, decode_cursor, page
from callrec.admin.responses import problems
from callrec.operations import workspaces
from callrec.store.accounts import workspace_to_dict

router = APIRouter(tags=["admin: workspaces"])


@router.post(
    "/workspaces",
    status_code=201,
    response_model=Workspace,
    summary="Create a workspace (operator tokens)",
    responses=problems(403, 409, 413),
)
async def create_workspace(
    body: WorkspaceCreate,
    request: Request,
    who: Caller = Depends(caller),
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Response:
    state = service(request)

    async def run() -> tuple[int, Any]:
        ws = await state.database.run(
            workspaces.create_workspace,
            state.database.engine,
            who.actor,
            body.name,
            body.currency,
            body.time_zone,
        )
        return 201, workspace_to_dict(ws)

    return await answer_once(request, who, idempotency_key, body.model_dump(), run)


@router.get(
    "/workspaces",
    response_model=Page[Workspace],
    summary="List workspaces (a workspace token sees its own)",
    responses=problems(),
)
async def list_workspaces(
    request: Request, who: Caller = Depends(caller), limit: int = LIMIT, cursor: str | None = CURSOR
) -> dict[str, Any]:
    state = service(request)
    found = await state.database.run(
        workspaces.list_workspaces,
        state.database.engine,
        who.actor,
        decode_cursor(cursor, str),
        limit + 1,
    )
    return page(found, limit, lambda ws: ws.name, workspace_to_dict)


@router.get(
    "/workspaces/{name}",
    response_model=Workspace,
    summary="Get a workspace",
    responses=problems(404),
)
async def get_workspace(name: str, request: Request, who: Caller = Depends(caller)) -> Any:
    state = service(request)
    ws = await state.database.run(workspaces.get_workspace, state.database.engine, who.actor, name)
    return workspace_to_dict(ws)


@router.patch(
    "/workspaces/{name}",
    response_model=Workspace,
    summary="Rename a workspace, change its currency or time zone, enable or disable it",
    responses=problems(403, 404, 409, 413),
)
async def update_workspace(
    name: str, body: WorkspaceUpdate, request: Request, who: Caller = Depends(caller)
) -> Any:
    state = service(request)
    ws = await state.database.run(
        lambda: workspaces.update_workspace(
            state.database.engine,
            who.actor,
            name,
            new_name=body.name,
            currency=body.currency,
            time_zone=body.time_zone,
            enabled=body.enabled,
        )
    )
    return workspace_to_dict(ws)


@router.delete(
    "/workspaces/{name}",
    response_model=Deleted,
    summary="Delete a workspace; refused while it holds records unless purge=true",
    responses=problems(403, 404, 409),
)
async def delete_workspace(
    name: str,
    request: Request,
    who: Caller = Depends(caller),
    purge: bool = Query(False, description="Also delete its records, in bounded batches."),
) -> Any:
    state = service(request)
    purged = await state.database.run(
        workspaces.delete_workspace, state.database.engine, who.actor, name, purge
    )
    return {"deleted": name, "purgedRecords": purged}
