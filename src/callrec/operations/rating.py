"""Rate deck operations: import a CSV deck, read its versions and rows, look up the rate a
call would get, list what stayed unrated, and re-price stored calls.

A workspace token reads its own workspace's deck (another's is "not found"); importing and
re-pricing are an operator's. An import's audit entry holds counts and the CSV's SHA-256,
never the CSV.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from callrec.operations.actor import Actor
from callrec.operations.audit import record
from callrec.rating.deck import INCOMING, OUTGOING, RateDeck, RateRow
from callrec.rating.deck_csv import parse_deck_bytes
from callrec.rating.rater import rated_digits
from callrec.rating.rerate import RerateReport
from callrec.rating.rerate import rerate as rerate_window
from callrec.store import rating_data
from callrec.store.accounts import Workspace, iso_instant, workspace_row
from callrec.store.dialect import write_transaction
from callrec.store.errors import InvalidLines, InvalidValue
from callrec.store.numbers import normalise_digits
from callrec.store.rating_data import DeckPosition
from callrec.store.records import unrated_records
from callrec.store.schema import rate_deck
from callrec.wire.money import plain
from callrec.wire.times import TimeFormatError, now_micros, parse_date_or_instant, parse_iso_instant

UNRATED_PREFIX_DIGITS = 3  # after the country code: enough to tell a missing deck row apart
MAX_DECK_BYTES = 16 * 1024 * 1024  # the admin API's limit; the CLI reads any size


@dataclass(frozen=True, slots=True)
class DeckImport:
    workspace: str
    imported: int
    versions: list[int]  # the effective-from moments the imported rows start at

    def as_json(self) -> dict[str, object]:
        return {
            "workspace": self.workspace,
            "imported": self.imported,
            "effectiveFrom": [iso_instant(v) for v in self.versions],
        }


@dataclass(frozen=True, slots=True)
class EffectiveRate:
    number: str
    direction: str
    at_us: int
    currency: str
    row: RateRow | None  # None: no row matches, the call would be stored unrated

    def as_json(self) -> dict[str, object]:
        row = self.row
        return {
            "number": self.number,
            "direction": self.direction,
            "at": iso_instant(self.at_us),
            "currency": self.currency,
            "match": None if row is None else rate_row_to_dict(row),
        }


@dataclass(frozen=True, slots=True)
class UnratedGroup:
    direction: str
    prefix: str
    calls: int
    talk_seconds: int

    def as_json(self) -> dict[str, object]:
        return {"direction": self.direction, "prefix": self.prefix, "calls": self.calls,
                "talkSeconds": self.talk_seconds}  # fmt: skip


def rate_row_to_dict(row: RateRow) -> dict[str, str]:
    return {
        "prefix": row.prefix,
        "rate": plain(row.rate),
        "chargedPeriod": str(row.period),
        "direction": row.direction,
        "effectiveFrom": iso_instant(row.effective_from_us),
    }


def _visible(conn: Connection, actor: Actor, workspace: str) -> Workspace:
    ws = workspace_row(conn, workspace) if workspace else None
    actor.check_sees(ws.id if ws else None, f"no workspace named {workspace!r}")
    assert ws is not None
    return ws


def import_deck(engine: Engine, actor: Actor, workspace: str, csv_bytes: bytes) -> DeckImport:
    """Add the CSV's rows to the workspace's deck, all or none (a row with the same prefix,
    direction and effective-from replaces the old one). ``InvalidLines`` names each bad
    line. Stored calls keep their prices until ``rerate``."""
    with engine.connect() as conn:
        _visible(conn, actor, workspace)
    actor.check_operator("import rate decks")
    rows, errors = parse_deck_bytes(csv_bytes)
    if errors:
        raise InvalidLines(
            f"rate deck not imported: {len(errors)} bad line(s); nothing was stored",
            [(e.line, e.reason) for e in errors],
        )
    versions = sorted({r.effective_from_us for r in rows})
    digest = hashlib.sha256(csv_bytes).hexdigest()
    with write_transaction(engine) as conn:
        ws = _visible(conn, actor, workspace)
        stored = rating_data.replace_deck_rows(conn, ws.id, rows)
        summary = {"rows": stored, "effectiveFrom": [iso_instant(v) for v in versions],
                   "csvSha256": digest, "csvBytes": len(csv_bytes)}  # fmt: skip
        record(conn, actor, "rates.import", "rate_deck", ws.name, ws.id, after=summary)
    return DeckImport(ws.name, stored, versions)


def deck_versions(
    engine: Engine,
    actor: Actor,
    workspace: str,
    after_us: int | None = None,
    limit: int | None = None,
) -> list[tuple[int, int]]:
    """(effective-from, rows starting then), oldest first."""
    with engine.connect() as conn:
        ws = _visible(conn, actor, workspace)
        return rating_data.deck_versions(conn, ws.id, after_us, limit)


def deck_rows(
    engine: Engine,
    actor: Actor,
    workspace: str,
    effective_from_us: int | None = None,
    after: DeckPosition | None = None,
    limit: int | None = None,
) -> list[RateRow]:
    with engine.connect() as conn:
        ws = _visible(conn, actor, workspace)
        return rating_data.deck_rows(conn, ws.id, effective_from_us, after, limit)


def parse_instant(text: str, field: str) -> int:
    """An ISO 8601 instant with an offset, or a date (00:00 UTC)."""
    try:
        return parse_date_or_instant(text)
    except TimeFormatError as exc:
        raise InvalidValue(str(exc), field) from exc


def effective_rate(
    engine: Engine,
    actor: Actor,
    workspace: str,
    number: str,
    direction: str = OUTGOING,
    at: str | None = None,
) -> EffectiveRate:
    """The deck row a call to (``out``) or from (``in``) ``number`` starting ``at`` (default
    now) would be rated with, by the rater's own rule (callrec.rating.deck)."""
    with engine.connect() as conn:
        ws = _visible(conn, actor, workspace)
        digits = normalise_digits(number, "number")
        if direction not in (OUTGOING, INCOMING):
            raise InvalidValue(f"must be {OUTGOING!r} or {INCOMING!r}", "direction")
        at_us = now_micros() if at is None else parse_instant(at, "at")
        prefixes = [digits[:n] for n in range(1, len(digits) + 1)]
        d = rate_deck.c
        candidates = conn.execute(
            select(rate_deck).where(
                d.workspace_id == ws.id,
                d.prefix.in_(prefixes),
                d.direction.in_([direction, "any"]),
                d.effective_from_us <= at_us,
            )
        ).all()
    deck = RateDeck([rating_data.rate_row(r) for r in candidates])
    row = deck.lookup(digits, direction, at_us)
    return EffectiveRate(digits, direction, at_us, ws.currency, row)


def unrated(engine: Engine, actor: Actor, workspace: str) -> list[UnratedGroup]:
    """Calls stored unrated (no deck row matched), grouped by direction and prefix, the
    biggest groups first."""
    with engine.connect() as conn:
        ws = _visible(conn, actor, workspace)
        rows = unrated_records(conn, ws.id)
    groups: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        call_direction = OUTGOING if row.call_source == 3 else INCOMING
        digits = rated_digits(call_direction, row.number, row.called)
        prefix = digits[: len(row.ccode or "") + UNRATED_PREFIX_DIGITS]
        group = groups[(call_direction, prefix)]
        group[0] += 1
        group[1] += row.call_duration
    ordered = sorted(groups.items(), key=lambda item: (-item[1][0], item[0]))
    return [UnratedGroup(d, p, calls, talk) for (d, p), (calls, talk) in ordered]


def rerate(engine: Engine, actor: Actor, workspace: str, start: str, end: str) -> RerateReport:
    """Re-price the workspace's calls rated here that started in [start, end) with the
    current deck and exchange rates; idempotent. Both ends are ISO 8601 with an offset."""
    with engine.connect() as conn:
        ws = _visible(conn, actor, workspace)
    actor.check_operator("re-price calls")
    start_us, end_us = _iso(start, "from"), _iso(end, "to")
    if end_us <= start_us:
        raise InvalidValue("must be later than from", "to")
    report = rerate_window(engine, ws, start_us, end_us)  # commits chunk by chunk
    # One entry for the whole run, once it is done (a run cut short is repeated, idempotent).
    with write_transaction(engine) as conn:
        summary = {"from": iso_instant(start_us), "to": iso_instant(end_us), **report.as_json()}
        record(conn, actor, "records.rerate", "workspace", ws.name, ws.id, after=summary)
    return report


def _iso(text: str, field: str) -> int:
    try:
        return parse_iso_instant(text).micros
    except TimeFormatError as exc:
        raise InvalidValue(str(exc), field) from exc
