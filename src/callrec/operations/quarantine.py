"""Quarantine operations: list, reprocess and discard unrouted CDRs (an operator's only).

Unrouted CDRs belong to no workspace (neither party is in any inventory), so only an operator
sees them; a workspace token is refused even the list. A discard keeps each CDR whole in the
audit log, with the reason given, so it can be reconstructed and re-imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from callrec.ingest.pipeline import IngestReport, Pipeline
from callrec.operations.actor import Actor
from callrec.operations.audit import record
from callrec.store import quarantine
from callrec.store.accounts import iso_instant
from callrec.store.dialect import write_transaction
from callrec.store.errors import Forbidden, InvalidValue
from callrec.store.quarantine import QuarantinedCdr, QuarantineFilter

MAX_REASON = 500
MAX_DISCARD_CALLIDS = 1000
# CDRs removed per transaction (and audited in it) when discarding by filter.
DISCARD_CHUNK = 500


@dataclass(frozen=True, slots=True)
class QuarantinePage:
    total: int  # every CDR the filter matches, not only this page's
    items: list[QuarantinedCdr]


@dataclass(frozen=True, slots=True)
class ReprocessReport:
    routed: int  # stored now, or found stored already
    stored: int
    duplicates: int
    remaining: int  # still unrouted
    ingest: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DiscardReport:
    discarded: int
    missing: list[str]  # callids asked for that are not in the quarantine


def _when(micros: int | None) -> str | None:
    return None if micros is None else iso_instant(micros)


def quarantined_to_dict(kept: QuarantinedCdr) -> dict[str, Any]:
    """Everything kept of the CDR: enough to rebuild and re-import it."""
    cdr = kept.cdr
    return {
        "callid": cdr.callid,
        "source": cdr.source,
        "caller": cdr.caller,
        "called": cdr.called,
        "startTime": _when(cdr.start_us),
        "answerTime": _when(cdr.answer_us),
        "endTime": _when(cdr.end_us),
        "talkSeconds": cdr.talk_seconds,
        "sipCode": cdr.sip_code,
        "hangupReason": cdr.hangup_reason,
        "recordingUrl": cdr.recording_url,
        "reason": kept.reason,
        "received": _when(kept.received_us),
    }


def _check_operator_reads(actor: Actor) -> None:
    if not actor.is_operator:
        raise Forbidden("only an operator token may see the quarantine")


def list_quarantine(
    engine: Engine,
    actor: Actor,
    found: QuarantineFilter | None = None,
    after: tuple[int, str] | None = None,
    limit: int | None = None,
) -> QuarantinePage:
    """Oldest call first; ``after`` is the (start_us, callid) of the previous page's last."""
    _check_operator_reads(actor)
    with engine.connect() as conn:
        total = quarantine.count_unrouted(conn, found)
        return QuarantinePage(total, quarantine.find_unrouted(conn, found, after, limit))


def reprocess(engine: Engine, actor: Actor, pipeline: Pipeline | None = None) -> ReprocessReport:
    """Route, rate and store the quarantined CDRs whose number is in an inventory now.

    ``pipeline`` lets a server reuse its warm rating cache; each chunk is its own transaction,
    so a long run never holds one lock, and a run cut short is simply run again.
    """
    actor.check_operator("reprocess the quarantine")
    pipeline = pipeline or Pipeline(engine)
    report = IngestReport()
    for chunk in quarantine.iter_unrouted(engine):
        report.add(pipeline.process(chunk, release_routed=True))
    with write_transaction(engine) as conn:
        remaining = quarantine.count_unrouted(conn)
        result = ReprocessReport(
            routed=report.accepted + report.duplicates,
            stored=report.accepted,
            duplicates=report.duplicates,
            remaining=remaining,
            ingest=report.as_json(),
        )
        counts = {"routed": result.routed, "stored": result.stored,
                  "duplicates": result.duplicates, "remaining": remaining}  # fmt: skip
        record(conn, actor, "quarantine.reprocess", "quarantine", "unrouted", None, after=counts)
    return result


def report_to_dict(report: ReprocessReport) -> dict[str, Any]:
    return {"routed": report.routed, **report.ingest, "remaining": report.remaining}


def check_reason(reason: str) -> str:
    cleaned = reason.strip()
    if not cleaned:
        raise InvalidValue("is required: say why the CDRs are discarded", "reason")
    if len(cleaned) > MAX_REASON or not cleaned.isprintable():
        raise InvalidValue(f"must be printable and at most {MAX_REASON} characters", "reason")
    return cleaned


def discard(
    engine: Engine,
    actor: Actor,
    callids: Sequence[str] | None = None,
    found: QuarantineFilter | None = None,
    reason: str = "",
) -> DiscardReport:
    """Remove quarantined CDRs for good: these ``callids``, or every one ``found`` matches.

    Each CDR removed gets an audit entry (``cdr.discard``) holding it whole and the reason,
    in the transaction that removes it; a filter's CDRs go in chunks of ``DISCARD_CHUNK``.
    """
    actor.check_operator("discard quarantined CDRs")
    why = check_reason(reason)
    if (callids is None) == (found is None or found.is_empty):
        raise InvalidValue("give callids or a filter (caller, called, startedBefore)", "callids")
    if callids is not None:
        wanted = sorted(set(callids))
        if not wanted or len(wanted) > MAX_DISCARD_CALLIDS:
            raise InvalidValue(f"must hold 1 to {MAX_DISCARD_CALLIDS} callids", "callids")
        with write_transaction(engine) as conn:
            taken = quarantine.take_unrouted(conn, callids=wanted, limit=len(wanted))
            _audit_discards(conn, actor, taken, why)
        gone = {kept.cdr.callid for kept in taken}
        return DiscardReport(len(taken), [c for c in wanted if c not in gone])
    discarded = 0
    while True:
        with write_transaction(engine) as conn:
            taken = quarantine.take_unrouted(conn, found=found, limit=DISCARD_CHUNK)
            _audit_discards(conn, actor, taken, why)
        discarded += len(taken)
        if len(taken) < DISCARD_CHUNK:
            return DiscardReport(discarded, [])


def _audit_discards(conn: Any, actor: Actor, taken: list[QuarantinedCdr], reason: str) -> None:
    for kept in taken:
        record(conn, actor, "cdr.discard", "cdr", kept.cdr.callid, None,
               quarantined_to_dict(kept), {"discarded": True, "reason": reason})  # fmt: skip
