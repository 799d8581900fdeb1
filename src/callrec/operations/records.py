"""Reading a workspace's call records, for one actor: the search (a page by cursor, or the
whole filtered window as a stream) and one call with its rating trail.

The admin API and the console both parse their filters here (``parse_filter``: the admin
API's query parameter names, which the console's form uses too) and read through
``callrec.store.record_search``, so a filter means the same thing on every face.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine

from callrec.operations.actor import Actor
from callrec.operations.workspaces import get_workspace
from callrec.rating.deck import INCOMING, OUTGOING, RateRow
from callrec.rating.fx import SETTLE_CURRENCY
from callrec.rating.rater import rated_digits
from callrec.store.accounts import Workspace
from callrec.store.errors import NotFound
from callrec.store.rating_data import load_deck
from callrec.store.record_search import (
    InvalidSearch,
    RecordFilter,
    SearchPage,
    Window,
    find_record,
    iter_window,
    search_page,
)
from callrec.wire.money import parse_decimal
from callrec.wire.records import STORED_COLUMNS
from callrec.wire.times import TimeFormatError, parse_date_or_instant

FILTER_PARAMETERS = ("number", "callSource", "answered", "minDuration", "country")
SEARCH_PARAMETERS = frozenset({"strTime", "endTime", "limit", "cursor", *FILTER_PARAMETERS})


def _instant(params: Mapping[str, str], name: str) -> int:
    if name not in params:
        raise InvalidSearch(name, "is required (an ISO 8601 instant, or a date)")
    try:
        return parse_date_or_instant(params[name])
    except TimeFormatError as exc:
        raise InvalidSearch(name, str(exc)) from exc


def whole_parameter(params: Mapping[str, str], name: str) -> int | None:
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


def parse_filter(params: Mapping[str, str]) -> RecordFilter:
    """The filters among ``params`` (absent ones do not narrow); a bad one raises
    ``InvalidSearch`` naming it."""
    return RecordFilter(
        number=params.get("number"),
        call_source=whole_parameter(params, "callSource"),
        answered=_answered(params),
        min_duration=whole_parameter(params, "minDuration"),
        country=params.get("country"),
    )


def parse_search(workspace_id: int, params: Mapping[str, str]) -> tuple[Window, RecordFilter]:
    """The admin API's search: ``strTime`` and ``endTime`` (instants or UTC dates) and the
    filters; any other parameter is refused by name."""
    unknown = sorted(set(params) - SEARCH_PARAMETERS)
    if unknown:
        raise InvalidSearch(unknown[0], "is not a records search parameter")
    window = Window(workspace_id, _instant(params, "strTime"), _instant(params, "endTime"))
    return window, parse_filter(params)


def records_page(
    engine: Engine,
    actor: Actor,
    workspace: str,
    start_us: int,
    end_us: int,
    record_filter: RecordFilter,
    limit: int = 100,
    cursor: str | None = None,
    before: bool = False,
) -> tuple[Workspace, SearchPage]:
    """One page of a visible workspace's records in [start_us, end_us), after ``cursor``
    (or, with ``before``, the page just before it)."""
    ws = get_workspace(engine, actor, workspace)
    window = Window(ws.id, start_us, end_us)
    return ws, search_page(engine, window, record_filter, limit, cursor, before)


def records_stream(
    engine: Engine,
    actor: Actor,
    workspace: str,
    start_us: int,
    end_us: int,
    record_filter: RecordFilter,
) -> tuple[Workspace, Iterator[tuple[Any, ...]]]:
    """Every record of the filtered window in page order, read lazily in keyset chunks.

    The scope check and the window's check happen now; the rows are read as they are taken.
    """
    ws = get_workspace(engine, actor, workspace)
    window = Window(ws.id, start_us, end_us)
    return ws, iter_window(engine, window, record_filter)


@dataclass(frozen=True, slots=True)
class RatingTrail:
    """How a call's price came about, from what rating stored with it.

    ``deck_row`` is the workspace's deck row that prices this call today, shown only when
    it carries exactly the rate and increment stored on the record (the deck may have
    changed since the call was rated; then ``deck_row`` is None and ``deck_note`` says so).
    """

    status: str  # callrec.rating.status: external, rated, unrated, no_fx
    direction: str  # in | out
    rated_digits: str
    customer_rate: Decimal | None
    charged_period: str | None
    talk_seconds: int
    charged_seconds: int
    pay_micros: int
    quote_currency: str
    quote_exchange: Decimal | None
    settle_rate_micros: int | None
    settle_pay_micros: int | None
    deck_row: RateRow | None
    deck_note: str


@dataclass(frozen=True, slots=True)
class CallDetail:
    workspace: Workspace
    row: tuple[Any, ...]  # STORED_COLUMNS order, as the wire renders it
    trail: RatingTrail


def _deck_row(
    engine: Engine, workspace_id: int, digits: str, direction: str, start_us: int, row: Any
) -> tuple[RateRow | None, str]:
    if row["rating_status"] == "external":
        return None, "priced before import; no deck row was used"
    if row["rating_status"] == "unrated":
        return None, "no deck row matched when the call was rated"
    with engine.connect() as conn:
        found = load_deck(conn, workspace_id).lookup(digits, direction, start_us)
    stored_rate = row["customer_rate"]
    if (
        found is not None
        and stored_rate is not None
        and found.rate == parse_decimal(stored_rate)
        and str(found.period) == row["charged_period"]
    ):
        return found, "the deck row in force at the call's start, longest prefix"
    return None, "the deck has changed since the call was rated; no row matches exactly"


def call_detail(engine: Engine, actor: Actor, workspace: str, callid: str) -> CallDetail:
    """One call of a visible workspace with its rating trail; ``NotFound`` otherwise."""
    ws = get_workspace(engine, actor, workspace)
    with engine.connect() as conn:
        found = find_record(conn, ws.id, callid)
    if found is None:
        raise NotFound(f"no call {callid[:128]!r} in workspace {ws.name!r}")
    stored, status = found
    row = dict(zip(STORED_COLUMNS, stored, strict=True))
    row["rating_status"] = status
    direction = OUTGOING if row["call_source"] == 3 else INCOMING
    digits = rated_digits(direction, row["number"], row["called"])
    deck_row, note = _deck_row(engine, ws.id, digits, direction, row["start_us"], row)
    rate = row["customer_rate"]
    exchange = row["quote_exchange"]
    trail = RatingTrail(
        status=status,
        direction=direction,
        rated_digits=digits,
        customer_rate=None if rate is None else parse_decimal(rate),
        charged_period=row["charged_period"],
        talk_seconds=row["call_duration"],
        charged_seconds=row["charged_duration"],
        pay_micros=row["pay_micros"],
        quote_currency=row["currency"] or SETTLE_CURRENCY,
        quote_exchange=None if exchange is None else parse_decimal(exchange),
        settle_rate_micros=row["settle_rate_micros"],
        settle_pay_micros=row["settle_pay_micros"],
        deck_row=deck_row,
        deck_note=note,
    )
    return CallDetail(ws, stored, trail)
