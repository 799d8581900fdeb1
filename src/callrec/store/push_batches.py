"""Push batches: claiming queued records for delivery, and what became of each delivery.

A worker claims work for one workspace at a time: a batch whose retry is due, else up to
``batch_size`` queued records gathered into a new batch. A claim is a conditional write in
one transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite),
so two workers never hold the same batch. The claim is a lease: when a worker dies holding
it, the batch becomes claimable again once ``lease_until_us`` has passed.

Batches are numbered per workspace (1, 2, ...); like every tenant table, each statement
here names its workspace, except the one scan that finds which workspaces have work.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine

from callrec.store.dialect import chunks_for, is_one_of, skipping_locked_rows, write_transaction
from callrec.store.errors import NotFound
from callrec.store.push_targets import workspace_id_named
from callrec.store.schema import (
    call_record_ids,
    call_records,
    push_batches,
    push_outbox,
    push_targets,
    workspaces,
)
from callrec.store.secret_box import box_from_env, push_target_context
from callrec.wire.records import STORED_COLUMNS

PENDING = "pending"
PARKED = "parked"
# Error texts are kept short: a receiver's error page is not worth storing whole.
MAX_ERROR_LENGTH = 500
# Retried batches looked at per claim: more than one in case another worker takes the first.
RETRY_CANDIDATES = 3

b = push_batches.c
o = push_outbox.c
t = push_targets.c
ids = call_record_ids.c
r = call_records.c
_ROW_COLUMNS = tuple(r[name] for name in STORED_COLUMNS)


@dataclass(frozen=True, slots=True)
class ClaimedBatch:
    """A batch this worker holds until its lease runs out, with all it needs to send it."""

    workspace_id: int
    batch_number: int
    workspace: str
    time_zone: str
    url: str
    secret: str | None
    delivery_id: str
    attempt: int  # 1 for the first try
    lease_token: str
    rows: list[tuple[Any, ...]]  # stored records in STORED_COLUMNS order, queue order


@dataclass(frozen=True, slots=True)
class ParkedBatch:
    batch_number: int
    delivery_id: str
    record_count: int
    attempts: int
    last_error: str | None
    created_us: int
    parked_us: int | None
    callids: list[str]


@dataclass(frozen=True, slots=True)
class QueueStatus:
    queued_records: int  # stored, not yet gathered into a batch
    retrying_batches: int  # sent without success, to be tried again
    in_flight_batches: int  # claimed by a worker right now
    parked_batches: int
    parked_records: int


@dataclass(frozen=True, slots=True)
class _Target:
    workspace: str
    time_zone: str
    url: str
    secret: str | None


@dataclass(frozen=True, slots=True)
class _Claim:
    batch_number: int
    delivery_id: str
    attempt: int


def _enabled_target(conn: Connection, workspace_id: int) -> _Target | None:
    row = conn.execute(
        select(t.url, t.secret, workspaces.c.name, workspaces.c.time_zone)
        .join(workspaces, workspaces.c.id == t.workspace_id)
        .where(t.workspace_id == workspace_id, t.enabled.is_(True))
    ).one_or_none()
    if row is None:
        return None
    secret = (
        box_from_env().reveal(row.secret, push_target_context(workspace_id)) if row.secret else None
    )
    return _Target(row.name, row.time_zone, row.url, secret)


def _unclaimed(now_us: int) -> ColumnElement[bool]:
    return or_(b.lease_until_us.is_(None), b.lease_until_us < now_us)


def _claim_due_retry(
    conn: Connection, workspace_id: int, now_us: int, lease_until_us: int, token: str
) -> _Claim | None:
    """A pending batch whose next try is due and that no live worker holds."""
    due = and_(
        b.workspace_id == workspace_id,
        b.state == PENDING,
        b.next_attempt_us <= now_us,
        _unclaimed(now_us),
    )
    candidates = conn.execute(
        skipping_locked_rows(
            conn,
            select(b.batch_number, b.delivery_id, b.attempts)
            .where(due)
            .order_by(b.next_attempt_us, b.batch_number)
            .limit(RETRY_CANDIDATES),
        )
    ).all()
    for candidate in candidates:
        # Conditional: if another worker claimed it since the select, this matches nothing.
        claimed = conn.execute(
            update(push_batches)
            .where(due, b.batch_number == candidate.batch_number)
            .values(lease_until_us=lease_until_us, lease_token=token, attempts=b.attempts + 1)
        )
        if claimed.rowcount == 1:
            return _Claim(candidate.batch_number, candidate.delivery_id, candidate.attempts + 1)
    return None


def _next_batch_number(conn: Connection, workspace_id: int) -> int:
    return int(
        conn.execute(
            update(push_targets)
            .where(t.workspace_id == workspace_id)
            .values(batch_sequence=t.batch_sequence + 1)
            .returning(t.batch_sequence)
        ).scalar_one()
    )


def _gather_new_batch(
    conn: Connection,
    workspace_id: int,
    now_us: int,
    lease_until_us: int,
    token: str,
    batch_size: int,
) -> _Claim | None:
    """Up to ``batch_size`` queued records, oldest first, made into a batch this worker holds."""
    queued = list(
        conn.execute(
            skipping_locked_rows(
                conn,
                select(o.callid)
                .where(o.workspace_id == workspace_id, o.batch_number.is_(None))
                .order_by(o.enqueued_us, o.callid)
                .limit(batch_size),
            )
        ).scalars()
    )
    if not queued:
        return None
    number = _next_batch_number(conn, workspace_id)
    taken = 0
    for chunk in chunks_for(conn, queued):
        taken += conn.execute(
            update(push_outbox)
            .where(
                o.workspace_id == workspace_id,
                is_one_of(conn, o.callid, chunk),
                o.batch_number.is_(None),
            )
            .values(batch_number=number)
        ).rowcount
    delivery_id = str(uuid.uuid4())
    conn.execute(
        insert(push_batches).values(
            workspace_id=workspace_id,
            batch_number=number,
            delivery_id=delivery_id,
            state=PENDING,
            record_count=taken,
            attempts=1,
            next_attempt_us=now_us,
            lease_until_us=lease_until_us,
            lease_token=token,
            created_us=now_us,
        )
    )
    return _Claim(number, delivery_id, 1)


def _batch_callids(conn: Connection, workspace_id: int, batch_number: int) -> list[str]:
    return list(
        conn.execute(
            select(o.callid)
            .where(o.workspace_id == workspace_id, o.batch_number == batch_number)
            .order_by(o.enqueued_us, o.callid)
        ).scalars()
    )


def _stored_rows(conn: Connection, workspace_id: int, callids: list[str]) -> list[tuple[Any, ...]]:
    """The records as stored now (a rerate since queueing shows), in the given order."""
    found: dict[str, tuple[Any, ...]] = {}
    same_record = and_(
        r.workspace_id == ids.workspace_id, r.start_us == ids.start_us, r.callid == ids.callid
    )
    for chunk in chunks_for(conn, callids):
        rows = conn.execute(
            select(*_ROW_COLUMNS)
            .select_from(call_record_ids.join(call_records, same_record))
            .where(ids.workspace_id == workspace_id, is_one_of(conn, ids.callid, chunk))
        ).all()
        for row in rows:
            found[row[0]] = tuple(row)
    return [found[callid] for callid in callids if callid in found]


def _forget_batch(conn: Connection, workspace_id: int, batch_number: int) -> int:
    deleted = conn.execute(
        delete(push_batches).where(b.workspace_id == workspace_id, b.batch_number == batch_number)
    ).rowcount
    conn.execute(
        delete(push_outbox).where(o.workspace_id == workspace_id, o.batch_number == batch_number)
    )
    return deleted


def claim_batch(
    engine: Engine, workspace_id: int, now_us: int, lease_us: int, batch_size: int
) -> ClaimedBatch | None:
    """The next batch to send for this workspace, held by the caller; None when none is due
    or the workspace's target is disabled or gone."""
    token = secrets.token_hex(16)
    lease_until_us = now_us + lease_us
    with write_transaction(engine) as conn:
        target = _enabled_target(conn, workspace_id)
        if target is None:
            return None
        while True:
            claim = _claim_due_retry(
                conn, workspace_id, now_us, lease_until_us, token
            ) or _gather_new_batch(conn, workspace_id, now_us, lease_until_us, token, batch_size)
            if claim is None:
                return None
            callids = _batch_callids(conn, workspace_id, claim.batch_number)
            rows = _stored_rows(conn, workspace_id, callids)
            if rows:
                return ClaimedBatch(
                    workspace_id=workspace_id,
                    batch_number=claim.batch_number,
                    workspace=target.workspace,
                    time_zone=target.time_zone,
                    url=target.url,
                    secret=target.secret,
                    delivery_id=claim.delivery_id,
                    attempt=claim.attempt,
                    lease_token=token,
                    rows=rows,
                )
            # Every record of it was purged since it was queued: nothing left to send.
            _forget_batch(conn, workspace_id, claim.batch_number)


def _this_batch(batch: ClaimedBatch) -> ColumnElement[bool]:
    return and_(b.workspace_id == batch.workspace_id, b.batch_number == batch.batch_number)


def mark_delivered(engine: Engine, batch: ClaimedBatch, now_us: int) -> None:
    """The receiver accepted the batch: it leaves the queue.

    Not conditional on still holding the lease: a batch delivered is delivered, even when a
    slow worker's lease ran out and another worker took it up meanwhile.
    """
    with write_transaction(engine) as conn:
        if _forget_batch(conn, batch.workspace_id, batch.batch_number):
            conn.execute(
                update(push_targets)
                .where(t.workspace_id == batch.workspace_id)
                .values(
                    delivered_records=t.delivered_records + len(batch.rows),
                    last_success_us=now_us,
                )
            )


def mark_failed(
    engine: Engine, batch: ClaimedBatch, error: str, now_us: int, retry_at_us: int | None
) -> bool:
    """Schedule the next try at ``retry_at_us``, or park the batch when it is None.

    Only while this worker still holds the batch; False when its lease was lost.
    """
    error = error[:MAX_ERROR_LENGTH]
    values: dict[str, object] = {"lease_until_us": None, "lease_token": None, "last_error": error}
    if retry_at_us is None:
        values.update(state=PARKED, parked_us=now_us)
    else:
        values.update(next_attempt_us=retry_at_us)
    with write_transaction(engine) as conn:
        held = conn.execute(
            update(push_batches)
            .where(_this_batch(batch), b.lease_token == batch.lease_token)
            .values(values)
        ).rowcount
        conn.execute(
            update(push_targets)
            .where(t.workspace_id == batch.workspace_id)
            .values(last_failure_us=now_us, last_error=error)
        )
    return held == 1


def release(engine: Engine, batch: ClaimedBatch) -> None:
    """Give a claimed batch back unsent (a worker stopping): claimable again at once."""
    with write_transaction(engine) as conn:
        conn.execute(
            update(push_batches)
            .where(_this_batch(batch), b.lease_token == batch.lease_token)
            .values(lease_until_us=None, lease_token=None)
        )


def workspaces_with_due_work(engine: Engine, now_us: int) -> list[int]:
    """Workspaces with an enabled target and something to send now.

    The one statement that spans workspaces (once per poll): two index probes per enabled
    target, however long its queue or its list of batches waiting for a later try.
    """
    queued = (
        select(o.callid).where(o.workspace_id == t.workspace_id, o.batch_number.is_(None)).exists()
    )
    due = (
        select(b.batch_number)
        .where(
            b.workspace_id == t.workspace_id,
            b.state == PENDING,
            b.next_attempt_us <= now_us,
            _unclaimed(now_us),
        )
        .exists()
    )
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(t.workspace_id)
                .where(t.enabled.is_(True), or_(queued, due))
                .order_by(t.workspace_id)
            ).scalars()
        )


def list_parked(
    engine: Engine, workspace: str, after: int | None = None, limit: int | None = None
) -> list[ParkedBatch]:
    """In batch order; ``after`` is the batch number the previous page ended at."""
    with engine.connect() as conn:
        workspace_id = workspace_id_named(conn, workspace)
        query = select(push_batches).where(b.workspace_id == workspace_id, b.state == PARKED)
        if after is not None:
            query = query.where(b.batch_number > after)
        query = query.order_by(b.batch_number)
        if limit is not None:
            query = query.limit(limit)
        rows = conn.execute(query).all()
        return [
            ParkedBatch(
                batch_number=row.batch_number,
                delivery_id=row.delivery_id,
                record_count=row.record_count,
                attempts=row.attempts,
                last_error=row.last_error,
                created_us=row.created_us,
                parked_us=row.parked_us,
                callids=_batch_callids(conn, workspace_id, row.batch_number),
            )
            for row in rows
        ]


def retry_parked(
    engine: Engine, workspace: str, batch_numbers: Sequence[int] | None, now_us: int
) -> int:
    """Send parked batches again (all of the workspace's when ``batch_numbers`` is None),
    each with a fresh schedule of tries. Numbers not parked change nothing and raise."""
    with write_transaction(engine) as conn:
        return requeue_parked(conn, workspace, batch_numbers, now_us)


def requeue_parked(
    conn: Connection, workspace: str, batch_numbers: Sequence[int] | None, now_us: int
) -> int:
    """``retry_parked`` in the caller's transaction."""
    workspace_id = workspace_id_named(conn, workspace)
    parked = and_(b.workspace_id == workspace_id, b.state == PARKED)
    if batch_numbers is not None:
        wanted = sorted(set(batch_numbers))
        found = set(
            conn.execute(select(b.batch_number).where(parked, b.batch_number.in_(wanted))).scalars()
        )
        missing = [str(number) for number in wanted if number not in found]
        if missing:
            raise NotFound(f"no parked batch {', '.join(missing)} in workspace {workspace!r}")
        parked = and_(parked, b.batch_number.in_(wanted))
    return conn.execute(
        update(push_batches)
        .where(parked)
        .values(state=PENDING, attempts=0, next_attempt_us=now_us, parked_us=None)
    ).rowcount


def queue_status(engine: Engine, workspace: str, now_us: int) -> QueueStatus:
    with engine.connect() as conn:
        workspace_id = workspace_id_named(conn, workspace)
        queued = conn.execute(
            select(func.count())
            .select_from(push_outbox)
            .where(o.workspace_id == workspace_id, o.batch_number.is_(None))
        ).scalar_one()
        batches = conn.execute(
            select(b.state, b.lease_until_us, b.record_count).where(b.workspace_id == workspace_id)
        ).all()
    pending = [row for row in batches if row.state == PENDING]
    in_flight = [row for row in pending if row.lease_until_us and row.lease_until_us >= now_us]
    parked = [row for row in batches if row.state == PARKED]
    return QueueStatus(
        queued_records=int(queued),
        retrying_batches=len(pending) - len(in_flight),
        in_flight_batches=len(in_flight),
        parked_batches=len(parked),
        parked_records=sum(row.record_count for row in parked),
    )


@dataclass(frozen=True, slots=True)
class QueueTotals:
    """The push queue across every workspace, for metrics."""

    queued_records: int  # stored, not yet gathered into a batch
    pending_batches: int  # waiting for a first or further try, or being sent
    parked_batches: int
    parked_records: int


def queue_totals(engine: Engine) -> QueueTotals:
    """Counted across workspaces on purpose: an operator's view, never a tenant's."""
    with engine.connect() as conn:
        queued = conn.execute(
            select(func.count()).select_from(push_outbox).where(o.batch_number.is_(None))
        ).scalar_one()
        by_state = {
            row.state: (int(row.batches), int(row.records or 0))
            for row in conn.execute(
                select(
                    b.state,
                    func.count().label("batches"),
                    func.sum(b.record_count).label("records"),
                ).group_by(b.state)
            )
        }
    parked = by_state.get(PARKED, (0, 0))
    return QueueTotals(
        queued_records=int(queued),
        pending_batches=by_state.get(PENDING, (0, 0))[0],
        parked_batches=parked[0],
        parked_records=parked[1],
    )
