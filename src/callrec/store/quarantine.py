"""Unrouted CDRs: kept until their number joins the inventory, then reprocessed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection, Engine, Row

from callrec.model import RawCdr
from callrec.store.dialect import insert_ignoring_conflicts
from callrec.store.schema import unrouted_cdrs
from callrec.wire.times import now_micros

u = unrouted_cdrs.c


def quarantine(conn: Connection, cdrs: Sequence[tuple[RawCdr, str]]) -> None:
    """Keep each CDR with the reason it could not be routed; a callid already kept is ignored."""
    if not cdrs:
        return
    received = now_micros()
    conn.execute(
        insert_ignoring_conflicts(conn, unrouted_cdrs),
        [
            {
                "callid": cdr.callid,
                "source": cdr.source,
                "caller": cdr.caller,
                "called": cdr.called,
                "start_us": cdr.start_us,
                "answer_us": cdr.answer_us,
                "end_us": cdr.end_us,
                "talk_seconds": cdr.talk_seconds,
                "sip_code": cdr.sip_code,
                "hangup_reason": cdr.hangup_reason,
                "recording_url": cdr.recording_url,
                "reason": reason[:200],
                "received_us": received,
            }
            for cdr, reason in cdrs
        ],
    )


def _raw(row: Row[object]) -> RawCdr:
    return RawCdr(
        callid=row.callid,
        caller=row.caller,
        called=row.called,
        start_us=row.start_us,
        answer_us=row.answer_us,
        end_us=row.end_us,
        talk_seconds=row.talk_seconds,
        sip_code=row.sip_code,
        hangup_reason=row.hangup_reason,
        recording_url=row.recording_url,
        source=row.source,
    )


def unrouted_summary(conn: Connection) -> list[tuple[str, str, int]]:
    """(caller, called, count) for the quarantined calls, most frequent first."""
    rows = conn.execute(
        select(u.caller, u.called, func.count().label("n"))
        .group_by(u.caller, u.called)
        .order_by(func.count().desc(), u.caller, u.called)
    ).all()
    return [(r.caller, r.called, r.n) for r in rows]


def list_unrouted(conn: Connection, limit: int | None = None) -> list[tuple[RawCdr, str, int]]:
    query = select(unrouted_cdrs).order_by(u.start_us, u.callid)
    if limit is not None:
        query = query.limit(limit)
    return [(_raw(r), r.reason, r.received_us) for r in conn.execute(query).all()]


def iter_unrouted(engine: Engine, chunk: int = 2000) -> Iterator[list[RawCdr]]:
    """Chunks in callid order, read afresh each time so deletions between chunks are fine."""
    after = ""
    while True:
        with engine.connect() as conn:
            rows = conn.execute(
                select(unrouted_cdrs).where(u.callid > after).order_by(u.callid).limit(chunk)
            ).all()
        if not rows:
            return
        yield [_raw(r) for r in rows]
        after = rows[-1].callid


def release(conn: Connection, callids: Sequence[str]) -> None:
    for start in range(0, len(callids), 500):
        conn.execute(delete(unrouted_cdrs).where(u.callid.in_(callids[start : start + 500])))


def count_unrouted(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(unrouted_cdrs)).scalar_one()
