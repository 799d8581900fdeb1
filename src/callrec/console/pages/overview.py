"""A workspace's overview: the figures, charts and breakdowns of a window of local days.

The figures are callrec.operations.stats.overview's (the rollups, exact, equal to
``callrec summary`` for the same instants); this page only picks the window and shows them.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from callrec.console.figures import FigureRow, breakdowns, chart_data, series_rows
from callrec.console.paths import workspace_url
from callrec.console.render import render
from callrec.console.session import ConsoleUser, current_user, now_us, service, workspace_page
from callrec.console.window_picker import DEFAULT_WINDOW, picker
from callrec.operations import stats
from callrec.store.accounts import Workspace
from callrec.store.errors import InvalidValue

router = APIRouter()


@router.get("/w/{workspace}/overview")
async def overview_page(
    request: Request,
    window: str = DEFAULT_WINDOW,
    first: str | None = Query(None, alias="from"),
    last: str | None = Query(None, alias="to"),
    workspace: Workspace = Depends(workspace_page),
    user: ConsoleUser = Depends(current_user),
) -> Response:
    state = service(request)
    path = workspace_url(workspace.name, "overview")
    try:
        shown = await state.database.run(
            stats.overview, state.database.engine, user.actor, workspace.name, window,
            now_us(state), first, last,
        )  # fmt: skip
    except InvalidValue as error:
        return render(
            request, "overview.html", status_code=422, shown=None,
            picker=picker(path, window, None, first, last, error=error.naming(),
                          error_field=error.field or ""),
        )  # fmt: skip
    currency = workspace.currency
    return render(
        request,
        "overview.html",
        shown=shown,
        picker=picker(path, window, shown.window, first, last),
        totals=FigureRow.of("All calls", shown.stats.totals, currency),
        groups=breakdowns(shown.stats, currency),
        series_rows=series_rows(shown.stats, currency),
        chart={
            **chart_data(shown.stats, currency),
            "series": shown.window.series,
            "timeZone": workspace.time_zone,
            "currency": currency,
        },
    )
