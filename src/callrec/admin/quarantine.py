"""``/admin/v1/quarantine``: unrouted CDRs, an operator's only (they belong to no workspace)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field
from starlette.responses import Response

from callrec.admin.auth import Caller, caller, service
from callrec.admin.idempotency import IDEMPOTENCY_KEY, answer_once
from callrec.admin.models import Answer, Body
from callrec.admin.paging import CURSOR, LIMIT, decode_position, encode_cursor
from callrec.admin.responses import problems
from callrec.operations import quarantine
from callrec.operations.quarantine import MAX_DISCARD_CALLIDS, MAX_PARTY, MAX_REASON
from callrec.store.errors import InvalidValue
from callrec.store.quarantine import QuarantineFilter

router = APIRouter(tags=["admin: quarantine"])


class QuarantinedCdr(Answer):
    callid: str
    source: str
    caller: str
    called: str
    start_time: str
    answer_time: str | None
    end_time: str
    talk_seconds: int | None
    sip_code: str | None
    hangup_reason: str | None
    recording_url: str
    reason: str = Field(description="Why it could not be routed.")
    received: str


class QuarantinePage(Answer):
    total: int = Field(description="Every CDR the filter matches.")
    items: list[QuarantinedCdr]
    next_cursor: str | None


class ReprocessRequest(Body):
    """No members: every quarantined CDR is tried. An empty body is the same."""


class Reprocessed(Answer):
    routed: int
    accepted: int
    duplicates: int
    conflicts: int
    quarantined: int
    skipped: int
    rejected: list[dict[str, Any]]
    remaining: int = Field(description="Still unrouted.")


class DiscardFilter(Body):
    caller: str | None = Field(None, max_length=MAX_PARTY)
    called: str | None = Field(None, max_length=MAX_PARTY)
    started_before: str | None = Field(
        None, max_length=64, description="ISO 8601 instant with an offset, or a date (UTC)."
    )


class DiscardRequest(Body):
    callids: list[str] | None = Field(
        None, max_length=MAX_DISCARD_CALLIDS, description="These quarantined CDRs."
    )
    filter: DiscardFilter | None = Field(None, description="Or every CDR matching this.")
    reason: str = Field(max_length=MAX_REASON, description="Kept in the audit log.")


class Discarded(Answer):
    discarded: int
    not_quarantined: list[str] = Field(description="callids given that are not quarantined.")


def _discard_filter(given: DiscardFilter | None) -> QuarantineFilter | None:
    """The filter of a discard; a fault is named as the body has it (``filter.caller``)."""
    if given is None:
        return None
    try:
        return quarantine.make_filter(given.caller, given.called, given.started_before)
    except InvalidValue as exc:
        raise InvalidValue(str(exc), f"filter.{exc.field}") from exc


@router.get(
    "/quarantine",
    response_model=QuarantinePage,
    summary="List quarantined CDRs, oldest call first (operator tokens)",
    responses=problems(403),
)
async def list_quarantine(
    request: Request,
    who: Caller = Depends(caller),
    caller_number: str | None = Query(None, alias="caller", max_length=MAX_PARTY),
    called: str | None = Query(None, max_length=MAX_PARTY),
    started_before: str | None = Query(None, alias="startedBefore", max_length=64),
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
) -> dict[str, Any]:
    state = service(request)
    which = quarantine.make_filter(caller_number, called, started_before)
    result = await state.database.run(
        quarantine.list_quarantine, state.database.engine, who.actor, which,
        decode_position(cursor, int, str), limit + 1,
    )  # fmt: skip
    shown = result.items[:limit]
    more = len(result.items) > limit
    return {
        "total": result.total,
        "items": [quarantine.quarantined_to_dict(kept) for kept in shown],
        "nextCursor": encode_cursor([shown[-1].cdr.start_us, shown[-1].cdr.callid])
        if more and shown
        else None,
    }


@router.post(
    "/quarantine/reprocess",
    response_model=Reprocessed,
    summary="Route, rate and store the quarantined CDRs whose number is now in an inventory",
    responses=problems(403, 413),
)
async def reprocess(
    request: Request,
    body: ReprocessRequest | None = None,
    who: Caller = Depends(caller),
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Response:
    state = service(request)

    async def run() -> tuple[int, Any]:
        report = await state.database.run(
            quarantine.reprocess, state.database.engine, who.actor, state.pipeline
        )
        return 200, quarantine.report_to_dict(report)

    return await answer_once(request, who, idempotency_key, None, run)


@router.post(
    "/quarantine/discard",
    response_model=Discarded,
    summary="Remove quarantined CDRs for good, with a reason kept in the audit log",
    responses=problems(403, 413),
)
async def discard(
    body: DiscardRequest,
    request: Request,
    who: Caller = Depends(caller),
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Response:
    state = service(request)
    which = _discard_filter(body.filter)

    async def run() -> tuple[int, Any]:
        report = await state.database.run(
            quarantine.discard, state.database.engine, who.actor, body.callids, which, body.reason
        )
        return 200, {"discarded": report.discarded, "notQuarantined": report.missing}

    return await answer_once(request, who, idempotency_key, body.model_dump(), run)
