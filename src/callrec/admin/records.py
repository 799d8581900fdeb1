"""``GET /admin/v1/workspaces/{name}/records``: the records search over HTTP, a thin face of
``callrec.store.record_search``.

Authentication and tenancy are the caller's: it passes the name of a workspace the token may
read. Query parameters: ``strTime`` and ``endTime`` (ISO 8601 instants with an offset, or
dates meaning 00:00 UTC), ``number``, ``callSource`` (2 or 3), ``answered`` (true/false),
``minDuration`` (seconds), ``country``, ``limit`` (1-1000, default 100) and ``cursor``.
``Accept: text/csv`` streams every record of the filtered window as CSV (``limit`` and
``cursor`` do not apply); otherwise the answer is one JSON page with ``nextCursor``.

A bad parameter raises ``InvalidSearch`` (a ``StoreError`` whose ``field`` is the parameter's
name), for the admin API's problem-document handler to answer 422; an unknown workspace
raises ``NotFound``.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec
from sqlalchemy.engine import Engine
from starlette.responses import Response, StreamingResponse

from callrec.store.accounts import get_workspace
from callrec.store.record_search import (
    InvalidSearch,
    RecordFilter,
    Window,
    iter_window,
    search_page,
)
from callrec.wire.records import WireRecord, csv_text, render_record
from callrec.wire.times import TimeFormatError, parse_date_or_instant

PARAMETERS = frozenset(
    {"strTime", "endTime", "number", "callSource", "answered", "minDuration", "country",
     "limit", "cursor"}
)  # fmt: skip
CSV_TYPE = "text/csv"
UTC_OFFSET = 0  # records' times are rendered in UTC: a window may span a DST change


class RecordsPage(msgspec.Struct):
    records: list[WireRecord]
    nextCursor: str | None
    timeZone: str = "UTC"


_encoder = msgspec.json.Encoder()


def _instant(params: Mapping[str, str], name: str) -> int:
    if name not in params:
        raise InvalidSearch(name, "is required (an ISO 8601 instant, or a date)")
    try:
        return parse_date_or_instant(params[name])
    except TimeFormatError as exc:
        raise InvalidSearch(name, str(exc)) from exc


def _whole(params: Mapping[str, str], name: str) -> int | None:
    if name not in params:
        return None
    text = params[name].strip()
    if not text.isdigit() or len(text) > 9:
        raise InvalidSearch(name, "must be a whole number")
    return int(text)


def _answered(params: Mapping[str, str]) -> bool | None:
    value = params.get("answered")
    if value is None:
        return None
    if value.lower() not in ("true", "false"):
        raise InvalidSearch("answered", "must be true or false")
    return value.lower() == "true"


def parse_search(workspace_id: int, params: Mapping[str, str]) -> tuple[Window, RecordFilter]:
    unknown = sorted(set(params) - PARAMETERS)
    if unknown:
        raise InvalidSearch(unknown[0], "is not a records search parameter")
    window = Window(workspace_id, _instant(params, "strTime"), _instant(params, "endTime"))
    record_filter = RecordFilter(
        number=params.get("number"),
        call_source=_whole(params, "callSource"),
        answered=_answered(params),
        min_duration=_whole(params, "minDuration"),
        country=params.get("country"),
    )
    return window, record_filter


def wants_csv(accept: str | None) -> bool:
    return accept is not None and any(
        part.split(";")[0].strip().lower() == CSV_TYPE for part in accept.split(",")
    )


def records_response(
    engine: Engine, workspace_name: str, params: Mapping[str, str], accept: str | None
) -> Response:
    """The JSON page, or the whole filtered window as streamed CSV for ``Accept: text/csv``.

    Blocking (it reads the database): call it from a sync endpoint, which Starlette runs in
    its thread pool. The CSV is read in keyset chunks as the client takes it.
    """
    workspace = get_workspace(engine, workspace_name)
    window, record_filter = parse_search(workspace.id, params)
    if wants_csv(accept):
        rows = iter_window(engine, window, record_filter)
        return StreamingResponse(
            csv_text(rows, UTC_OFFSET),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="records.csv"'},
        )
    limit = _whole(params, "limit")
    page = search_page(
        engine, window, record_filter, 100 if limit is None else limit, params.get("cursor")
    )
    body = RecordsPage([render_record(row, UTC_OFFSET) for row in page.rows], page.cursor)
    return Response(_encoder.encode(body), media_type="application/json")
