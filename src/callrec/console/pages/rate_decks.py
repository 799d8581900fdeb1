"""The operator's rate decks: a workspace's deck versions and rows, import (CSV pasted into
the form), calls stored unrated, and re-pricing a window; on operations.rating."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from callrec.console import csrf
from callrec.console.render import render
from callrec.console.session import ConsoleUser, operator_user, service
from callrec.operations import rating
from callrec.operations.workspaces import get_workspace
from callrec.store.errors import InvalidLines, InvalidValue

router = APIRouter()
ROWS_SHOWN = 500
MAX_PASTED_DECK_BYTES = 2 * 1024 * 1024  # bigger decks: `callrec rates import` or the admin API


async def _page(
    request: Request,
    user: ConsoleUser,
    workspace: str | None,
    version: int | None = None,
    status: int = 200,
    message: str = "",
    errors: dict[str, str] | None = None,
    bad_lines: list[tuple[int, str]] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    state = service(request)
    engine = state.database.engine
    name = workspace or (user.workspaces[0].name if user.workspaces else None)
    if name is None:
        return render(request, "rate_decks.html", status_code=status, deck=None)
    ws = await state.database.run(get_workspace, engine, user.actor, name)
    request.state.workspace = ws  # the switcher and the nav follow the deck's workspace
    versions = await state.database.run(rating.deck_versions, engine, user.actor, ws.name)
    shown = version if version is not None else (versions[-1][0] if versions else None)
    rows = []
    if shown is not None:
        rows = await state.database.run(
            rating.deck_rows, engine, user.actor, ws.name, shown, None, ROWS_SHOWN + 1
        )
    unrated = await state.database.run(rating.unrated, engine, user.actor, ws.name)
    return render(request, "rate_decks.html", status_code=status, deck=ws, versions=versions,
                  shown=shown, rows=rows[:ROWS_SHOWN], more_rows=len(rows) > ROWS_SHOWN,
                  unrated=unrated[:50], message=message, errors=errors or {},
                  bad_lines=bad_lines or [], form=form or {}, zone="UTC")  # fmt: skip


@router.get("/rate-decks")
async def rate_decks_page(
    request: Request,
    workspace: str | None = Query(None, max_length=200),
    version: int | None = Query(None, ge=0, le=2**63 - 1),
    user: ConsoleUser = Depends(operator_user),
) -> Response:
    return await _page(request, user, workspace, version)


@router.post("/rate-decks/import")
async def import_deck(request: Request, user: ConsoleUser = Depends(operator_user)) -> Response:
    form = await csrf.checked_form(request, MAX_PASTED_DECK_BYTES)
    workspace = form.get("workspace", "")
    state = service(request)
    try:
        done = await state.database.run(
            rating.import_deck, state.database.engine, user.actor, workspace,
            form.get("csv", "").encode("utf-8"),
        )  # fmt: skip
    except InvalidLines as error:
        return await _page(request, user, workspace, None, 422, errors={"csv": str(error)},
                           bad_lines=error.lines[:100], form=form)  # fmt: skip
    except InvalidValue as error:
        return await _page(request, user, workspace, None, 422,
                           errors={"csv": error.naming("The deck")}, form=form)  # fmt: skip
    message = f"Imported {done.imported} rows into {len(done.versions)} version(s)."
    return await _page(request, user, workspace, None, message=message)


@router.post("/rate-decks/rerate")
async def rerate(request: Request, user: ConsoleUser = Depends(operator_user)) -> Response:
    form = await csrf.checked_form(request)
    workspace = form.get("workspace", "")
    state = service(request)
    try:
        report = await state.database.run(
            rating.rerate, state.database.engine, user.actor, workspace,
            form.get("from", "").strip(), form.get("to", "").strip(),
        )  # fmt: skip
    except InvalidValue as error:
        field = error.field or "from"
        label = {"from": "From", "to": "To"}.get(field)
        return await _page(request, user, workspace, None, 422,
                           errors={field: error.naming(label)}, form=form)  # fmt: skip
    message = (
        f"Re-priced: {report.examined} calls examined, {report.changed} changed; "
        f"spend {report.pay_before} → {report.pay_after}."
    )
    return await _page(request, user, workspace, None, message=message)
