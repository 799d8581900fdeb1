"""``POST /v3/number/record/queryPage``: every outcome is HTTP 200 with a contract envelope."""

from __future__ import annotations

from callrec.api.state import ServiceState
from callrec.api.vendor.page_cache import PageKey
from callrec.api.vendor.page_reader import PageRequest
from callrec.api.vendor.signed_call import JSON_MEDIA_TYPE, MAX_BODY_BYTES, endpoint
from callrec.store.accounts import KeyCredentials
from callrec.wire.query import check_window, parse_page_query
from callrec.wire.records import encode_page, render_record
from callrec.wire.times import now_micros

__all__ = ["JSON_MEDIA_TYPE", "MAX_BODY_BYTES", "answer_page", "query_page"]


async def answer_page(state: ServiceState, credentials: KeyCredentials, body: bytes) -> bytes:
    """The page for an authenticated body: from the cache, or read and kept."""
    settings = state.settings
    parsed = parse_page_query(body)
    check_window(parsed, settings.max_window_days, settings.lookback_days, now_micros())
    wanted = PageRequest(
        credentials.workspace_id,
        parsed.start.micros,
        parsed.end.micros,
        parsed.current,
        parsed.size,
    )
    key = PageKey(
        wanted.workspace_id,
        credentials.records_revision,
        wanted.start_us,
        wanted.end_us,
        parsed.start.offset_seconds,
        wanted.current,
        wanted.size,
    )
    cached = state.pages.get(key)
    if cached is not None:
        return cached
    read = await state.reader.page(wanted, credentials.records_revision)
    page = [render_record(row, parsed.start.offset_seconds) for row in read.rows]
    answer = encode_page(read.total, parsed.size, parsed.current, page)
    # Kept under the revision the page was read at, which may be newer than the key's.
    state.pages.put(key._replace(records_revision=read.revision), answer)
    return answer


query_page = endpoint("queryPage", answer_page)
