"""A workspace's rate deck: ``/admin/v1/workspaces/{name}/rates…`` and ``…/rerate``.

The deck is uploaded as the CSV ``callrec rates import`` reads (``Content-Type: text/csv``,
up to 16 MiB): all rows or none, each bad line named. A workspace token reads its own deck;
uploading and re-pricing are an operator's.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field
from starlette.responses import Response

from callrec.admin.auth import Caller, caller, service
from callrec.admin.body_limit import LargerBody
from callrec.admin.idempotency import IDEMPOTENCY_KEY, answer_once
from callrec.admin.models import Answer, Body, Page
from callrec.admin.paging import CURSOR, LIMIT, decode_cursor, decode_position, page
from callrec.admin.problems import Problem
from callrec.admin.responses import problems
from callrec.operations import rating
from callrec.operations.rating import rate_row_to_dict
from callrec.rating.deck import RateRow
from callrec.store.accounts import iso_instant

router = APIRouter(tags=["admin: rate decks"])
CSV_MEDIA_TYPE = "text/csv"
# The whole deck is parsed in memory before anything is stored; the CLI reads any size.
MAX_DECK_BYTES = 16 * 1024 * 1024
LARGER_BODIES: list[LargerBody] = [
    ("POST", re.compile(r"/workspaces/[^/]+/rates$"), MAX_DECK_BYTES)
]
INSTANT = "ISO 8601 with an offset (2024-01-01T00:00:00Z), or a date (00:00 UTC)."


class DeckImported(Answer):
    workspace: str
    imported: int = Field(description="Rows added or replaced.")
    effective_from: list[str] = Field(description="The moments the imported rows start at.")


class DeckVersion(Answer):
    effective_from: str
    rows: int = Field(description="Rows that start at this moment.")


class RateRowAnswer(Answer):
    prefix: str
    rate: str = Field(description="Per minute, in the workspace's currency: a decimal string.")
    charged_period: str = Field(description="Billing increment A+B, e.g. 60+60.")
    direction: str = Field(description="in, out or any.")
    effective_from: str


class EffectiveRateAnswer(Answer):
    number: str
    direction: str
    at: str
    currency: str
    match: RateRowAnswer | None = Field(description="null: no row matches; stored unrated.")


class UnratedGroup(Answer):
    direction: str
    prefix: str
    calls: int
    talk_seconds: int


class UnratedAnswer(Answer):
    items: list[UnratedGroup] = Field(description="Biggest groups first.")


class RerateBody(Body):
    start: str = Field(alias="from", max_length=64, description="Window start, ISO 8601.")
    end: str = Field(alias="to", max_length=64, description="Window end (exclusive).")


class RerateReport(Answer):
    examined: int
    changed: int
    pay_before: str
    pay_after: str
    status_changes: dict[str, int]


def _csv_body_media_type(request: Request) -> None:
    given = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if given != CSV_MEDIA_TYPE:
        raise Problem(415, f"send the deck as {CSV_MEDIA_TYPE}, not {given or 'nothing'}",
                      "Content-Type")  # fmt: skip


@router.post(
    "/workspaces/{name}/rates",
    response_model=DeckImported,
    summary="Import a rate deck from CSV (all rows or none); operator tokens",
    responses=problems(403, 404, 413, 415),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "prefix,rate,chargedPeriod,direction,effectiveFrom; header optional.",
            "content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}},
        }
    },
)
async def import_deck(
    name: str,
    request: Request,
    who: Caller = Depends(caller),
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Response:
    _csv_body_media_type(request)
    data = await request.body()
    state = service(request)

    async def run() -> tuple[int, Any]:
        done = await state.database.run(
            rating.import_deck, state.database.engine, who.actor, name, data
        )
        return 200, done.as_json()

    fingerprint = {"csvSha256": hashlib.sha256(data).hexdigest()}
    return await answer_once(request, who, idempotency_key, fingerprint, run)


@router.get(
    "/workspaces/{name}/rates",
    response_model=Page[DeckVersion],
    summary="The deck's versions: each effective-from moment and its row count",
    responses=problems(404),
)
async def deck_versions(
    name: str,
    request: Request,
    who: Caller = Depends(caller),
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
) -> dict[str, Any]:
    state = service(request)
    found = await state.database.run(
        rating.deck_versions, state.database.engine, who.actor, name,
        decode_cursor(cursor, int), limit + 1,
    )  # fmt: skip
    return page(found, limit, lambda v: v[0],
                lambda v: {"effectiveFrom": iso_instant(v[0]), "rows": v[1]})  # fmt: skip


def _row_position(row: RateRow) -> list[Any]:
    return [row.effective_from_us, row.prefix, row.direction]


@router.get(
    "/workspaces/{name}/rates/rows",
    response_model=Page[RateRowAnswer],
    summary="The deck's rows by effective-from, prefix and direction (one version's if asked)",
    responses=problems(404),
)
async def deck_rows(
    name: str,
    request: Request,
    who: Caller = Depends(caller),
    effective_from: str | None = Query(None, alias="effectiveFrom", max_length=64,
                                       description="Only this version's rows. " + INSTANT),
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
) -> dict[str, Any]:  # fmt: skip
    state = service(request)
    version = None
    if effective_from is not None:
        version = rating.parse_instant(effective_from, "effectiveFrom")
    found = await state.database.run(
        rating.deck_rows, state.database.engine, who.actor, name, version,
        decode_position(cursor, int, str, str), limit + 1,
    )  # fmt: skip
    return page(found, limit, _row_position, rate_row_to_dict)


@router.get(
    "/workspaces/{name}/rates/lookup",
    response_model=EffectiveRateAnswer,
    summary="The deck row a call to or from a number at a moment would be rated with",
    responses=problems(404),
)
async def lookup(
    name: str,
    request: Request,
    who: Caller = Depends(caller),
    number: str = Query(..., max_length=40, description="E.164, with or without +."),
    direction: str = Query("out", max_length=3,
                           description="out: a call to the number; in: from it."),
    at: str | None = Query(None, max_length=64, description="Default now. " + INSTANT),
) -> Any:  # fmt: skip
    state = service(request)
    found = await state.database.run(
        rating.effective_rate, state.database.engine, who.actor, name, number, direction, at
    )
    return found.as_json()


@router.get(
    "/workspaces/{name}/rates/unrated",
    response_model=UnratedAnswer,
    summary="Calls stored unrated, grouped by direction and leading digits",
    responses=problems(404),
)
async def unrated(name: str, request: Request, who: Caller = Depends(caller)) -> Any:
    state = service(request)
    groups = await state.database.run(rating.unrated, state.database.engine, who.actor, name)
    return {"items": [g.as_json() for g in groups]}


@router.post(
    "/workspaces/{name}/rerate",
    response_model=RerateReport,
    summary="Re-price stored calls of a window with the current deck and exchange rates",
    responses=problems(403, 404, 413),
)
async def rerate(
    name: str,
    body: RerateBody,
    request: Request,
    who: Caller = Depends(caller),
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Response:
    state = service(request)

    async def run() -> tuple[int, Any]:
        report = await state.database.run(
            rating.rerate, state.database.engine, who.actor, name, body.start, body.end
        )
        return 200, report.as_json()

    return await answer_once(request, who, idempotency_key, body.model_dump(by_alias=True), run)
