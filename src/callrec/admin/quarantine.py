"""``/admin/v1/quarantine``: unrouted CDRs, an operator's only (they belong to no workspace)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field
from starlette.responses import Response

from callrec.admin.auth import Caller, caller, service
from callrec.admin.idempotency import IDEMPOTENCY_KEY, answer_once
from callrec.admin.models import Answer, Body
from callrec.admin.paging import CURSOR, LIMIT, decode_cursor, encode_cursor
from callrec.admin.problems import Problem
from callrec.admin.responses import problems
from callrec.operations import quarantine
from callrec.operations.purge import parse_before
from callrec.operations.quarantine import MAX_DISCARD_CALLIDS, MAX_REASON
from callrec.store.errors import InvalidValue
from callrec.store.quarantine import QuarantineFilter

router = APIRouter(tags=["admin: quarantine"])
MAX_PARTY = 64  # as the quarantine stores a caller or called number
MAX_CALLID = 128


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


def _filter(
    caller: str | None, called: str | None, before: str | None, before_field: str
) -> QuarantineFilter:
    try:
        before_us = None if before is None else parse_before(before)
    except InvalidValue as exc:
        raise InvalidValue(str(exc), before_field) from exc
    return QuarantineFilter(caller, called, before_us)


def _position(cursor: str | None) -> tuple[int, str] | None:
    after = decode_cursor(cursor, list)
    if after is None:
        return None
    if len(after) != 2 or not isinstance(after[0], int) or not isinstance(after[1], str):
        raise Problem(422, "cursor is not one this API gave out", "cursor")
    return after[0], after[1]


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
    found = _filter(caller_number, called, started_before, "startedBefore")
    result = await state.database.run(
        quarantine.list_quarantine, state.database.engine, who.actor, found, _position(cursor),
        limit + 1,
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
    for callid in body.callids or ():
        if not 0 < len(callid) <= MAX_CALLID:
            raise InvalidValue(f"holds a callid that is empty or over {MAX_CALLID} characters",
                               "callids")  # fmt: skip
    given = body.filter
    found = (
        None
        if given is None
        else _filter(given.caller, given.called, given.started_before, "filter.startedBefore")
    )

    async def run() -> tuple[int, Any]:
        report = await state.database.run(
            quarantine.discard, state.database.engine, who.actor, body.callids, found, body.reason
        )
        return 200, {"discarded": report.discarded, "notQuarantined": report.missing}

    return await answer_once(request, who, idempotency_key, body.model_dump(), run)
