"""Raw CDRs in, priced records out: route, enrich, rate and store, one batch per transaction.

Nothing is lost and nothing counted twice: a CDR no workspace owns goes to the quarantine;
a callid already stored for a workspace is a duplicate (kept as first stored), and counted
as a conflict when its content differs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection, Engine

from callrec.ingest.enrich import country_of, number_type_of
from callrec.ingest.field_error import FieldError
from callrec.ingest.routing import Route, party_digits, routes_for
from callrec.ingest.storable import check_raw_cdr, check_record
from callrec.model import CallRecord, RawCdr
from callrec.rating.deck import RateDeck
from callrec.rating.fx import FxTable
from callrec.rating.rater import price_call, rated_digits
from callrec.store import quarantine
from callrec.store.accounts import owners_of
from callrec.store.dialect import write_transaction
from callrec.store.rating_data import fx_revision, load_deck, load_fx, rating_revisions
from callrec.store.records import insert_records, record_content, stored_content

MICROS = 1_000_000
UNROUTED_REASON = "no workspace owns the caller or the called number"


@dataclass(frozen=True, slots=True)
class ItemError:
    item: str  # "line 12", "item 3", "cdr <uuid>"
    reason: str


@dataclass(slots=True)
class IngestReport:
    accepted: int = 0
    duplicates: int = 0
    conflicts: int = 0
    quarantined: int = 0
    skipped: int = 0
    rejected: list[ItemError] = field(default_factory=list)
    routed_callids: list[str] = field(default_factory=list)

    def add(self, other: IngestReport) -> None:
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.conflicts += other.conflicts
        self.quarantined += other.quarantined
        self.skipped += other.skipped
        self.rejected.extend(other.rejected)
        self.routed_callids.extend(other.routed_callids)

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> IngestReport:
        """The report ``as_json`` wrote (a checkpoint's report of an earlier run)."""
        return cls(
            accepted=int(value["accepted"]),
            duplicates=int(value["duplicates"]),
            conflicts=int(value["conflicts"]),
            quarantined=int(value["quarantined"]),
            skipped=int(value["skipped"]),
            rejected=[ItemError(str(e["item"]), str(e["reason"])) for e in value["rejected"]],
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "conflicts": self.conflicts,
            "quarantined": self.quarantined,
            "skipped": self.skipped,
            "rejected": [{"item": e.item, "reason": e.reason} for e in self.rejected],
        }


class RatingCache:
    """Decks and exchange rates, reloaded only when their revision changes."""

    def __init__(self) -> None:
        self._decks: dict[int, tuple[int, RateDeck]] = {}
        self._fx: tuple[tuple[int, int], FxTable] | None = None

    def decks(self, conn: Connection, workspace_ids: Iterable[int]) -> dict[int, RateDeck]:
        revisions = rating_revisions(conn, list(workspace_ids))
        result = {}
        for workspace_id, revision in revisions.items():
            cached = self._decks.get(workspace_id)
            if cached is None or cached[0] != revision:
                cached = (revision, load_deck(conn, workspace_id))
                self._decks[workspace_id] = cached
            result[workspace_id] = cached[1]
        return result

    def fx(self, conn: Connection) -> FxTable:
        revision = fx_revision(conn)
        if self._fx is None or self._fx[0] != revision:
            self._fx = (revision, load_fx(conn))
        return self._fx[1]


def price(
    cdr: RawCdr, caller: str, called: str, route: Route, deck: RateDeck, fx: FxTable
) -> CallRecord:
    owner = route.owner
    talk = cdr.talk_time()
    pricing = price_call(
        talk,
        route.direction,
        rated_digits(route.direction, owner.number, called),
        cdr.start_us,
        deck,
        owner.currency,
        fx,
    )
    country = country_of(called)
    return CallRecord(
        callid=cdr.callid,
        number=owner.number,
        number_type=owner.type or number_type_of(owner.number),
        caller=caller,
        called=called,
        ccode=country.ccode,
        country=country.name,
        call_source=route.call_source,
        call_duration=talk,
        charged_duration=pricing.charged_duration,
        start_us=cdr.start_us,
        end_us=cdr.end_us,
        pay=pricing.pay,
        sip_code=cdr.sip_code,
        recording_url=cdr.recording_url,
        hangup_reason=cdr.hangup_reason,
        app_id=owner.app_id,
        charged_period=pricing.charged_period,
        customer_rate=pricing.customer_rate,
        currency=pricing.currency,
        quote_exchange=pricing.quote_exchange,
        settle_rate=pricing.settle_rate,
        settle_pay=pricing.settle_pay,
        rating_status=pricing.status,
    )


def _count_conflicts(conn: Connection, workspace_id: int, duplicates: Sequence[CallRecord]) -> int:
    stored = stored_content(conn, workspace_id, [r.callid for r in duplicates])
    return sum(1 for r in duplicates if stored.get(r.callid) not in (None, record_content(r)))


def _where(cdr: RawCdr) -> str:
    """An item as the pipeline knows it: by callid (sources locate theirs by line or file)."""
    return f"callid {cdr.callid[:128]!r}"


def _storable(cdrs: Sequence[RawCdr], report: IngestReport) -> list[RawCdr]:
    """The batch without CDRs no backend could store; each of those is rejected by name.

    Sources already check their fields as they read them (``storable``); this keeps a CDR
    from any source from failing its whole batch in the database.
    """
    kept = []
    for cdr in cdrs:
        try:
            check_raw_cdr(cdr)
        except FieldError as exc:
            report.rejected.append(ItemError(_where(cdr), str(exc)))
            continue
        kept.append(cdr)
    return kept


def _priced_routes(
    cdr: RawCdr,
    caller: str,
    called: str,
    routes: list[Route],
    decks: dict[int, RateDeck],
    fx: FxTable,
) -> list[tuple[int, CallRecord]]:
    """The CDR's record for each workspace it routes to; FieldError when one is unstorable."""
    priced = []
    for route in routes:
        record = price(cdr, caller, called, route, decks[route.owner.workspace_id], fx)
        check_record(record)
        priced.append((route.owner.workspace_id, record))
    return priced


def _first_occurrences(cdrs: Sequence[RawCdr], report: IngestReport) -> list[RawCdr]:
    """The batch without repeats of a callid; repeats count as duplicates (or conflicts)."""
    first: dict[str, RawCdr] = {}
    for cdr in cdrs:
        kept = first.get(cdr.callid)
        if kept is None:
            first[cdr.callid] = cdr
            continue
        report.duplicates += 1
        if kept.content_key() != cdr.content_key():
            report.conflicts += 1
    return list(first.values())


class Pipeline:
    """Long-lived per process (or per import run): it keeps the rating cache warm."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.rating = RatingCache()

    def process(self, cdrs: Sequence[RawCdr], release_routed: bool = False) -> IngestReport:
        """Store one batch in one transaction; returns what happened to each CDR.

        With ``release_routed`` (reprocessing the quarantine), CDRs that are routed now leave
        the quarantine in the same transaction that stores them.
        """
        report = IngestReport()
        if not cdrs:
            return report
        with write_transaction(self.engine) as conn:
            self._process(conn, cdrs, report, release_routed)
            if release_routed:
                quarantine.release(conn, report.routed_callids)
        return report

    def _process(
        self,
        conn: Connection,
        batch: Sequence[RawCdr],
        report: IngestReport,
        already_quarantined: bool,
    ) -> None:
        cdrs = _first_occurrences(_storable(batch, report), report)
        parties = [(party_digits(cdr.caller), party_digits(cdr.called)) for cdr in cdrs]
        owners = owners_of(conn, {p for pair in parties for p in pair})
        routed: list[tuple[RawCdr, str, str, list[Route]]] = []
        unrouted: list[tuple[RawCdr, str]] = []
        for cdr, (caller, called) in zip(cdrs, parties, strict=True):
            routes = routes_for(caller, called, owners)
            if routes:
                routed.append((cdr, caller, called, routes))
            else:
                unrouted.append((cdr, UNROUTED_REASON))
        decks = self.rating.decks(conn, {r.owner.workspace_id for *_, rs in routed for r in rs})
        fx = self.rating.fx(conn)
        by_workspace: dict[int, list[CallRecord]] = defaultdict(list)
        priced_cdrs: list[RawCdr] = []
        for cdr, caller, called, routes in routed:
            try:
                priced = _priced_routes(cdr, caller, called, routes, decks, fx)
            except FieldError as exc:
                report.rejected.append(ItemError(_where(cdr), str(exc)))
                continue
            priced_cdrs.append(cdr)
            for workspace_id, record in priced:
                by_workspace[workspace_id].append(record)
        inserted_keys: set[str] = set()
        for workspace_id, records in by_workspace.items():
            outcome = insert_records(conn, workspace_id, records)
            inserted_keys.update(outcome.inserted_callids)
            duplicates = [r for r in records if r.callid not in outcome.inserted_callids]
            if duplicates:
                report.conflicts += _count_conflicts(conn, workspace_id, duplicates)
        for cdr in priced_cdrs:
            report.routed_callids.append(cdr.callid)
            if cdr.callid in inserted_keys:
                report.accepted += 1
            else:
                report.duplicates += 1
        if not already_quarantined:
            quarantine.quarantine(conn, unrouted)
        report.quarantined += len(unrouted)
