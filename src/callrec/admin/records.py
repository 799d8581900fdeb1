"""``GET /admin/v1/workspaces/{name}/records``: the records search over HTTP, a thin face of
``callrec.store.record_search``.

``router`` is the admin API's route: a workspace token reads only its own workspace's records
(another's is "not found", like a workspace that does not exist); ``records_response`` does
the search for a workspace the caller may read (by its id, looked up once). Query parameters:
``strTime`` and ``endTime`` (ISO 8601 instants with an offset, or dates meaning 00:00 UTC),
``number``, ``callSource`` (2 or 3), ``answered`` (true/false), ``minDuration`` (seconds),
``country``, ``limit`` (1-1000, default 100) and ``cursor``.
``Accept: text/csv`` streams every record of the filtered window as CSV (``limit`` and
``cursor`` do not apply); otherwise the answer is one JSON page with ``nextCursor``.

A bad parameter raises ``InvalidSearch`` (an ``InvalidValue`` whose ``field`` is the
parameter's name), which the admin API answers as a 422 problem document; an unknown
workspace raises ``NotFound`` (404).
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec
from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.engine import Engine
from starlette.responses import Response, StreamingResponse

from callrec.admin.auth import Caller, caller, service
from callrec.admin.responses import problems
from callrec.operations.records import parse_search, whole_parameter
from callrec.operations.workspaces import visible_workspace_id
from callrec.store.record_search import iter_window, search_page
from callrec.wire.records import WireRecord, csv_text, render_record

CSV_TYPE = "text/csv"
UTC_OFFSET = 0  # records' times are rendered in UTC: a window may span a DST change


class RecordsPage(msgspec.Struct):
    records: list[WireRecord]
    nextCursor: str | None
    timeZone: str = "UTC"


_encoder = msgspec.json.Encoder()


def wants_csv(accept: str | None) -> bool:
    return accept is not None and any(
        part.split(";")[0].strip().lower() == CSV_TYPE for part in accept.split(",")
    )


def records_response(
    engine: Engine, workspace_id: int, params: Mapping[str, str], accept: str | None
) -> Response:
    """The JSON page, or the whole filtered window as streamed CSV for ``Accept: text/csv``.

    Blocking (it reads the database): call it from a sync endpoint, which Starlette runs in
    its thread pool. The CSV is read in keyset chunks as the client takes it.
    """
    window, record_filter = parse_search(workspace_id, params)
    if wants_csv(accept):
        rows = iter_window(engine, window, record_filter)
        return StreamingResponse(
            csv_text(rows, UTC_OFFSET),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="records.csv"'},
        )
    limit = whole_parameter(params, "limit")
    page = search_page(
        engine, window, record_filter, 100 if limit is None else limit, params.get("cursor")
    )
    body = RecordsPage([render_record(row, UTC_OFFSET) for row in page.rows], page.cursor)
    return Response(_encoder.encode(body), media_type="application/json")


router = APIRouter(tags=["admin: records"])
_PAGE_SCHEMA = {
    "type": "object",
    "required": ["records", "nextCursor", "timeZone"],
    "properties": {
        "records": {"type": "array", "items": {"type": "object"}, "description": "As queryPage."},
        "nextCursor": {"type": ["string", "null"]},
        "timeZone": {"type": "string"},
    },
}
_TIME = "An ISO 8601 instant with an offset, or a date (00:00 UTC)."


@router.get(
    "/workspaces/{name}/records",
    summary="Search a workspace's call records: a JSON page by cursor, or CSV",
    description=(
        "Filters narrow the window [strTime, endTime). A JSON page holds at most `limit` "
        "records and `nextCursor`, which continues the same search only. With "
        "`Accept: text/csv` the whole filtered window streams as CSV (`limit` and `cursor` "
        "do not apply). A bad parameter is a 422 problem document naming it in `field`."
    ),
    response_model=None,
    responses={
        200: {
            "content": {
                "application/json": {"schema": _PAGE_SCHEMA},
                CSV_TYPE: {"schema": {"type": "string"}},
            }
        },
        **problems(404, 422),
    },
)
async def search_records(
    name: str,
    request: Request,
    who: Caller = Depends(caller),
    str_time: str = Query(alias="strTime", description=_TIME),
    end_time: str = Query(alias="endTime", description=_TIME),
    number: str | None = Query(None, description="Calling or called number."),
    call_source: str | None = Query(None, alias="callSource", description="2 in, 3 out."),
    answered: str | None = Query(None, description="true or false."),
    min_duration: str | None = Query(None, alias="minDuration", description="Seconds."),
    country: str | None = Query(None),
    limit: str | None = Query(None, description="1 to 1000 (default 100)."),
    cursor: str | None = Query(None, description="A page's nextCursor."),
) -> Response:
    # The parameters above document the search; parse_search reads and checks them all
    # (InvalidSearch names the one at fault), so they are taken from the query as sent.
    state = service(request)
    engine = state.database.engine
    workspace_id = await state.database.run(visible_workspace_id, engine, who.actor, name)
    return await state.database.run(
        records_response,
        engine,
        workspace_id,
        dict(request.query_params),
        request.headers.get("accept"),
    )
