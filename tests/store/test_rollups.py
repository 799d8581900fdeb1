"""Hourly rollups stay equal to a GROUP BY over the records through any sequence of
ingest, rerate and purge, on both backends; the migration fills them from existing records."""

from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import delete, text
from sqlalchemy.engine import Engine

from callrec.rating.billing import ChargedPeriod
from callrec.rating.deck import RateRow
from callrec.rating.fx import FxRate
from callrec.rating.rerate import rerate
from callrec.store import accounts, upgrade
from callrec.store.migrate import alembic_config
from callrec.store.purge import purge
from callrec.store.rating_data import replace_deck_rows, set_fx_rate
from callrec.store.records import insert_records, insert_rows, prepare_rows, record_row
from callrec.store.schema import call_rollups
from callrec.wire.times import parse_iso_instant
from tests.store.rollup_oracle import HOUR, assert_rollups_match_records, random_records

BASE = parse_iso_instant("2024-02-20T00:00:00Z").micros
SPAN = 60 * 24 * HOUR  # two months and more: three monthly partitions on PostgreSQL


def _ingest(engine: Engine, rng: random.Random, workspace_id: int, step: int) -> None:
    batch = list(random_records(rng, f"s{step}", rng.randrange(1, 60), BASE, SPAN))
    with engine.begin() as conn:
        insert_records(conn, workspace_id, batch)
        insert_records(conn, workspace_id, batch[: len(batch) // 3])  # duplicates add nothing


def _rerate(
    engine: Engine, rng: random.Random, name: str, window: tuple[int, int] | None = None
) -> None:
    workspace = accounts.get_workspace(engine, name)
    rates = [str(Decimal(rng.randrange(1, 500)) / 10_000) for _ in range(2)]
    with engine.begin() as conn:
        replace_deck_rows(
            conn,
            workspace.id,
            [
                RateRow("91", "any", BASE - HOUR, Decimal(rates[0]), ChargedPeriod(60, 60)),
                RateRow("234", "any", BASE - HOUR, Decimal(rates[1]), ChargedPeriod(1, 1)),
            ],
        )
        if rng.random() < 0.5:
            fx = Decimal(rng.randrange(5_000, 15_000)) / 10_000
            set_fx_rate(conn, FxRate("EUR", BASE - HOUR, fx))
    low, high = window or sorted(BASE + rng.randrange(SPAN + 1) for _ in range(2))
    rerate(engine, workspace, low, high)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_ingest_rerate_purge_keep_rollups_equal_to_group_by(
    engine: Engine, seed: int
) -> None:
    rng = random.Random(seed)
    names = ["acme", "globex"]
    ids = {
        name: accounts.create_workspace(engine, name, currency).id
        for name, currency in zip(names, ["EUR", "USD"], strict=True)
    }
    purge_before = BASE
    for step in range(14):
        action = rng.choice(("ingest", "ingest", "ingest", "rerate", "purge"))
        name = rng.choice(names)
        if action == "ingest":
            _ingest(engine, rng, ids[name], step)
        elif action == "rerate":
            _rerate(engine, rng, name)
        else:
            # Mid-hour cuts and, on PostgreSQL, a whole month's partition dropped at once.
            purge_before += rng.choice((HOUR // 3, 5 * HOUR + 7, 12 * 24 * HOUR))
            purge(engine, purge_before)
        assert_rollups_match_records(engine)


def test_rerate_moves_money_between_currencies_in_the_rollups(engine: Engine) -> None:
    rng = random.Random(7)
    workspace = accounts.create_workspace(engine, "acme", "EUR")
    with engine.begin() as conn:
        insert_records(
            conn,
            workspace.id,
            [
                replace(r, rating_status="unrated", currency=None)
                for r in random_records(rng, "c", 40, BASE, 48 * HOUR)
            ],
        )
    _rerate(engine, rng, "acme", (BASE, BASE + SPAN))
    assert_rollups_match_records(engine)
    with engine.connect() as conn:
        currencies = set(conn.execute(text("SELECT DISTINCT currency FROM call_rollups")).scalars())
    assert "EUR" in currencies


def test_the_migration_fills_rollups_from_existing_records(engine: Engine) -> None:
    rng = random.Random(3)
    for name in ("acme", "globex"):
        workspace = accounts.create_workspace(engine, name)
        with engine.begin() as conn:
            insert_records(conn, workspace.id, list(random_records(rng, name, 80, BASE, SPAN)))
    command.downgrade(alembic_config(engine), "0005")
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM call_rollups")).scalar_one() > 0
    assert_rollups_match_records(engine)


def test_the_oracle_notices_a_wrong_rollup(engine: Engine) -> None:
    workspace = accounts.create_workspace(engine, "acme")
    with engine.begin() as conn:
        insert_records(
            conn, workspace.id, list(random_records(random.Random(4), "x", 5, BASE, HOUR))
        )
        conn.execute(delete(call_rollups).where(call_rollups.c.value == "India"))
        conn.execute(text("UPDATE call_rollups SET pay_micros = pay_micros + 1"))
    with pytest.raises(AssertionError):
        assert_rollups_match_records(engine)


def test_a_purge_that_drops_whole_months_keeps_rollups_equal(engine: Engine) -> None:
    rng = random.Random(13)
    for name in ("acme", "globex"):
        workspace = accounts.create_workspace(engine, name)
        with engine.begin() as conn:
            insert_records(conn, workspace.id, list(random_records(rng, name, 150, BASE, SPAN)))
    cut = parse_iso_instant("2024-04-01T05:20:00Z").micros  # Feb and March whole, April cut
    report = purge(engine, cut)
    if engine.dialect.name == "postgresql":
        assert report.partitions_dropped == ["call_records_p202402", "call_records_p202403"]
    assert report.records > 0
    assert_rollups_match_records(engine)
    with engine.connect() as conn:
        oldest = conn.execute(text("SELECT MIN(period_us) FROM call_rollups")).scalar_one()
    assert oldest >= parse_iso_instant("2024-04-01T00:00:00Z").micros


def test_a_big_dense_batch_keeps_rollups_equal(engine: Engine) -> None:
    # Many records per hour, number and country in one batch: each rollup row sums many
    # records (PostgreSQL in one statement, SQLite in Python), over hourly and daily rows.
    rng = random.Random(21)
    workspace = accounts.create_workspace(engine, "acme")
    count = 2_007
    with engine.begin() as conn:
        insert_records(conn, workspace.id, list(random_records(rng, "big", count, BASE, 3 * HOUR)))
    assert_rollups_match_records(engine)
    with engine.connect() as conn:
        attempts = conn.execute(
            text("SELECT SUM(attempts) FROM call_rollups WHERE grain = 'd' AND dimension = 'all'")
        ).scalar_one()
    assert int(attempts) == count


def test_a_record_with_an_empty_currency_counts_as_usd_when_stored_and_when_backfilled(
    engine: Engine,
) -> None:
    """``''`` and NULL are both "no currency": USD, as ``callrec summary`` counts it."""
    rng = random.Random(11)
    workspace = accounts.create_workspace(engine, "acme")
    with engine.begin() as conn:
        insert_records(
            conn,
            workspace.id,
            [replace(r, currency="") for r in random_records(rng, "e", 20, BASE, SPAN)],
        )

    def currencies() -> set[str]:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT DISTINCT currency FROM call_rollups"))
            return set(found.scalars())

    assert currencies() == {"USD"}
    assert_rollups_match_records(engine)
    command.downgrade(alembic_config(engine), "0005")
    upgrade(engine)
    assert currencies() == {"USD"}
    assert_rollups_match_records(engine)


def test_rows_prepared_before_some_were_stored_count_only_what_is_stored(engine: Engine) -> None:
    """Ingest sums a batch's rollups before the write lock, as if every row will be new; when
    some callids turn out to be stored already, only the rows stored may count."""
    rng = random.Random(5)
    workspace = accounts.create_workspace(engine, "acme")
    batch = [record_row(workspace.id, r) for r in random_records(rng, "p", 40, BASE, SPAN)]
    prepared = prepare_rows(engine.dialect.name, workspace.id, batch)
    with engine.begin() as conn:  # another writer stores a third of them meanwhile
        insert_rows(conn, workspace.id, batch[::3])
    with engine.begin() as conn:
        outcome = insert_rows(conn, workspace.id, prepared)
    assert outcome.inserted == len(batch) - len(batch[::3])
    assert_rollups_match_records(engine)
