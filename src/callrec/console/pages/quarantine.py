"""The operator's quarantine: CDRs no inventory claims, to reprocess or discard with a reason."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import RedirectResponse, Response

from callrec.console import csrf
from callrec.console.paths import operator_url
from callrec.console.render import render
from callrec.console.session import ConsoleUser, operator_user, service
from callrec.operations import quarantine
from callrec.store.errors import InvalidValue
from callrec.store.quarantine import QuarantineFilter

router = APIRouter()
PAGE_SIZE = 50
MAX_PARTY = 64


async def _page(
    request: Request,
    user: ConsoleUser,
    caller: str | None,
    called: str | None,
    after: tuple[int, str] | None,
    status: int = 200,
    message: str = "",
    errors: dict[str, str] | None = None,
) -> Response:
    state = service(request)
    found = QuarantineFilter(caller or None, called or None)
    page = await state.database.run(
        quarantine.list_quarantine, state.database.engine, user.actor, found, after, PAGE_SIZE + 1
    )
    shown = page.items[:PAGE_SIZE]
    last = shown[-1].cdr if len(page.items) > PAGE_SIZE else None
    next_after = (last.start_us, last.callid) if last else None
    return render(request, "quarantine.html", status_code=status, total=page.total, items=shown,
                  caller=caller or "", called=called or "", message=message,
                  errors=errors or {}, next_after=next_after)  # fmt: skip


@router.get("/quarantine")
async def quarantine_page(
    request: Request,
    caller: str | None = Query(None, max_length=MAX_PARTY),
    called: str | None = Query(None, max_length=MAX_PARTY),
    after_us: int | None = Query(None, alias="afterStart", ge=0, le=2**63 - 1),
    after_callid: str | None = Query(None, alias="afterCallid", max_length=256),
    user: ConsoleUser = Depends(operator_user),
) -> Response:
    after = None if after_us is None or after_callid is None else (after_us, after_callid)
    return await _page(request, user, caller, called, after)


@router.post("/quarantine/reprocess")
async def reprocess(request: Request, user: ConsoleUser = Depends(operator_user)) -> Response:
    await csrf.checked_form(request)
    state = service(request)
    report = await state.database.run(
        quarantine.reprocess, state.database.engine, user.actor, state.pipeline
    )
    message = (
        f"Reprocessed: {report.routed} routed ({report.stored} stored, "
        f"{report.duplicates} already stored), {report.remaining} still unrouted."
    )
    return await _page(request, user, None, None, None, message=message)


@router.post("/quarantine/discard")
async def discard(request: Request, user: ConsoleUser = Depends(operator_user)) -> Response:
    form = await csrf.checked_form(request)
    state = service(request)
    callids = form.every("callid")
    try:
        if not callids:
            raise InvalidValue("tick at least one CDR to discard", "callids")
        await state.database.run(
            lambda: quarantine.discard(
                state.database.engine, user.actor, callids, reason=form.get("reason", "")
            )
        )
    except InvalidValue as error:
        label = {"reason": "The reason", "callids": "Discard:"}.get(error.field or "")
        return await _page(request, user, None, None, None, 422,
                           errors={error.field or "reason": error.naming(label)})  # fmt: skip
    return RedirectResponse(operator_url("quarantine"), status_code=303)
