"""Rate decks and exchange rates in the database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.engine import Connection, Row

from callrec.rating.billing import ChargedPeriod
from callrec.rating.deck import RateDeck, RateRow
from callrec.rating.fx import FxRate, FxTable
from callrec.store.dialect import insert_ignoring_conflicts
from callrec.store.schema import fx_rates, rate_deck, workspaces
from callrec.wire.money import parse_decimal, plain
from callrec.wire.times import now_micros


def replace_deck_rows(conn: Connection, workspace_id: int, rows: Sequence[RateRow]) -> int:
    """Add rows; a row with the same prefix, direction and start replaces the old one."""
    created = now_micros()
    keys = [(r.prefix, r.direction, r.effective_from_us) for r in rows]
    for start in range(0, len(keys), 500):
        conn.execute(
            delete(rate_deck).where(
                rate_deck.c.workspace_id == workspace_id,
                tuple_(
                    rate_deck.c.prefix, rate_deck.c.direction, rate_deck.c.effective_from_us
                ).in_(keys[start : start + 500]),
            )
        )
    if rows:
        conn.execute(
            rate_deck.insert(),
            [
                {
                    "workspace_id": workspace_id,
                    "prefix": r.prefix,
                    "direction": r.direction,
                    "effective_from_us": r.effective_from_us,
                    "rate": plain(r.rate),
                    "charged_period": str(r.period),
                    "created_us": created,
                }
                for r in rows
            ],
        )
    conn.execute(
        update(workspaces)
        .where(workspaces.c.id == workspace_id)
        .values(rating_revision=workspaces.c.rating_revision + 1)
    )
    return len(rows)


def load_deck(conn: Connection, workspace_id: int) -> RateDeck:
    rows = conn.execute(select(rate_deck).where(rate_deck.c.workspace_id == workspace_id)).all()
    return RateDeck([rate_row(r) for r in rows])


def rate_row(r: Row[Any]) -> RateRow:
    return RateRow(
        r.prefix,
        r.direction,
        r.effective_from_us,
        parse_decimal(r.rate),
        ChargedPeriod.parse(r.charged_period),
    )


def deck_versions(
    conn: Connection, workspace_id: int, after_us: int | None = None, limit: int | None = None
) -> list[tuple[int, int]]:
    """(effective-from, rows starting then) of a workspace's deck, oldest first."""
    d = rate_deck.c
    query = (
        select(d.effective_from_us, func.count())
        .where(d.workspace_id == workspace_id)
        .group_by(d.effective_from_us)
        .order_by(d.effective_from_us)
    )
    if after_us is not None:
        query = query.where(d.effective_from_us > after_us)
    if limit is not None:
        query = query.limit(limit)
    return [(r[0], r[1]) for r in conn.execute(query).all()]


DeckPosition = tuple[int, str, str]  # effective-from, prefix, direction


def deck_rows(
    conn: Connection,
    workspace_id: int,
    effective_from_us: int | None = None,
    after: DeckPosition | None = None,
    limit: int | None = None,
) -> list[RateRow]:
    """A deck's rows by effective-from, prefix and direction; one version's when given."""
    d = rate_deck.c
    query = (
        select(rate_deck)
        .where(d.workspace_id == workspace_id)
        .order_by(d.effective_from_us, d.prefix, d.direction)
    )
    if effective_from_us is not None:
        query = query.where(d.effective_from_us == effective_from_us)
    if after is not None:
        query = query.where(tuple_(d.effective_from_us, d.prefix, d.direction) > tuple_(*after))
    if limit is not None:
        query = query.limit(limit)
    return [rate_row(r) for r in conn.execute(query).all()]


def rating_revisions(conn: Connection, workspace_ids: Sequence[int]) -> dict[int, int]:
    rows = conn.execute(
        select(workspaces.c.id, workspaces.c.rating_revision).where(
            workspaces.c.id.in_(list(workspace_ids))
        )
    ).all()
    return {r.id: r.rating_revision for r in rows}


def set_fx_rate(conn: Connection, rate: FxRate) -> None:
    conn.execute(
        delete(fx_rates).where(
            fx_rates.c.currency == rate.currency,
            fx_rates.c.effective_from_us == rate.effective_from_us,
        )
    )
    conn.execute(
        insert_ignoring_conflicts(conn, fx_rates).values(
            currency=rate.currency,
            effective_from_us=rate.effective_from_us,
            rate=plain(rate.rate),
            created_us=now_micros(),
        )
    )


def list_fx_rates(
    conn: Connection, after: tuple[str, int] | None = None, limit: int | None = None
) -> list[FxRate]:
    """By currency, then effective-from; ``after`` is the (currency, effective-from) the
    previous page ended with."""
    f = fx_rates.c
    query = select(fx_rates).order_by(f.currency, f.effective_from_us)
    if after is not None:
        query = query.where(tuple_(f.currency, f.effective_from_us) > tuple_(*after))
    if limit is not None:
        query = query.limit(limit)
    return [FxRate(r.currency, r.effective_from_us, parse_decimal(r.rate))
            for r in conn.execute(query).all()]  # fmt: skip


def fx_rate_from(conn: Connection, currency: str, effective_from_us: int) -> FxRate | None:
    """The rate set for exactly this moment, if any (the one a new one would replace)."""
    rate = conn.execute(
        select(fx_rates.c.rate).where(
            fx_rates.c.currency == currency, fx_rates.c.effective_from_us == effective_from_us
        )
    ).scalar_one_or_none()
    return None if rate is None else FxRate(currency, effective_from_us, parse_decimal(rate))


def load_fx(conn: Connection) -> FxTable:
    return FxTable(list_fx_rates(conn))


def fx_revision(conn: Connection) -> tuple[int, int]:
    """Changes whenever a rate is added or replaced (count and newest write)."""
    row = conn.execute(select(func.count(), func.max(fx_rates.c.created_us))).one()
    return (row[0], row[1] or 0)
