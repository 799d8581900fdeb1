"""The operator's workspaces: list, create, rename, enable and disable."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from callrec.console import csrf
from callrec.console.paths import operator_url
from callrec.console.render import render
from callrec.console.session import ConsoleUser, operator_user, service
from callrec.operations import workspaces
from callrec.store.errors import AlreadyExists, InvalidValue

router = APIRouter()
_LABELS = {"name": "Name", "newName": "New name", "currency": "Currency", "timeZone": "Time zone"}


async def _page(
    request: Request,
    user: ConsoleUser,
    status: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    state = service(request)
    found = await state.database.run(workspaces.list_workspaces, state.database.engine, user.actor)
    return render(request, "workspaces.html", status_code=status, workspaces=found,
                  errors=errors or {}, form=form or {})  # fmt: skip


def _back() -> Response:
    return RedirectResponse(operator_url("workspaces"), status_code=303)


@router.get("/workspaces")
async def workspaces_page(request: Request, user: ConsoleUser = Depends(operator_user)) -> Response:
    return await _page(request, user)


@router.post("/workspaces")
async def create_workspace(
    request: Request, user: ConsoleUser = Depends(operator_user)
) -> Response:
    form = await csrf.checked_form(request)
    state = service(request)
    try:
        await state.database.run(
            workspaces.create_workspace, state.database.engine, user.actor,
            form.get("name", "").strip(), form.get("currency", "").strip().upper() or "USD",
            form.get("timeZone", "").strip() or "UTC",
        )  # fmt: skip
    except InvalidValue as error:
        field = error.field or "name"
        return await _page(request, user, 422, {field: error.naming(_LABELS.get(field))}, form)
    except AlreadyExists as error:
        return await _page(request, user, 409, {"name": str(error)}, form)
    return _back()


@router.post("/workspaces/{name}/rename")
async def rename_workspace(
    request: Request, name: str, user: ConsoleUser = Depends(operator_user)
) -> Response:
    form = await csrf.checked_form(request)
    state = service(request)
    try:
        await state.database.run(
            lambda: workspaces.update_workspace(
                state.database.engine, user.actor, name, new_name=form.get("newName", "").strip()
            )
        )
    except (InvalidValue, AlreadyExists) as error:
        message = error.naming("The new name") if isinstance(error, InvalidValue) else str(error)
        status = 422 if isinstance(error, InvalidValue) else 409
        return await _page(request, user, status, {f"rename:{name}": message})
    return _back()


@router.post("/workspaces/{name}/enabled")
async def set_enabled(
    request: Request, name: str, user: ConsoleUser = Depends(operator_user)
) -> Response:
    form = await csrf.checked_form(request)
    state = service(request)
    enabled = form.get("enabled") == "1"
    await state.database.run(
        lambda: workspaces.update_workspace(
            state.database.engine, user.actor, name, enabled=enabled
        )
    )
    return _back()
