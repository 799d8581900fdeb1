"""A raw CDR after routing and pricing, and the rating data it was priced against.

Rating happens outside the write transaction (and, for ``cdr import --jobs``, in another
process), so each rated CDR carries the revisions of the decks and exchange rates it used:
the writer checks them under its lock and rates again whatever they no longer match.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from operator import attrgetter
from typing import Any

from callrec.model import CallRecord, RawCdr

# Frozen dataclasses with slots pickle field by field in Python, and Decimals through
# ``__reduce__``: about 25 us a rated CDR, as much as storing it. A rated CDR crosses from a
# worker to the writer as plain tuples with money as text instead, about a quarter of that.
_raw_values = attrgetter(*(f.name for f in fields(RawCdr)))
_record_values = attrgetter(*(f.name for f in fields(CallRecord)))
_MONEY = tuple(i for i, f in enumerate(fields(CallRecord)) if "Decimal" in str(f.type))


def _record_to_wire(record: CallRecord) -> list[Any]:
    values = list(_record_values(record))
    for i in _MONEY:
        if values[i] is not None:
            values[i] = str(values[i])
    return values


def _record_from_wire(values: list[Any]) -> CallRecord:
    for i in _MONEY:
        if values[i] is not None:
            values[i] = Decimal(values[i])
    return CallRecord(*values)


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
    records: tuple[tuple[int, CallRecord], ...]  # (workspace id, its record); none: unrouted
    basis: RatingBasis

    def __reduce__(self) -> tuple[Any, ...]:
        records = tuple((ws, _record_to_wire(record)) for ws, record in self.records)
        return (_rated_from_values, (_raw_values(self.cdr), records, self.basis))


def _rated_from_values(
    cdr: tuple[Any, ...], records: tuple[tuple[int, list[Any]], ...], basis: RatingBasis
) -> RatedCdr:
    return RatedCdr(
        RawCdr(*cdr), tuple((ws, _record_from_wire(values)) for ws, values in records), basis
    )
