"""Push target operations: set, show, enable/disable, parked batches and their retry.

A workspace token manages its own workspace's push target. The signing secret is stored
sealed and never read back: not in an answer, not in the audit log (only whether one is set).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection, Engine

from callrec.operations.actor import Actor
from callrec.operations.audit import record
from callrec.push.targets import check_push_target
from callrec.store import accounts, push_batches, push_targets
from callrec.store.accounts import Workspace, iso_instant
from callrec.store.dialect import write_transaction
from callrec.store.errors import NotFound
from callrec.store.push_batches import ParkedBatch, QueueStatus
from callrec.store.push_targets import PushTarget
from callrec.wire.times import now_micros

MAX_RETRY_BATCHES = 1000


@dataclass(frozen=True, slots=True)
class PushStatus:
    target: PushTarget
    queue: QueueStatus


def _when(micros: int | None) -> str | None:
    return None if micros is None else iso_instant(micros)


def target_to_dict(target: PushTarget) -> dict[str, Any]:
    """What the audit log keeps of a target: never the secret, only whether one is set."""
    return {
        "workspace": target.workspace,
        "url": target.url,
        "signed": target.signed,
        "enabled": target.enabled,
    }


def status_to_dict(status: PushStatus) -> dict[str, Any]:
    target, queue = status.target, status.queue
    return {
        **target_to_dict(target),
        "deliveredRecords": target.delivered_records,
        "queuedRecords": queue.queued_records,
        "retryingBatches": queue.retrying_batches,
        "inFlightBatches": queue.in_flight_batches,
        "parkedBatches": queue.parked_batches,
        "parkedRecords": queue.parked_records,
        "lastSuccess": _when(target.last_success_us),
        "lastFailure": _when(target.last_failure_us),
        "lastError": target.last_error,
    }


def parked_to_dict(batch: ParkedBatch) -> dict[str, Any]:
    return {
        "batch": batch.batch_number,
        "deliveryId": batch.delivery_id,
        "records": batch.record_count,
        "attempts": batch.attempts,
        "created": _when(batch.created_us),
        "parked": _when(batch.parked_us),
        "lastError": batch.last_error,
        "callids": batch.callids,
    }


def _seen(conn: Connection, actor: Actor, workspace: str) -> Workspace:
    ws = accounts.workspace_row(conn, workspace)
    actor.check_sees(ws.id, f"no workspace named {workspace!r}")
    return ws


def _check_sees(engine: Engine, actor: Actor, workspace: str) -> None:
    with engine.connect() as conn:
        _seen(conn, actor, workspace)


def get_push_target(engine: Engine, actor: Actor, workspace: str) -> PushTarget:
    with engine.connect() as conn:
        _seen(conn, actor, workspace)
        return push_targets.target_row(conn, workspace)


def push_status(engine: Engine, actor: Actor, workspace: str) -> PushStatus:
    """The target with its queue: records waiting, batches retrying or parked, last error."""
    target = get_push_target(engine, actor, workspace)
    return PushStatus(target, push_batches.queue_status(engine, workspace, now_micros()))


def set_push_target(
    engine: Engine,
    actor: Actor,
    workspace: str,
    url: str,
    secret: str | None = None,
    clear_secret: bool = False,
    allow_private: bool = False,
) -> PushTarget:
    """Create or change the target. A changed URL keeps the secret unless a new one is given
    or ``clear_secret``; private and loopback receivers only with ``allow_private``."""
    _check_sees(engine, actor, workspace)  # resolve no URL for a caller who may not set it
    actor.check_may_change()
    checked_url, checked_secret = check_push_target(url, secret, clear_secret, allow_private)
    with write_transaction(engine) as conn:
        ws = _seen(conn, actor, workspace)
        try:
            before: dict[str, Any] | None = target_to_dict(push_targets.target_row(conn, workspace))
        except NotFound:
            before = None
        after = push_targets.store_push_target(
            conn, workspace, checked_url, checked_secret, clear_secret
        )
        record(conn, actor, "push_target.set", "push_target", workspace, ws.id,
               before, target_to_dict(after))  # fmt: skip
    return after


def set_push_enabled(engine: Engine, actor: Actor, workspace: str, enabled: bool) -> PushTarget:
    """Disabling stops queueing and sending; enabling sends what was queued before."""
    with write_transaction(engine) as conn:
        ws = _seen(conn, actor, workspace)
        actor.check_may_change()
        before = push_targets.target_row(conn, workspace)
        after = push_targets.change_push_enabled(conn, workspace, enabled)
        action = "push_target.enable" if enabled else "push_target.disable"
        record(conn, actor, action, "push_target", workspace, ws.id,
               target_to_dict(before), target_to_dict(after))  # fmt: skip
    return after


def list_parked(
    engine: Engine,
    actor: Actor,
    workspace: str,
    after: int | None = None,
    limit: int | None = None,
) -> list[ParkedBatch]:
    """Batches every try failed for, in batch order (``after``: the previous page's last)."""
    _check_sees(engine, actor, workspace)
    return push_batches.list_parked(engine, workspace, after, limit)


def retry_parked(
    engine: Engine, actor: Actor, workspace: str, batch_numbers: Sequence[int] | None
) -> int:
    """Queue parked batches again (every one of the workspace's when ``batch_numbers`` is
    None), each with a fresh schedule of tries; how many were queued."""
    wanted = None if batch_numbers is None else sorted(set(batch_numbers))
    with write_transaction(engine) as conn:
        ws = _seen(conn, actor, workspace)
        actor.check_may_change()
        count = push_batches.requeue_parked(conn, workspace, wanted, now_micros())
        asked: list[int] | str = "all" if wanted is None else wanted
        after = {"batches": asked, "requeued": count}
        record(conn, actor, "push_target.retry", "push_target", workspace, ws.id, after=after)
    return count
