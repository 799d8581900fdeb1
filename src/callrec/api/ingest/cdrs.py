"""``POST /ingest/cdrs``: a batch of raw CDRs as a JSON array or JSON Lines, Bearer token.

200 with the report (accepted, duplicates, conflicts, quarantined, skipped, and rejected
items with reasons) once every good item is committed; bad items do not stop good ones.
400 when the body as a whole cannot be read, 413 over 10 MiB. ``?tz=Area/City`` reads times
written without an offset in that zone (otherwise they are rejected).
"""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.responses import Response

from callrec.api.ingest.answers import (
    IngestHttpError,
    error_response,
    internal_error,
    read_body,
    report_response,
)
from callrec.api.ingest.auth import bearer_source
from callrec.api.state import ServiceState
from callrec.api.time_zones import known_zones
from callrec.ingest.runner import run_ingest
from callrec.ingest.sources.tabular import BatchError, read_json_batch

PATH = "/ingest/cdrs"
MAX_BODY_BYTES = 10 * 1024 * 1024


def _time_zone(name: str | None) -> ZoneInfo | None:
    """The IANA zone named by ``?tz=`` (the names /openapi.json lists); absent is none.

    Present but empty, or a file ZoneInfo would open that is not a zone name (``localtime``),
    is an error rather than a silent "no zone".
    """
    if name is None:
        return None
    if name not in known_zones():
        raise IngestHttpError(400, f"tz: unknown time zone {name[:64]!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise IngestHttpError(400, f"tz: unknown time zone {name[:64]!r}") from exc


async def ingest_cdrs(request: Request) -> Response:
    state: ServiceState = request.app.state.callrec
    try:
        await bearer_source(state.database, request.headers.get("authorization"))
        tz = _time_zone(request.query_params.get("tz"))
        body = await read_body(request, MAX_BODY_BYTES)
        try:
            items = await asyncio.to_thread(read_json_batch, body, tz)
        except BatchError as exc:
            raise IngestHttpError(400, str(exc)) from exc
        report = await state.database.run(run_ingest, state.pipeline, items)
        report.name_time_zone_parameter("?tz=Area/City")
        return report_response(report)
    except IngestHttpError as error:
        return error_response(error)
    except Exception:
        return internal_error("CDR batch ingest")
