"""A workspace's numbers: their state, and the remark a customer keeps on each."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from callrec.console import csrf
from callrec.console.render import render
from callrec.console.session import ConsoleUser, current_user, service, workspace_page
from callrec.operations import numbers
from callrec.store.accounts import Workspace
from callrec.store.errors import InvalidValue, NotFound
from callrec.store.numbers import STATE_NAMES, NumberFilter, NumberSettings

router = APIRouter()
PAGE_SIZE = 100


async def _page(
    request: Request,
    user: ConsoleUser,
    workspace: Workspace,
    after: str | None,
    status: int = 200,
    errors: dict[str, str] | None = None,
    editing: str | None = None,
) -> Response:
    state = service(request)
    found = await state.database.run(
        numbers.list_numbers, state.database.engine, user.actor,
        NumberFilter(workspace.name), after or None, PAGE_SIZE + 1,
    )  # fmt: skip
    now = state.clock()
    rows = [(n, STATE_NAMES[n.state(now)]) for n in found[:PAGE_SIZE]]
    more = found[PAGE_SIZE - 1].number if len(found) > PAGE_SIZE else None
    return render(request, "numbers.html", status_code=status, rows=rows, next_after=more,
                  after=after or "", errors=errors or {}, editing=editing)  # fmt: skip


@router.get("/w/{workspace}/numbers")
async def numbers_page(
    request: Request,
    after: str | None = None,
    workspace: Workspace = Depends(workspace_page),
    user: ConsoleUser = Depends(current_user),
) -> Response:
    return await _page(request, user, workspace, after)


async def _own_number(
    request: Request, user: ConsoleUser, workspace: Workspace, number: str
) -> NumberSettings:
    """The number, if it is this workspace's (an operator's URL could name another's)."""
    state = service(request)
    found = await state.database.run(numbers.get_number, state.database.engine, user.actor, number)
    if found.workspace_id != workspace.id:
        raise NotFound(f"number {number} is not in the inventory")
    return found


@router.post("/w/{workspace}/numbers/{number}/remark")
async def edit_remark(
    request: Request,
    number: str,
    workspace: Workspace = Depends(workspace_page),
    user: ConsoleUser = Depends(current_user),
) -> Response:
    form = await csrf.checked_form(request)
    found = await _own_number(request, user, workspace, number)
    state = service(request)
    try:
        await state.database.run(
            lambda: numbers.update_number(
                state.database.engine, user.actor, found.number, remark=form.get("remark", "")
            )
        )
    except InvalidValue as error:
        return await _page(request, user, workspace, None, 422,
                           {found.number: error.naming("The remark")}, found.number)  # fmt: skip
    return RedirectResponse(request.url.path.rsplit("/", 2)[0], status_code=303)
