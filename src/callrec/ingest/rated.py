"""A raw CDR after routing and pricing, and the rating data it was priced against.

Rating happens outside the write transaction, so each rated CDR carries the revisions of
the decks and exchange rates it used: the writer checks them under its lock and rates again
whatever they no longer match.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from callrec.ingest.items import Rejected
from callrec.model import RawCdr
from callrec.store.records import StoredRecord


@dataclass(frozen=True, slots=True)
class RatingBasis:
    deck_revisions: frozenset[tuple[int, int]]  # (workspace id, rating revision)
    fx_revision: tuple[int, int]

    def is_current(self, deck_revisions: Mapping[int, int], fx_revision: tuple[int, int]) -> bool:
        return fx_revision == self.fx_revision and all(
            deck_revisions.get(workspace_id) == revision
            for workspace_id, revision in self.deck_revisions
        )


@dataclass(frozen=True, slots=True)
class RatedCdr:
    cdr: RawCdr
    records: tuple[StoredRecord, ...]  # one per workspace it routes to; none: unrouted
    basis: RatingBasis


RatedItem = RatedCdr | Rejected  # Rejected: a CDR no backend could store, named by callid
