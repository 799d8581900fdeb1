"""Unrouted CDRs: kept until their number joins the inventory, then reprocessed or discarded."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select, true
from sqlalchemy.engine import Connection, Engine, Row

from callrec.model import RawCdr
from callrec.store.dialect import insert_ignoring_conflicts
from callrec.store.schema import unrouted_cdrs
from callrec.wire.times import now_micros

u = unrouted_cdrs.c


@dataclass(frozen=True, slots=True)
class QuarantineFilter:
    """Which quarantined CDRs: every given member must match (none given: every CDR)."""

    caller: str | None = None
    called: str | None = None
    started_before_us: int | None = None

    @property
    def is_empty(self) -> bool:
        return self.caller is None and self.called is None and self.started_before_us is None


@dataclass(frozen=True, slots=True)
class QuarantinedCdr:
    cdr: RawCdr
    reason: str
    received_us: int


def _matching(found: QuarantineFilter | None) -> ColumnElement[bool]:
    if found is None:
        return true()
    conditions: list[ColumnElement[bool]] = []
    if found.caller is not None:
        conditions.append(u.caller == found.caller)
    if found.called is not None:
        conditions.append(u.called == found.called)
    if found.started_before_us is not None:
        conditions.append(u.start_us < found.started_before_us)
    return and_(true(), *conditions)


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
    return [(q.cdr, q.reason, q.received_us) for q in find_unrouted(conn, limit=limit)]


def find_unrouted(
    conn: Connection,
    found: QuarantineFilter | None = None,
    after: tuple[int, str] | None = None,
    limit: int | None = None,
) -> list[QuarantinedCdr]:
    """Oldest call first; ``after`` is the (start_us, callid) the previous page ended at."""
    query: Select[Any] = select(unrouted_cdrs).where(_matching(found))
    if after is not None:
        start_us, callid = after
        query = query.where(or_(u.start_us > start_us, and_(u.start_us == start_us,
                                                            u.callid > callid)))  # fmt: skip
    query = query.order_by(u.start_us, u.callid)
    if limit is not None:
        query = query.limit(limit)
    return [QuarantinedCdr(_raw(r), r.reason, r.received_us) for r in conn.execute(query).all()]


def take_unrouted(
    conn: Connection,
    callids: Sequence[str] | None = None,
    found: QuarantineFilter | None = None,
    limit: int = 500,
) -> list[QuarantinedCdr]:
    """Remove up to ``limit`` quarantined CDRs (these callids, or those matching) and return
    them as they were kept, in the caller's transaction."""
    query = select(unrouted_cdrs).where(_matching(found))
    if callids is not None:
        query = query.where(u.callid.in_(list(callids)))
    rows = conn.execute(query.order_by(u.start_us, u.callid).limit(limit)).all()
    release(conn, [row.callid for row in rows])
    return [QuarantinedCdr(_raw(r), r.reason, r.received_us) for r in rows]


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


def count_unrouted(conn: Connection, found: QuarantineFilter | None = None) -> int:
    return conn.execute(
        select(func.count()).select_from(unrouted_cdrs).where(_matching(found))
    ).scalar_one()
