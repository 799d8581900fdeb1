"""Raw CDRs in, priced records out: route, enrich and rate in a read, then store, one batch
per write transaction.

Nothing is lost and nothing counted twice: a CDR no workspace owns goes to the quarantine;
a callid already stored for a workspace is a duplicate (kept as first stored), and counted
as a conflict when its content differs.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection, Engine

from callrec.ingest.field_error import FieldError
from callrec.ingest.items import Rejected
from callrec.ingest.pricing import RecordPricer
from callrec.ingest.rated import RatedCdr, RatedItem, RatingBasis
from callrec.ingest.routing import Route, party_digits, routes_for
from callrec.ingest.sources.instants import NO_OFFSET_ADVICE
from callrec.ingest.storable import check_raw_cdr
from callrec.model import RawCdr
from callrec.rating.fx import FxTable
from callrec.rating.micros import MicroRater
from callrec.store import quarantine
from callrec.store.accounts import owners_of
from callrec.store.dialect import write_transaction
from callrec.store.rating_data import fx_revision, load_deck, load_fx, rating_revisions
from callrec.store.records import (
    PreparedRows,
    StoredRecord,
    insert_rows,
    prepare_rows,
    record_content,
    stored_content,
)

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

    def name_time_zone_parameter(self, parameter: str) -> None:
        """Say how this face takes a time zone where a reason advises giving one."""
        advice = re.compile(re.escape(NO_OFFSET_ADVICE) + r"(?! \()")
        self.rejected = [
            ItemError(e.item, advice.sub(f"{NO_OFFSET_ADVICE} ({parameter})", e.reason))
            for e in self.rejected
        ]

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
    """Decks (each with its micro-unit rater) and exchange rates, reloaded only when their
    revision changes."""

    def __init__(self) -> None:
        self._decks: dict[int, tuple[int, MicroRater]] = {}
        self._fx: tuple[tuple[int, int], FxTable] | None = None

    def decks(
        self, conn: Connection, workspace_ids: Iterable[int]
    ) -> dict[int, tuple[int, MicroRater]]:
        """Each workspace's (rating revision, rater of its deck)."""
        revisions = rating_revisions(conn, list(workspace_ids))
        result = {}
        for workspace_id, revision in revisions.items():
            cached = self._decks.get(workspace_id)
            if cached is None or cached[0] != revision:
                cached = (revision, MicroRater(load_deck(conn, workspace_id)))
                self._decks[workspace_id] = cached
            result[workspace_id] = cached
        return result

    def fx(self, conn: Connection) -> tuple[tuple[int, int], FxTable]:
        """The exchange rates and their revision."""
        revision = fx_revision(conn)
        if self._fx is None or self._fx[0] != revision:
            self._fx = (revision, load_fx(conn))
        return self._fx


def _count_conflicts(
    conn: Connection, workspace_id: int, duplicates: Sequence[StoredRecord]
) -> int:
    stored = stored_content(conn, workspace_id, [r.callid for r in duplicates])
    return sum(1 for r in duplicates if stored.get(r.callid) not in (None, record_content(r)))


def _where(cdr: RawCdr) -> str:
    """An item as the pipeline knows it: by callid (sources locate theirs by line or file)."""
    return f"callid {cdr.callid[:128]!r}"


def _rated(
    pricer: RecordPricer,
    cdr: RawCdr,
    caller: str,
    called: str,
    routes: Sequence[Route],
    decks: dict[int, tuple[int, MicroRater]],
    fx: FxTable,
    basis: RatingBasis,
) -> RatedItem:
    """The CDR priced for each workspace it routes to, or rejected by callid when one of its
    records is beyond what every backend can store."""
    records = []
    for route in routes:
        try:
            records.append(
                pricer.row(cdr, caller, called, route, decks[route.owner.workspace_id][1], fx)
            )
        except FieldError as exc:
            return Rejected(_where(cdr), str(exc))
    return RatedCdr(cdr, tuple(records), basis)


def _first_occurrences(rated: Sequence[RatedCdr], report: IngestReport) -> list[RatedCdr]:
    """The batch without repeats of a callid; repeats count as duplicates (or conflicts)."""
    first: dict[str, RatedCdr] = {}
    for item in rated:
        kept = first.get(item.cdr.callid)
        if kept is None:
            first[item.cdr.callid] = item
            continue
        report.duplicates += 1
        if kept.cdr.content_key() != item.cdr.content_key():
            report.conflicts += 1
    return list(first.values())


@dataclass(frozen=True, slots=True)
class StorePlan:
    """A rated batch made ready to store: its report so far (rejections, repeats within the
    batch), and the first occurrences, routed with their prepared rows, or unrouted."""

    rated: Sequence[RatedItem]
    report: IngestReport
    routed: list[RatedCdr]
    unrouted: list[tuple[RawCdr, str]]
    prepared: list[PreparedRows]


class Pipeline:
    """Long-lived per process (or per import run): it keeps the rating cache warm.

    A batch is rated (routed and priced) in a short read, then stored under the write lock,
    which therefore covers only the insert: another process rates its next batch meanwhile.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.rating = RatingCache()
        self.pricer = RecordPricer()
        # SQLite pages a storing connection may keep (``keep_store_pages``); None: the default.
        self.store_cache_mib: int | None = None

    def keep_store_pages(self, mib: int) -> None:
        """Let each connection that stores a batch keep up to ``mib`` MiB of database pages
        (SQLite; its default is 2 MiB). A long import re-reads the records' and callid
        registry's B-trees otherwise once they outgrow the cache; storing a chunk of 2000 demo
        CDRs into 100k took 10-15 % less CPU with 64 MiB (issue 15)."""
        self.store_cache_mib = mib

    def process(self, cdrs: Sequence[RawCdr], release_routed: bool = False) -> IngestReport:
        """Rate and store one batch; returns what happened to each CDR.

        With ``release_routed`` (reprocessing the quarantine), CDRs that are routed now leave
        the quarantine in the same transaction that stores them.
        """
        return self.store(self.rate(cdrs), release_routed)

    def rate(self, cdrs: Sequence[RawCdr]) -> list[RatedItem]:
        """Route and price a batch against one snapshot of owners, decks and rates: one item
        per CDR, in order. A CDR no backend could store (``callrec.ingest.storable``: sources
        check their fields as they read them, this catches any source) is ``Rejected`` by
        callid, so it cannot fail its batch in the database."""
        if not cdrs:
            return []
        with self.engine.connect() as conn, conn.begin():
            return self._rate(conn, cdrs)

    def store(self, rated: Sequence[RatedItem], release_routed: bool = False) -> IngestReport:
        """Store one rated batch in one write transaction.

        Whatever was rated against a deck or exchange rate that changed since is rated again
        (and checked again) under the write lock, so a record never lands priced by a
        superseded deck.
        """
        if not rated:
            return IngestReport()
        return self.store_plan(self.plan(rated), release_routed)

    def store_plan(self, plan: StorePlan, release_routed: bool = False) -> IngestReport:
        """``store`` of a batch already planned (``plan``, before the write lock)."""
        with write_transaction(self.engine) as conn:
            if self.store_cache_mib is not None and conn.dialect.name == "sqlite":
                conn.exec_driver_sql(f"PRAGMA cache_size = -{self.store_cache_mib * 1024}")
            rated_again = self._still_current(conn, plan.rated)
            if rated_again is not None:
                plan = self.plan(rated_again)
            self._store(conn, plan, release_routed)
            if release_routed:
                quarantine.release(conn, plan.report.routed_callids)
        return plan.report

    def plan(self, rated: Sequence[RatedItem]) -> StorePlan:
        """The part of storing a rated batch that needs no database, done before the write
        lock so that it is not held meanwhile: repeats within the batch, the rows grouped
        by workspace, their rollups."""
        report = IngestReport()
        current = []
        for item in rated:
            if isinstance(item, Rejected):
                report.rejected.append(ItemError(item.item, item.reason))
            else:
                current.append(item)
        first = _first_occurrences(current, report)
        routed = [item for item in first if item.records]
        unrouted = [(item.cdr, UNROUTED_REASON) for item in first if not item.records]
        by_workspace: dict[int, list[StoredRecord]] = defaultdict(list)
        for item in routed:
            for record in item.records:
                by_workspace[record.workspace_id].append(record)
        dialect = self.engine.dialect.name
        prepared = [prepare_rows(dialect, ws, rows) for ws, rows in by_workspace.items()]
        return StorePlan(rated, report, routed, unrouted, prepared)

    def _rate(self, conn: Connection, cdrs: Sequence[RawCdr]) -> list[RatedItem]:
        rated: list[RatedItem | None] = []
        storable: list[RawCdr] = []
        for cdr in cdrs:
            try:
                check_raw_cdr(cdr)
            except FieldError as exc:
                rated.append(Rejected(_where(cdr), str(exc)))
                continue
            rated.append(None)  # rated below, once owners, decks and rates are loaded
            storable.append(cdr)
        parties = [(party_digits(cdr.caller), party_digits(cdr.called)) for cdr in storable]
        owners = owners_of(conn, {p for pair in parties for p in pair})
        memo: dict[tuple[str | None, str | None], tuple[Route, ...]] = {}
        routes = [routes_for(caller, called, owners, memo) for caller, called in parties]
        decks = self.rating.decks(conn, {r.owner.workspace_id for rs in routes for r in rs})
        fx_now, fx = self.rating.fx(conn)
        basis = RatingBasis(
            frozenset((ws, revision) for ws, (revision, _) in decks.items()), fx_now
        )
        fresh = iter(
            _rated(self.pricer, cdr, caller, called, cdr_routes, decks, fx, basis)
            for cdr, (caller, called), cdr_routes in zip(storable, parties, routes, strict=True)
        )
        return [next(fresh) if item is None else item for item in rated]

    def _still_current(
        self, conn: Connection, rated: Sequence[RatedItem]
    ) -> list[RatedItem] | None:
        """None if every item's rating basis is current, else the batch with the stale items
        rated again."""
        bases = {item.basis for item in rated if isinstance(item, RatedCdr)}
        workspace_ids = {ws for basis in bases for ws, _ in basis.deck_revisions}
        revisions = rating_revisions(conn, list(workspace_ids)) if workspace_ids else {}
        fx_now = fx_revision(conn)
        stale = {basis for basis in bases if not basis.is_current(revisions, fx_now)}
        if not stale:
            return None

        def is_stale(item: RatedItem) -> bool:
            return isinstance(item, RatedCdr) and item.basis in stale

        stale_cdrs = [item.cdr for item in rated if isinstance(item, RatedCdr) and is_stale(item)]
        fresh = iter(self._rate(conn, stale_cdrs))
        return [next(fresh) if is_stale(item) else item for item in rated]

    def _store(self, conn: Connection, plan: StorePlan, already_quarantined: bool) -> None:
        report, routed, unrouted = plan.report, plan.routed, plan.unrouted
        inserted_keys: set[str] = set()
        for prepared in plan.prepared:
            outcome = insert_rows(conn, prepared.workspace_id, prepared)
            inserted_keys.update(outcome.inserted_callids)
            duplicates = [
                r for r in prepared.first.values() if r.callid not in outcome.inserted_callids
            ]
            if duplicates:
                report.conflicts += _count_conflicts(conn, prepared.workspace_id, duplicates)
        for item in routed:
            report.routed_callids.append(item.cdr.callid)
            if item.cdr.callid in inserted_keys:
                report.accepted += 1
            else:
                report.duplicates += 1
        if not already_quarantined:
            quarantine.quarantine(conn, unrouted)
        report.quarantined += len(unrouted)
