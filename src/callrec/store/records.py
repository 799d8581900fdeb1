"""Call records: idempotent inserts and the page query."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select, tuple_, update
from sqlalchemy.engine import Connection, Row

from callrec.model import CallRecord
from callrec.rating.rater import Pricing
from callrec.rating.status import RERATABLE, UNRATED
from callrec.store.dialect import insert_ignoring_conflicts
from callrec.store.schema import call_records
from callrec.wire.money import plain, to_micros
from callrec.wire.times import now_micros

c = call_records.c
PAGE_COLUMNS = (
    c.callid, c.number, c.number_type, c.caller, c.called, c.ccode, c.country,
    c.call_source, c.call_duration, c.charged_duration, c.start_us, c.end_us, c.pay_micros,
    c.sip_code, c.recording_url, c.hangup_reason, c.app_id, c.charged_period,
    c.customer_rate, c.currency, c.quote_exchange, c.settle_rate_micros, c.settle_pay_micros,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class InsertOutcome:
    inserted: int
    duplicates: int
    inserted_callids: frozenset[str]


def _optional_micros(value: Any) -> int | None:
    return None if value is None else to_micros(value)


def _optional_plain(value: Any) -> str | None:
    return None if value is None else plain(value)


def record_values(workspace_id: int, record: CallRecord, stored_us: int) -> dict[str, Any]:
    return {
        "workspace_id": workspace_id,
        "callid": record.callid,
        "start_us": record.start_us,
        "end_us": record.end_us,
        "number": record.number,
        "number_type": record.number_type,
        "caller": record.caller,
        "called": record.called,
        "ccode": record.ccode,
        "country": record.country,
        "call_source": record.call_source,
        "call_duration": record.call_duration,
        "charged_duration": record.charged_duration,
        "pay_micros": to_micros(record.pay),
        "sip_code": record.sip_code,
        "recording_url": record.recording_url,
        "hangup_reason": record.hangup_reason,
        "app_id": record.app_id,
        "charged_period": record.charged_period,
        "customer_rate": _optional_plain(record.customer_rate),
        "currency": record.currency,
        "quote_exchange": _optional_plain(record.quote_exchange),
        "settle_rate_micros": _optional_micros(record.settle_rate),
        "settle_pay_micros": _optional_micros(record.settle_pay),
        "stored_us": stored_us,
        "rating_status": record.rating_status,
    }


def insert_records(
    conn: Connection, workspace_id: int, records: Sequence[CallRecord]
) -> InsertOutcome:
    """Insert what is new; a callid already stored for the workspace is a duplicate.

    Runs inside the caller's transaction, so callers choose the batch that commits together.
    """
    if not records:
        return InsertOutcome(0, 0, frozenset())
    stored_us = now_micros()
    rows = [record_values(workspace_id, record, stored_us) for record in records]
    statement = insert_ignoring_conflicts(conn, call_records).returning(c.callid)
    inserted = frozenset(conn.execute(statement, rows).scalars().all())
    return InsertOutcome(len(inserted), len(rows) - len(inserted), inserted)


def count_window(conn: Connection, workspace_id: int, start_us: int, end_us: int) -> int:
    return conn.execute(
        select(func.count())
        .select_from(call_records)
        .where(c.workspace_id == workspace_id, c.start_us >= start_us, c.start_us < end_us)
    ).scalar_one()


def page_rows(
    conn: Connection, workspace_id: int, start_us: int, end_us: int, offset: int, limit: int
) -> Sequence[Row[Any]]:
    """One page of the window, ascending by start time then callid (byte order)."""
    return conn.execute(
        select(*PAGE_COLUMNS)
        .where(c.workspace_id == workspace_id, c.start_us >= start_us, c.start_us < end_us)
        .order_by(c.start_us, c.callid)
        .offset(offset)
        .limit(limit)
    ).all()


def count_records(conn: Connection, workspace_id: int) -> int:
    return conn.execute(
        select(func.count()).select_from(call_records).where(c.workspace_id == workspace_id)
    ).scalar_one()


MICROS = 1_000_000


def record_content(record: CallRecord) -> tuple[object, ...]:
    """What must match for a repeated callid to be the same call rather than a conflict."""
    return (record.caller, record.called, record.start_us // MICROS, record.end_us // MICROS,
            record.call_duration, record.sip_code)  # fmt: skip


def stored_content(
    conn: Connection, workspace_id: int, callids: Sequence[str]
) -> dict[str, tuple[object, ...]]:
    found: dict[str, tuple[object, ...]] = {}
    for start in range(0, len(callids), 500):
        rows = conn.execute(
            select(
                c.callid, c.caller, c.called, c.start_us, c.end_us, c.call_duration, c.sip_code
            ).where(c.workspace_id == workspace_id, c.callid.in_(callids[start : start + 500]))
        ).all()
        for r in rows:
            found[r.callid] = (r.caller, r.called, r.start_us // MICROS, r.end_us // MICROS,
                               r.call_duration, r.sip_code)  # fmt: skip
    return found


RERATE_COLUMNS = (
    c.callid, c.start_us, c.number, c.called, c.call_source, c.call_duration, c.rating_status,
    c.pay_micros, c.charged_duration, c.charged_period, c.customer_rate, c.currency,
    c.quote_exchange, c.settle_rate_micros, c.settle_pay_micros,
)  # fmt: skip


def reratable_chunk(
    conn: Connection,
    workspace_id: int,
    start_us: int,
    end_us: int,
    after: tuple[int, str] | None,
    limit: int,
) -> Sequence[Row[Any]]:
    """The next records rated here (not priced elsewhere), in page order after ``after``."""
    query = select(*RERATE_COLUMNS).where(
        c.workspace_id == workspace_id,
        c.start_us >= start_us,
        c.start_us < end_us,
        c.rating_status.in_(RERATABLE),
    )
    if after is not None:
        query = query.where(tuple_(c.start_us, c.callid) > tuple_(*after))
    return conn.execute(query.order_by(c.start_us, c.callid).limit(limit)).all()


def _pricing_values(pricing: Pricing) -> dict[str, Any]:
    return {
        "charged_duration": pricing.charged_duration,
        "pay_micros": to_micros(pricing.pay),
        "charged_period": pricing.charged_period,
        "customer_rate": plain(pricing.customer_rate),
        "currency": pricing.currency,
        "quote_exchange": _optional_plain(pricing.quote_exchange),
        "settle_rate_micros": _optional_micros(pricing.settle_rate),
        "settle_pay_micros": _optional_micros(pricing.settle_pay),
        "rating_status": pricing.status,
    }


def pricing_differs(row: Row[Any], pricing: Pricing) -> bool:
    return any(getattr(row, k) != v for k, v in _pricing_values(pricing).items())


def update_pricing(
    conn: Connection, workspace_id: int, updates: Sequence[tuple[str, Pricing]]
) -> None:
    if not updates:
        return
    statement = (
        update(call_records)
        .where(c.workspace_id == workspace_id, c.callid == bindparam("b_callid"))
        .values({k: bindparam(k) for k in _pricing_values(updates[0][1])})
    )
    conn.execute(statement, [{"b_callid": callid, **_pricing_values(p)} for callid, p in updates])


def unrated_records(conn: Connection, workspace_id: int) -> Sequence[Row[Any]]:
    return conn.execute(
        select(c.number, c.called, c.call_source, c.call_duration, c.ccode, c.country).where(
            c.workspace_id == workspace_id, c.rating_status == UNRATED
        )
    ).all()
