"""Exchange rates: ``/admin/v1/exchange-rates``. Any token reads them; operators set them.

A rate is a decimal string in JSON (``"1.0832"``), never a number: a JSON number is a binary
float to most clients, and money must not pass through one.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field, field_validator
from starlette.responses import Response

from callrec.admin.auth import Caller, caller, service
from callrec.admin.idempotency import IDEMPOTENCY_KEY, answer_once
from callrec.admin.models import Answer, Body, Page
from callrec.admin.paging import CURSOR, LIMIT, decode_position, page
from callrec.admin.responses import problems
from callrec.operations import fx
from callrec.operations.fx import fx_to_dict
from callrec.rating.fx import FxRate

router = APIRouter(tags=["admin: exchange rates"])


class FxRateCreate(Body):
    currency: str = Field(max_length=3, description="ISO 4217 code; not USD (the settle one).")
    rate: str = Field(max_length=64, description='USD per one unit, a decimal string: "1.0832".')
    effective_from: str = Field(
        max_length=64,
        description="From when: ISO 8601 with an offset, or a date (00:00 UTC).",
    )

    @field_validator("rate", mode="before")
    @classmethod
    def _a_string(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError('must be a decimal string such as "1.0832", not a JSON number')
        return value


class FxRateAnswer(Answer):
    currency: str
    rate: str = Field(description="USD per one unit of the currency, a decimal string.")
    effective_from: str


@router.post(
    "/exchange-rates",
    response_model=FxRateAnswer,
    summary="Set an exchange rate from a moment on (replaces one set for the same moment)",
    responses=problems(403, 413),
)
async def set_rate(
    body: FxRateCreate,
    request: Request,
    who: Caller = Depends(caller),
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Response:
    state = service(request)

    async def run() -> tuple[int, Any]:
        rate = await state.database.run(
            fx.set_fx_rate, state.database.engine, who.actor, body.currency, body.rate,
            body.effective_from,
        )  # fmt: skip
        return 200, fx_to_dict(rate)

    return await answer_once(request, who, idempotency_key, body.model_dump(), run)


@router.get(
    "/exchange-rates",
    response_model=Page[FxRateAnswer],
    summary="Every exchange rate, by currency and effective-from",
    responses=problems(),
)
async def list_rates(
    request: Request,
    who: Caller = Depends(caller),
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
) -> dict[str, Any]:
    state = service(request)
    found = await state.database.run(
        fx.list_fx_rates,
        state.database.engine,
        who.actor,
        decode_position(cursor, str, int),
        limit + 1,
    )

    def position(rate: FxRate) -> list[Any]:
        return [rate.currency, rate.effective_from_us]

    return page(found, limit, position, fx_to_dict)
