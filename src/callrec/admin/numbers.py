"""``/admin/v1/numbers``: add, list with filters, get, update, move, remove."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from callrec.admin.auth import Caller, caller, service
from callrec.admin.idempotency import IDEMPOTENCY_KEY, answer_once
from callrec.admin.models import Deleted, Number, NumberCreate, NumberMove, NumberUpdate, Page
from callrec.admin.paging import CURSOR, LIMIT, decode_cursor, page
from callrec.admin.responses import problems
from callrec.operations import numbers
from callrec.store.numbers import NumberFilter, Rental, number_to_dict, parse_due_date
from callrec.wire.numbers import UNCHANGED


def _due_date(text: str | None) -> date | None:
    return None if text is None else parse_due_date(text)


router = APIRouter(tags=["admin: numbers"])


@router.post(
    "/numbers",
    status_code=201,
    response_model=Number,
    summary="Add a number to a workspace (operator tokens)",
    responses=problems(403, 404, 409, 413),
)
async def add_number(
    body: NumberCreate,
    request: Request,
    who: Caller = Depends(caller),
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Response:
    state = service(request)

    async def run() -> tuple[int, Any]:
        added = await state.database.run(
            numbers.add_number,
            state.database.engine,
            who.actor,
            body.number,
            body.workspace,
            body.app_id,
            body.type,
            Rental(_due_date(body.due_date), body.auto_renew, body.disabled),
        )
        return 201, number_to_dict(added)

    return await answer_once(request, who, idempotency_key, body.model_dump(), run)


@router.get(
    "/numbers",
    response_model=Page[Number],
    summary="List numbers, filtered by workspace, appId, type or leading digits",
    responses=problems(404),
)
async def list_numbers(
    request: Request,
    who: Caller = Depends(caller),
    workspace: str | None = Query(None, max_length=200),
    app_id: str | None = Query(None, alias="appId", max_length=64),
    number_type: str | None = Query(None, alias="type", max_length=8),
    prefix: str | None = Query(None, max_length=32, description="Leading digits."),
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
) -> dict[str, Any]:
    state = service(request)
    where = NumberFilter(workspace, app_id, number_type, prefix)
    found = await state.database.run(
        numbers.list_numbers, state.database.engine, who.actor, where,
        decode_cursor(cursor, str), limit + 1,
    )  # fmt: skip
    return page(found, limit, lambda n: n.number, number_to_dict)


@router.get(
    "/numbers/{number}", response_model=Number, summary="Get a number", responses=problems(404)
)
async def get_number(number: str, request: Request, who: Caller = Depends(caller)) -> Any:
    state = service(request)
    found = await state.database.run(numbers.get_number, state.database.engine, who.actor, number)
    return number_to_dict(found)


@router.patch(
    "/numbers/{number}",
    response_model=Number,
    summary="Change a number's appId and remark (workspace tokens too), type or rental "
    "(operator tokens)",
    responses=problems(403, 404, 413),
)
async def update_number(
    number: str, body: NumberUpdate, request: Request, who: Caller = Depends(caller)
) -> Any:
    state = service(request)
    sent = body.model_fields_set
    changes: dict[str, Any] = {
        name: getattr(body, name) for name in ("app_id", "remark") if name in sent
    }
    if "type" in sent:
        changes["number_type"] = body.type
    rental = Rental(
        _due_date(body.due_date) if "due_date" in sent else UNCHANGED,
        body.auto_renew if "auto_renew" in sent else UNCHANGED,
        body.disabled if "disabled" in sent else UNCHANGED,
    )
    changed = await state.database.run(
        lambda: numbers.update_number(state.database.engine, who.actor, number, rental, **changes)
    )
    return number_to_dict(changed)


@router.post(
    "/numbers/{number}/move",
    response_model=Number,
    summary="Move a number to another workspace; stored records stay where they are",
    responses=problems(403, 404, 413),
)
async def move_number(
    number: str,
    body: NumberMove,
    request: Request,
    who: Caller = Depends(caller),
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Response:
    state = service(request)

    async def run() -> tuple[int, Any]:
        moved = await state.database.run(
            numbers.move_number, state.database.engine, who.actor, number, body.workspace
        )
        return 200, number_to_dict(moved)

    return await answer_once(request, who, idempotency_key, body.model_dump(), run)


@router.delete(
    "/numbers/{number}",
    response_model=Deleted,
    summary="Remove a number from the inventory (its stored records stay)",
    responses=problems(403, 404),
)
async def remove_number(number: str, request: Request, who: Caller = Depends(caller)) -> Any:
    state = service(request)
    await state.database.run(
        numbers.remove_number, state.database.engine, who.actor, number, state.greetings
    )
    return {"deleted": number, "purgedRecords": 0}
