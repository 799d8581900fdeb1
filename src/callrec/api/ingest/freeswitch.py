"""``POST /ingest/freeswitch``: the URL FreeSWITCH's ``mod_json_cdr`` posts each CDR to.

mod_json_cdr retries until it gets a 2xx, then writes the CDR to its ``err-log-dir``. So:
200 only after the CDR is committed (stored, a duplicate, or quarantined), and also for a
skipped B-leg (nothing to retry); 400 for a body or document that cannot be read (retrying
will not help; the operator imports the err-log-dir file once fixed); 401/403 for
credentials; 413 for a body over 1 MiB; 500 when storing failed (the retry covers it).
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from callrec.api.ingest.answers import (
    IngestHttpError,
    count_items,
    error_response,
    internal_error,
    read_body,
    report_response,
)
from callrec.api.ingest.auth import basic_source
from callrec.api.request_log import facts_of
from callrec.api.state import ServiceState
from callrec.ingest.items import Rejected, Skipped
from callrec.ingest.pipeline import IngestReport, ItemError
from callrec.ingest.sources.freeswitch import SOURCE_HTTP, FreeswitchOptions, parse_document
from callrec.ingest.sources.freeswitch_body import BodyError, cdr_json

log = logging.getLogger("callrec.api")

PATH = "/ingest/freeswitch"
MAX_BODY_BYTES = 1024 * 1024


async def ingest_freeswitch(request: Request) -> Response:
    state: ServiceState = request.app.state.callrec
    try:
        source = await basic_source(state.database, request.headers.get("authorization"))
        facts_of(request).ingest_source = source.name
        body = await read_body(request, MAX_BODY_BYTES)
        try:
            document = cdr_json(request.headers.get("content-type"), body)
        except BodyError as exc:
            raise IngestHttpError(400, str(exc)) from exc
        uuid = request.query_params.get("uuid", "")[:128]
        where = f"cdr {uuid}" if uuid else "cdr"
        options = FreeswitchOptions(
            encode_values=source.encode_values,
            keep_b_legs=not source.skip_b_legs,
            source=SOURCE_HTTP,
        )
        item = parse_document(document, options, where)
        if isinstance(item, Rejected):
            log.warning("FreeSWITCH CDR from %s rejected: %s: %s", source.name, where, item.reason)
            count_items(source.name, IngestReport(rejected=[ItemError(where, item.reason)]))
            raise IngestHttpError(400, item.reason)
        if isinstance(item, Skipped):
            return report_response(request, source.name, IngestReport(skipped=1))
        report = await state.database.run(state.pipeline.process, [item])
        return report_response(request, source.name, report)
    except IngestHttpError as error:
        return error_response(error)
    except Exception:
        return internal_error(request, "FreeSWITCH ingest")
