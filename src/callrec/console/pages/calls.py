"""A workspace's calls: the records search as a table (the admin API's filters, keyset pages
both ways), one call with its rating trail, and the filtered window as CSV.

The filters are parsed by callrec.operations.records.parse_filter, as the admin API parses
them, and the rows come from the same search; the window is the overview's (whole local
days in the workspace's zone). The CSV is the admin API's CSV (times in UTC, the contract's
columns), streamed in keyset chunks however large the window.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response, StreamingResponse

from callrec.console.errors import error_page
from callrec.console.paths import workspace_url
from callrec.console.render import render
from callrec.console.session import ConsoleUser, current_user, now_us, service, workspace_page
from callrec.console.window_picker import DEFAULT_WINDOW, picker
from callrec.operations import records
from callrec.operations.stats import LocalWindow, local_window
from callrec.store.accounts import Workspace
from callrec.store.errors import InvalidValue
from callrec.store.record_search import RecordFilter
from callrec.wire.money import format_micros
from callrec.wire.records import RECORD_KEYS, STORED_COLUMNS, csv_text, render_record
from callrec.wire.times import datetime_from_micros

router = APIRouter()
PAGE_SIZE = 50
WINDOW_PARAMETERS = ("window", "from", "to")
CSV_UTC = 0  # as the admin API's CSV: UTC, since a window may span a DST change
_UNSAFE_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True, slots=True)
class Search:
    """What the calls page was asked for: the window, the filters, and the form's values."""

    window: LocalWindow
    record_filter: RecordFilter
    query: dict[str, str]  # window and filters as sent (empty fields dropped), for links


def _sent(params: Mapping[str, str]) -> dict[str, str]:
    """The window and filter parameters that were filled in (a GET form sends empty ones)."""
    names = (*WINDOW_PARAMETERS, *records.FILTER_PARAMETERS)
    return {name: params[name] for name in names if params.get(name, "").strip()}


def _search(workspace: Workspace, params: Mapping[str, str], now: int) -> Search:
    """The page's search; a bad window or filter raises InvalidValue naming its field."""
    sent = _sent(params)
    window = local_window(
        sent.get("window", DEFAULT_WINDOW), workspace.time_zone, now, sent.get("from"),
        sent.get("to"),
    )  # fmt: skip
    filters = {k: v.strip() for k, v in sent.items() if k in records.FILTER_PARAMETERS}
    return Search(window, records.parse_filter(filters), sent)


@dataclass(frozen=True, slots=True)
class CallRow:
    callid: str
    url: str
    start: str  # in the workspace's zone
    direction: str
    number: str
    other_party: str
    country: str
    answered: bool
    outcome: str
    talk: str
    charged_seconds: int
    pay: str
    currency: str


def local_time(micros: int, zone: ZoneInfo) -> str:
    return datetime_from_micros(micros).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def talk_time(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _call_row(row: tuple[Any, ...], zone: ZoneInfo, workspace: str, back: str) -> CallRow:
    values = dict(zip(STORED_COLUMNS, row, strict=True))
    outgoing = values["call_source"] == 3
    answered = values["call_duration"] > 0
    failure = " ".join(str(v) for v in (values["sip_code"], values["hangup_reason"]) if v)
    detail = workspace_url(workspace, "calls/" + quote(values["callid"], safe=""))
    return CallRow(
        callid=values["callid"],
        url=f"{detail}?{back}" if back else detail,
        start=local_time(values["start_us"], zone),
        direction="Outgoing" if outgoing else "Incoming",
        number=values["number"],
        other_party=values["called"] if outgoing else values["caller"],
        country=values["country"] or "",
        answered=answered,
        outcome="Answered" if answered else f"Failed {failure}".strip(),
        talk=talk_time(values["call_duration"]),
        charged_seconds=values["charged_duration"],
        pay=format_micros(values["pay_micros"]),
        currency=values["currency"] or "USD",
    )


def _link(path: str, query: Mapping[str, str]) -> str:
    return f"{path}?{urlencode(query)}" if query else path


@router.get("/w/{workspace}/calls")
async def calls_page(
    request: Request,
    workspace: Workspace = Depends(workspace_page),
    user: ConsoleUser = Depends(current_user),
) -> Response:
    state = service(request)
    path = workspace_url(workspace.name, "calls")
    params = request.query_params
    sent = _sent(params)
    form = {name: sent.get(name, "") for name in records.FILTER_PARAMETERS}
    keep = {k: v for k, v in sent.items() if k in records.FILTER_PARAMETERS}
    after, before = params.get("after") or None, params.get("before") or None
    try:
        search = _search(workspace, params, now_us(state))
        _, page = await state.database.run(
            records.records_page, state.database.engine, user.actor, workspace.name,
            search.window.start_us, search.window.end_us, search.record_filter, PAGE_SIZE,
            before or after, before is not None,
        )  # fmt: skip
    except InvalidValue as error:
        field = {"after": "cursor", "before": "cursor"}.get(error.field or "", error.field or "")
        window_error = field in WINDOW_PARAMETERS
        return render(
            request, "calls.html", status_code=422, rows=[], form=form, search=None,
            picker=picker(path, sent.get("window", DEFAULT_WINDOW), None, sent.get("from"),
                          sent.get("to"), keep, error.naming() if window_error else "",
                          field if window_error else ""),
            errors={} if window_error else {field: error.naming()},
            next_url=None, previous_url=None, csv_url=None,
        )  # fmt: skip
    zone = ZoneInfo(workspace.time_zone)
    back = urlencode(search.query)
    # A cursor is bound to the window's instants: pages beyond the first pin the window's
    # days, so "Last 7 days" does not move under the cursor at midnight.
    pinned = {**search.query, "window": "custom", "from": str(search.window.first_day),
              "to": str(search.window.last_day)}  # fmt: skip
    rows = [_call_row(row, zone, workspace.name, back) for row in page.rows]
    return render(
        request, "calls.html", rows=rows, form=form, search=search, errors={},
        picker=picker(path, search.window.choice, search.window, sent.get("from"),
                      sent.get("to"), keep),
        next_url=_link(path, {**pinned, "after": page.cursor}) if page.cursor else None,
        previous_url=_link(path, {**pinned, "before": page.previous}) if page.previous else None,
        csv_url=_link(workspace_url(workspace.name, "calls.csv"), search.query),
    )  # fmt: skip


@router.get("/w/{workspace}/calls.csv")
async def calls_csv(
    request: Request,
    workspace: Workspace = Depends(workspace_page),
    user: ConsoleUser = Depends(current_user),
) -> Response:
    state = service(request)
    try:
        search = _search(workspace, request.query_params, now_us(state))
    except InvalidValue as error:
        return await error_page(request, 422, error.naming())
    _, rows = await state.database.run(
        records.records_stream, state.database.engine, user.actor, workspace.name,
        search.window.start_us, search.window.end_us, search.record_filter,
    )  # fmt: skip
    name = _UNSAFE_IN_FILE_NAME.sub("_", workspace.name)
    window = search.window
    filename = f"calls-{name}-{window.first_day}-{window.last_day}.csv"
    return StreamingResponse(
        csv_text(rows, CSV_UTC),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _offset_seconds(micros: int, zone: ZoneInfo) -> int:
    offset = datetime_from_micros(micros).astimezone(zone).utcoffset()
    return 0 if offset is None else int(offset.total_seconds())


@router.get("/w/{workspace}/calls/{callid:path}")
async def call_page(
    request: Request,
    callid: str,
    workspace: Workspace = Depends(workspace_page),
    user: ConsoleUser = Depends(current_user),
) -> Response:
    state = service(request)
    detail = await state.database.run(
        records.call_detail, state.database.engine, user.actor, workspace.name, callid
    )
    zone = ZoneInfo(workspace.time_zone)
    start_us = detail.row[STORED_COLUMNS.index("start_us")]
    offset = _offset_seconds(start_us, zone)
    wire = render_record(detail.row, offset)
    fields = [(key, getattr(wire, key)) for key in RECORD_KEYS]
    back = _link(workspace_url(workspace.name, "calls"), _sent(request.query_params))
    local_offset = datetime.fromtimestamp(start_us / 1_000_000, zone).strftime("%z")
    return render(
        request, "call.html", detail=detail, trail=detail.trail, fields=fields, back_url=back,
        offset=f"{local_offset[:3]}:{local_offset[3:]}", format_micros=format_micros,
    )  # fmt: skip
