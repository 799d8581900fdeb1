"""A workspace's webhook: the target, its queue and last error, parked batches and retry.

The signing secret is write-only here as everywhere: the page says whether one is set.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from callrec.console import csrf
from callrec.console.paths import workspace_url
from callrec.console.render import render
from callrec.console.session import ConsoleUser, current_user, service, workspace_page
from callrec.operations import push
from callrec.store.accounts import Workspace
from callrec.store.errors import InvalidValue, NotFound

router = APIRouter()
PARKED_SHOWN = 100
_LABELS = {"url": "The URL", "secret": "The secret"}


async def _page(
    request: Request,
    user: ConsoleUser,
    workspace: Workspace,
    status: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    state = service(request)
    engine = state.database.engine
    try:
        current = await state.database.run(push.push_status, engine, user.actor, workspace.name)
    except NotFound:  # no webhook yet (the workspace itself was checked by workspace_page)
        current = None
    parked = []
    if current is not None and current.queue.parked_batches:
        parked = await state.database.run(
            push.list_parked, engine, user.actor, workspace.name, None, PARKED_SHOWN
        )
    return render(request, "webhook.html", status_code=status, status=current, parked=parked,
                  errors=errors or {}, form=form or {})  # fmt: skip


def _back(workspace: Workspace) -> Response:
    return RedirectResponse(workspace_url(workspace.name, "webhook"), status_code=303)


@router.get("/w/{workspace}/webhook")
async def webhook_page(
    request: Request,
    workspace: Workspace = Depends(workspace_page),
    user: ConsoleUser = Depends(current_user),
) -> Response:
    return await _page(request, user, workspace)


@router.post("/w/{workspace}/webhook")
async def set_target(
    request: Request,
    workspace: Workspace = Depends(workspace_page),
    user: ConsoleUser = Depends(current_user),
) -> Response:
    form = await csrf.checked_form(request)
    state = service(request)
    try:
        await state.database.run(
            push.set_push_target, state.database.engine, user.actor, workspace.name,
            form.get("url", "").strip(), form.get("secret") or None,
            form.get("clearSecret") == "on", state.push.allow_private,
        )  # fmt: skip
    except InvalidValue as error:
        field = error.field or "url"
        kept = {k: v for k, v in form.items() if k != "secret"}  # never echo a secret back
        return await _page(request, user, workspace, 422,
                           {field: error.naming(_LABELS.get(field))}, kept)  # fmt: skip
    return _back(workspace)


@router.post("/w/{workspace}/webhook/enabled")
async def set_enabled(
    request: Request,
    workspace: Workspace = Depends(workspace_page),
    user: ConsoleUser = Depends(current_user),
) -> Response:
    form = await csrf.checked_form(request)
    state = service(request)
    await state.database.run(
        push.set_push_enabled, state.database.engine, user.actor, workspace.name,
        form.get("enabled") == "1",
    )  # fmt: skip
    return _back(workspace)


@router.post("/w/{workspace}/webhook/retry")
async def retry(
    request: Request,
    workspace: Workspace = Depends(workspace_page),
    user: ConsoleUser = Depends(current_user),
) -> Response:
    """``batch``: one parked batch's number, or ``all``."""
    form = await csrf.checked_form(request)
    batch = form.get("batch", "")
    if batch != "all" and not (batch.isascii() and batch.isdigit() and len(batch) < 19):
        return await _page(request, user, workspace, 422,
                           {"retry": "batch must be a parked batch's number or all"})  # fmt: skip
    state = service(request)
    await state.database.run(
        push.retry_parked, state.database.engine, user.actor, workspace.name,
        None if batch == "all" else [int(batch)],
    )  # fmt: skip
    return _back(workspace)
