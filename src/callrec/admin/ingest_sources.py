"""Ingest sources: ``/admin/v1/ingest-sources``, operator tokens only.

A source's secret (the FreeSWITCH Basic password and the ``POST /ingest/cdrs`` Bearer token)
is in the answer to create and rotate only.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field
from starlette.responses import Response

from callrec.admin.auth import Caller, caller, service
from callrec.admin.idempotency import IDEMPOTENCY_KEY, answer_once
from callrec.admin.models import Answer, Body, Deleted, Page
from callrec.admin.paging import CURSOR, LIMIT, decode_cursor, page
from callrec.admin.responses import problems
from callrec.operations import ingest_sources
from callrec.store.ingest_sources import NewSource, source_to_dict

router = APIRouter(tags=["admin: ingest sources"])


class IngestSourceCreate(Body):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                      description="Also the HTTP Basic user name.")  # fmt: skip
    encode_values: bool = Field(True, description="false: the switch posts encode-values=false.")
    skip_b_legs: bool = Field(True, description="false: store FreeSWITCH B-legs too.")


class IngestSourceUpdate(Body):
    enabled: bool | None = Field(None, description="false: its requests get 403.")


class IngestSource(Answer):
    name: str
    username: str
    encode_values: bool
    skip_b_legs: bool
    enabled: bool
    created_at: str


class IngestSourceWithSecret(IngestSource):
    secret: str = Field(
        description="The Basic password and the Bearer token; shown only in this answer."
    )


def _with_secret(new: NewSource) -> dict[str, Any]:
    return {**source_to_dict(new.source), "secret": new.secret}


@router.post(
    "/ingest-sources",
    status_code=201,
    response_model=IngestSourceWithSecret,
    summary="Create an ingest source; the answer holds its secret, shown only here",
    responses=problems(403, 409, 413),
)
async def create_source(
    body: IngestSourceCreate,
    request: Request,
    who: Caller = Depends(caller),
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Response:
    state = service(request)

    async def run() -> tuple[int, Any]:
        created = await state.database.run(
            lambda: ingest_sources.create_source(
                state.database.engine,
                who.actor,
                body.name,
                encode_values=body.encode_values,
                skip_b_legs=body.skip_b_legs,
            )
        )
        return 201, _with_secret(created)

    return await answer_once(request, who, idempotency_key, body.model_dump(), run)


@router.get(
    "/ingest-sources",
    response_model=Page[IngestSource],
    summary="List ingest sources (never their secrets)",
    responses=problems(403),
)
async def list_sources(
    request: Request,
    who: Caller = Depends(caller),
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
) -> dict[str, Any]:
    state = service(request)
    found = await state.database.run(
        ingest_sources.list_sources, state.database.engine, who.actor,
        decode_cursor(cursor, str), limit + 1,
    )  # fmt: skip
    return page(found, limit, lambda s: s.name, source_to_dict)


@router.get(
    "/ingest-sources/{name}",
    response_model=IngestSource,
    summary="Get an ingest source",
    responses=problems(403, 404),
)
async def get_source(name: str, request: Request, who: Caller = Depends(caller)) -> Any:
    state = service(request)
    return source_to_dict(
        await state.database.run(ingest_sources.get_source, state.database.engine, who.actor, name)
    )


@router.patch(
    "/ingest-sources/{name}",
    response_model=IngestSource,
    summary="Enable or disable an ingest source",
    responses=problems(403, 404, 413),
)
async def update_source(
    name: str, body: IngestSourceUpdate, request: Request, who: Caller = Depends(caller)
) -> Any:
    state = service(request)
    engine = state.database.engine
    if body.enabled is None:
        return source_to_dict(
            await state.database.run(ingest_sources.get_source, engine, who.actor, name)
        )
    changed = await state.database.run(
        ingest_sources.set_source_enabled, engine, who.actor, name, body.enabled
    )
    return source_to_dict(changed)


@router.post(
    "/ingest-sources/{name}/rotate",
    response_model=IngestSourceWithSecret,
    summary="Give a source a new secret; the old one is refused at once",
    responses=problems(403, 404),
)
async def rotate_source(
    name: str,
    request: Request,
    who: Caller = Depends(caller),
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Response:
    state = service(request)

    async def run() -> tuple[int, Any]:
        rotated = await state.database.run(
            ingest_sources.rotate_secret, state.database.engine, who.actor, name
        )
        return 200, _with_secret(rotated)

    return await answer_once(request, who, idempotency_key, {}, run)


@router.delete(
    "/ingest-sources/{name}",
    response_model=Deleted,
    summary="Delete an ingest source: its credentials get 401 from now on",
    responses=problems(403, 404),
)
async def delete_source(name: str, request: Request, who: Caller = Depends(caller)) -> Any:
    state = service(request)
    await state.database.run(ingest_sources.delete_source, state.database.engine, who.actor, name)
    return {"deleted": name, "purgedRecords": 0}
